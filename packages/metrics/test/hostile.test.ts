import { spawn, spawnSync } from "node:child_process";
import { request } from "node:http";
import { connect } from "node:net";
import { fileURLToPath } from "node:url";
import type { LogEvent, Sink, SinkStats } from "@sluice/core";
import { createLogEvent, SinkCounters, totalDropped } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import {
  createMetrics,
  type SinkMetricsSnapshot,
  serveMetrics,
  withMetrics,
} from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { afterEach, describe, expect, it, vi } from "vitest";

const hasPromtool = spawnSync("promtool", ["--version"], { encoding: "utf8" }).status === 0;

function promtoolCheck(text: string): { status: number | null; output: string } {
  const result = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

function event(n: number, timestamp = Date.now()): LogEvent {
  return createLogEvent({ level: "info", template: "Event {N}", properties: { N: n }, timestamp });
}

function expectConserved(sink: SinkMetricsSnapshot | undefined): void {
  expect(sink).toBeDefined();
  const { events, delivered, dropped, failed, pending } = sink as SinkMetricsSnapshot;
  expect(events).toBe(delivered + totalDropped(dropped) + failed + pending);
}

/** A sink with counters whose `stats()` the test replaces at will. */
function sinkWithStats(stats: () => unknown): Sink {
  return {
    name: "odd",
    write: () => {},
    writeBatch: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    stats: stats as () => SinkStats,
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("a wrapped chain that breaks the contract", () => {
  it("a counted sink whose write throws still keeps the conservation law", () => {
    const metrics = createMetrics({ onError: () => {} });
    const counters = new SinkCounters();
    let calls = 0;
    const flaky: Sink = {
      name: "flaky",
      write: () => {
        // Every other write throws before the sink counted it.
        if (++calls % 2 === 0) throw new Error("bad write");
        counters.accept(1);
        counters.deliver(1);
      },
      writeBatch: () => Promise.resolve(),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      stats: () => counters.snapshot(),
    };
    const sink = withMetrics(flaky, { metrics, name: "app" });
    for (let n = 0; n < 10; n++) sink.write(event(n));
    const snapshot = metrics.snapshot().sinks[0];
    expect(snapshot).toMatchObject({ events: 10, delivered: 5, failed: 5, pending: 0 });
    expectConserved(snapshot);
  });

  const garbage: [string, () => unknown][] = [
    ["null", () => null],
    ["a number", () => 42],
    ["an empty object", () => ({})],
    [
      "a getter that throws",
      () => ({
        get accepted(): number {
          throw new Error("no counters today");
        },
      }),
    ],
    [
      "a getter that throws an object that cannot be printed",
      () => ({
        get accepted(): number {
          throw Object.create(null);
        },
      }),
    ],
    ["strings for numbers", () => ({ ...new SinkCounters().snapshot(), accepted: "3" })],
    ["NaN counts", () => ({ ...new SinkCounters().snapshot(), delivered: Number.NaN })],
    ["negative counts", () => ({ ...new SinkCounters().snapshot(), pending: -5 })],
    ["infinite counts", () => ({ ...new SinkCounters().snapshot(), accepted: Infinity })],
    [
      "a NaN drop count",
      () => ({ ...new SinkCounters().snapshot(), dropped: { queue_full: Number.NaN } }),
    ],
  ];
  it("a component whose stats() has no dropped is read as one that dropped nothing", async () => {
    const metrics = createMetrics();
    let taken = 0;
    const sink = withMetrics(
      {
        ...sinkWithStats(() => ({ accepted: taken, delivered: taken, failed: 0, pending: 0 })),
        write: () => {
          taken++;
        },
        writeBatch: (events) => {
          taken += events.length;
          return Promise.resolve();
        },
      },
      { metrics, name: "app" },
    );
    sink.write(event(1));
    await sink.writeBatch([event(2), event(3)]);
    const snapshot = metrics.snapshot().sinks[0];
    expect(snapshot).toMatchObject({ events: 3, delivered: 3, failed: 0, pending: 0 });
    expect(totalDropped((snapshot as SinkMetricsSnapshot).dropped)).toBe(0);
    expectConserved(snapshot);
  });

  for (const [what, stats] of garbage) {
    it(`a component whose stats() returns ${what} is read as one without counters`, async () => {
      const metrics = createMetrics({ thresholds: { dropRate: 0.5, queueFill: 0.5 } });
      const sink = withMetrics(sinkWithStats(stats), { metrics, name: "app" });
      sink.write(event(1));
      await sink.writeBatch([event(2), event(3)]);
      const snapshot = metrics.snapshot().sinks[0];
      expect(snapshot).toMatchObject({ events: 3, delivered: 3, failed: 0, pending: 0 });
      expectConserved(snapshot);
      expect(() => metrics.evaluateAlerts()).not.toThrow();
      expect(metrics.toPrometheus()).toContain('sluice_sink_log_accepted_total{sink="app"} 3\n');
    });
  }
});

describe("a component whose stats() fails only sometimes", () => {
  it("is read as it last gave its counters meanwhile, so no exported counter goes down", async () => {
    const metrics = createMetrics();
    const queue = withQueue(createMemorySink(), { maxEvents: 5 });
    let failing = false;
    const flaky: Sink = {
      name: "flaky",
      inner: queue,
      write: (entry) => queue.write(entry),
      writeBatch: (events, settled) => queue.writeBatch(events, settled),
      flush: () => queue.flush(),
      close: () => queue.close(),
      stats: () => {
        if (failing) throw new Error("stats broke");
        return queue.stats();
      },
    };
    const sink = withMetrics(flaky, { metrics, name: "app" });
    const readings: { events: number; delivered: number; dropped: number; failing: boolean }[] = [];
    const counters = (text: string): number[] =>
      text
        .split("\n")
        .filter((line) => line.startsWith("sluice_sink_log_") && line.includes("_total{"))
        .map((line) => Number(line.slice(line.lastIndexOf(" ") + 1)));
    let exported = counters(metrics.toPrometheus());
    for (let round = 0; round < 6; round++) {
      for (let n = 0; n < 20; n++) sink.write(event(n));
      await sink.flush();
      failing = round % 2 === 1;
      const snapshot = metrics.snapshot().sinks[0] as SinkMetricsSnapshot;
      expectConserved(snapshot);
      const { events, delivered } = snapshot;
      readings.push({ events, delivered, dropped: totalDropped(snapshot.dropped), failing });
      const now = counters(metrics.toPrometheus());
      expect(now).toHaveLength(exported.length);
      for (const [index, value] of now.entries()) {
        expect(value).toBeGreaterThanOrEqual(exported[index] as number);
      }
      exported = now;
      failing = false;
    }
    // Each round: 20 written, 5 delivered, 15 dropped by the full queue. A failing round reads
    // the round before it.
    expect(readings).toEqual([
      { events: 20, delivered: 5, dropped: 15, failing: false },
      { events: 20, delivered: 5, dropped: 15, failing: true },
      { events: 60, delivered: 15, dropped: 45, failing: false },
      { events: 60, delivered: 15, dropped: 45, failing: true },
      { events: 100, delivered: 25, dropped: 75, failing: false },
      { events: 100, delivered: 25, dropped: 75, failing: true },
    ]);
  });
});

describe("a chain that cannot be walked", () => {
  const links: [string, () => Sink][] = [
    [
      "an inner getter that throws",
      () => ({
        ...sinkWithStats(() => new SinkCounters().snapshot()),
        get inner(): Sink {
          throw new Error("no inner");
        },
      }),
    ],
    ["an inner of null", () => ({ ...sinkWithStats(() => undefined), inner: null as never })],
  ];
  for (const [what, make] of links) {
    it(`with ${what}, the metered sink counts what crosses it`, async () => {
      const metrics = createMetrics({ thresholds: { failureRate: 0.5 } });
      const sink = withMetrics(make(), { metrics, name: "app" });
      sink.write(event(1));
      await sink.writeBatch([event(2)]);
      const snapshot = metrics.snapshot().sinks[0];
      expect(snapshot).toMatchObject({ events: 2, delivered: 2, failed: 0, pending: 0 });
      expect(() => metrics.evaluateAlerts()).not.toThrow();
      expect(metrics.toPrometheus()).toContain('sluice_sink_log_accepted_total{sink="app"} 2\n');
    });
  }

  it("a component whose name is not a string is exported as sink", async () => {
    const counters = new SinkCounters();
    const odd: Sink = {
      ...sinkWithStats(() => counters.snapshot()),
      name: 42 as never,
      writeBatch: (events) => {
        counters.accept(events.length);
        counters.fail(events.length, 0, Object.assign(new Error("down"), { code: "EDOWN" }));
        return Promise.reject(new Error("down"));
      },
    };
    const outer: Sink = {
      ...sinkWithStats(() => undefined),
      get name(): string {
        throw new Error("nameless");
      },
      inner: odd,
    };
    const metrics = createMetrics();
    const sink = withMetrics(outer, { metrics, name: "app" });
    await odd.writeBatch([event(1)]).catch(() => {});
    const text = metrics.toPrometheus();
    expect(text).toContain('sluice_sink_last_error_timestamp_seconds{sink="app",component="sink",');
    expect(metrics.snapshot().sinks[0]?.components.map((component) => component.name)).toEqual([
      "app",
      "sink",
    ]);
    void sink;
  });
});

describe("alerts on the real interval timer", () => {
  it("evaluates a sink with garbage counters without an uncaught exception", async () => {
    const alerts: string[] = [];
    const errors: unknown[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => {
      uncaught.push(error);
    };
    process.on("uncaughtException", onUncaught);
    const metrics = createMetrics({
      thresholds: { failureRate: 0.1 },
      alertIntervalMs: 5,
      onAlert: (alert) => alerts.push(`${alert.sink} ${alert.kind} ${alert.status}`),
      onError: (error) => errors.push(error),
    });
    try {
      withMetrics(
        sinkWithStats(() => null),
        { metrics, name: "garbage" },
      );
      const failing = withMetrics(
        {
          ...sinkWithStats(() => undefined),
          writeBatch: () => Promise.reject(new Error("down")),
        },
        { metrics, name: "failing" },
      );
      await failing.writeBatch([event(1)]).catch(() => {});
      // The failure raises the alert; the next interval, with nothing processed, clears it.
      await vi.waitFor(() =>
        expect(alerts).toEqual(["failing failure_rate raised", "failing failure_rate cleared"]),
      );
      expect(errors).toEqual([]);
      expect(uncaught).toEqual([]);
    } finally {
      metrics.close();
      process.off("uncaughtException", onUncaught);
    }
  });
});

/** The `sink` label of every sample of a family, unescaped as a Prometheus parser does. */
function sinkLabels(text: string, family: string): string[] {
  const labels: string[] = [];
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${family}{sink="`)) continue;
    let value = "";
    for (let index = family.length + 7; index < line.length; index++) {
      const character = line[index] as string;
      if (character === '"') break;
      if (character !== "\\") {
        value += character;
        continue;
      }
      const next = line[++index];
      value += next === "n" ? "\n" : next;
    }
    labels.push(value);
  }
  return labels;
}

describe("sink names as Prometheus label values", () => {
  const names = [
    'q"uote',
    "back\\slash",
    "trailing\\",
    "new\nline",
    "cr\rreturn",
    "tab\tx",
    'a"} 1\nfake_metric{x="',
    "emoji 😀",
    "nul\u0000x",
    "line\u2028separator",
  ];

  it("round-trip through the exposition format, one series each, and pass promtool", () => {
    const metrics = createMetrics({ thresholds: { dropRate: 0.5 } });
    for (const name of names) withMetrics(createMemorySink(), { metrics, name }).write(event(1));
    const text = metrics.toPrometheus();
    expect(sinkLabels(text, "sluice_sink_log_pending")).toEqual(names);
    expect(sinkLabels(text, "sluice_sink_alert_active")).toEqual(names);
    // No line outside a family: the injection attempt stays inside its quotes.
    for (const line of text.trimEnd().split("\n"))
      expect(line).toMatch(/^(# (HELP|TYPE) )?sluice_/);
    if (hasPromtool) expect(promtoolCheck(text)).toEqual({ status: 0, output: "" });
  });

  it("refuses a name with a lone surrogate, which UTF-8 cannot carry", () => {
    const metrics = createMetrics();
    withMetrics(createMemorySink(), { metrics, name: "paired 😀" });
    for (const name of ["lone\uD800", "lone\uDC00", "\uDE00😀"]) {
      expect(() => withMetrics(createMemorySink(), { metrics, name })).toThrow(
        expect.objectContaining({
          code: "invalid_option",
          message: expect.stringMatching(/"name"/),
        }),
      );
    }
    expect(metrics.snapshot().sinks.map((sink) => sink.name)).toEqual(["paired 😀"]);
  });
});

describe("latencies far past every limit", () => {
  it("records 0, negative and huge latencies, ignores NaN and infinities, and still exports", async () => {
    const metrics = createMetrics({ now: () => 1000 });
    const sink = withMetrics(
      sinkWithStats(() => undefined),
      { metrics, name: "app" },
    );
    const timestamps = [
      1000, // 0 ms
      5000, // the clock went back: recorded as 0
      1e308, // a timestamp far ahead: -1e308 ms, recorded as 0 too
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -1e300, // 1e300 ms
      -1e300,
      -1e308, // 1e308 ms: with the one below, a sum past the largest double
      -1e308,
    ];
    await sink.writeBatch(timestamps.map((timestamp, n) => event(n, timestamp)));
    const snapshot = metrics.snapshot().sinks[0];
    expect(snapshot).toMatchObject({ events: 10, delivered: 10 });
    const latency = snapshot?.deliveryLatency;
    expect(latency?.count).toBe(7);
    expect(latency?.p50).toBeGreaterThan(0);
    // From 2^53 ns (104 days) up, values share the top bucket: a quantile there reads 2^53 ns
    // (within the bucket's width), and only max and sum keep the real magnitude.
    const topBucketMs = 2 ** 53 / 1e6;
    expect(Math.abs((latency?.p50 as number) - topBucketMs)).toBeLessThan(topBucketMs / 64);
    expect(latency?.max).toBe(1000 + 1e308);
    expect(latency?.sum).toBe(Number.POSITIVE_INFINITY);
    const text = metrics.toPrometheus();
    expect(text).toContain('sluice_sink_log_delivery_duration_seconds_count{sink="app"} 7\n');
    expect(text).toContain('sluice_sink_log_delivery_duration_seconds_sum{sink="app"} +Inf\n');
    expect(text).toContain('sluice_sink_log_delivery_duration_max_seconds{sink="app"} 1e+305\n');
    expect(text).toContain(
      'sluice_sink_log_delivery_duration_seconds{sink="app",quantile="0.99"} 1e+305\n',
    );
    if (hasPromtool) expect(promtoolCheck(text)).toEqual({ status: 0, output: "" });
  });
});

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { agent: false }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => {
        body += chunk;
      });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on("error", reject);
    outgoing.end();
  });
}

describe("the /metrics endpoint under hostile clients", () => {
  it("answers 50 concurrent scrapes, each with the whole text", async () => {
    const metrics = createMetrics();
    for (let n = 0; n < 200; n++) withMetrics(createMemorySink(), { metrics, name: `sink-${n}` });
    const server = await serveMetrics(metrics, { port: 0 });
    try {
      const responses = await Promise.all(Array.from({ length: 50 }, () => get(server.url)));
      const expected = metrics.toPrometheus();
      for (const response of responses) expect(response).toEqual({ status: 200, body: expected });
    } finally {
      await server.close();
    }
  });

  it("closes while a client that never reads holds a scrape in flight", async () => {
    const metrics = createMetrics();
    // Some megabytes of text, more than the socket buffers take.
    for (let n = 0; n < 3000; n++) withMetrics(createMemorySink(), { metrics, name: `sink-${n}` });
    const server = await serveMetrics(metrics, { port: 0 });
    const client = connect(server.port, "127.0.0.1");
    const clientClosed = new Promise<void>((resolve) => client.on("close", () => resolve()));
    client.on("error", () => {});
    let received = 0;
    let draining = false;
    client.on("data", (chunk: Buffer) => {
      received += chunk.length;
      if (!draining) client.pause();
    });
    client.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n");
    await vi.waitFor(() => expect(received).toBeGreaterThan(0), { timeout: 15_000 });
    expect(received).toBeLessThan(metrics.toPrometheus().length);
    await server.close();
    // The server cut the connection: the client, reading again, sees its end.
    draining = true;
    client.resume();
    await clientClosed;
    await expect(get(server.url)).rejects.toMatchObject({ code: "ECONNREFUSED" });
  });

  it("closes a connection with more than four requests unanswered, rendering at most four", async () => {
    const metrics = createMetrics();
    // Some megabytes of text a request, more than the socket buffers take.
    for (let n = 0; n < 2000; n++) withMetrics(createMemorySink(), { metrics, name: `sink-${n}` });
    let renders = 0;
    const counted = {
      ...metrics,
      toPrometheus: () => {
        renders++;
        return metrics.toPrometheus();
      },
    };
    const server = await serveMetrics(counted, { port: 0 });
    try {
      const client = connect(server.port, "127.0.0.1");
      let closed = false;
      let text = "";
      client.setEncoding("latin1");
      client.on("data", (chunk: string) => {
        text += chunk;
      });
      client.on("error", () => {});
      client.on("close", () => {
        closed = true;
      });
      // 400 requests back to back, as a client that pipelines them and never reads the answers
      // sends them: without a bound the server renders and holds 400 texts.
      client.write("GET /metrics HTTP/1.1\r\nHost: localhost\r\n\r\n".repeat(400));
      await vi.waitFor(() => expect(closed).toBe(true), { timeout: 20_000 });
      expect(renders).toBeLessThanOrEqual(4);
      expect(text.split("HTTP/1.1 200 OK").length - 1).toBeLessThanOrEqual(4);
    } finally {
      await server.close();
    }
  }, 30_000);

  const fixture = fileURLToPath(new URL("./fixtures/serve-child.mjs", import.meta.url));
  for (const mode of ["idle", "unread"] as const) {
    it(`does not keep the process alive for a ${mode} scrape connection`, async () => {
      const child = spawn(process.execPath, [fixture, mode], { stdio: ["ignore", "pipe", "pipe"] });
      let stderr = "";
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
      });
      // Node's own timeouts would close such a connection after 60 s at the earliest; a process
      // still alive at 30 s is held by it.
      const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
      const exit = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        child.on("exit", (code, signal) => resolve({ code, signal })),
      );
      clearTimeout(guard);
      expect(stderr).toBe("");
      expect(exit).toEqual({ code: 0, signal: null });
    }, 40_000);
  }
});

describe("ten thousand metered sinks", () => {
  it("export every sink in one text that promtool accepts", () => {
    const metrics = createMetrics({ thresholds: { queueFill: 0.5 } });
    for (let n = 0; n < 10_000; n++) {
      withMetrics(withQueue(createMemorySink()), { metrics, name: `sink-${n}` }).write(event(n));
    }
    const text = metrics.toPrometheus();
    const accepted = text.split("\n").filter((line) => line.startsWith("sluice_sink_log_accepted"));
    expect(accepted).toHaveLength(10_000);
    expect(accepted[9999]).toBe('sluice_sink_log_accepted_total{sink="sink-9999"} 1');
    expect(() => metrics.evaluateAlerts()).not.toThrow();
    if (hasPromtool) expect(promtoolCheck(text)).toEqual({ status: 0, output: "" });
  }, 60_000);
});
