import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogEvent } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { createMetrics, serveMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { describe, expect, it } from "vitest";

const hasPrometheus = spawnSync("prometheus", ["--version"]).status === 0;
if (!hasPrometheus) {
  console.warn(
    "prometheus (Debian package prometheus) is not installed: the scrape test is skipped",
  );
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

async function query(base: string, expression: string): Promise<QueryResult[]> {
  try {
    const response = await fetch(`${base}/api/v1/query?query=${encodeURIComponent(expression)}`);
    if (!response.ok) return [];
    const body = (await response.json()) as { data?: { result?: QueryResult[] } };
    return body.data?.result ?? [];
  } catch {
    return [];
  }
}

describe("a real Prometheus server", () => {
  it.skipIf(!hasPrometheus)(
    "scrapes the /metrics endpoint on 127.0.0.1 and answers queries with our series",
    async () => {
      const metrics = createMetrics();
      const sink = withMetrics(
        withQueue(createMemorySink(), { maxEvents: 10, overflow: "drop-newest", shedBelow: false }),
        { metrics, name: "app" },
      );
      for (let n = 0; n < 25; n++) {
        sink.write(createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } }));
      }
      await sink.flush();
      const endpoint = await serveMetrics(metrics, { port: 0 });
      const directory = mkdtempSync(join(tmpdir(), "sluice-prometheus-"));
      const config = join(directory, "prometheus.yml");
      writeFileSync(
        config,
        [
          "global:",
          "  scrape_interval: 1s",
          "scrape_configs:",
          "  - job_name: sluice",
          "    static_configs:",
          `      - targets: ["127.0.0.1:${endpoint.port}"]`,
          "",
        ].join("\n"),
      );
      const port = await freePort();
      let server: ChildProcess | undefined;
      try {
        server = spawn(
          "prometheus",
          [
            `--config.file=${config}`,
            `--storage.tsdb.path=${join(directory, "data")}`,
            `--web.listen-address=127.0.0.1:${port}`,
          ],
          { stdio: "ignore" },
        );
        const base = `http://127.0.0.1:${port}`;
        let accepted: QueryResult[] = [];
        const deadline = Date.now() + 40_000;
        while (accepted.length === 0 && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 250));
          accepted = await query(base, "sluice_sink_log_accepted_total");
        }
        expect(accepted).toHaveLength(1);
        expect(accepted[0]?.metric).toMatchObject({
          __name__: "sluice_sink_log_accepted_total",
          sink: "app",
          job: "sluice",
        });
        expect(accepted[0]?.value[1]).toBe("25");
        const dropped = await query(
          base,
          'sluice_sink_log_processed_total{sink="app",error_type="queue_full"}',
        );
        expect(dropped[0]?.value[1]).toBe("15");
        const capacity = await query(base, "sluice_sink_log_queue_capacity");
        expect(capacity[0]?.value[1]).toBe("10");
      } finally {
        if (server !== undefined && server.exitCode === null) {
          const exited = new Promise((resolve) => server?.once("exit", resolve));
          server.kill("SIGTERM");
          await exited;
        }
        await endpoint.close();
        rmSync(directory, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
