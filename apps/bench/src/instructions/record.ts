// One histogram record, the operation metering repeats for every sampled write and every run of
// delivered events that share a millisecond: `--mode=record` calls `Histogram.record` `--records`
// times with latencies from 1 µs to 1 s, `--mode=empty` makes the same calls into a function that
// only adds the value up, so the difference of their instruction counts is the record's own.
// `--mode=time` times both on the clock instead (median of rounds) and prints nanoseconds.
import { argument, fail } from "../measure.ts";

interface Recorder {
  record(value: number, times?: number): void;
  readonly count: number;
}

const mode = argument("mode", "record");
const records = Number(argument("records", "20000000"));

// The histogram is internal to the package (not exported), so it is loaded from the built file
// beside the entry point, wherever the package is installed.
const histogramUrl = new URL("./histogram.js", import.meta.resolve("@sluice/metrics"));
const { Histogram } = (await import(histogramUrl.href)) as { Histogram: new () => Recorder };

// Latencies spread evenly on a log scale, so every bucket range is exercised, from a fixed seed.
const values = new Float64Array(4096);
let seed = 0x2545f491;
for (let index = 0; index < values.length; index++) {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  values[index] = 1e3 * 10 ** (6 * ((seed >>> 0) / 2 ** 32));
}
const mask = values.length - 1;

const histogram = new Histogram();

// Each loop is its own function, so that each call site sees one target and is compiled as it
// would be in place; the empty loop's sum is returned so that it is not optimized away.
function recordLoop(count: number): number {
  for (let index = 0; index < count; index++) histogram.record(values[index & mask] as number);
  return histogram.count;
}
function emptyLoop(count: number): number {
  let sum = 0;
  for (let index = 0; index < count; index++) sum += values[index & mask] as number;
  return sum;
}

/** Nanoseconds per iteration of `loop`, over `count` iterations. */
function time(loop: (count: number) => number, count: number): number {
  const start = process.hrtime.bigint();
  loop(count);
  return Number(process.hrtime.bigint() - start) / count;
}

if (mode === "time") {
  recordLoop(1_000_000);
  emptyLoop(1_000_000);
  // Interleaved rounds, each side keeping its median: a shared machine drifts between rounds.
  const recordNs: number[] = [];
  const emptyNs: number[] = [];
  for (let round = 0; round < 9; round++) {
    recordNs.push(time(recordLoop, 5_000_000));
    emptyNs.push(time(emptyLoop, 5_000_000));
  }
  const median = (samples: number[]): number =>
    samples.sort((a, b) => a - b)[samples.length >> 1] as number;
  process.stdout.write(
    `${JSON.stringify({ recordNs: median(recordNs), emptyNs: median(emptyNs), recorded: histogram.count })}\n`,
  );
} else if (mode === "record") {
  process.stdout.write(`${JSON.stringify({ recorded: recordLoop(records) })}\n`);
} else if (mode === "empty") {
  process.stdout.write(`${JSON.stringify({ sum: emptyLoop(records) })}\n`);
} else {
  fail(`record: unknown mode ${mode}`);
}
