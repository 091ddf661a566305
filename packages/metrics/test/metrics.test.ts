import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type LogEvent, LoggingError, type Sink, type SinkStats } from "@sluice/core";
import {
  checkConservation,
  createLogEvent,
  createSink,
  PartialDeliveryError,
  SinkCounters,
  totalDropped,
} from "@sluice/core/sink";
import { checkSinkContract, createMemorySink } from "@sluice/core/testing";
import { createMetrics, type SinkMetricsSnapshot, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, describe, expect, it, vi } from "vitest";

function event(n: number, timestamp = Date.now()): LogEvent {
  return createLogEvent({ level: "info", template: "Event {N}", properties: { N: n }, timestamp });
}

function only(snapshot: { sinks: readonly SinkMetricsSnapshot[] }): SinkMetricsSnapshot {
  expect(snapshot.sinks).toHaveLength(1);
  return snapshot.sinks[0] as SinkMetricsSnapshot;
}

function expectConserved(sink: SinkMetricsSnapshot): void {
  expect(sink.events).toBe(
    sink.delivered + totalDropped(sink.dropped) + sink.failed + sink.pending,
  );
}

/** A sink whose batches settle as the test says: delivered, failed, or delivered in part. */
function scriptedSink(): Sink & {
  stats(): SinkStats;
  settle(outcome: "deliver" | "fail" | number, error?: unknown): void;
} {
  const counters = new SinkCounters();
  const waiting: { count: number; resolve: () => void; reject: (error: unknown) => void }[] = [];
  return {
    name: "scripted",
    write: () => counters.refuse("closed"),
    writeBatch(events) {
      counters.accept(events.length);
      return new Promise((resolve, reject) =>
        waiting.push({ count: events.length, resolve, reject }),
      );
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    stats: () => counters.snapshot(),
    settle(outcome, error = new Error("refused")) {
      const batch = waiting.shift();
      if (batch === undefined) throw new Error("no batch in flight");
      if (outcome === "deliver") {
        counters.deliver(batch.count);
        batch.resolve();
        return;
      }
      const delivered = outcome === "fail" ? 0 : outcome;
      counters.deliver(delivered);
      counters.fail(batch.count - delivered, 0, error);
      batch.reject(
        outcome === "fail"
          ? error
          : new PartialDeliveryError(delivered, batch.count, { cause: error }),
      );
    },
  };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("withMetrics counters", () => {
  it("reads a queue's drops and outcomes through the chain, under the conservation law", async () => {
    const metrics = createMetrics();
    const memory = createMemorySink();
    const queue = withQueue(memory, {
      maxEvents: 10,
      overflow: "drop-newest",
      shedBelow: false,
      onError: () => {},
    });
    const sink = withMetrics(queue, { metrics, name: "app" });
    for (let n = 0; n < 25; n++) sink.write(event(n));
    const busy = only(metrics.snapshot());
    expect(busy).toMatchObject({ events: 25, pending: 10, queue: { size: 10, capacity: 10 } });
    expect(busy.dropped.queue_full).toBe(15);
    expectConserved(busy);

    await sink.flush();
    memory.failWith(Object.assign(new Error("disk gone"), { code: "EIO" }));
    for (let n = 0; n < 4; n++) sink.write(event(n));
    await sink.flush().catch(() => {});
    const settled = only(metrics.snapshot());
    expect(settled).toMatchObject({ events: 29, delivered: 10, failed: 4, pending: 0 });
    expect(settled.dropped.queue_full).toBe(15);
    expect(settled.lastError).toMatchObject({ message: "disk gone", code: "EIO" });
    expectConserved(settled);
    expect(settled.components.map((component) => component.name)).toEqual([
      "app",
      queue.name,
      "memory",
    ]);
    for (const component of settled.components) {
      const { name, state, ...counters } = component;
      expect(checkConservation({ ...counters, lastError: undefined }), name).toBeUndefined();
    }
  });

  it("counts writes after close as dropped (closed) by the metered sink itself", async () => {
    const metrics = createMetrics();
    const sink = withMetrics(createMemorySink(), { metrics, name: "app" });
    sink.write(event(1));
    await sink.close();
    sink.write(event(2));
    await expect(sink.writeBatch([event(3), event(4)])).rejects.toSatisfy(LoggingError.is);
    const snapshot = only(metrics.snapshot());
    expect(snapshot).toMatchObject({ events: 4, delivered: 1, pending: 0 });
    expect(snapshot.dropped.closed).toBe(3);
    expectConserved(snapshot);
  });

  it("counts a batch delivered in part exactly, and keeps the failure with its time", async () => {
    let now = 1_000_000;
    const metrics = createMetrics({ now: () => now });
    const inner = scriptedSink();
    const sink = withMetrics(inner, { metrics, name: "remote" });
    const first = sink.writeBatch([event(0, now), event(1, now), event(2, now - 5)]);
    now += 40;
    inner.settle("deliver");
    await first;
    const second = sink.writeBatch([event(3, now), event(4, now), event(5, now)]);
    now += 10;
    inner.settle(2, Object.assign(new Error("peer reset"), { code: "ECONNRESET" }));
    await expect(second).rejects.toSatisfy(PartialDeliveryError.is);
    const snapshot = only(metrics.snapshot());
    expect(snapshot).toMatchObject({ events: 6, delivered: 5, failed: 1, pending: 0 });
    expect(sink.stats()).toMatchObject({ accepted: 6, delivered: 5, failed: 1, pending: 0 });
    expect(snapshot.lastError).toMatchObject({
      code: "ECONNRESET",
      message: "peer reset",
      time: now,
      component: "scripted",
    });
    // Delivery latency: 40, 40, 45 ms for the first batch, 10 and 10 for the two delivered.
    expect(snapshot.deliveryLatency.count).toBe(5);
    expect(snapshot.deliveryLatency.max).toBe(45);
    expect(snapshot.deliveryLatency.sum).toBeCloseTo(145, 6);
    expect(snapshot.deliveryLatency.p50).toBeCloseTo(40, 0);
    expectConserved(snapshot);
  });

  it("measures delivery latency through a queue, to the write system call of a file sink", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-metrics-delivery-"));
    try {
      const metrics = createMetrics();
      const file = createFileSink({ path: join(directory, "app.log") });
      const sink = withMetrics(withQueue(file), { metrics, name: "app" });
      // Logged 50 ms ago: the latency runs from the event's timestamp to the OS taking it.
      const loggedAt = Date.now() - 50;
      for (let n = 0; n < 100; n++) sink.write(event(n, loggedAt));
      await sink.flush();
      const snapshot = only(metrics.snapshot());
      expect(snapshot.deliveryLatency.count).toBe(100);
      expect(snapshot.deliveryLatency.p50).toBeGreaterThanOrEqual(49);
      expect(snapshot.deliveryLatency.max).toBeLessThan(60_000);
      await sink.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("records runs of equal timestamps a file sink tells, beside an observer of every event", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-metrics-runs-"));
    try {
      const now = 1_000_000;
      const metrics = createMetrics({ now: () => now });
      const file = createFileSink({ path: join(directory, "app.log") });
      const sink = withMetrics(withQueue(file), { metrics, name: "app" });
      const seen: number[] = [];
      const stop = sink.observeDelivery?.((timestamps, from, to) => {
        seen.push(...timestamps.subarray(from, to));
      });
      const loggedAt = [...Array(30).fill(now - 50), ...Array(20).fill(now - 10)];
      loggedAt.push(...Array(50).fill(now - 50));
      for (const [n, timestamp] of loggedAt.entries()) sink.write(event(n, timestamp));
      await sink.flush();
      const snapshot = only(metrics.snapshot());
      expect(snapshot.deliveryLatency.count).toBe(100);
      expect(snapshot.deliveryLatency.sum).toBeCloseTo(30 * 50 + 20 * 10 + 50 * 50, 6);
      expect(snapshot.deliveryLatency.max).toBe(50);
      expect(seen).toEqual(loggedAt);
      stop?.();
      await sink.close();
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("times one write in writeSampleInterval and counts every one", () => {
    const metrics = createMetrics({ writeSampleInterval: 4 });
    const sink = withMetrics(createMemorySink(), { metrics, name: "app" });
    for (let n = 0; n < 40; n++) sink.write(event(n));
    const snapshot = only(metrics.snapshot());
    expect(snapshot.events).toBe(40);
    expect(snapshot.delivered).toBe(40);
    expect(snapshot.writeLatency.count).toBe(10);
    expect(snapshot.writeLatency.max).toBeGreaterThan(0);
    expect(snapshot.writeLatency.p50).toBeLessThanOrEqual(snapshot.writeLatency.p99);
    expect(snapshot.deliveryLatency.count).toBe(0);
  });

  it("reports the first component state along the chain, e.g. a breaker's", () => {
    const metrics = createMetrics();
    const memory = createMemorySink();
    const breaker: Sink = {
      name: "breaker",
      inner: memory,
      write: (value) => memory.write(value),
      writeBatch: (events) => memory.writeBatch(events),
      flush: () => memory.flush(),
      close: () => memory.close(),
      stats: () => ({ ...new SinkCounters().snapshot("open") }),
    };
    withMetrics(withQueue(breaker), { metrics, name: "guarded" });
    expect(only(metrics.snapshot()).state).toBe("open");
  });

  it("keeps a wrapped sink's throwing write from the caller, counting and reporting it", () => {
    const errors: unknown[] = [];
    const metrics = createMetrics({ onError: (error) => errors.push(error), now: () => 1234 });
    const broken: Sink = {
      name: "broken",
      write: () => {
        throw Object.assign(new Error("bad write"), { code: "EBROKEN" });
      },
      writeBatch: () => Promise.resolve(),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const sink = withMetrics(broken, { metrics, name: "app" });
    expect(() => sink.write(event(1))).not.toThrow();
    expect(errors).toEqual([expect.objectContaining({ message: "bad write" })]);
    const snapshot = only(metrics.snapshot());
    expect(snapshot).toMatchObject({ events: 1, delivered: 0, failed: 1, pending: 0 });
    expect(snapshot.lastError).toEqual({
      message: "bad write",
      code: "EBROKEN",
      time: 1234,
      component: "app",
    });
  });

  it("has flushSync only when the wrapped sink has it", () => {
    const metrics = createMetrics();
    const memory = createMemorySink();
    const plain: Sink = {
      write: (value) => memory.write(value),
      writeBatch: (events) => memory.writeBatch(events),
      flush: () => memory.flush(),
      close: () => memory.close(),
    };
    expect(withMetrics(plain, { metrics, name: "plain" }).flushSync).toBeUndefined();
    let drained = 0;
    const draining = withMetrics(Object.assign(plain, { flushSync: () => drained++ }), {
      metrics,
      name: "draining",
    });
    draining.flushSync?.();
    expect(drained).toBe(1);
  });

  it("passes abandon through: its waiting batches and the queue's held events are dropped, once", async () => {
    const metrics = createMetrics();
    const hung = createSink({ name: "hung", deliver: () => new Promise<void>(() => {}) });
    const queue = withQueue(hung, { batchSize: 4, onError: () => {} });
    const sink = withMetrics(queue, { metrics, name: "abandoned" });
    for (let n = 0; n < 6; n++) sink.write(event(n));
    const batch = sink.writeBatch([event(6)]).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 20));
    sink.abandon?.("shutdown_timeout");
    expect(sink.stats?.()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: 1 } });
    expect(queue.stats()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: 7 } });
    expect(hung.stats()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: 4 } });
    expect(await batch).toBeInstanceOf(Error);
    expect(sink.stats?.()).toMatchObject({ failed: 0, delivered: 6 });
    sink.write(event(7));
    expect(sink.stats?.().dropped.closed).toBe(1);
    // The batch waiting in the metered sink is the queue's too: dropped once, not twice.
    expect(only(metrics.snapshot())).toMatchObject({
      events: 8,
      dropped: { shutdown_timeout: 7, closed: 1 },
      pending: 0,
    });
    expectConserved(only(metrics.snapshot()));
  });

  it("passes the sink contract kit", async () => {
    const metrics = createMetrics();
    let count = 0;
    const violations = await checkSinkContract(() =>
      withMetrics(createMemorySink(), { metrics, name: `contract-${count++}` }),
    );
    expect(violations).toEqual([]);
  });
});

