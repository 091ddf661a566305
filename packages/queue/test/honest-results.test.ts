import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type LogEvent, LoggingError, type Sink, type SinkStats } from "@sluice/core";
import {
  checkConservation,
  createLogEvent,
  createSink,
  PartialDeliveryError,
} from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N} {Pad}", properties: { N: n, Pad: "p" } });

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A sink that keeps counts and settles each batch with what `answer` returns, contract or not. */
function bendingSink(overrides: Partial<Sink>): Sink {
  return {
    name: "bending",
    write: () => {},
    writeBatch: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ...overrides,
  };
}

function collect(): { errors: unknown[]; onError: (error: unknown) => void } {
  const errors: unknown[] = [];
  return { errors, onError: (error) => errors.push(error) };
}

const violations = (errors: readonly unknown[]): unknown[] =>
  errors.filter((error) => LoggingError.is(error) && error.code === "contract_violation");

describe("a queue counts exactly what its inner sink reports", () => {
  it("agrees with a createSink whose deliver fails every fifth call, over 20,000 events", async () => {
    let calls = 0;
    const inner = createSink({
      name: "http",
      batchSize: 200,
      onError: () => {},
      deliver: async () => {
        calls += 1;
        if (calls % 5 === 0) throw new Error("503 Service Unavailable");
      },
    });
    const queue = withQueue(inner, { maxEvents: 20_000, batchSize: 1000, onError: () => {} });
    for (let n = 0; n < 20_000; n++) queue.write(event(n));
    await expect(queue.flush()).rejects.toThrow("503");
    const sink = inner.stats();
    const queued = queue.stats();
    expect(sink).toMatchObject({ accepted: 20_000, delivered: 16_000, failed: 4_000, pending: 0 });
    expect(queued).toMatchObject({ accepted: 20_000, delivered: 16_000, failed: 4_000 });
    expect(checkConservation(queued)).toBeUndefined();
    await queue.close().catch(() => {});
  });

  it("its own writeBatch rejects with the prefix delivered, and delivers nothing after it", async () => {
    let calls = 0;
    const delivered: number[] = [];
    const inner = createSink({
      name: "http",
      batchSize: 200,
      onError: () => {},
      deliver: async (events) => {
        calls += 1;
        if (calls === 5) throw new Error("503 Service Unavailable");
        for (const one of events) delivered.push(one.properties.N as number);
      },
    });
    const queue = withQueue(inner, { maxEvents: 5000, batchSize: 1000, onError: () => {} });
    const batch = Array.from({ length: 2500 }, (_, n) => event(n));
    const failure = await queue.writeBatch(batch).catch((error: unknown) => error);
    expect(PartialDeliveryError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ delivered: 800, total: 2500 });
    expect(delivered).toEqual(Array.from({ length: 800 }, (_, n) => n));
    expect(queue.stats()).toMatchObject({ accepted: 2500, delivered: 800, failed: 1700, depth: 0 });
    expect(inner.stats()).toMatchObject({ delivered: 800, failed: 200 });
    await expect(queue.flush()).rejects.toThrow("503");
    await expect(queue.flush()).resolves.toBeUndefined();
    await queue.close();
  });

  it("takes a batch of 200,000 events into a createSink", async () => {
    let delivered = 0;
    const inner = createSink({
      name: "large",
      deliver: (events) => {
        delivered += events.length;
      },
    });
    const queue = withQueue(inner, {
      maxEvents: 200_000,
      maxBytes: 1 << 30,
      batchSize: 200_000,
      onError: () => {},
    });
    for (let n = 0; n < 200_000; n++) queue.write(event(n));
    await queue.flush();
    expect(delivered).toBe(200_000);
    expect(inner.stats()).toMatchObject({ delivered: 200_000, pending: 0 });
    expect(queue.stats()).toMatchObject({ delivered: 200_000, failed: 0 });
    await queue.close();
  });
});

