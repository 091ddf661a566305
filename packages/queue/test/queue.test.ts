import type { LogEvent, LogLevel } from "@sluice/core";
import { checkConservation, createLogEvent, PartialDeliveryError } from "@sluice/core/sink";
import { createMemoryBudget, withQueue } from "@sluice/queue";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { controlledSink, sequenceOf } from "./controlled-sink.ts";

function event(n: number, level: LogLevel = "info", padding = ""): LogEvent {
  return createLogEvent({
    level,
    template: "Event {N}",
    properties: { N: n, Padding: padding },
    timestamp: 0,
  });
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

const tick = async (ms = 0): Promise<void> => {
  await vi.advanceTimersByTimeAsync(ms);
};

describe("withQueue batching", () => {
  it("hands the inner sink ordered batches, full ones beside the one in flight", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { batchSize: 3, flushIntervalMs: 50, onError: () => {} });
    for (let n = 0; n < 26; n++) queue.write(event(n));
    expect(inner.batches).toEqual([]);
    await tick();
    // Up to eight in flight: full batches go while the first is written; a partial one waits.
    expect(inner.batches.map(sequenceOf)).toEqual(
      Array.from({ length: 8 }, (_, batch) => [3 * batch, 3 * batch + 1, 3 * batch + 2]),
    );
    await tick(100);
    expect(inner.batches).toHaveLength(8);
    inner.complete();
    await tick(100);
    expect(inner.batches).toHaveLength(8);
    queue.write(event(26));
    await tick();
    expect(inner.batches.map(sequenceOf)[8]).toEqual([24, 25, 26]);
    for (let settled = 0; settled < 8; settled++) {
      inner.complete();
      await tick();
    }
    expect(queue.stats()).toMatchObject({ accepted: 27, delivered: 27, pending: 0, depth: 0 });
  });

  it("hands over further batches only while those in flight are under maxBytes", async () => {
    const probe = withQueue(controlledSink());
    probe.write(event(0));
    const size = probe.stats().depthBytes;
    const inner = controlledSink();
    const queue = withQueue(inner, { batchSize: 1, maxBytes: 3 * size, onError: () => {} });
    for (let n = 0; n < 3; n++) queue.write(event(n));
    await tick();
    expect(inner.batches.map(sequenceOf)).toEqual([[0], [1], [2]]);
    for (let n = 3; n < 6; n++) queue.write(event(n));
    await tick(100);
    // Three events' worth in flight: the rest waits in the queue, counted by its bound.
    expect(inner.batches).toHaveLength(3);
    expect(queue.stats()).toMatchObject({ depth: 3, inFlight: 3 });
    inner.complete();
    await tick();
    expect(inner.batches.map(sequenceOf)).toEqual([[0], [1], [2], [3]]);
  });

  it("sends a partial batch once the batches in flight have settled", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { batchSize: 3, flushIntervalMs: 50, onError: () => {} });
    for (let n = 0; n < 4; n++) queue.write(event(n));
    await tick();
    expect(inner.batches.map(sequenceOf)).toEqual([[0, 1, 2]]);
    await tick(100);
    expect(inner.batches).toHaveLength(1);
    inner.complete();
    await tick(50);
    expect(inner.batches.map(sequenceOf)).toEqual([[0, 1, 2], [3]]);
    inner.complete();
    await tick();
    expect(queue.stats()).toMatchObject({ accepted: 4, delivered: 4, pending: 0, depth: 0 });
  });

  it("hands over one batch at a time while a writeBatch of its own waits", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { batchSize: 2, onError: () => {} });
    const settled = queue
      .writeBatch([0, 1, 2, 3, 4].map((n) => event(n)))
      .catch((error: unknown) => error);
    await tick();
    expect(inner.batches.map(sequenceOf)).toEqual([[0, 1]]);
    inner.fail(new PartialDeliveryError(1, 2, { cause: new Error("disk full") }));
    // Nothing after the failed event is handed over, so the rejection's prefix is the truth.
    const error = await settled;
    expect(PartialDeliveryError.is(error) && error.delivered).toBe(1);
    await tick(100);
    expect(inner.batches).toHaveLength(1);
  });

  it("waits flushIntervalMs for a fuller batch, and never longer than maxBatchAgeMs", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { batchSize: 100, flushIntervalMs: 200, maxBatchAgeMs: 1000 });
    queue.write(event(0));
    await tick(199);
    expect(inner.batches).toEqual([]);
    await tick(1);
    expect(inner.batches.map(sequenceOf)).toEqual([[0]]);
    // While the first batch is slow, new events age; they go as soon as it settles.
    queue.write(event(1));
    await tick(1500);
    expect(inner.batches).toHaveLength(1);
    inner.complete();
    await tick();
    expect(inner.batches.map(sequenceOf)).toEqual([[0], [1]]);
  });

  it("reads its clock on a write to an empty queue and once in 64 writes otherwise", async () => {
    const inner = controlledSink();
    let clock = 0;
    let readings = 0;
    const now = (): number => {
      readings += 1;
      return clock;
    };
    const queue = withQueue(inner, {
      batchSize: 10_000,
      flushIntervalMs: 500,
      maxBatchAgeMs: 300,
      now,
    });
    for (let n = 0; n < 1000; n++) queue.write(event(n));
    expect(readings).toBe(1 + Math.floor(999 / 64));
    clock = 300;
    await tick(300);
    expect(inner.batches.map((batch) => batch.length)).toEqual([1000]);
    inner.complete();
    await tick();
    // An empty queue reads the clock afresh, so the next event's age starts from now.
    readings = 0;
    queue.write(event(1000));
    expect(readings).toBe(1);
  });

  it("resolves flush only when everything accepted before it is settled", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { batchSize: 2, flushIntervalMs: 10_000 });
    for (let n = 0; n < 3; n++) queue.write(event(n));
    let flushed = false;
    const flushing = queue.flush().then(() => {
      flushed = true;
    });
    queue.write(event(3));
    await tick();
    expect(inner.batches.map(sequenceOf)).toEqual([
      [0, 1],
      [2, 3],
    ]);
    inner.complete();
    await tick();
    expect(flushed).toBe(false);
    inner.complete();
    await flushing;
    expect(flushed).toBe(true);
  });
});

