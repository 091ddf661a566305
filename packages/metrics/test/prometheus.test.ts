import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { Agent, request } from "node:http";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import {
  createMetrics,
  type Metrics,
  prometheusContentType,
  serveMetrics,
  withMetrics,
} from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { describe, expect, it } from "vitest";

const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" });
const hasPromtool = promtool.status === 0;
if (!hasPromtool) {
  console.warn("promtool (Debian package prometheus) is not installed: its checks are skipped");
}

function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** The samples of a family (with its suffixes), as `labels value` strings. */
function samples(text: string, name: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => line.slice(name.length));
}

function get(url: string, method = "GET"): Promise<{ status: number; type: string; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () =>
        resolve({
          status: response.statusCode ?? 0,
          type: String(response.headers["content-type"]),
          body,
        }),
      );
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

/**
 * A busy pipeline: a queued file sink with drops (a small queue that drops the newest) and a
 * queued sink on /dev/full whose writes all fail with ENOSPC.
 */
async function busyPipeline(metrics: Metrics, directory: string): Promise<() => Promise<void>> {
  const healthy = withMetrics(
    withQueue(createFileSink({ path: join(directory, "app.log") }), {
      maxEvents: 100,
      overflow: "drop-newest",
      shedBelow: false,
    }),
    { metrics, name: "app" },
  );
  const full = withMetrics(
    withQueue(createFileSink({ path: "/dev/full", onError: () => {} }), { onError: () => {} }),
    { metrics, name: 'disk "full"\\\nsecond line' },
  );
  const log = createLogger({ sinks: [healthy, full] });
  for (let round = 0; round < 5; round++) {
    for (let n = 0; n < 300; n++) log.info("Request {N} served", { N: n });
    await log.flush().catch(() => {});
  }
  return () => log.close().catch(() => {});
}

