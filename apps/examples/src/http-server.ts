// Example 3, http-server: a node:http server that logs every request with its request id in
// ambient context, its status and latency, loaded for three seconds by a bounded loop of fetches
// to 127.0.0.1, then the metrics of its log pipeline.
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, withContext } from "@sluice/core";
import { createMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";

const directory = mkdtempSync(join(tmpdir(), "sluice-http-"));
const path = join(directory, "access.log");
const metrics = createMetrics();
// Metered on both sides of the queue: outside for drops and depth, inside for delivery latency.
const file = withMetrics(createFileSink({ path }), { metrics, name: "access.file" });
const sink = withMetrics(withQueue(file), { metrics, name: "access" });
const log = createLogger({ sinks: [sink], properties: { Service: "catalog" } });

const server = createServer((request, response) => {
  const started = performance.now();
  const requestId = request.headers["x-request-id"]?.toString() ?? randomUUID();
  // Everything logged while handling the request, here or in any function it calls, carries it.
  withContext({ RequestId: requestId }, () => {
    const status = request.url === "/missing" ? 404 : 200;
    response.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "");
    log.info("HTTP {Method} {Path} responded {StatusCode} in {Elapsed:0.000} ms", {
      Method: request.method,
      Path: request.url,
      StatusCode: status,
      Elapsed: performance.now() - started,
    });
  });
});
server.listen(0, "127.0.0.1");
await new Promise((resolve) => server.once("listening", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

// Eight clients, for three seconds or 20,000 requests, whichever comes first.
const until = Date.now() + 3000;
let sent = 0;
async function client(): Promise<void> {
  while (Date.now() < until && sent < 20_000) {
    const number = sent++;
    const response = await fetch(`${base}${number % 10 === 0 ? "/missing" : "/products"}`, {
      headers: { "x-request-id": `req-${number}` },
      signal: AbortSignal.timeout(5000),
    });
    await response.arrayBuffer();
  }
}
await Promise.all(Array.from({ length: 8 }, client));
server.close();
await log.close();

const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
console.log(`${sent} requests in 3 s, ${lines.length} lines in ${path}; the first:`);
console.log(`  ${lines[0]}`);
for (const sinkMetrics of metrics.snapshot().sinks) {
  const { name, events, delivered, failed, pending, writeLatency, deliveryLatency } = sinkMetrics;
  const dropped = Object.values(sinkMetrics.dropped).reduce((sum, count) => sum + count, 0);
  console.log(
    `${name}: ${events} events, ${delivered} delivered, ${dropped} dropped, ${failed} failed, ${pending} pending`,
  );
  if (writeLatency.count > 0) {
    console.log(`  write cost p50 ${ms(writeLatency.p50)}, p99 ${ms(writeLatency.p99)} (sampled)`);
  }
  if (deliveryLatency.count > 0) {
    console.log(
      `  log call to file p50 ${ms(deliveryLatency.p50)}, p99 ${ms(deliveryLatency.p99)}`,
    );
  }
}
console.log(
  "The handler paid only the write cost. Log call to file: up to 50 ms of it is the queue waiting for a fuller batch (flushIntervalMs), the rest an event loop shared with the server and its eight clients.",
);
metrics.close();
rmSync(directory, { recursive: true, force: true });

function ms(value: number): string {
  return `${value.toFixed(3)} ms`;
}
