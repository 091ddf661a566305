// The cost of metering: one million `info` events into `withQueue(createFileSink(...))` (default
// options), until every line is on disk, with and without `withMetrics` around the queue:
//   queue          withQueue(createFileSink(...))
//   queue-metrics  withMetrics(withQueue(createFileSink(...)), { metrics, name })
// The metered child also times what metering adds per event on its own, against a sink that does
// nothing: `write` with the default sampling (one write in 16 timed) and with every write timed,
// and `writeBatch` of 1000 events (counting plus recording each event's delivery latency).
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type LogEvent, type Sink } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import { createMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { argument, checkLines, fail, produce, quantile, report, timePerCall } from "../measure.ts";

const subject = argument("subject", "queue");
const total = Number(argument("events", "1000000"));
const directory = mkdtempSync(join(tmpdir(), "sluice-bench-metrics-"));
const path = join(directory, "bench.log");

const metrics = createMetrics();
const queue = withQueue(createFileSink({ path }));
const sink = subject === "queue-metrics" ? withMetrics(queue, { metrics, name: "app" }) : queue;
const log = createLogger({ sinks: [sink] });

const start = process.hrtime.bigint();
const caller = await produce(
  (index) => log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: index }),
  total,
  100,
);
await log.close();
const wallNs = Number(process.hrtime.bigint() - start);
const check = checkLines(readFileSync(path, "utf8"), "/api/items", 0);
rmSync(directory, { recursive: true, force: true });
if (check.problem !== undefined) fail(`metrics ${subject}: ${check.problem}`);
if (check.lines !== total) fail(`metrics ${subject}: ${check.lines} of ${total} lines`);

const extra: Record<string, string> = {
  "caller ns/call": (caller.totalNs / total).toFixed(0),
  "caller p50 ns": quantile(caller.sortedLatencies, 0.5),
  "caller p99 ns": quantile(caller.sortedLatencies, 0.99),
  lines: `${check.lines} (all checked)`,
};

if (subject === "queue-metrics") {
  const snapshot = metrics.snapshot().sinks[0];
  extra["metered events"] = String(snapshot?.events);
  extra["write p99 ns"] = ((snapshot?.writeLatency.p99 ?? 0) * 1e6).toFixed(0);
  extra.delivered = String(snapshot?.delivered);
  // Measured where the file sink hands each event to the OS, behind the queue.
  extra["delivery latency count"] = String(snapshot?.deliveryLatency.count);
  extra["delivery p50 / p99 ms"] =
    `${snapshot?.deliveryLatency.p50.toFixed(0)} / ${snapshot?.deliveryLatency.p99.toFixed(0)}`;

  // What metering adds per event, against a sink that does nothing.
  const nothing: Sink = {
    write: () => {},
    writeBatch: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
  const event = createLogEvent({ level: "info", template: "Event {N}", properties: { N: 1 } });
  const sampled = withMetrics(nothing, { metrics, name: "sampled" });
  const everyWrite = withMetrics(nothing, {
    metrics: createMetrics({ writeSampleInterval: 1 }),
    name: "every",
  });
  const bare = timePerCall(() => nothing.write(event), 5_000_000);
  const meteredWrite = timePerCall(() => sampled.write(event), 5_000_000);
  const timedWrite = timePerCall(() => everyWrite.write(event), 2_000_000);
  extra["write overhead ns"] = (meteredWrite - bare).toFixed(1);
  extra["timed write overhead ns"] = (timedWrite - bare).toFixed(1);

  const batch: LogEvent[] = [];
  for (let index = 0; index < 1000; index++) {
    batch.push(createLogEvent({ level: "info", template: "Event {N}", properties: { N: index } }));
  }
  // Interleaved rounds, each side keeping its median: a shared machine drifts between rounds.
  const batchesPerRound = 500;
  const timeBatches = async (target: Sink): Promise<number> => {
    const roundStart = process.hrtime.bigint();
    for (let round = 0; round < batchesPerRound; round++) await target.writeBatch(batch);
    return Number(process.hrtime.bigint() - roundStart) / (batchesPerRound * batch.length);
  };
  const metered: number[] = [];
  const bareBatch: number[] = [];
  for (let round = 0; round < 9; round++) {
    metered.push(await timeBatches(sampled));
    bareBatch.push(await timeBatches(nothing));
  }
  const median = (values: number[]): number =>
    values.sort((a, b) => a - b)[values.length >> 1] as number;
  extra["delivery record ns/event"] = (median(metered) - median(bareBatch)).toFixed(1);
}

report({ scenario: "metrics", subject, nsPerOp: wallNs / total, extra });
