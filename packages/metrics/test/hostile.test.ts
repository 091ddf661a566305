import { spawnSync } from "node:child_process";
import { type LogEvent, type Sink, type SinkStats } from "@sluice/core";
import { createLogEvent, SinkCounters, totalDropped } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { createMetrics, type SinkMetricsSnapshot, withMetrics } from "@sluice/metrics";
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
    ["counters without dropped", () => ({ accepted: 3, delivered: 3, failed: 0, pending: 0 })],
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