describe("reset", () => {
  it("starts counters and histograms from zero and keeps the conservation law", async () => {
    const metrics = createMetrics({ writeSampleInterval: 1 });
    const memory = createMemorySink();
    const queue = withQueue(memory, {
      maxEvents: 5,
      overflow: "drop-newest",
      shedBelow: false,
      onError: () => {},
    });
    const sink = withMetrics(queue, { metrics, name: "app" });
    for (let n = 0; n < 8; n++) sink.write(event(n));
    memory.failWith(new Error("no"));
    await sink.flush().catch(() => {});
    expect(only(metrics.snapshot())).toMatchObject({ events: 8, failed: 5 });
    memory.failWith(undefined);
    for (let n = 0; n < 3; n++) sink.write(event(n));

    metrics.reset();
    const fresh = only(metrics.snapshot());
    // The three queued events count as received after the reset: they settle after it.
    expect(fresh).toMatchObject({ events: 3, delivered: 0, failed: 0, pending: 3 });
    expect(fresh.lastError).toBeUndefined();
    expect(totalDropped(fresh.dropped)).toBe(0);
    expect(fresh.writeLatency.count).toBe(0);
    expectConserved(fresh);

    await sink.flush();
    sink.write(event(99));
    await sink.flush();
    const after = only(metrics.snapshot());
    expect(after).toMatchObject({ events: 4, delivered: 4, failed: 0, pending: 0 });
    expect(after.writeLatency.count).toBe(1);
    expect(after.lastError).toBeUndefined();
    expectConserved(after);
  });
});

