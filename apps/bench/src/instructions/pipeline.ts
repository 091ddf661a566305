// The workload whose instructions `instructions/run.ts` counts under callgrind: `--events` `info`
// events with two properties into `withQueue(createFileSink(...))` (default options), without
// (`queue`) or with (`queue-metrics`) `withMetrics` around the queue, until every line is on disk.
// Nothing here reads a clock or the file back: the parent checks every line outside the count,
// and a run with no events (`--events=0`) counts what loading and closing cost.
import { createLogger } from "@sluice/core";
import { createMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { argument, fail } from "../measure.ts";

const subject = argument("subject", "queue");
const total = Number(argument("events", "200000"));
const path = argument("path", "");
if (path === "") fail("pipeline: --path is required");
if (subject !== "queue" && subject !== "queue-metrics")
  fail(`pipeline: unknown subject ${subject}`);

const queue = withQueue(createFileSink({ path }));
const metrics = createMetrics();
const sink = subject === "queue-metrics" ? withMetrics(queue, { metrics, name: "app" }) : queue;
const log = createLogger({ sinks: [sink] });

// Blocks of 1000 calls with a turn of the event loop between them, as in the wall-time scenarios.
for (let index = 0; index < total; ) {
  const end = Math.min(total, index + 1000);
  for (; index < end; index++) {
    log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: index });
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
}
await log.close();

if (subject === "queue-metrics") {
  const snapshot = metrics.snapshot().sinks[0];
  // The parent checks the metered run really metered every event.
  process.stdout.write(
    `${JSON.stringify({ events: snapshot?.events, delivered: snapshot?.delivered, observed: snapshot?.deliveryLatency.count })}\n`,
  );
}
