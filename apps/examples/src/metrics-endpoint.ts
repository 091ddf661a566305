// `pnpm --filter @sluice/examples metrics`: a queued file sink measured by @sluice/metrics, with
// its /metrics endpoint on 127.0.0.1. A burst overflows the small queue; the endpoint then shows
// what became of every event (delivered, or dropped as queue_full), the queue's size and the
// latency summaries, in the Prometheus text format. With --serve it keeps serving until Ctrl-C,
// for a Prometheus server to scrape.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@sluice/core";
import { createMetrics, serveMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";

const directory = mkdtempSync(join(tmpdir(), "sluice-metrics-demo-"));
const metrics = createMetrics({
  thresholds: { dropRate: 0.05, queueFill: 0.8 },
  alertIntervalMs: 1000,
  onAlert: (alert) =>
    console.log(`alert: ${alert.sink} ${alert.kind} ${alert.status} at ${alert.value.toFixed(2)}`),
});
// Metered twice: outside the queue for its drops and depth, inside it for delivery latency.
const file = withMetrics(createFileSink({ path: join(directory, "app.log") }), {
  metrics,
  name: "app.file",
});
const sink = withMetrics(withQueue(file, { maxEvents: 1_000 }), { metrics, name: "app" });
const log = createLogger({ sinks: [sink] });
const server = await serveMetrics(metrics, { port: Number(process.env.PORT ?? 0) });

for (let index = 0; index < 5_000; index++) log.info("Order {OrderId} shipped", { OrderId: index });
await log.flush();
metrics.evaluateAlerts();

const response = await fetch(server.url);
const text = await response.text();
console.log(`GET ${server.url} -> ${response.status}\n`);
console.log(
  text
    .split("\n")
    .filter((line) => !line.startsWith("#") && !line.includes('error_type="') && line !== "")
    .concat(text.split("\n").filter((line) => /error_type="(queue_full|shed)"/.test(line)))
    .join("\n"),
);

if (process.argv.includes("--serve")) {
  console.log(`\nserving ${server.url} until Ctrl-C`);
  process.once("SIGINT", () => void shutdown());
  // The server does not hold the process open by itself.
  setInterval(() => log.info("Tick"), 1000);
} else {
  await shutdown();
}

async function shutdown(): Promise<void> {
  metrics.close();
  await log.close();
  await server.close();
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}