describe("withQueue overflow", () => {
  it("drop-newest keeps the queued events", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { maxEvents: 3, overflow: "drop-newest", shedBelow: false });
    for (let n = 0; n < 5; n++) queue.write(event(n));
    expect(queue.stats()).toMatchObject({ accepted: 5, depth: 3 });
    expect(queue.stats().dropped.queue_full).toBe(2);
    await tick(100);
    expect(sequenceOf(inner.batches[0] ?? [])).toEqual([0, 1, 2]);
  });

  it("drop-oldest keeps the newest events", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { maxEvents: 3, overflow: "drop-oldest", shedBelow: false });
    for (let n = 0; n < 5; n++) queue.write(event(n));
    expect(queue.stats().dropped.queue_full).toBe(2);
    await tick(100);
    expect(sequenceOf(inner.batches[0] ?? [])).toEqual([2, 3, 4]);
  });

  it("sheds low levels first, so errors get through an overloaded queue", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { maxEvents: 4, overflow: "drop-newest" });
    queue.write(event(0, "info"));
    queue.write(event(1, "error"));
    queue.write(event(2, "debug"));
    queue.write(event(3, "warn"));
    queue.write(event(4, "error")); // sheds 0
    queue.write(event(5, "fatal")); // sheds 2
    queue.write(event(6, "info")); // only severe events queued: the newcomer yields
    queue.write(event(7, "error")); // nothing left to shed: drop-newest
    const stats = queue.stats();
    expect(stats.dropped.shed).toBe(3);
    expect(stats.dropped.queue_full).toBe(1);
    await tick(100);
    expect(sequenceOf(inner.batches[0] ?? [])).toEqual([1, 3, 4, 5]);
    expect(checkConservation(stats)).toBeUndefined();
  });

  it("block hands batches to the inner sink synchronously until there is room", async () => {
    let flushes = 0;
    const inner = controlledSink({ withFlushSync: () => void flushes++ });
    const queue = withQueue(inner, {
      maxEvents: 2,
      overflow: "block",
      batchSize: 1,
      onError: () => {},
    });
    for (let n = 0; n < 5; n++) queue.write(event(n));
    expect(inner.batches.map(sequenceOf)).toEqual([[0], [1], [2]]);
    expect(flushes).toBe(3);
    // Handed over is not delivered: the inner sink's answer decides.
    expect(queue.stats()).toMatchObject({ accepted: 5, delivered: 0, inFlight: 3, depth: 2 });
    expect(queue.stats().dropped.queue_full).toBe(0);
    inner.complete();
    inner.fail(new Error("inner failed"));
    inner.complete();
    await tick();
    expect(queue.stats()).toMatchObject({ delivered: 2, failed: 1 });
    expect(checkConservation(queue.stats())).toBeUndefined();
  });

  it("block gives up after blockTimeoutMs and counts the drop", () => {
    let now = 0;
    const inner = controlledSink({
      withFlushSync: () => {
        now += 600;
      },
    });
    const queue = withQueue(inner, {
      maxEvents: 100,
      maxBytes: 3000,
      overflow: "block",
      batchSize: 1,
      blockTimeoutMs: 1000,
      now: () => now,
    });
    for (let n = 0; n < 7; n++) queue.write(event(n, "error", "x".repeat(100)));
    expect(inner.syncWritten).toHaveLength(0);
    const before = queue.stats();
    queue.write(event(99, "error", "y".repeat(1700)));
    const after = queue.stats();
    expect(after.dropped.queue_full).toBe(before.dropped.queue_full + 1);
    // Two synchronous hand-offs of 600 ms each, then the deadline has passed.
    expect(inner.batches).toHaveLength(2);
    expect(now).toBe(1200);
  });

  it("refuses block around a sink without a synchronous path", () => {
    expect(() => withQueue(controlledSink(), { overflow: "block" })).toThrow(
      /Invalid option "overflow".*no flushSync\(\)/,
    );
  });

  it("bounds estimated bytes and replaces an oversize event with a placeholder", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { maxBytes: 4096, maxEventBytes: 1024, shedBelow: false });
    queue.write(event(0, "warn", "z".repeat(5000)));
    expect(queue.stats().dropped.too_large).toBe(1);
    await tick(100);
    const placeholder = inner.batches[0]?.[0];
    expect(placeholder?.level).toBe("warn");
    expect(placeholder?.template.text).toContain("over the limit");
    expect(placeholder?.properties.Limit).toBe(1024);
    inner.complete();
    await tick();
    for (let n = 0; n < 50; n++) queue.write(event(n, "info", "p".repeat(300)));
    expect(queue.stats().depthBytes).toBeLessThanOrEqual(4096);
    expect(checkConservation(queue.stats())).toBeUndefined();
  });

  it("counts text beyond Latin-1 at two bytes a character, as V8 stores it", () => {
    const depthBytesOf = (padding: string): number => {
      const queue = withQueue(controlledSink());
      queue.write(event(0, "info", padding));
      return queue.stats().depthBytes;
    };
    const latin1 = depthBytesOf("é".repeat(1000));
    expect(depthBytesOf("語".repeat(1000)) - latin1).toBe(1000);
    expect(depthBytesOf("🙂".repeat(500)) - latin1).toBe(1000);
  });
});

