import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  type BatchSettled,
  createLogger,
  type LogEvent,
  type Logger,
  type Sink,
  type SinkStats,
} from "@sluice/core";
import { checkConservation, createLogEvent, createSink, SinkCounters } from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/full-disk-exit.mjs", import.meta.url));
const hasDevFull = existsSync("/dev/full");

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

let directory: string | undefined;
afterEach(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

function temporaryFile(): string {
  directory = mkdtempSync(join(tmpdir(), "sluice-exit-outcome-"));
  return join(directory, "app.log");
}

function expectConserved(...all: SinkStats[]): void {
  for (const stats of all) expect(checkConservation(stats)).toBeUndefined();
}

/** A file sink whose formatter writes `N` and calls `log.flushSync()` on each `flushEvery`th. */
function flushingFileSink(path: string, flushEvery: number, logger: () => Logger) {
  return createFileSink({
    path,
    onError: () => {},
    formatter: {
      name: "flushing",
      format(logged) {
        const n = logged.properties.N as number;
        if (n % flushEvery === 0) logger().flushSync();
        return `${n}\n`;
      },
    },
  });
}

/**
 * A sink against the core contract whose peer answers on a later turn of the event loop: it
 * tells each batch's outcome (`settled`, then the promise) only then, and its flushSync can
 * deliver nothing synchronously.
 */
function laterSink(): Sink & { stats(): SinkStats } {
  const counters = new SinkCounters();
  let abandoned = false;
  return {
    name: "later",
    acceptsOverlappingBatches: true,
    write(logged) {
      void this.writeBatch([logged]).catch(() => {});
    },
    writeBatch(events: readonly LogEvent[], settled?: BatchSettled): Promise<void> {
      counters.accept(events.length);
      return new Promise((resolve) => {
        setImmediate(() => {
          if (abandoned) return;
          counters.deliver(events.length);
          settled?.(events.length);
          resolve();
        });
      });
    },
    flushSync() {},
    abandon(reason) {
      abandoned = true;
      counters.drop(reason, counters.pending);
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    stats: () => counters.snapshot(),
  };
}

describe.skipIf(!hasDevFull)("flushSync over a file sink on a full disk (/dev/full)", () => {
  it("counts the events the file sink failed as failed in the queue too, never as delivered", () => {
    const file = createFileSink({ path: "/dev/full", onError: () => {} });
    const queue = withQueue(file, { onError: () => {} });
    for (let n = 0; n < 3000; n++) queue.write(event(n));
    queue.flushSync();
    const [afterDrain, fileAfterDrain] = [queue.stats(), file.stats()];
    expectConserved(afterDrain, fileAfterDrain);
    expect(fileAfterDrain.failed).toBeGreaterThan(0);
    expect(fileAfterDrain).toMatchObject({ delivered: 0, pending: 0 });
    expect(afterDrain).toMatchObject({ delivered: 0, failed: fileAfterDrain.failed });
    // The drain stopped at the failing destination: the rest is still queued, pending.
    expect(afterDrain.pending).toBe(3000 - fileAfterDrain.failed);
    // As an exit path does next: what is left counts as lost, nothing as delivered.
    queue.abandon("process_exit");
    const stats = queue.stats();
    expectConserved(stats, file.stats());
    expect(stats).toMatchObject({ accepted: 3000, delivered: 0, pending: 0 });
    expect(stats.failed + stats.dropped.process_exit).toBe(3000);
  });

  it("counts them failed in both when the formatter calls log.flushSync() during the hand-over", () => {
    let log: Logger | undefined;
    const file = flushingFileSink("/dev/full", 7, () => log as Logger);
    const queue = withQueue(file, { batchSize: 100, onError: () => {} });
    log = createLogger({ sinks: [queue] });
    for (let n = 0; n < 1000; n++) log.info("Event {N}", { N: n });
    queue.flushSync();
    const [stats, fileStats] = [queue.stats(), file.stats()];
    expectConserved(stats, fileStats);
    expect(fileStats).toMatchObject({ accepted: 100, delivered: 0, failed: 100, pending: 0 });
    expect(stats).toMatchObject({ accepted: 1000, delivered: 0, failed: 100, pending: 900 });
  });
});

describe("flushSync and a formatter that calls log.flushSync() during the hand-over", () => {
  it("writes every event once, in order, and counts the same in the queue and the file sink", () => {
    const path = temporaryFile();
    let log: Logger | undefined;
    const file = flushingFileSink(path, 7, () => log as Logger);
    const queue = withQueue(file, { batchSize: 10, onError: () => {} });
    log = createLogger({ sinks: [queue] });
    for (let n = 0; n < 100; n++) log.info("Event {N}", { N: n });
    queue.flushSync();
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number);
    expect(lines).toEqual([...Array(100).keys()]);
    expectConserved(queue.stats(), file.stats());
    expect(queue.stats()).toMatchObject({ delivered: 100, pending: 0, failed: 0 });
    expect(file.stats()).toMatchObject({ delivered: 100, pending: 0, failed: 0 });
    file.abandon("process_exit");
  });
});

describe("a blocking queue and a formatter that logs during the hand-over", () => {
  it("drops the write that would wait (queue_full) instead of handing a batch inside another", () => {
    const path = temporaryFile();
    let log: Logger | undefined;
    const file = createFileSink({
      path,
      onError: () => {},
      formatter: {
        name: "chatty",
        format(logged) {
          const n = logged.properties.N as number;
          // Event 0 logs six more while the queue hands its batch over: the sixth finds the
          // queue full again.
          if (n === 0) for (let k = 1; k <= 6; k++) log?.info("Event {N}", { N: 1000 + k });
          return `${n}\n`;
        },
      },
    });
    const queue = withQueue(file, {
      batchSize: 5,
      maxEvents: 10,
      overflow: "block",
      shedBelow: false,
      onError: () => {},
    });
    log = createLogger({ sinks: [queue] });
    for (let n = 0; n < 10; n++) log.info("Event {N}", { N: n });
    queue.flushSync();
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number);
    expect(lines).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1001, 1002, 1003, 1004, 1005]);
    expectConserved(queue.stats(), file.stats());
    expect(queue.stats()).toMatchObject({ accepted: 16, delivered: 15, pending: 0 });
    expect(queue.stats().dropped.queue_full).toBe(1);
    file.abandon("process_exit");
  });
});

