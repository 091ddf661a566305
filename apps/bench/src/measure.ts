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

/** What {@link produce} measured on the caller's side. */
export interface CallerCost {
  /** Nanoseconds spent inside the calls, in all. */
  readonly totalNs: number;
  /**
   * The sampled single-call latencies, sorted, in nanoseconds, net of the timer's own cost
   * (`timerNs`), which is the same for every subject.
   */
  readonly sortedLatencies: Float64Array;
  /** What timing one empty call costs (the median), subtracted from each sample. */
  readonly timerNs: number;
}

/**
 * Calls `call(index)` `total` times, yielding to the event loop every 1000 calls as a server
 * would between requests. Blocks of 1000 are timed whole (no timer inside the loop); every
 * `sampleEvery`th call is also timed alone for the percentiles (none when it is `Infinity`, and
 * then the timer's cost is not measured either).
 */
export async function produce(
  call: (index: number) => void,
  total: number,
  sampleEvery: number,
): Promise<CallerCost> {
  const latencies = new Float64Array(Math.ceil(total / sampleEvery));
  const sampling = latencies.length > 0;
  let totalNs = 0;
  for (let index = 0; index < total; ) {
    const end = Math.min(total, index + 1000);
    const blockStart = process.hrtime.bigint();
    for (; index < end; index++) {
      if (sampling && index % sampleEvery === 0) {
        const before = process.hrtime.bigint();
        call(index);
        latencies[index / sampleEvery] = Number(process.hrtime.bigint() - before);
      } else {
        call(index);
      }
    }
    totalNs += Number(process.hrtime.bigint() - blockStart);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const timerNs = sampling ? timerOverhead() : 0;
  for (let index = 0; index < latencies.length; index++) {
    latencies[index] = Math.max(0, (latencies[index] as number) - timerNs);
  }
  latencies.sort();
  return { totalNs, sortedLatencies: latencies, timerNs };
}

/** The median cost of timing an empty call with the code `produce` times single calls with. */
function timerOverhead(): number {
  const empty = (index: number): number => index;
  const samples = new Float64Array(100_000);
  for (let index = 0; index < samples.length; index++) {
    const before = process.hrtime.bigint();
    empty(index);
    samples[index] = Number(process.hrtime.bigint() - before);
  }
  samples.sort();
  return samples[samples.length >> 1] as number;
}

/** The value at quantile `q` (0 to 1) of sorted samples, rounded, as text. */
export function quantile(sorted: Float64Array, q: number): string {
  return (sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))] ?? 0).toFixed(0);
}

/** What the line check found: how many lines were read and the first problem, if any. */
export interface LineCheck {
  readonly lines: number;
  readonly problem: string | undefined;
}

/** Where a subject's lines keep the message and the event's properties. */
export interface LineShape {
  /** The keys one of which holds the message (a string). */
  readonly messageKeys: readonly string[];
  /** The key of the object holding the properties; at the line's top level when absent. */
  readonly properties?: string;
}

/** CLEF's and pino's lines: the message under `@mt` or `msg`, the properties at the top level. */
const topLevel: LineShape = { messageKeys: ["@mt", "msg"] };

/**
 * Parses every line of `text` and checks it is the event the subjects log, in order: valid
 * JSON, `Path` equal to `path`, `Elapsed` equal to the line's index plus `firstIndex` (where
 * `shape` says the properties are), and the message under one of `shape`'s message keys. A
 * scenario fails its row on any problem or a short count.
 */
export function checkLines(
  text: string,
  path: string,
  firstIndex: number,
  shape: LineShape = topLevel,
): LineCheck {
  let lines = 0;
  let start = 0;
  for (let end = text.indexOf("\n"); end !== -1; end = text.indexOf("\n", start)) {
    const line = text.slice(start, end);
    start = end + 1;
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return { lines, problem: `line ${lines + 1} is not JSON: ${line.slice(0, 120)}` };
    }
    const properties = (shape.properties === undefined ? parsed : parsed[shape.properties]) as
      | Record<string, unknown>
      | null
      | undefined;
    if (
      properties?.Path !== path ||
      properties.Elapsed !== firstIndex + lines ||
      !shape.messageKeys.some((key) => typeof parsed[key] === "string")
    ) {
      return { lines, problem: `line ${lines + 1} is not event ${firstIndex + lines}: ${line}` };
    }
    lines++;
  }
  if (start !== text.length) return { lines, problem: "the last line has no newline" };
  return { lines, problem: undefined };
}

/** Prints a failed row's reason and makes the child exit with an error, so the row fails. */
export function fail(reason: string): never {
  process.stderr.write(`${reason}\n`);
  process.exit(1);
}
