import { describe, expect, test } from "vitest";
import { createLogEvent } from "./create-log-event.ts";
import { createSink } from "./create-sink.ts";
import type { LogEvent } from "./log-event.ts";
import { PartialDeliveryError } from "./partial-delivery.ts";

const events = (from: number, count: number): LogEvent[] =>
  Array.from({ length: count }, (_, index) =>
    createLogEvent({ level: "info", template: "n {N}", properties: { N: from + index } }),
  );

const numbers = (batch: readonly LogEvent[]): number[] =>
  batch.map((event) => event.properties.N as number);

const quiet = (): void => {};

describe("createSink writeBatch", () => {
  test("stops at the first failed step and rejects with the delivered prefix", async () => {
    let calls = 0;
    const sink = createSink({
      name: "steps",
      batchSize: 1000,
      onError: quiet,
      deliver: () => {
        calls += 1;
        if (calls === 2) throw new Error("503");
      },
    });
    const failure = await sink.writeBatch(events(0, 2500)).catch((error: unknown) => error);
    expect(PartialDeliveryError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ delivered: 1000, total: 2500 });
    expect((failure as Error).cause).toMatchObject({ message: "503" });
    expect(calls).toBe(2);
    expect(sink.stats()).toMatchObject({
      accepted: 2500,
      delivered: 1000,
      failed: 1500,
      pending: 0,
    });
  });

  test("honours a PartialDeliveryError thrown by deliver for one step", async () => {
    let calls = 0;
    const sink = createSink({
      name: "chunks",
      batchSize: 1000,
      onError: quiet,
      deliver: (step) => {
        calls += 1;
        if (calls === 2) throw new PartialDeliveryError(300, step.length);
      },
    });
    const failure = await sink.writeBatch(events(0, 2500)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ delivered: 1300, total: 2500 });
    expect(sink.stats()).toMatchObject({ delivered: 1300, failed: 1200, pending: 0 });
  });

  test("rejects with the plain error when nothing was delivered", async () => {
    const cause = new Error("down");
    const sink = createSink({
      name: "down",
      onError: quiet,
      deliver: () => {
        throw cause;
      },
    });
    await expect(sink.writeBatch(events(0, 5))).rejects.toBe(cause);
    expect(sink.stats()).toMatchObject({ accepted: 5, delivered: 0, failed: 5 });
  });

  test("delivers what write buffered earlier first, counting each step on its own", async () => {
    const delivered: number[][] = [];
    const sink = createSink({
      name: "order",
      batchSize: 2,
      onError: quiet,
      deliver: (step) => {
        delivered.push(numbers(step));
        if (step[0]?.properties.N === 2) throw new Error("one step fails");
      },
    });
    for (const event of events(0, 5)) sink.write(event);
    const batch = sink.writeBatch(events(5, 3));
    for (const event of events(8, 1)) sink.write(event);
    await batch;
    await expect(sink.flush()).rejects.toThrow("one step fails");
    expect(delivered).toEqual([[0, 1], [2, 3], [4], [5, 6], [7], [8]]);
    expect(sink.stats()).toMatchObject({ accepted: 9, delivered: 7, failed: 2, pending: 0 });
  });

  test("takes a batch far larger than the call stack allows to spread", async () => {
    let delivered = 0;
    const sink = createSink({
      name: "large",
      deliver: (step) => {
        delivered += step.length;
      },
    });
    await sink.writeBatch(events(0, 200_000));
    expect(delivered).toBe(200_000);
    expect(sink.stats()).toMatchObject({ accepted: 200_000, delivered: 200_000, pending: 0 });
  });
});