describe("flushSync over a sink that takes one batch at a time", () => {
  it("hands the next batch only once the one in flight settled", async () => {
    let inFlight = 0;
    let most = 0;
    const held: { count: number; settled: BatchSettled | undefined; resolve: () => void }[] = [];
    const counters = new SinkCounters();
    const serial: Sink = {
      name: "serial",
      write: () => {},
      writeBatch(events: readonly LogEvent[], settled?: BatchSettled): Promise<void> {
        counters.accept(events.length);
        inFlight += 1;
        most = Math.max(most, inFlight);
        return new Promise((resolve) => held.push({ count: events.length, settled, resolve }));
      },
      // Delivers what it holds, telling each outcome (as at exit, where no promise settles).
      flushSync() {
        for (const batch of held.splice(0)) {
          inFlight -= 1;
          counters.deliver(batch.count);
          batch.settled?.(batch.count);
          batch.resolve();
        }
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      stats: () => counters.snapshot(),
    };
    const queue = withQueue(serial, { batchSize: 10, onError: () => {} });
    for (let n = 0; n < 35; n++) queue.write(event(n));
    // The drain hands the first batch on the next turn; flushSync finds it in flight.
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.stats().inFlight).toBe(10);
    queue.flushSync();
    expect(most).toBe(1);
    expect(queue.stats()).toMatchObject({ accepted: 35, delivered: 35, pending: 0 });
    expect(counters.snapshot()).toMatchObject({ accepted: 35, delivered: 35 });
  });
});