describe("options", () => {
  it("refuses bad options at construction, naming the option", () => {
    expect(() => createMetrics({ thresholds: { dropRate: 2 } })).toThrow(/thresholds\.dropRate/);
    expect(() => createMetrics({ thresholds: { deliveryP99Ms: -1 } })).toThrow(
      /thresholds\.deliveryP99Ms/,
    );
    expect(() => createMetrics({ alertIntervalMs: 0 })).toThrow(/alertIntervalMs/);
    expect(() => createMetrics({ writeSampleInterval: 1.5 })).toThrow(/writeSampleInterval/);
    expect(() => createMetrics({ writeSampleInterval: 48 })).toThrow(/power of two/);
    expect(() => createMetrics({ onAlert: "loud" as never })).toThrow(/onAlert/);
    const metrics = createMetrics();
    expect(() => withMetrics(createMemorySink(), { metrics, name: "" })).toThrow(/"name"/);
    expect(() => withMetrics({} as Sink, { metrics, name: "x" })).toThrow(/"sink"/);
    expect(() => withMetrics(createMemorySink(), { metrics: {} as never, name: "x" })).toThrow(
      /"metrics"/,
    );
    withMetrics(createMemorySink(), { metrics, name: "taken" });
    expect(() => withMetrics(createMemorySink(), { metrics, name: "taken" })).toThrow(
      expect.objectContaining({ code: "invalid_option" }),
    );
  });

  it("refuses an alert interval longer than a timer can wait, naming the range", () => {
    // Node.js would fire a longer timer after 1 ms, over and over.
    for (const alertIntervalMs of [2 ** 31, 1e10, 0, -1, 1.5, Number.NaN]) {
      expect(() => createMetrics({ alertIntervalMs, thresholds: { dropRate: 0.5 } })).toThrow(
        'Invalid option "alertIntervalMs": expected an integer number of milliseconds from 1 to 2147483647',
      );
    }
    createMetrics({ alertIntervalMs: 2 ** 31 - 1, thresholds: { dropRate: 0.5 } }).close();
  });

  it("refuses unknown keys in every options object, listing the accepted ones", () => {
    expect(() => createMetrics({ thresholds: { bogus: 1 } as never })).toThrow(
      'Invalid option "thresholds.bogus": thresholds accept only dropRate, failureRate, deliveryP99Ms, writeP99Ms, queueFill.',
    );
    expect(() => createMetrics({ thresholds: { dropRate: 0.1, queuefill: 0.5 } as never })).toThrow(
      /"thresholds\.queuefill"/,
    );
    expect(() => createMetrics({ alertInterval: 5 } as never)).toThrow(
      'Invalid option "alertInterval": createMetrics options accept only thresholds, onAlert, alertIntervalMs, writeSampleInterval, now, onError.',
    );
    const metrics = createMetrics();
    expect(() =>
      withMetrics(createMemorySink(), { metrics, name: "app", label: "x" } as never),
    ).toThrow('Invalid option "label": withMetrics options accept only metrics, name.');
    // Nothing was registered by the refused call.
    expect(metrics.snapshot().sinks).toEqual([]);
    for (const refused of [() => createMetrics({ thresholds: { bogus: 1 } as never })]) {
      expect(refused).toThrow(expect.objectContaining({ code: "invalid_option" }));
    }
  });
});

describe("toJSON", () => {
  it("serialises the snapshot as plain data", async () => {
    const metrics = createMetrics();
    const memory = createMemorySink();
    const sink = withMetrics(memory, { metrics, name: "app" });
    memory.failWith(Object.assign(new Error("full"), { code: "ENOSPC" }));
    await sink.writeBatch([event(1)]).catch(() => {});
    const parsed = JSON.parse(JSON.stringify(metrics));
    expect(parsed.sinks[0]).toMatchObject({
      name: "app",
      events: 1,
      failed: 1,
      lastError: { message: "full", code: "ENOSPC" },
    });
    expect(parsed.sinks[0].components[1].lastError).toEqual({ message: "full", code: "ENOSPC" });
  });
});
