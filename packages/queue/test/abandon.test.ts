import type { LogEvent } from "@sluice/core";
import { checkConservation, createLogEvent, createSink } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { withQueue } from "@sluice/queue";
import { describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

describe("the queue's abandon", () => {
  it("counts what is queued and in flight as dropped, passes it inward, and settles every caller", async () => {
    // An inner sink that takes the first batch and never answers, like a peer that hangs.
    const inner = createSink({ name: "hung", deliver: () => new Promise<void>(() => {}) });
    const queue = withQueue(inner, { batchSize: 10, onError: () => {} });
    for (let n = 0; n < 25; n++) queue.write(event(n));
    const batch = queue.writeBatch([event(25)]).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const flushed = queue.flush().catch((error: unknown) => error);
    expect(queue.stats()).toMatchObject({ pending: 26, inFlight: 10 });
    expect(inner.stats().pending).toBe(10);

    queue.abandon("shutdown_timeout");
    queue.abandon("shutdown_timeout");

    expect(queue.stats()).toMatchObject({ pending: 0, depth: 0, inFlight: 0, delivered: 0 });
    expect(queue.stats().dropped.shutdown_timeout).toBe(26);
    expect(inner.stats()).toMatchObject({ pending: 0, delivered: 0 });
    expect(inner.stats().dropped.shutdown_timeout).toBe(10);
    expect(checkConservation(queue.stats())).toBeUndefined();
    expect(checkConservation(inner.stats())).toBeUndefined();
    expect(await flushed).toMatchObject({ code: "timeout" });
    expect(await batch).toBeInstanceOf(Error);
    await expect(queue.close()).resolves.toBeUndefined();
    queue.write(event(26));
    expect(queue.stats().dropped.closed).toBe(1);
  });
});

describe("the queue's observeDelivery", () => {
  it("passes through to the inner sink, which tells when events reach it", async () => {
    const inner = createSink({ name: "peer", deliver: () => {} });
    const queue = withQueue(inner);
    const seen: number[] = [];
    queue.observeDelivery?.((timestamps, from, to) => {
      for (let index = from; index < to; index++) seen.push(timestamps[index] as number);
    });
    const stamped = (n: number): LogEvent =>
      createLogEvent({ level: "info", template: "Event {N}", properties: { N: n }, timestamp: n });
    for (let n = 0; n < 10; n++) queue.write(stamped(n));
    await queue.flush();
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(withQueue(createMemorySink()).observeDelivery).toBeUndefined();
  });
});
