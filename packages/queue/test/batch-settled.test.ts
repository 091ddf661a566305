import type { BatchSettled, LogEvent, Sink } from "@sluice/core";
import { checkConservation, createLogEvent, PartialDeliveryError } from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";
import { describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

interface HeldBatch {
  readonly events: readonly LogEvent[];
  readonly settled: BatchSettled | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/**
 * A sink whose batches stay in flight until its flushSync, which tells each outcome only through
 * `settled` (when `tells`), as at a process exit, where promise reactions never run.
 */
function exitSink(tells: boolean, outcomes: readonly number[]): Sink & { held: HeldBatch[] } {
  const held: HeldBatch[] = [];
  let next = 0;
  return {
    name: "exit",
    acceptsOverlappingBatches: true,
    held,
    write: () => {},
    writeBatch(events, settled) {
      return new Promise<void>((resolve, reject) => {
        held.push({ events, settled: tells ? settled : undefined, resolve, reject });
      });
    },
    flushSync() {
      for (const batch of held) {
        const delivered = outcomes[next++] ?? batch.events.length;
        if (delivered === batch.events.length) batch.settled?.(delivered);
        else batch.settled?.(delivered, new Error(`failed after ${delivered}`));
      }
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

describe("the queue and a sink that tells a batch's outcome synchronously", () => {
  it("counts batches settled inside flushSync at once, so abandon at exit drops none of them", async () => {
    const inner = exitSink(true, [10, 3]);
    const queue = withQueue(inner, { batchSize: 10, onError: () => {} });
    for (let n = 0; n < 25; n++) queue.write(event(n));
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.stats().inFlight).toBeGreaterThan(0);
    const inFlight = queue.stats().inFlight;
    // As the exit hook does: drain synchronously, then give up what is left.
    queue.flushSync();
    queue.abandon("process_exit");
    const stats = queue.stats();
    expect(checkConservation(stats)).toBeUndefined();
    expect(stats.dropped.process_exit).toBe(0);
    expect(stats.inFlight).toBe(0);
    // The second batch delivered 3 of its events; the five queued behind went to writeBatch in
    // flushSync and were told delivered there.
    expect(inFlight).toBe(20);
    expect(stats.failed).toBe(7);
    expect(stats.delivered).toBe(18);
    // A late promise, even one saying otherwise, changes nothing.
    for (const batch of inner.held) batch.reject(new Error("late"));
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.stats()).toEqual(stats);
  });

  it("counts what the sink never told about as dropped at exit, what flushSync handed over included", async () => {
    const inner = exitSink(false, []);
    const queue = withQueue(inner, { batchSize: 10, onError: () => {} });
    for (let n = 0; n < 25; n++) queue.write(event(n));
    await new Promise((resolve) => setImmediate(resolve));
    queue.flushSync();
    // The queued five went to writeBatch too, and the sink said nothing of them either (its
    // write and flushSync deliver nothing): none of them is delivered.
    expect(inner.held.map((batch) => batch.events.length)).toEqual([10, 10, 5]);
    expect(queue.stats()).toMatchObject({ delivered: 0, inFlight: 25, pending: 25 });
    queue.abandon("process_exit");
    const stats = queue.stats();
    expect(checkConservation(stats)).toBeUndefined();
    expect(stats.dropped.process_exit).toBe(25);
    expect(stats.delivered).toBe(0);
  });

  it("takes the first outcome told, including one told during the writeBatch call", async () => {
    const told: number[] = [];
    const inner: Sink = {
      name: "eager",
      write: () => {},
      writeBatch(events, settled) {
        // Told twice and before the call returns: only the first counts.
        settled?.(events.length - 1, new PartialDeliveryError(1, events.length));
        settled?.(events.length);
        told.push(events.length);
        return Promise.resolve();
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const queue = withQueue(inner, { batchSize: 4, onError: () => {} });
    for (let n = 0; n < 4; n++) queue.write(event(n));
    await queue.flush().catch(() => {});
    expect(told).toEqual([4]);
    expect(queue.stats()).toMatchObject({ accepted: 4, delivered: 3, failed: 1, pending: 0 });
    expect(checkConservation(queue.stats())).toBeUndefined();
  });
});