describe("a queue's flush and close are honest", () => {
  it("reject when every event failed in a file sink on /dev/full, and the counts agree", async () => {
    const file = createFileSink({ path: "/dev/full", onError: () => {} });
    const queue = withQueue(file, { flushIntervalMs: 10, onError: () => {} });
    for (let n = 0; n < 100; n++) queue.write(event(n));
    await wait(100);
    expect(queue.stats()).toMatchObject({ accepted: 100, delivered: 0, failed: 100 });
    expect(file.stats()).toMatchObject({ accepted: 100, delivered: 0, failed: 100 });
    await expect(queue.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    await expect(queue.flush()).resolves.toBeUndefined();
    queue.write(event(100));
    await expect(queue.close()).rejects.toMatchObject({ code: "ENOSPC" });
  });
});

describe("a logger over a queue over a file sink on /dev/full", () => {
  it("rejects its flush and close", async () => {
    const log = createLogger({
      sinks: [
        withQueue(createFileSink({ path: "/dev/full", onError: () => {} }), {
          flushIntervalMs: 10,
          onError: () => {},
        }),
      ],
    });
    for (let n = 0; n < 100; n++) log.info("Event {N}", { N: n });
    await wait(100);
    await expect(log.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    log.info("one more");
    await expect(log.close()).rejects.toMatchObject({ code: "ENOSPC" });
  });
});

describe("a queue survives sinks that bend the contract", () => {
  it("counts a writeBatch that returns undefined as failed, reported once, never thrown", async () => {
    const { errors, onError } = collect();
    const queue = withQueue(bendingSink({ writeBatch: () => undefined as never }), { onError });
    for (let n = 0; n < 10; n++) queue.write(event(n));
    await expect(queue.flush()).rejects.toMatchObject({ code: "contract_violation" });
    expect(queue.stats()).toMatchObject({
      accepted: 10,
      delivered: 0,
      failed: 10,
      contractViolations: 1,
    });
    expect(violations(errors)).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).message).toContain("Sink.writeBatch returned undefined");
  });

  it("keeps the first outcome of a thenable that calls both callbacks", async () => {
    const { errors, onError } = collect();
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a deliberately broken thenable
      then(resolve: () => void, reject: (error: unknown) => void) {
        resolve();
        reject(new Error("and failed"));
      },
    };
    const queue = withQueue(bendingSink({ writeBatch: () => thenable as never }), { onError });
    for (let n = 0; n < 10; n++) queue.write(event(n));
    await queue.flush();
    const stats: SinkStats = queue.stats();
    expect(stats).toMatchObject({ accepted: 10, delivered: 10, failed: 0, contractViolations: 1 });
    expect(checkConservation(stats)).toBeUndefined();
    expect(violations(errors)).toHaveLength(1);
  });

  it("turns an inner flush or close that throws into one rejection and one report", async () => {
    const { errors, onError } = collect();
    const throwing = (): never => {
      throw new Error("sync throw");
    };
    const queue = withQueue(bendingSink({ flush: throwing, close: throwing }), { onError });
    queue.write(event(0));
    const flushing = queue.flush();
    await expect(flushing).rejects.toMatchObject({ code: "contract_violation" });
    await expect(queue.close()).rejects.toMatchObject({ code: "contract_violation" });
    expect(queue.stats()).toMatchObject({ delivered: 1, contractViolations: 2 });
    expect(violations(errors).map((error) => (error as Error).message)).toEqual([
      "Sink.flush threw instead of returning a promise.",
      "Sink.close threw instead of returning a promise.",
    ]);
  });
});

describe("overflow block in front of a file sink on a FIFO nobody reads", () => {
  it("never blocks a call much past blockTimeoutMs, and counts what the file sink reports", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-block-fifo-"));
    const fifo = join(directory, "fifo");
    execFileSync("mkfifo", [fifo]);
    // A reader that holds the pipe open and reads nothing until the end.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const file = createFileSink({ path: fifo, onError: () => {} });
    const queue = withQueue(file, {
      maxEvents: 100,
      batchSize: 50,
      overflow: "block",
      blockTimeoutMs: 50,
      onError: () => {},
    });
    try {
      let slowest = 0;
      for (let n = 0; n < 1000; n++) {
        const started = performance.now();
        queue.write(
          createLogEvent({
            level: "info",
            template: "{Pad}",
            properties: { Pad: "x".repeat(200) },
          }),
        );
        slowest = Math.max(slowest, performance.now() - started);
      }
      // Before, one call waited out a whole second of EAGAIN; 50 ms plus a loaded machine's slack.
      expect(slowest).toBeLessThan(600);
      const buffer = Buffer.alloc(1 << 16);
      const drained = async (): Promise<void> => {
        for (let round = 0; round < 2000; round++) {
          try {
            while (readSync(reader, buffer) > 0) {}
          } catch {
            // EAGAIN: the pipe is empty for now.
          }
          const stats = queue.stats();
          if (stats.depth === 0 && stats.inFlight === 0 && file.stats().pending === 0) return;
          await wait(5);
        }
      };
      await drained();
      const queued = queue.stats();
      const written = file.stats();
      expect(queued.delivered).toBe(written.delivered);
      expect(queued.failed).toBe(written.failed + written.dropped.buffer_full);
      expect(queued.delivered + queued.failed + queued.dropped.queue_full).toBe(1000);
      expect(checkConservation(queued)).toBeUndefined();
      expect(checkConservation(written)).toBeUndefined();
      await queue.close();
    } finally {
      await queue.close().catch(() => {});
      closeSync(reader);
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