describe("withQueue and sinks that do not take overlapping batches", () => {
  it("hands a sink that does not say it keeps their order one batch at a time", async () => {
    const inner = controlledSink({ overlapping: false });
    const queue = withQueue(inner, { batchSize: 10 });
    for (let n = 0; n < 50; n++) queue.write(event(n));
    await tick(0);
    expect(inner.pendingBatches()).toBe(1);
    const flushed = queue.flush();
    let most = 0;
    for (let turn = 0; turn < 1000 && inner.batches.flat().length < 50; turn++) {
      most = Math.max(most, inner.pendingBatches());
      inner.complete();
      await tick(0);
    }
    inner.complete();
    await tick(0);
    await flushed;
    expect(most).toBe(1);
    expect(inner.batches.flatMap(sequenceOf)).toEqual(Array.from({ length: 50 }, (_, n) => n));
  });
});

describe("withQueue back-pressure", () => {
  it("signals once per crossing with hysteresis, and ready() waits for room", async () => {
    const inner = controlledSink();
    const signals: number[] = [];
    const queue = withQueue(inner, {
      batchSize: 2,
      backPressureThreshold: 4,
      onBackPressure: ({ depth }) => signals.push(depth),
    });
    await expect(queue.ready()).resolves.toBeUndefined();
    for (let n = 0; n < 6; n++) queue.write(event(n));
    expect(signals).toEqual([4]);
    let ready = false;
    void queue.ready().then(() => {
      ready = true;
    });
    expect(ready).toBe(false);
    await tick();
    // Two batches of 2 in flight: depth 2, below the threshold.
    expect(ready).toBe(true);
    queue.write(event(6));
    expect(signals).toEqual([4]);
    for (let settled = 0; settled < 3; settled++) {
      inner.complete();
      await tick();
    }
    // The last event, a partial batch, goes once the flush interval has passed.
    await tick(1000);
    inner.complete();
    await tick();
    expect(queue.stats()).toMatchObject({ depth: 0, inFlight: 0 });
    for (let n = 7; n < 12; n++) queue.write(event(n));
    expect(signals).toEqual([4, 4]);
  });
});

