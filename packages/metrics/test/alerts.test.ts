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
