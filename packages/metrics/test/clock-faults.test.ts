import type { LogEvent } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { createMetrics, type MetricsAlert, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { describe, expect, it, vi } from "vitest";

function event(n: number, timestamp = Date.now()): LogEvent {
  return createLogEvent({ level: "info", template: "Event {N}", properties: { N: n }, timestamp });
}

/** A clock that works until `broken` is set, then throws, and counts its readings. */
function breakableClock(): { now: () => number; broken: boolean; readings: number } {
  const clock = {
    broken: false,
    readings: 0,
    now: (): number => {
      clock.readings++;
      if (clock.broken) throw new Error("clock broke");
      return Date.now();
    },
  };
  return clock;
}

describe("a clock that throws", () => {
  it("never throws out of the alert timer, and is reported once", async () => {
    const clock = breakableClock();
    const errors: unknown[] = [];
    const alerts: MetricsAlert[] = [];
    const metrics = createMetrics({
      now: clock.now,
      thresholds: { failureRate: 0.1 },
      alertIntervalMs: 5,
      onAlert: (alert) => alerts.push(alert),
      onError: (error) => errors.push(error),
    });
    const memory = createMemorySink();
    memory.failWith(new Error("EIO"));
    const sink = withMetrics(memory, { metrics, name: "app" });
    clock.broken = true;
    await expect(sink.writeBatch([event(1)])).rejects.toThrow("EIO");
    // The real timer evaluates with the broken clock several times: a throw from it would be an
    // uncaught exception.
    const readings = clock.readings;
    await vi.waitFor(() => expect(clock.readings).toBeGreaterThan(readings + 3), {
      timeout: 10_000,
    });
    expect(() => metrics.evaluateAlerts()).not.toThrow();
    metrics.close();
    expect(errors).toEqual([new Error("clock broke")]);
    // The alert was still raised (and cleared by the quiet intervals after), at a time the
    // clock could not give.
    expect(alerts.slice(0, 2)).toMatchObject([
      { kind: "failure_rate", status: "raised", time: Number.NaN },
      { kind: "failure_rate", status: "cleared", time: Number.NaN },
    ]);
    const snapshot = metrics.snapshot();
    expect(snapshot.time).toBeNaN();
    expect(snapshot.sinks[0]?.lastError).toMatchObject({ message: "EIO", time: Number.NaN });
    expect(metrics.toPrometheus()).toContain(
      'sluice_sink_log_processed_total{sink="app",error_type="failed"} 1',
    );
  });

  it("does not turn a delivered batch into a failed one", async () => {
    const clock = breakableClock();
    const errors: unknown[] = [];
    const metrics = createMetrics({ now: clock.now, onError: (error) => errors.push(error) });
    const memory = createMemorySink();
    const metered = withMetrics(memory, { metrics, name: "inner" });
    const queue = withQueue(metered, { onError: () => {} });
    clock.broken = true;
    for (let n = 0; n < 10; n++) queue.write(event(n));
    await queue.flush();
    await metered.writeBatch([event(10)]);
    expect(memory.events).toHaveLength(11);
    expect(queue.stats()).toMatchObject({ delivered: 10, failed: 0 });
    const snapshot = metrics.snapshot().sinks[0];
    expect(snapshot).toMatchObject({ events: 11, delivered: 11, failed: 0, pending: 0 });
    // Measured against a clock that gave nothing: not recorded.
    expect(snapshot?.deliveryLatency.count).toBe(0);
    expect(errors).toEqual([new Error("clock broke")]);
  });

  for (const [what, reading] of [
    ["NaN", Number.NaN],
    ["a string", "12"],
    ["Infinity", Number.POSITIVE_INFINITY],
  ] as const) {
    it(`skips the latencies measured against ${what}, and reports it once`, async () => {
      const errors: unknown[] = [];
      const metrics = createMetrics({
        now: () => reading as number,
        onError: (error) => errors.push(error),
      });
      const sink = withMetrics(createMemorySink(), { metrics, name: "app" });
      await sink.writeBatch([event(1), event(2)]);
      await sink.writeBatch([event(3)]);
      const snapshot = metrics.snapshot().sinks[0];
      expect(snapshot).toMatchObject({ delivered: 3 });
      expect(snapshot?.deliveryLatency.count).toBe(0);
      expect(errors).toHaveLength(1);
      expect(String(errors[0])).toContain("not a finite number");
    });
  }
});
