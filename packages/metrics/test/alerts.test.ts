import type { LogEvent } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { createMetrics, type MetricsAlert, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

function event(n: number, timestamp = Date.now()): LogEvent {
  return createLogEvent({ level: "info", template: "Event {N}", properties: { N: n }, timestamp });
}

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval", "Date"],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

const summary = (alerts: readonly MetricsAlert[]): string[] =>
  alerts.map((alert) => `${alert.sink} ${alert.kind} ${alert.status}`);

describe("onAlert", () => {
  it("raises a drop-rate alert once per episode and clears it when the episode ends", async () => {
    const alerts: MetricsAlert[] = [];
    const start = Date.now();
    const metrics = createMetrics({
      thresholds: { dropRate: 0.1 },
      alertIntervalMs: 1000,
      onAlert: (alert) => alerts.push(alert),
    });
    const queue = withQueue(createMemorySink(), {
      maxEvents: 10,
      overflow: "drop-newest",
      shedBelow: false,
      flushIntervalMs: 10,
    });
    const sink = withMetrics(queue, { metrics, name: "app" });
    const burst = async (count: number): Promise<void> => {
      for (let n = 0; n < count; n++) sink.write(event(n));
      await vi.advanceTimersByTimeAsync(20);
    };

    await burst(20); // 10 delivered, 10 dropped: 50%
    await vi.advanceTimersByTimeAsync(1000);
    expect(summary(alerts)).toEqual(["app drop_rate raised"]);
    expect(alerts[0]).toMatchObject({ value: 0.5, threshold: 0.1, time: start + 1000 });
    expect(metrics.snapshot().sinks[0]?.alerts).toEqual(["drop_rate"]);

    // Still dropping in the next intervals: the same episode, no second alert.
    await burst(20);
    await vi.advanceTimersByTimeAsync(1000);
    await burst(15);
    await vi.advanceTimersByTimeAsync(1000);
    expect(alerts).toHaveLength(1);

    // A clean interval ends the episode.
    await burst(5);
    await vi.advanceTimersByTimeAsync(1000);
    expect(summary(alerts)).toEqual(["app drop_rate raised", "app drop_rate cleared"]);
    expect(alerts[1]).toMatchObject({ value: 0, threshold: 0.1 });
    expect(metrics.snapshot().sinks[0]?.alerts).toEqual([]);

    // A new episode raises again.
    await burst(30);
    await vi.advanceTimersByTimeAsync(1000);
    expect(summary(alerts)).toEqual([
      "app drop_rate raised",
      "app drop_rate cleared",
      "app drop_rate raised",
    ]);
    metrics.close();
    await sink.close();
  });

  it("raises failure-rate and queue-fill alerts per sink, and the p99 of delivery over the interval", async () => {
    const alerts: MetricsAlert[] = [];
    const metrics = createMetrics({
      thresholds: { failureRate: 0.5, queueFill: 0.8, deliveryP99Ms: 100 },
      alertIntervalMs: 1000,
      onAlert: (alert) => alerts.push(alert),
    });
    const failing = createMemorySink({ name: "failing" });
    failing.failWith(new Error("down"));
    const failingSink = withMetrics(failing, { metrics, name: "failing" });
    const queued = withMetrics(
      withQueue(createMemorySink(), {
        maxEvents: 10,
        flushIntervalMs: 60_000,
        maxBatchAgeMs: 60_000,
      }),
      { metrics, name: "queued" },
    );
    const slow = createMemorySink({ name: "slow" });
    const slowSink = withMetrics(slow, { metrics, name: "slow" });

    await failingSink.writeBatch([event(1), event(2)]).catch(() => {});
    for (let n = 0; n < 9; n++) queued.write(event(n));
    // Logged 500 ms before delivery.
    await slowSink.writeBatch([event(1, Date.now() - 500)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(summary(alerts).sort()).toEqual([
      "failing failure_rate raised",
      "queued queue_fill raised",
      "slow delivery_p99 raised",
    ]);
    expect(alerts.find((alert) => alert.kind === "queue_fill")?.value).toBeCloseTo(0.9);
    expect(alerts.find((alert) => alert.kind === "delivery_p99")?.value).toBeGreaterThan(495);

    // A quiet interval: nothing failed in it, so the failure episode ends; no delivery in it
    // says nothing about latency, so that episode stays open; the queue is still as full.
    await vi.advanceTimersByTimeAsync(1000);
    expect(summary(alerts.slice(3))).toEqual(["failing failure_rate cleared"]);

    await queued.flush();
    await slowSink.writeBatch([event(2, Date.now() - 5)]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(summary(alerts.slice(4)).sort()).toEqual([
      "queued queue_fill cleared",
      "slow delivery_p99 cleared",
    ]);
    metrics.close();
  });

  it("reports a throwing onAlert to onError and keeps evaluating", async () => {
    const errors: unknown[] = [];
    const metrics = createMetrics({
      thresholds: { failureRate: 0.1 },
      alertIntervalMs: 500,
      onAlert: () => {
        throw new Error("pager down");
      },
      onError: (error) => errors.push(error),
    });
    const memory = createMemorySink();
    memory.failWith(new Error("no"));
    const sink = withMetrics(memory, { metrics, name: "app" });
    await sink.writeBatch([event(1)]).catch(() => {});
    await vi.advanceTimersByTimeAsync(500);
    expect(errors).toEqual([new Error("pager down")]);
    expect(metrics.snapshot().sinks[0]?.alerts).toEqual(["failure_rate"]);
    metrics.close();
    await sink.writeBatch([event(2)]).catch(() => {});
    await vi.advanceTimersByTimeAsync(5000);
    expect(errors).toHaveLength(1);
  });

  it("runs no timer without thresholds, and stops its timer on close", () => {
    const before = vi.getTimerCount();
    createMetrics({ onAlert: () => {} });
    expect(vi.getTimerCount()).toBe(before);
    const metrics = createMetrics({ thresholds: { dropRate: 0.5 } });
    expect(vi.getTimerCount()).toBe(before + 1);
    metrics.close();
    metrics.close();
    expect(vi.getTimerCount()).toBe(before);
  });
});

/** Checks that every sink's alert kinds alternate raised, cleared, ... from raised. */
function expectAlternating(alerts: readonly MetricsAlert[]): Map<string, string> {
  const status = new Map<string, string>();
  for (const [index, alert] of alerts.entries()) {
    const key = `${alert.sink} ${alert.kind}`;
    const expected = status.get(key) === "raised" ? "cleared" : "raised";
    expect({ index, key, status: alert.status }).toEqual({ index, key, status: expected });
    status.set(key, alert.status);
  }
  return status;
}

describe("onAlert that evaluates again", () => {
  it("hears a nested evaluation's transitions after the ones recorded before it", async () => {
    const alerts: MetricsAlert[] = [];
    let nested = false;
    const metrics = createMetrics({
      thresholds: { dropRate: 0.01, failureRate: 0.01 },
      onAlert: (alert) => {
        alerts.push(alert);
        if (nested) return;
        nested = true;
        // Nothing happened since: this evaluation ends both episodes.
        metrics.evaluateAlerts();
      },
    });
    const memory = createMemorySink();
    memory.failWith(new Error("EIO"));
    const sink = withMetrics(withQueue(memory, { maxEvents: 5, onError: () => {} }), {
      metrics,
      name: "app",
    });
    for (let n = 0; n < 20; n++) sink.write(event(n));
    await sink.flush().catch(() => {});
    const before = metrics.snapshot().sinks[0];
    expect(before?.dropped.queue_full).toBe(15);
    expect(before?.failed).toBe(5);

    metrics.evaluateAlerts();
    expect(summary(alerts)).toEqual([
      "app drop_rate raised",
      "app failure_rate raised",
      "app drop_rate cleared",
      "app failure_rate cleared",
    ]);
    expect(metrics.snapshot().sinks[0]?.alerts).toEqual([]);
    metrics.close();
  });

  it("keeps every episode's raised and cleared alternating through nested evaluations and resets", async () => {
    const alerts: MetricsAlert[] = [];
    let depth = 0;
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const metrics = createMetrics({
      thresholds: { dropRate: 0.2, failureRate: 0.2, queueFill: 0.5 },
      onAlert: (alert) => {
        alerts.push(alert);
        if (depth >= 4) return;
        depth++;
        if (random() < 0.2) metrics.reset();
        metrics.evaluateAlerts();
        depth--;
      },
    });
    const memory = createMemorySink();
    const never = {
      ...createMemorySink({ name: "stuck" }),
      writeBatch: () => new Promise<void>(() => {}),
    };
    const sink = withMetrics(withQueue(memory, { maxEvents: 10, onError: () => {} }), {
      metrics,
      name: "app",
    });
    const stuck = withMetrics(
      withQueue(never, { maxEvents: 10, batchSize: 1, onError: () => {} }),
      { metrics, name: "stuck" },
    );
    for (let round = 0; round < 40; round++) {
      if (random() < 0.5) memory.failWith(new Error("EIO"));
      else memory.failWith(undefined);
      const count = Math.floor(random() * 20);
      for (let n = 0; n < count; n++) sink.write(event(n));
      if (random() < 0.3) stuck.write(event(round));
      await sink.flush().catch(() => {});
      metrics.evaluateAlerts();
    }
    expect(alerts.length).toBeGreaterThan(20);
    const status = expectAlternating(alerts);
    for (const snapshot of metrics.snapshot().sinks) {
      const listed = [...status]
        .filter(([key, value]) => key.startsWith(`${snapshot.name} `) && value === "raised")
        .map(([key]) => key.slice(snapshot.name.length + 1));
      expect(listed.sort()).toEqual([...snapshot.alerts].sort());
    }
    metrics.close();
  });
});

describe("latency alert values", () => {
  it("keep the interval's p99 between its smallest and largest latencies, as snapshots do", async () => {
    const alerts: MetricsAlert[] = [];
    const clock = 1_700_000_000_000;
    const metrics = createMetrics({
      now: () => clock,
      thresholds: { deliveryP99Ms: 4999.7 },
      onAlert: (alert) => alerts.push(alert),
    });
    const sink = withMetrics(createMemorySink(), { metrics, name: "app" });
    // One latency of exactly 5000 ms: its bucket's middle is 4999.6.
    await sink.writeBatch([event(1, clock - 5000)]);
    expect(metrics.snapshot().sinks[0]?.deliveryLatency.p99).toBe(5000);
    metrics.evaluateAlerts();
    expect(alerts.map(({ status, value }) => ({ status, value }))).toEqual([
      { status: "raised", value: 5000 },
    ]);
    // The next interval's own extremes, not the whole history's: 1000 ms, not its bucket's
    // middle (1002.4) nor anything read against the earlier 5000.
    await sink.writeBatch([event(2, clock - 1000)]);
    metrics.evaluateAlerts();
    expect(alerts.map(({ status, value }) => ({ status, value }))).toEqual([
      { status: "raised", value: 5000 },
      { status: "cleared", value: 1000 },
    ]);
    // 1000 equal latencies: the interval's p99 is that latency.
    await sink.writeBatch(Array.from({ length: 1000 }, (_, n) => event(n, clock - 5000)));
    metrics.evaluateAlerts();
    expect(alerts.at(-1)).toMatchObject({ status: "raised", value: 5000 });
    metrics.close();
  });

  it("reads the write-cost p99 of one timed write as that write's cost", () => {
    const alerts: MetricsAlert[] = [];
    const metrics = createMetrics({
      writeSampleInterval: 1,
      thresholds: { writeP99Ms: 0.5 },
      onAlert: (alert) => alerts.push(alert),
    });
    const slow = {
      ...createMemorySink(),
      write: () => {
        const start = performance.now();
        while (performance.now() - start < 1);
      },
    };
    const sink = withMetrics(slow, { metrics, name: "app" });
    sink.write(event(1));
    const max = metrics.snapshot().sinks[0]?.writeLatency.max;
    expect(max).toBeGreaterThanOrEqual(1);
    metrics.evaluateAlerts();
    expect(alerts).toMatchObject([{ kind: "write_p99", status: "raised", value: max }]);
    metrics.close();
  });
});