describe("createSink flush and close", () => {
  test("flush reports a failure that happened before it was called, once", async () => {
    const sink = createSink({
      name: "throws",
      onError: quiet,
      deliver: () => {
        throw new Error("peer down");
      },
    });
    for (const event of events(0, 100)) sink.write(event);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sink.stats()).toMatchObject({ failed: 100, pending: 0 });
    await expect(sink.flush()).rejects.toThrow("peer down");
    await expect(sink.flush()).resolves.toBeUndefined();
  });

  test("close rejects like its flush", async () => {
    let closed = false;
    const sink = createSink({
      name: "throws",
      onError: quiet,
      deliver: () => {
        throw new Error("peer down");
      },
      close: () => {
        closed = true;
      },
    });
    for (const event of events(0, 3)) sink.write(event);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(sink.close()).rejects.toThrow("peer down");
    expect(closed).toBe(true);
  });

  test("flushSync counts a partial synchronous delivery exactly", () => {
    const sink = createSink({
      name: "sync",
      batchSize: 10,
      onError: quiet,
      deliver: () => {},
      deliverSync: (step) => {
        if (step[0]?.properties.N === 10) throw new PartialDeliveryError(4, step.length);
      },
    });
    for (const event of events(0, 25)) sink.write(event);
    sink.flushSync?.();
    expect(sink.stats()).toMatchObject({ accepted: 25, delivered: 19, failed: 6, pending: 0 });
  });
});

describe("createSink abandon", () => {
  test("counts what it holds as dropped, settles pending calls and takes no more events", async () => {
    const delivered: number[] = [];
    const sink = createSink({
      name: "hung",
      batchSize: 2,
      onError: quiet,
      // The first step goes through; the second never settles, as a peer that stops answering.
      deliver: (step) => {
        if (delivered.length > 0) return new Promise<void>(() => {});
        delivered.push(...numbers(step));
      },
    });
    for (const event of events(0, 3)) sink.write(event);
    const batch = sink.writeBatch(events(3, 4)).catch((error: unknown) => error);
    const flushed = sink.flush().catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    expect(delivered).toEqual([0, 1]);
    expect(sink.stats()).toMatchObject({ accepted: 7, delivered: 2, pending: 5 });
    sink.abandon("shutdown_timeout");
    sink.abandon("process_exit");
    expect(sink.stats()).toMatchObject({ accepted: 7, delivered: 2, pending: 0 });
    expect(sink.stats().dropped).toMatchObject({ shutdown_timeout: 5, process_exit: 0 });
    expect(await batch).toMatchObject({ code: "timeout" });
    expect(await flushed).toMatchObject({ code: "timeout" });
    await expect(sink.flush()).resolves.toBeUndefined();
    await expect(sink.close()).resolves.toBeUndefined();
    sink.write(events(7, 1)[0] as LogEvent);
    expect(sink.stats().dropped.closed).toBe(1);
  });

  test("a batch given up part-way rejects with the prefix it delivered", async () => {
    let calls = 0;
    const sink = createSink({
      name: "half",
      batchSize: 2,
      onError: quiet,
      deliver: () => {
        calls += 1;
        if (calls > 1) return new Promise<void>(() => {});
      },
    });
    const batch = sink.writeBatch(events(0, 5)).catch((error: unknown) => error);
    await new Promise((resolve) => setImmediate(resolve));
    sink.abandon("shutdown_timeout");
    const failure = await batch;
    expect(PartialDeliveryError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ delivered: 2, total: 5, cause: { code: "timeout" } });
    expect(sink.stats()).toMatchObject({ delivered: 2, pending: 0 });
    expect(sink.stats().dropped.shutdown_timeout).toBe(3);
  });
});

describe("createSink observeDelivery", () => {
  test("tells the timestamps of delivered events only, until stopped", async () => {
    let calls = 0;
    const sink = createSink({
      name: "observed",
      batchSize: 2,
      onError: quiet,
      deliver: () => {
        calls += 1;
        if (calls === 2) throw new PartialDeliveryError(1, 2);
      },
    });
    const seen: number[] = [];
    const stop = sink.observeDelivery((timestamps, from, to) => {
      for (let index = from; index < to; index++) seen.push(timestamps[index] as number);
    });
    const batch = events(0, 5).map((event, index) => ({ ...event, timestamp: 100 + index }));
    await sink.writeBatch(batch).catch(() => {});
    expect(seen).toEqual([100, 101, 102]);
    stop();
    await sink.writeBatch(events(5, 1));
    expect(seen).toHaveLength(3);
  });
});
