import type { LogEvent, LogLevel } from "@sluice/core";
import { checkConservation, createLogEvent } from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { controlledSink, sequenceOf } from "./controlled-sink.ts";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

type Command =
  | { readonly kind: "write"; readonly level: LogLevel }
  | { readonly kind: "step" }
  | { readonly kind: "complete" }
  | { readonly kind: "fail" }
  | { readonly kind: "flush" }
  | { readonly kind: "close" };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom<LogLevel>("debug", "info", "warn", "error")
      .map((level) => ({ kind: "write" as const, level })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: "step" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "complete" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "fail" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "flush" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "close" as const }) },
);

const severe = (level: LogLevel): boolean => level === "warn" || level === "error";

/**
 * The reference: a plain array and the policy written as directly as possible.
 */
class Model {
  queue: { n: number; level: LogLevel }[] = [];
  // The batches handed to the inner sink and not settled, oldest first: at most eight.
  inFlight: { n: number; level: LogLevel }[][] = [];
  accepted = 0;
  delivered = 0;
  failed = 0;
  dropped = { queue_full: 0, shed: 0, closed: 0 };
  closed = false;
  sentOrder: number[] = [];

  // Set once a flush or close was asked for: the queue then sends partial batches at once.
  urgent = false;

  send(batchSize: number): void {
    const batch = this.queue.splice(0, batchSize);
    this.inFlight.push(batch);
    this.sentOrder.push(...batch.map((item) => item.n));
  }

  /**
   * A drain step's sends: the first batch whatever its size, and a second beside it only when
   * it is full (or a flush or close waits).
   */
  drain(batchSize: number): void {
    while (this.queue.length > 0 && this.inFlight.length < 8) {
      if (this.inFlight.length > 0 && this.queue.length < batchSize && !this.urgent) return;
      this.send(batchSize);
    }
  }

  inFlightEvents(): number {
    return this.inFlight.reduce((sum, batch) => sum + batch.length, 0);
  }

  constructor(
    readonly maxEvents: number,
    readonly overflow: "drop-oldest" | "drop-newest",
    readonly shedding: boolean,
  ) {}

  write(n: number, level: LogLevel): void {
    this.accepted += 1;
    if (this.closed) {
      this.dropped.closed += 1;
      return;
    }
    while (this.queue.length >= this.maxEvents) {
      const sheddableIndex = this.queue.findIndex((item) => !severe(item.level));
      if (this.shedding && severe(level) && sheddableIndex >= 0) {
        this.queue.splice(sheddableIndex, 1);
        this.dropped.shed += 1;
        continue;
      }
      if (this.shedding && !severe(level) && sheddableIndex < 0) {
        this.dropped.shed += 1;
        return;
      }
      if (this.overflow === "drop-newest") {
        this.dropped.queue_full += 1;
        return;
      }
      const index = this.shedding
        ? this.queue.findIndex((item) => severe(item.level) === severe(level))
        : 0;
      this.queue.splice(index, 1);
      this.dropped.queue_full += 1;
    }
    this.queue.push({ n, level });
  }
}

describe("withQueue against a reference model", () => {
  it("keeps the same counts, order and depth for random interleavings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 6 }),
        fc.constantFrom<"drop-oldest" | "drop-newest">("drop-oldest", "drop-newest"),
        fc.boolean(),
        fc.integer({ min: 1, max: 4 }),
        fc.array(command, { maxLength: 60 }),
        async (maxEvents, overflow, shedding, batchSize, commands) => {
          const inner = controlledSink();
          const queue = withQueue(inner, {
            maxEvents,
            overflow,
            shedBelow: shedding ? "warn" : false,
            batchSize,
            flushIntervalMs: 1_000_000,
            maxBatchAgeMs: 1_000_000,
            onError: () => {},
          });
          const model = new Model(maxEvents, overflow, shedding);
          let n = 0;
          for (const next of commands) {
            switch (next.kind) {
              case "write": {
                const event: LogEvent = createLogEvent({
                  level: next.level,
                  template: "{N}",
                  properties: { N: n },
                });
                queue.write(event);
                model.write(n, next.level);
                n += 1;
                break;
              }
              case "step":
                // A drain step: the queue's timers fire and the next batch leaves.
                await vi.advanceTimersByTimeAsync(1_000_000);
                if (model.urgent) {
                  // When a flush's wait ends is the queue's to know: follow what it sent.
                  while (inner.pendingBatches() > model.inFlight.length) model.send(batchSize);
                } else {
                  model.drain(batchSize);
                }
                break;
              case "complete":
              case "fail":
                if (model.inFlight.length > 0) {
                  const settled = model.inFlight.shift() ?? [];
                  if (next.kind === "complete") {
                    inner.complete();
                    model.delivered += settled.length;
                  } else {
                    inner.fail(new Error("boom"));
                    model.failed += settled.length;
                  }
                  await Promise.resolve();
                  await Promise.resolve();
                  // The queue may start its next batch at once; mirror that on the model side
                  // only when the queue actually did.
                  await vi.advanceTimersByTimeAsync(0);
                  while (inner.pendingBatches() > model.inFlight.length && model.queue.length > 0) {
                    model.send(batchSize);
                  }
                }
                break;
              case "flush":
              case "close":
                // Both only start draining; completion is driven by the commands above.
                if (next.kind === "close") {
                  void queue.close().catch(() => {});
                  model.closed = true;
                } else {
                  void queue.flush().catch(() => {});
                }
                model.urgent = true;
                await vi.advanceTimersByTimeAsync(0);
                while (inner.pendingBatches() > model.inFlight.length && model.queue.length > 0) {
                  model.send(batchSize);
                }
                break;
            }
            const stats = queue.stats();
            expect(stats.accepted).toBe(model.accepted);
            expect(stats.delivered).toBe(model.delivered);
            expect(stats.failed).toBe(model.failed);
            expect(stats.dropped.queue_full).toBe(model.dropped.queue_full);
            expect(stats.dropped.shed).toBe(model.dropped.shed);
            expect(stats.dropped.closed).toBe(model.dropped.closed);
            expect(stats.depth).toBe(model.queue.length);
            expect(stats.inFlight).toBe(model.inFlightEvents());
            expect(inner.pendingBatches()).toBe(model.inFlight.length);
            expect(model.inFlight.length).toBeLessThanOrEqual(8);
            expect(checkConservation(stats)).toBeUndefined();
          }
          expect(inner.batches.flatMap((batch) => sequenceOf(batch))).toEqual(model.sentOrder);
        },
      ),
      { numRuns: 150 },
    );
  });
});
