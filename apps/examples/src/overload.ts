// Example 5, overload: a sink that takes about 10,000 events a second, fed 100,000 a second for
// two seconds. The queue stays within its bounds, sheds debug and info before warnings and
// errors, calls back when it crosses its back-pressure threshold, and counts every drop by reason.
// Then a producer that can wait (a batch job) awaits `ready()` and loses nothing.
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger, type LogLevel } from "@sluice/core";
import { createSink } from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";

const deliveredByLevel = new Map<LogLevel, number>();
// 10 ms per 100 events: at most 10,000 events a second.
const slowSink = () =>
  createSink({
    name: "slow",
    batchSize: 100,
    deliver: async (events) => {
      await sleep(10);
      for (const { level } of events)
        deliveredByLevel.set(level, (deliveredByLevel.get(level) ?? 0) + 1);
    },
  });

let backPressureCalls = 0;
const queue = withQueue(slowSink(), {
  maxEvents: 5000,
  maxBytes: 1024 * 1024,
  batchSize: 100,
  overflow: "drop-oldest",
  shedBelow: "warn", // the default: under pressure, debug and info go first
  onBackPressure: ({ depth, bytes }) => {
    backPressureCalls++;
    if (backPressureCalls <= 3)
      console.log(`back-pressure: ${depth} events, ${bytes} bytes queued`);
  },
});
const log = createLogger({ level: "debug", sinks: [queue] });

const written = new Map<LogLevel, number>();
let peakBytes = 0;
const started = performance.now();
for (let tick = 0; tick < 200; tick++) {
  for (let index = 0; index < 1000; index++) {
    const level: LogLevel =
      index % 100 === 0 ? "error" : index % 100 === 50 ? "warn" : index % 2 ? "debug" : "info";
    written.set(level, (written.get(level) ?? 0) + 1);
    log[level]("Request {Tick}.{Index} handled", { Tick: tick, Index: index });
  }
  peakBytes = Math.max(peakBytes, queue.stats().depthBytes);
  await sleep(10);
}
const elapsed = (performance.now() - started) / 1000;
await log.close();

const stats = queue.stats();
console.log(`${stats.accepted} events in ${elapsed.toFixed(1)} s into a sink that takes ~10,000/s`);
console.log(`delivered ${stats.delivered}, failed ${stats.failed}`);
for (const [reason, count] of Object.entries(stats.dropped)) {
  if (count > 0) console.log(`  dropped ${count} as ${reason}`);
}
for (const level of ["error", "warn", "info", "debug"] as const) {
  console.log(
    `  ${level.padEnd(5)}: ${deliveredByLevel.get(level) ?? 0} of ${written.get(level)} delivered`,
  );
}
console.log(
  `back-pressure callbacks: ${backPressureCalls} (once per crossing of 80%, re-armed at 40%)`,
);
console.log(`peak queue memory: ${(peakBytes / 1024).toFixed(0)} KiB of a 1024 KiB bound`);
const { accepted, delivered, failed } = stats;
const dropped = Object.values(stats.dropped).reduce((sum, count) => sum + count, 0);
console.log(
  `conservation: ${accepted} = ${delivered} + ${dropped} + ${failed} + ${stats.depth + stats.inFlight}`,
);

// A producer that can wait: before each slice of work it awaits ready(), which resolves once the
// queue is below its back-pressure thresholds. It runs at the sink's pace and drops nothing.
const paced = withQueue(slowSink(), { maxEvents: 5000, maxBytes: 1024 * 1024, batchSize: 100 });
const batchLog = createLogger({ sinks: [paced] });
for (let slice = 0; slice < 40; slice++) {
  await paced.ready();
  for (let index = 0; index < 500; index++) {
    batchLog.info("Row {Slice}.{Index} imported", { Slice: slice, Index: index });
  }
}
await batchLog.close();
const pacedStats = paced.stats();
const pacedDropped = Object.values(pacedStats.dropped).reduce((sum, count) => sum + count, 0);
console.log(
  `awaiting ready(): ${pacedStats.accepted} events, ${pacedStats.delivered} delivered, ${pacedDropped} dropped`,
);
