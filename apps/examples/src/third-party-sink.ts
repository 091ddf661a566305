// Example 4, third-party sink: the HTTP batch sink of ./http-batch-sink.ts, checked with
// checkSinkContract, then composed with a queue, a circuit breaker and metrics, through a spell
// of 503s from its receiver and back.
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "@sluice/core";
import { checkSinkContract } from "@sluice/core/testing";
import { createMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { withCircuitBreaker } from "@sluice/resilience";
import { createHttpBatchSink } from "./http-batch-sink.ts";
import { startReceiver } from "./ndjson-receiver.ts";

const receiver = await startReceiver();
const broken = await startReceiver();
broken.failing = true;
const quiet = () => {}; // the failures below are on purpose

console.log("== 1. checkSinkContract");
const violations = await checkSinkContract(() => createHttpBatchSink({ url: receiver.url }), {
  // What the sink delivered, one string per event: the lines the receiver stored.
  readDelivered: () => receiver.lines,
  // The same sink against an endpoint that fails, to check the failure counts and reports.
  failingFactory: () => createHttpBatchSink({ url: broken.url, onError: quiet }),
});
console.log(violations.length === 0 ? "no violations" : violations);
receiver.lines.length = 0;

console.log("\n== 2. withMetrics(withQueue(withCircuitBreaker(http sink)))");
const metrics = createMetrics();
const http = createHttpBatchSink({ url: receiver.url, onError: quiet });
const breaker = withCircuitBreaker(http, {
  failureThreshold: 3,
  resetTimeoutMs: 300,
  onStateChange: (from, to, reason) => console.log(`circuit ${from} -> ${to} (${reason})`),
});
// One queue batch is one request: the sink's batchSize (1000) is at least the queue's.
const sink = withMetrics(
  withQueue(breaker, { batchSize: 1000, flushIntervalMs: 20, onError: quiet }),
  { metrics, name: "http" },
);
const log = createLogger({ sinks: [sink] });

async function logOrders(phase: string, rounds: number): Promise<void> {
  for (let round = 0; round < rounds; round++) {
    for (let index = 0; index < 100; index++) {
      log.info("Order {OrderId} shipped ({Phase})", { OrderId: round * 100 + index, Phase: phase });
    }
    await sleep(50);
  }
  await log.flush().catch((error: Error) => console.log(`flush reported: ${error.message}`));
}

await logOrders("healthy", 10);
console.log(`receiver holds ${receiver.lines.length} lines`);
receiver.failing = true;
console.log("receiver answers 503 from now on");
await logOrders("receiver down", 10);
receiver.failing = false;
console.log("receiver healthy again");
await sleep(300);
await logOrders("recovered", 10);
await log.close();

const [snapshot] = metrics.snapshot().sinks;
if (snapshot !== undefined) {
  const { events, delivered, failed, dropped } = snapshot;
  console.log(
    `${events} events: ${delivered} delivered, ${failed} failed, ${dropped.queue_full} dropped by the queue; the receiver holds ${receiver.lines.length} lines`,
  );
  // The queue counts the breaker's refusals as failed batches; the breaker says why.
  const { dropped: refused, rejectedBatches } = breaker.stats();
  console.log(
    `the breaker refused ${rejectedBatches} batches (${refused.circuit_open} events, circuit_open) without a request`,
  );
}
metrics.close();
await Promise.all([receiver.close(), broken.close()]);
