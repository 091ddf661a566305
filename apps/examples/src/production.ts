// Example 2, production (`pnpm demo`): the recommended pipeline for a service, a /metrics endpoint,
// graceful shutdown on SIGTERM / SIGINT / SIGHUP, and the shutdown report at exit.
//
//   withMetrics(withQueue(withFallback(withCircuitBreaker(rolling file), console)))
//
// The script logs a burst of orders, reads its own /metrics endpoint, then shuts down the way a
// SIGTERM would and prints the report. Send it a signal while it runs (Ctrl-C) to see the hooks
// do the same.
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@sluice/core";
import { createMetrics, serveMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { withCircuitBreaker, withFallback } from "@sluice/resilience";
import { createShutdown, installProcessHooks } from "@sluice/shutdown";
import { createConsoleSink } from "@sluice/sink-console";
import { createFileSink } from "@sluice/sink-file";

const directory = mkdtempSync(join(tmpdir(), "sluice-production-"));
const terminal = createConsoleSink({ format: "text", utc: true });
const file = createFileSink({
  path: join(directory, "app.log"),
  rolling: { maxSize: 256 * 1024, maxFiles: 5 },
});
const metrics = createMetrics({
  thresholds: { dropRate: 0.01, failureRate: 0.01, queueFill: 0.8 },
});
const pipeline = withMetrics(
  withQueue(withFallback(withCircuitBreaker(file, { resetTimeoutMs: 1000 }), terminal), {
    maxEvents: 50_000,
  }),
  { metrics, name: "app" },
);
const log = createLogger({
  level: "info",
  // Every event to the file; warnings and above on the console too.
  sinks: [pipeline, { sink: terminal, level: "warn" }],
  properties: { Service: "orders" },
});

const server = await serveMetrics(metrics, { port: 0 }); // 127.0.0.1 only, by default

// Closed in reverse order of registration: the endpoint first, the logger and its sinks last,
// so that everything logged while shutting down still reaches the file.
const shutdown = createShutdown({ logger: log });
shutdown.register("logger", log);
shutdown.register("pipeline", pipeline); // its stats() give the report's event counts
shutdown.register("console", terminal);
shutdown.register("metrics", async () => {
  metrics.close();
  await server.close();
});
const uninstall = installProcessHooks(shutdown, { strategy: { graceful: 5000 }, logger: log });

heading(`1. Logging 20000 orders through the pipeline into ${join(directory, "app.log")}`);
for (let index = 0; index < 20_000; index++) {
  log.info("Order {OrderId} shipped to {Country}", { OrderId: index, Country: "NO" });
  if (index % 5000 === 4999) log.warn("Stock of {Sku} is low", { Sku: `sku-${index}` });
}
await log.flush();

// maxSize is a threshold: the roll follows the write that passed it, and the sink writes in
// chunks of up to 1 MiB, so under a burst like this one a file ends well past 256 KiB.
heading("2. The files: rolled after the write that passes 256 KiB, at most 5 rolled files kept");
for (const name of readdirSync(directory).sort()) {
  if (name.endsWith(".lock")) {
    console.log(`  ${name.padEnd(36)}            held while the sink owns the path`);
    continue;
  }
  const kibibytes = Math.ceil(statSync(join(directory, name)).size / 1024);
  const role = name === "app.log" ? "active" : "rolled";
  console.log(`  ${name.padEnd(36)} ${String(kibibytes).padStart(5)} KiB  ${role}`);
}

heading(`3. GET ${server.url} (what Prometheus scrapes)`);
const exposition = await (await fetch(server.url, { signal: AbortSignal.timeout(5000) })).text();
for (const line of exposition.split("\n")) {
  // The outcomes that happened (a drop reason or failure that never occurred reads 0).
  const shown = /^sluice_sink_(log_accepted_total|log_processed_total|log_queue_size|state)\b/;
  if (shown.test(line) && !/error_type=.*\} 0$/.test(line)) console.log(`  ${line}`);
}

heading("4. Shutting down as SIGTERM would: flush, close, report");
// A signal runs the same shutdown and then exits with 128 + its number.
const report = await shutdown.execute({ graceful: 5000 });
uninstall();
for (const resource of report.resources) {
  const events = resource.events;
  const counts = events
    ? ` accepted ${events.accepted}, delivered ${events.delivered}, failed ${events.failed}, abandoned ${events.abandoned}`
    : "";
  console.log(
    `  ${resource.name.padEnd(9)} ${resource.outcome.padEnd(8)} ${resource.durationMs.toFixed(1)} ms${counts}`,
  );
}
const { totals } = report;
console.log(
  `Shutdown report: ${report.ok ? "ok" : "NOT ok"} in ${report.durationMs.toFixed(1)} ms: ${totals.delivered} of ${totals.accepted} events delivered, ${totals.dropped} dropped, ${totals.failed} failed, ${totals.abandoned} abandoned`,
);
rmSync(directory, { recursive: true, force: true });

function heading(text: string): void {
  console.log(`\n== ${text}`);
}
