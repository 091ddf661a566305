import { createLogger, type LogEvent, type Sink } from "@sluice/core";
import { createLogEvent, createSink, SinkCounters } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { withQueue } from "@sluice/queue";
import { createShutdown, type ShutdownResource } from "@sluice/shutdown";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

/** A resource that records the calls it gets, in one shared journal. */
function recorder(name: string, journal: string[], behaviour: Partial<ShutdownResource> = {}) {
  return {
    flush: () => {
      journal.push(`${name}.flush`);
      return behaviour.flush?.();
    },
    close: () => {
      journal.push(`${name}.close`);
      return behaviour.close?.();
    },
  };
}

const never = (): Promise<void> => new Promise<void>(() => {});

/** A sink whose deliveries never settle and that has no synchronous path. */
const hungSink = (): Sink => ({
  name: "hung",
  write: () => undefined,
  writeBatch: never,
  flush: never,
  close: never,
});

describe("createShutdown", () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const make = (options = {}) => createShutdown({ now: () => Date.now(), ...options });

  test("closes the last registered first, each flushed before it is closed", async () => {
    const journal: string[] = [];
    const shutdown = make();
    shutdown.register("logger", recorder("logger", journal));
    shutdown.register("database", recorder("database", journal));
    shutdown.register("server", recorder("server", journal));
    const report = await shutdown.execute("flush-pending");
    expect(journal).toEqual([
      "server.flush",
      "server.close",
      "database.flush",
      "database.close",
      "logger.flush",
      "logger.close",
    ]);
    expect(report.resources.map((resource) => [resource.name, resource.outcome])).toEqual([
      ["server", "flushed"],
      ["database", "flushed"],
      ["logger", "flushed"],
    ]);
    expect(report.ok).toBe(true);
    expect(shutdown.state).toBe("done");
  });

  test("lower order closes first; equal orders in reverse registration", async () => {
    const journal: string[] = [];
    const shutdown = make();
    shutdown.register("a", recorder("a", journal), { order: 1 });
    shutdown.register("b", recorder("b", journal));
    shutdown.register("c", recorder("c", journal), { order: -5 });
    shutdown.register("d", recorder("d", journal));
    await shutdown.execute("flush-pending");
    expect(journal.filter((entry) => entry.endsWith(".close"))).toEqual([
      "c.close",
      "d.close",
      "b.close",
      "a.close",
    ]);
  });

  test("an unregistered resource is left alone", async () => {
    const journal: string[] = [];
    const shutdown = make();
    const unregister = shutdown.register("a", recorder("a", journal));
    shutdown.register("b", recorder("b", journal));
    unregister();
    unregister();
    await shutdown.execute("flush-pending");
    expect(journal).toEqual(["b.flush", "b.close"]);
  });

  test("a cleanup function gets a signal that aborts when its time is up", async () => {
    const shutdown = make();
    let seen: AbortSignal | undefined;
    shutdown.register(
      "server",
      (signal) => {
        seen = signal;
        return never();
      },
      { timeoutMs: 200 },
    );
    const execution = shutdown.execute("flush-pending");
    await vi.advanceTimersByTimeAsync(199);
    expect(seen?.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const report = await execution;
    expect(seen?.aborted).toBe(true);
    expect(report.resources[0]?.outcome).toBe("timed-out");
  });

  test("graceful: a flush that never settles cannot hold the shutdown past its deadline", async () => {
    const journal: string[] = [];
    const shutdown = make();
    shutdown.register("late", recorder("late", journal));
    shutdown.register("hung", recorder("hung", journal, { flush: never }));
    shutdown.register("first", recorder("first", journal));
    const execution = shutdown.execute({ graceful: 1000 });
    let settled = false;
    void execution.then(() => {
      settled = true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    const report = await execution;
    expect(report.durationMs).toBe(1000);
    expect(report.resources.map((resource) => resource.outcome)).toEqual([
      "flushed",
      "timed-out",
      "abandoned",
    ]);
    // The hung resource and the one left behind are still told to close, without waiting.
    expect(journal).toEqual(["first.flush", "first.close", "hung.flush", "late.close"]);
    expect(report.ok).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("a resource's own timeout bounds it within the overall deadline", async () => {
    const shutdown = make();
    shutdown.register("second", { flush: () => undefined });
    shutdown.register("slow", { flush: never }, { timeoutMs: 300 });
    const execution = shutdown.execute({ graceful: 5000 });
    await vi.advanceTimersByTimeAsync(300);
    const report = await execution;
    expect(report.durationMs).toBe(300);
    expect(report.resources.map((resource) => resource.outcome)).toEqual(["timed-out", "flushed"]);
  });

  test("the default per-resource timeout applies to flush-pending", async () => {
    const shutdown = make({ resourceTimeoutMs: 2500 });
    shutdown.register("hung", { close: never });
    const execution = shutdown.execute("flush-pending");
    await vi.advanceTimersByTimeAsync(2500);
    expect((await execution).resources[0]?.outcome).toBe("timed-out");
  });

  test("execute runs once: later calls get the same promise", async () => {
    const flush = vi.fn();
    const shutdown = make();
    shutdown.register("a", { flush });
    const first = shutdown.execute("flush-pending");
    expect(shutdown.execute({ graceful: 10 })).toBe(first);
    expect(shutdown.execute("flush-pending")).toBe(first);
    await first;
    expect(shutdown.execute("immediate")).toBe(first);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  test("immediate while a graceful shutdown waits cuts it short", async () => {
    const shutdown = make();
    shutdown.register("after", { close: vi.fn() });
    shutdown.register("hung", { flush: never });
    const execution = shutdown.execute({ graceful: 60_000 });
    await vi.advanceTimersByTimeAsync(100);
    expect(shutdown.execute("immediate")).toBe(execution);
    const report = await execution;
    expect(report.escalated).toBe(true);
    expect(report.durationMs).toBe(100);
    expect(report.resources.map((resource) => resource.outcome)).toEqual([
      "abandoned",
      "abandoned",
    ]);
    expect(vi.getTimerCount()).toBe(0);
  });

  test("immediate closes everything without waiting and counts what was pending", async () => {
    const queue = withQueue(hungSink(), { flushIntervalMs: 10_000 });
    for (let n = 0; n < 25; n++) queue.write(event(n));
    const shutdown = make();
    shutdown.register("queue", queue);
    const report = await shutdown.execute("immediate");
    expect(report.strategy).toBe("immediate");
    expect(report.resources[0]).toMatchObject({
      name: "queue",
      outcome: "abandoned",
      events: { accepted: 25, delivered: 0, failed: 0, abandoned: 25 },
    });
    expect(report.totals).toEqual({
      accepted: 25,
      delivered: 0,
      failed: 0,
      dropped: 0,
      abandoned: 25,
    });
    // The queue counted them itself: nothing is left pending for ever.
    expect(queue.stats()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: 25 } });
  });

  test("graceful: what a resource still holds at its timeout is given up and counted by it", async () => {
    const inner = createSink({ name: "stalled", deliver: never });
    const queue = withQueue(inner, { batchSize: 10, onError: () => {} });
    for (let n = 0; n < 25; n++) queue.write(event(n));
    const shutdown = make();
    shutdown.register("queue", queue);
    const execution = shutdown.execute({ graceful: 1000 });
    await vi.advanceTimersByTimeAsync(1000);
    const report = await execution;
    expect(report.resources[0]).toMatchObject({
      outcome: "timed-out",
      events: { accepted: 25, delivered: 0, failed: 0, abandoned: 25 },
    });
    expect(report.resources[0]?.events?.dropped.shutdown_timeout).toBe(0);
    expect(queue.stats()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: 25 } });
    // The queue hands the stalled sink several batches in flight; all it took are given up there.
    const held = inner.stats().accepted;
    expect(held).toBeGreaterThanOrEqual(10);
    expect(inner.stats()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: held } });
  });

  test("a pass-through wrapper's events are counted where they really ended", async () => {
    const queue = withQueue(hungSink(), { flushIntervalMs: 10_000 });
    // Counts an event delivered once the queue took it, as a metering wrapper does.
    const counters = new SinkCounters();
    const wrapper: Sink = {
      name: "meter",
      inner: queue,
      write(logged) {
        counters.accept(1);
        queue.write(logged);
        counters.deliver(1);
      },
      writeBatch: (events) => queue.writeBatch(events),
      flush: () => queue.flush(),
      close: () => queue.close(),
      abandon: (reason) => queue.abandon?.(reason),
      stats: () => counters.snapshot(),
    };
    for (let n = 0; n < 30; n++) wrapper.write(event(n));
    const shutdown = make();
    shutdown.register("metered queue", wrapper);
    const report = await shutdown.execute("immediate");
    expect(wrapper.stats?.()).toMatchObject({ accepted: 30, delivered: 30 });
    expect(report.resources[0]?.events).toMatchObject({
      accepted: 30,
      delivered: 0,
      abandoned: 30,
    });
  });

  test("a failed flush is reported, and the resource is still closed", async () => {
    const failure = new Error("disk full");
    const journal: string[] = [];
    const onError = vi.fn();
    const shutdown = make({ onError });
    shutdown.register(
      "file",
      recorder("file", journal, {
        flush: () => Promise.reject(failure),
        close: () => Promise.reject(failure),
      }),
    );
    shutdown.register("thrower", {
      close: () => {
        throw new TypeError("bent contract");
      },
    });
    const report = await shutdown.execute("flush-pending");
    expect(journal).toEqual(["file.flush", "file.close"]);
    expect(report.resources.map((resource) => resource.outcome)).toEqual(["failed", "failed"]);
    expect(report.resources[0]?.error).toMatchObject({ message: "bent contract" });
    expect(report.resources[1]?.error).toBe(failure);
    expect(onError).toHaveBeenCalledTimes(2);
    expect(report.ok).toBe(false);
  });

  test("the report counts what each sink delivered", async () => {
    vi.useRealTimers();
    const memory = createMemorySink();
    const queue = withQueue(memory);
    for (let n = 0; n < 40; n++) queue.write(event(n));
    const shutdown = make();
    shutdown.register("queue", queue);
    const report = await shutdown.execute({ graceful: 1000 });
    expect(memory.events).toHaveLength(40);
    expect(report.resources[0]?.events).toMatchObject({
      accepted: 40,
      delivered: 40,
      abandoned: 0,
    });
    expect(report.ok).toBe(true);
  });

  test("a registered logger is counted through its sinks, and gives up what they hold", async () => {
    const memory = createMemorySink();
    const queue = withQueue(createSink({ name: "stalled", deliver: never }), { batchSize: 10 });
    const log = createLogger({ sinks: [memory, queue] });
    for (let n = 0; n < 30; n++) log.info("Event {N}", { N: n });
    const shutdown = make();
    shutdown.register("logger", log);
    const report = await shutdown.execute("immediate");
    // Each event went to both sinks: the memory sink delivered its 30, the queue held its 30.
    expect(report.resources[0]).toMatchObject({
      name: "logger",
      outcome: "abandoned",
      events: { accepted: 60, delivered: 30, failed: 0, abandoned: 30 },
    });
    expect(queue.stats()).toMatchObject({ pending: 0, dropped: { shutdown_timeout: 30 } });
  });

  test("a logger's sink registered on its own is counted there, not twice", async () => {
    const memory = createMemorySink();
    const spare = createMemorySink({ name: "spare" });
    const log = createLogger({ sinks: [memory, spare] });
    for (let n = 0; n < 5; n++) log.info("Event {N}", { N: n });
    const shutdown = make();
    shutdown.register("memory", memory);
    shutdown.register("logger", log);
    const report = await shutdown.execute("flush-pending");
    expect(report.resources.map((resource) => [resource.name, resource.events?.accepted])).toEqual([
      ["logger", 5],
      ["memory", 5],
    ]);
    expect(report.totals).toMatchObject({ accepted: 10, delivered: 10 });
  });

  test("the report is logged through the logger just before the logger closes", async () => {
    const memory = createMemorySink();
    const log = createLogger({ sinks: [memory] });
    const shutdown = make({ logger: log });
    shutdown.register("logger", log);
    shutdown.register("cache", { close: () => undefined });
    await shutdown.execute("flush-pending");
    expect(memory.messages()).toHaveLength(1);
    const logged = memory.events[0];
    expect(logged?.level).toBe("info");
    expect(memory.messages()[0]).toMatch(/^Shutdown \("flush-pending"\) took \d+ ms/);
    expect(logged?.properties.Resources).toEqual([
      { Name: "cache", Outcome: "flushed", DurationMs: 0 },
    ]);
  });

  test("a report with losses is logged as a warning", async () => {
    const memory = createMemorySink();
    const log = createLogger({ sinks: [memory] });
    const shutdown = make({ logger: log });
    shutdown.register("hung", { flush: never });
    const execution = shutdown.execute({ graceful: 50 });
    await vi.advanceTimersByTimeAsync(50);
    await execution;
    expect(memory.events.map((logged) => logged.level)).toEqual(["warn"]);
  });

  test("flushSync drains what can be drained and counts the rest as abandoned", () => {
    const synchronous = createMemorySink({ name: "sync" });
    const syncQueue = withQueue(synchronous, { flushIntervalMs: 10_000 });
    const asyncQueue = withQueue(hungSink(), { flushIntervalMs: 10_000 });
    for (let n = 0; n < 10; n++) {
      syncQueue.write(event(n));
      asyncQueue.write(event(n));
    }
    const shutdown = make();
    shutdown.register("sync", syncQueue);
    shutdown.register("async", asyncQueue);
    const report = shutdown.flushSync();
    expect(report.strategy).toBe("exit");
    expect(synchronous.events).toHaveLength(10);
    expect(report.resources.map((resource) => [resource.name, resource.events?.abandoned])).toEqual(
      [
        ["async", 10],
        ["sync", 0],
      ],
    );
    expect(report.totals.abandoned).toBe(10);
    expect(asyncQueue.stats()).toMatchObject({ pending: 0, dropped: { process_exit: 10 } });
    expect(syncQueue.stats()).toMatchObject({ pending: 0, delivered: 10 });
  });

  test("register refuses bad arguments and late registrations, naming the problem", async () => {
    const shutdown = make();
    expect(() => shutdown.register("", { close: () => undefined })).toThrow(/"name"/);
    expect(() => shutdown.register("x", {} as never)).toThrow(
      /"resource": expected an object with a flush or close method, or a cleanup function/,
    );
    expect(() => shutdown.register("x", () => undefined, { timeoutMs: 0 })).toThrow(/"timeoutMs"/);
    expect(() => shutdown.register("x", () => undefined, { order: Number.NaN })).toThrow(/"order"/);
    await shutdown.execute("immediate");
    expect(() => shutdown.register("late", () => undefined)).toThrow(/already started/);
  });

  test("options and strategies are validated", () => {
    expect(() => createShutdown({ resourceTimeoutMs: -1 })).toThrow(/"resourceTimeoutMs"/);
    expect(() => createShutdown({ logger: {} as never })).toThrow(/"logger"/);
    const shutdown = make();
    expect(() => shutdown.execute("slow" as never)).toThrow(
      /"strategy": expected "immediate", "flush-pending" or \{ graceful: <milliseconds> \}/,
    );
    expect(() => shutdown.execute({ graceful: -1 })).toThrow(/"strategy.graceful"/);
    expect(shutdown.state).toBe("idle");
  });
});
