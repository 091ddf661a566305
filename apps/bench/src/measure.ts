// Shared by every scenario: timing loops and the one-line JSON result each child prints.

/** One measured row, printed by a scenario child as a JSON line. */
export interface Measurement {
  readonly scenario: string;
  readonly subject: string;
  /** Median nanoseconds per operation over the rounds. */
  readonly nsPerOp: number;
  /** Extra figures, by name (e.g. p99, peak RSS, lines checked). */
  readonly extra?: Readonly<Record<string, number | string>>;
}

/**
 * Times `operation` over `iterations` calls, `rounds` times after a warm-up, and returns the
 * median nanoseconds per call: the median resists the noise of a shared machine.
 */
export function timePerCall(
  operation: (index: number) => void,
  iterations: number,
  rounds = 5,
): number {
  for (let index = 0; index < Math.min(iterations, 200_000); index++) operation(index);
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (let index = 0; index < iterations; index++) operation(index);
    samples.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

/** Prints a measurement for the parent to collect. */
export function report(measurement: Measurement): void {
  process.stdout.write(`@@bench ${JSON.stringify(measurement)}\n`);
}

/** Reads `--name=value` arguments. */
export function argument(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  const found = process.argv.find((value) => value.startsWith(prefix));
  return found === undefined ? fallback : found.slice(prefix.length);
}