describe("withQueue failures and close", () => {
  it("counts a rejected batch as failed and keeps draining", async () => {
    const inner = controlledSink();
    const errors: unknown[] = [];
    const queue = withQueue(inner, { batchSize: 2, onError: (error) => errors.push(error) });
    for (let n = 0; n < 4; n++) queue.write(event(n));
    const flushing = queue.flush();
    await tick();
    inner.fail(new Error("peer down"));
    await tick();
    inner.complete();
    await expect(flushing).rejects.toThrow("peer down");
    expect(queue.stats()).toMatchObject({ accepted: 4, delivered: 2, failed: 2, pending: 0 });
    expect(errors).toHaveLength(1);
    queue.write(event(4));
    const again = queue.flush();
    await tick();
    inner.complete();
    await expect(again).resolves.toBeUndefined();
  });

  it("closes during a drain: settles the batch, drains the rest, closes the inner sink once", async () => {
    const inner = controlledSink();
    const queue = withQueue(inner, { batchSize: 2 });
    for (let n = 0; n < 3; n++) queue.write(event(n));
    await tick();
    const closing = queue.close();
    expect(queue.close()).toBe(closing);
    queue.write(event(99));
    expect(queue.stats().dropped.closed).toBe(1);
    inner.complete();
    await tick();
    inner.complete();
    await closing;
    expect(inner.closes).toBe(1);
    expect(inner.batches.map(sequenceOf)).toEqual([[0, 1], [2]]);
    await expect(queue.writeBatch([event(100)])).rejects.toThrow(/closed/);
    expect(queue.stats()).toMatchObject({ accepted: 5, delivered: 3, pending: 0 });
    expect(queue.stats().dropped.closed).toBe(2);
  });

  it("flushSync hands queued events to the inner sink's synchronous path", () => {
    let flushes = 0;
    const inner = controlledSink({ withFlushSync: () => void flushes++ });
    const queue = withQueue(inner);
    for (let n = 0; n < 5; n++) queue.write(event(n));
    queue.flushSync();
    expect(sequenceOf(inner.syncWritten)).toEqual([0, 1, 2, 3, 4]);
    expect(flushes).toBeGreaterThan(0);
    expect(queue.stats()).toMatchObject({ delivered: 5, depth: 0, pending: 0 });
  });

  it("validates options with messages naming the option", () => {
    const inner = controlledSink();
    expect(() => withQueue(inner, { maxEvents: 0 })).toThrow(
      /"maxEvents": expected a positive integer/,
    );
    expect(() => withQueue(inner, { overflow: "spill" as never })).toThrow(/"overflow"/);
    expect(() => withQueue(inner, { shedBelow: "loud" as never })).toThrow(/"shedBelow"/);
    expect(() => withQueue(inner, { maxBytes: 10, maxEventBytes: 20 })).toThrow(/"maxEventBytes"/);
    expect(() => withQueue({} as never)).toThrow(/expects a sink/);
  });
});

describe("createMemoryBudget", () => {
  it("bounds the bytes of several queues together and trims low levels first", async () => {
    const exceeded: number[] = [];
    const budget = createMemoryBudget({
      maxBytes: 3000,
      onExceeded: ({ requested }) => exceeded.push(requested),
    });
    const first = withQueue(controlledSink(), { memoryBudget: budget, overflow: "drop-newest" });
    const second = withQueue(controlledSink(), { memoryBudget: budget, overflow: "drop-newest" });
    // The first queue borrows the whole budget while the second is idle.
    for (let n = 0; n < 20; n++) first.write(event(n, "debug", "a".repeat(100)));
    expect(first.stats().dropped.queue_full).toBeGreaterThan(0);
    for (let n = 0; n < 20; n++) second.write(event(n, "error", "b".repeat(100)));
    expect(budget.usage).toBeLessThanOrEqual(3000);
    expect(budget.usage).toBe(first.stats().depthBytes + second.stats().depthBytes);
    // Errors pushed the debug events the first queue held past its share out.
    expect(first.stats().dropped.shed).toBeGreaterThan(0);
    expect(first.stats().depthBytes).toBeGreaterThan(0);
    expect(exceeded.length).toBe(1);
    const dropped = budget.trim(1000);
    expect(dropped).toBeGreaterThan(0);
    expect(budget.usage).toBeLessThanOrEqual(1000);
    expect(first.stats().depth).toBe(0);
    for (const queue of [first, second]) expect(checkConservation(queue.stats())).toBeUndefined();
    expect(() => createMemoryBudget({ maxBytes: -1 })).toThrow(/"maxBytes"/);
  });
});
