import type { LogEvent } from "@sluice/core";
import { createLogEvent, createSink } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { withCircuitBreaker, withFallback, withRetry } from "@sluice/resilience";
import { describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n }, timestamp: n });

describe("the resilience wrappers pass observeDelivery through", () => {
  it("a fallback observes every destination; a breaker and a retry their wrapped sink", async () => {
    const primary = createSink({
      name: "primary",
      onError: () => {},
      deliver: (events) => {
        if ((events[0]?.timestamp ?? 0) >= 2) throw new Error("down");
      },
    });
    const spare = createSink({ name: "spare", deliver: () => {} });
    const sink = withFallback(withCircuitBreaker(withRetry(primary, { maxAttempts: 1 })), spare, {
      onError: () => {},
    });
    const seen: number[] = [];
    const stop = sink.observeDelivery?.((timestamps, from, to) => {
      for (let index = from; index < to; index++) seen.push(timestamps[index] as number);
    });
    await sink.writeBatch([event(0), event(1)]);
    await sink.writeBatch([event(2), event(3)]);
    expect(seen).toEqual([0, 1, 2, 3]);
    stop?.();
    await sink.writeBatch([event(4)]);
    expect(seen).toHaveLength(4);
  });

  it("is absent when nothing wrapped has it", () => {
    expect(withRetry(createMemorySink()).observeDelivery).toBeUndefined();
    expect(withFallback(createMemorySink(), createMemorySink()).observeDelivery).toBeUndefined();
  });
});