describe("flushSync over a sink that tells its outcome only on a later turn", () => {
  it("keeps the batch it handed over in flight until the sink tells, then counts it delivered", async () => {
    const sink = laterSink();
    const queue = withQueue(sink, { batchSize: 10, onError: () => {} });
    for (let n = 0; n < 25; n++) queue.write(event(n));
    queue.flushSync();
    // One batch went over and is not known delivered yet; the rest waits in the queue.
    expect(queue.stats()).toMatchObject({ delivered: 0, inFlight: 10, depth: 15, pending: 25 });
    expectConserved(queue.stats(), sink.stats());
    await queue.flush();
    expect(queue.stats()).toMatchObject({ accepted: 25, delivered: 25, pending: 0 });
    expect(sink.stats()).toMatchObject({ accepted: 25, delivered: 25, pending: 0 });
  });

  it("counts what is still unsettled when the process ends as process_exit, as the sink does", async () => {
    const sink = laterSink();
    const queue = withQueue(sink, { batchSize: 10, onError: () => {} });
    for (let n = 0; n < 25; n++) queue.write(event(n));
    // As the exit hook does: drain synchronously, then give up what is left.
    queue.flushSync();
    queue.abandon("process_exit");
    const [stats, sinkStats] = [queue.stats(), sink.stats()];
    expectConserved(stats, sinkStats);
    expect(stats).toMatchObject({ delivered: 0, pending: 0 });
    expect(stats.dropped.process_exit).toBe(25);
    expect(sinkStats).toMatchObject({ accepted: 10, delivered: 0, pending: 0 });
    expect(sinkStats.dropped.process_exit).toBe(10);
    // The turn that would have told comes too late and changes nothing.
    await new Promise((resolve) => setImmediate(resolve));
    expect(queue.stats()).toEqual(stats);
  });
});

describe("flushSync over a chain with a sink that cannot tell an outcome synchronously", () => {
  it("hands the events to write, which the sink delivers synchronously, when one below cannot tell", () => {
    let delivered = 0;
    // createSink's writeBatch takes no listener, and its deliveries through writeBatch are
    // asynchronous: only what write took reaches deliverSync.
    const callback = createSink({
      name: "callback",
      deliver: () => new Promise<void>(() => {}),
      deliverSync: (events) => {
        delivered += events.length;
      },
    });
    // A wrapper that passes the listener on, as the metrics and resilience wrappers do.
    const wrapper: Sink = {
      name: "wrapper",
      inner: callback,
      write: (logged) => callback.write(logged),
      writeBatch: (events, settled) => callback.writeBatch(events, settled),
      flushSync: () => callback.flushSync?.(),
      flush: () => callback.flush(),
      close: () => callback.close(),
    };
    const queue = withQueue(wrapper, { batchSize: 100, onError: () => {} });
    for (let n = 0; n < 1000; n++) queue.write(event(n));
    queue.flushSync();
    expect(delivered).toBe(1000);
    expect(callback.stats()).toMatchObject({ accepted: 1000, delivered: 1000, pending: 0 });
    expect(queue.stats()).toMatchObject({ accepted: 1000, delivered: 1000, pending: 0 });
    expectConserved(queue.stats(), callback.stats());
  });
});

describe("a child process that logs a burst and flushes the queue in an exit listener", () => {
  function run(path: string, count: number, flushEvery: number) {
    const child = spawnSync(process.execPath, [fixture, path, String(count), String(flushEvery)], {
      encoding: "utf8",
    });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    return JSON.parse(child.stdout) as { queue: SinkStats; file: SinkStats };
  }

  it.skipIf(!hasDevFull)(
    "on /dev/full: the queue counts failed exactly what the file sink failed",
    () => {
      const { queue, file } = run("/dev/full", 3000, 0);
      expectConserved(queue, file);
      expect(file.failed).toBeGreaterThan(0);
      expect(file).toMatchObject({ delivered: 0, pending: 0 });
      expect(queue).toMatchObject({
        delivered: 0,
        failed: file.failed,
        pending: 3000 - file.failed,
      });
    },
  );

  it.skipIf(!hasDevFull)("on /dev/full, with a formatter that flushes: the same", () => {
    const { queue, file } = run("/dev/full", 3000, 7);
    expectConserved(queue, file);
    expect(file.failed).toBeGreaterThan(0);
    expect(queue).toMatchObject({ delivered: 0, failed: file.failed });
  });

  it("on a real file, with a formatter that flushes: every line once, in order, delivered in both", () => {
    const path = temporaryFile();
    const { queue, file } = run(path, 3000, 7);
    expectConserved(queue, file);
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number);
    expect(lines).toEqual([...Array(3000).keys()]);
    expect(file).toMatchObject({ delivered: 3000, pending: 0 });
    expect(queue).toMatchObject({ delivered: 3000, pending: 0 });
  });
});
