import type { BatchSettled, LogEvent, Sink } from "@sluice/core";
import { checkConservation, createLogEvent } from "@sluice/core/sink";
import { createMetrics, withMetrics } from "@sluice/metrics";
import { describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

describe("withMetrics and a batch's outcome told synchronously", () => {
  it("passes the listener inward, counts the outcome it tells once, and tells it outward", () => {
    const listeners: BatchSettled[] = [];
    // Tells only through the listener; its promise never settles, as at a process exit.
    const inner: Sink = {
      name: "exit",
      write: () => {},
      writeBatch(_events, settled) {
        if (settled !== undefined) listeners.push(settled);
        return new Promise<void>(() => {});
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const sink = withMetrics(inner, { metrics: createMetrics(), name: "app" });
    const told: [number, unknown][] = [];
    void sink.writeBatch([event(0), event(1), event(2)], (delivered, error) =>
      told.push([delivered, error]),
    );
    void sink.writeBatch([event(3)]);
    // A caller without a listener passes none inward: the promise alone tells, as before.
    expect(listeners).toHaveLength(1);
    const failure = new Error("disk gone");
    listeners[0]?.(2, failure);
    listeners[0]?.(3);
    expect(told).toEqual([[2, failure]]);
    const stats = sink.stats?.();
    expect(stats).toMatchObject({ accepted: 4, delivered: 2, failed: 1, pending: 1 });
    expect(checkConservation(stats as NonNullable<typeof stats>)).toBeUndefined();
  });
});