describe("toPrometheus", () => {
  it("renders counters, gauges and summaries with HELP, TYPE and escaped labels", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-metrics-"));
    const metrics = createMetrics({ thresholds: { dropRate: 0.2 }, writeSampleInterval: 1 });
    const close = await busyPipeline(metrics, directory);
    try {
      metrics.evaluateAlerts();
      const text = metrics.toPrometheus();
      const snapshot = metrics.snapshot();
      const [app, full] = snapshot.sinks;
      expect(app?.dropped.queue_full).toBeGreaterThan(0);
      expect(full?.failed).toBeGreaterThan(0);
      expect(full?.lastError?.code).toBe("ENOSPC");

      const fullLabel = 'sink="disk \\"full\\"\\\\\\nsecond line"';
      expect(samples(text, "sluice_sink_log_accepted_total")).toEqual([
        `{sink="app"} ${app?.events}`,
        `{${fullLabel}} ${full?.events}`,
      ]);
      expect(samples(text, "sluice_sink_log_processed_total")).toContain(
        `{sink="app",error_type="queue_full"} ${app?.dropped.queue_full}`,
      );
      expect(samples(text, "sluice_sink_log_processed_total")).toContain(
        `{sink="app"} ${app?.delivered}`,
      );
      expect(samples(text, "sluice_sink_log_processed_total")).toContain(
        `{${fullLabel},error_type="failed"} ${full?.failed}`,
      );
      expect(samples(text, "sluice_sink_log_queue_capacity")).toEqual([
        `{sink="app"} 100`,
        `{${fullLabel}} 100000`,
      ]);
      expect(samples(text, "sluice_sink_log_write_duration_seconds_count")).toEqual([
        `{sink="app"} ${app?.events}`,
        `{${fullLabel}} ${full?.events}`,
      ]);
      expect(samples(text, "sluice_sink_alert_active")).toContain(
        `{sink="app",alert="drop_rate"} 1`,
      );
      expect(samples(text, "sluice_sink_last_error_timestamp_seconds")[0]).toMatch(
        /^\{.*,component="file",error_type="ENOSPC"\} \d+(\.\d+)?$/,
      );
      expect(text).toContain(
        "# HELP sluice_sink_log_accepted_total Log events the sink received.\n" +
          "# TYPE sluice_sink_log_accepted_total counter\n",
      );
      expect(text).toContain("# TYPE sluice_sink_log_write_duration_seconds summary\n");
      expect(text.endsWith("\n")).toBe(true);
      // Every HELP and TYPE line once; every family's samples follow its TYPE line.
      const typeLines = text.split("\n").filter((line) => line.startsWith("# TYPE"));
      expect(new Set(typeLines).size).toBe(typeLines.length);
    } finally {
      await close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it.skipIf(!hasPromtool)("passes promtool check metrics for a busy pipeline", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-metrics-"));
    const metrics = createMetrics({
      thresholds: { dropRate: 0.2, failureRate: 0.5, deliveryP99Ms: 1000, queueFill: 0.9 },
    });
    const close = await busyPipeline(metrics, directory);
    try {
      metrics.evaluateAlerts();
      const text = metrics.toPrometheus();
      expect(text).toContain('error_type="ENOSPC"');
      expect(text).toContain('error_type="queue_full"');
      const result = promtoolCheck(text);
      expect(result.output).toBe("");
      expect(result.status).toBe(0);
      // The check itself can fail: a counter without _total is reported.
      const broken = promtoolCheck(
        "# HELP broken_events A counter.\n# TYPE broken_events counter\nbroken_events 1\n",
      );
      expect(broken.output).toMatch(/_total/);
    } finally {
      await close();
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("renders nothing before any sink is metered", () => {
    expect(createMetrics().toPrometheus()).toBe("");
  });
});

describe("serveMetrics", () => {
  it("serves toPrometheus on /metrics on the loopback interface", async () => {
    const metrics = createMetrics();
    const memory = createMemorySink();
    const sink = withMetrics(memory, { metrics, name: "app" });
    sink.write(createLogEvent({ level: "info", template: "Hello" }));
    const server = await serveMetrics(metrics, { port: 0 });
    try {
      expect(server.url).toBe(`http://127.0.0.1:${server.port}/metrics`);
      const response = await get(server.url);
      expect(response.status).toBe(200);
      expect(response.type).toBe(prometheusContentType);
      expect(response.body).toBe(metrics.toPrometheus());
      expect(response.body).toContain('sluice_sink_log_accepted_total{sink="app"} 1\n');
      expect((await get(`${server.url}?x=1`)).status).toBe(200);
      expect((await get(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
      expect((await get(server.url, "POST")).status).toBe(405);
      const head = await get(server.url, "HEAD");
      expect(head).toMatchObject({ status: 200, body: "" });
    } finally {
      await server.close();
    }
    await expect(get(server.url)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("rejects when the port is taken, and refuses bad options", async () => {
    const metrics = createMetrics();
    const first = await serveMetrics(metrics, { port: 0 });
    try {
      await expect(serveMetrics(metrics, { port: first.port })).rejects.toMatchObject({
        code: "EADDRINUSE",
      });
    } finally {
      await first.close();
    }
    expect(() => serveMetrics(metrics, { port: 70_000 })).toThrow(/"port"/);
    expect(() => serveMetrics(metrics, { path: "metrics" })).toThrow(/"path"/);
    // A query or fragment is not part of a path, and "//x" would be read as a host.
    for (const path of ["/m?x", "/m#x", "//metrics"]) {
      expect(() => serveMetrics(metrics, { path })).toThrow(
        `Invalid option "path": expected a path starting with one "/", without "?" or "#", received ${JSON.stringify(path)}.`,
      );
    }
    expect(() => serveMetrics(metrics, { port: 0, bogus: 1 } as never)).toThrow(
      'Invalid option "bogus": serveMetrics options accept only port, host, path.',
    );
  });

  it("serves a path with a space or a non-ASCII letter at its url, as a client encodes it", async () => {
    const metrics = createMetrics();
    withMetrics(createMemorySink(), { metrics, name: "app" });
    for (const [path, served] of [
      ["/a b", "/a%20b"],
      ["/é", "/%C3%A9"],
      ["/x/../metrics", "/metrics"],
    ] as const) {
      const server = await serveMetrics(metrics, { port: 0, path });
      try {
        expect(server.url).toBe(`http://127.0.0.1:${server.port}${served}`);
        const response = await fetch(server.url);
        expect({ path, status: response.status }).toEqual({ path, status: 200 });
        expect(await response.text()).toBe(metrics.toPrometheus());
      } finally {
        await server.close();
      }
    }
  });

  it("serves an absolute-form request target, as a client speaking to a proxy sends it", async () => {
    const metrics = createMetrics();
    withMetrics(createMemorySink(), { metrics, name: "app" });
    const server = await serveMetrics(metrics, { port: 0 });
    try {
      const answer = (target: string): Promise<string> =>
        new Promise((resolve, reject) => {
          const client = connect(server.port, "127.0.0.1");
          let text = "";
          client.setEncoding("utf8");
          client.on("data", (chunk: string) => {
            text += chunk;
          });
          client.on("end", () => resolve(text));
          client.on("error", reject);
          client.end(`GET ${target} HTTP/1.1\r\nHost: elsewhere\r\nConnection: close\r\n\r\n`);
        });
      const served = await answer(`http://127.0.0.1:${server.port}/metrics?x=1`);
      expect(served.split("\r\n")[0]).toBe("HTTP/1.1 200 OK");
      expect(served.endsWith(metrics.toPrometheus())).toBe(true);
      expect((await answer("http://elsewhere/other")).split("\r\n")[0]).toBe(
        "HTTP/1.1 404 Not Found",
      );
      // An origin-form path that starts with "//" is a path, not a host.
      expect((await answer("//elsewhere/metrics")).split("\r\n")[0]).toBe("HTTP/1.1 404 Not Found");
    } finally {
      await server.close();
    }
  });

  it("answers many scrapes one after another on one keep-alive connection", async () => {
    const metrics = createMetrics();
    withMetrics(createMemorySink(), { metrics, name: "app" });
    const server = await serveMetrics(metrics, { port: 0 });
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      for (let scrape = 0; scrape < 12; scrape++) {
        const status = await new Promise<number>((resolve, reject) => {
          const outgoing = request(server.url, { agent }, (response) => {
            sockets.add(response.socket);
            response.resume();
            response.on("end", () => resolve(response.statusCode ?? 0));
          });
          outgoing.on("error", reject);
          outgoing.end();
        });
        expect(status).toBe(200);
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
      await server.close();
    }
  });
});

describe("the file the healthy pipeline wrote", () => {
  it("holds exactly the delivered events", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-metrics-"));
    const metrics = createMetrics();
    const close = await busyPipeline(metrics, directory);
    await close();
    try {
      const app = metrics.snapshot().sinks[0];
      const lines = readFileSync(join(directory, "app.log"), "utf8").split("\n").length - 1;
      expect(app?.delivered).toBe(lines);
      expect(app?.bytes).toBeGreaterThan(0);
      expect(app?.pending).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
