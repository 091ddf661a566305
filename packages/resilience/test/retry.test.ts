import { checkConservation, PartialDeliveryError } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { CircuitOpenError, defaultTransientCodes, withRetry } from "@sluice/resilience";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  deliver,
  events,
  failWith,
  numbers,
  type Outcome,
  scriptedSink,
  settle,
  systemError,
} from "./scripted-sink.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A retry over a sink that answers its calls with `outcomes` in turn, then delivers. */
function setup(outcomes: Outcome[], options: Parameters<typeof withRetry>[1] = {}) {
  const callTimes: number[] = [];
  const inner = scriptedSink((_batch, call) => {
    callTimes.push(performance.now());
    return outcomes[call] ?? deliver;
  });
  const retry = withRetry(inner, { random: () => 0, jitter: 0.5, ...options });
  return { inner, retry, callTimes };
}

const busy = failWith(systemError("EBUSY"));

describe("withRetry", () => {
  it("retries a transient failure after a capped exponential backoff", async () => {
    const { inner, retry, callTimes } = setup([busy, busy, busy, busy], {
      initialDelayMs: 100,
      maxDelayMs: 300,
      jitter: 0,
    });
    const start = performance.now();
    const delivery = retry.writeBatch(events(0, 3));
    await vi.runAllTimersAsync();
    await delivery;
    expect(callTimes.map((time) => time - start)).toEqual([0, 100, 300, 600, 900]);
    expect(numbers(inner.delivered)).toEqual([0, 1, 2]);
    const stats = retry.stats();
    expect(stats).toMatchObject({ accepted: 3, delivered: 3, failed: 0, retries: 4 });
    expect(checkConservation(stats)).toBeUndefined();
  });

  it("draws a share of each pause at random (jitter)", async () => {
    let draw = 0;
    const draws = [0, 0.5, 0.75];
    const { retry, callTimes } = setup([busy, busy, busy], {
      initialDelayMs: 100,
      multiplier: 1,
      jitter: 1,
      random: () => draws[draw++] ?? 0,
    });
    const start = performance.now();
    const delivery = retry.writeBatch(events(0, 1));
    await vi.runAllTimersAsync();
    await delivery;
    const gaps = callTimes.map((time, index) => time - (callTimes[index - 1] ?? start));
    expect(gaps.map(Math.round)).toEqual([0, 100, 50, 25]);
  });

  it("gives up after maxAttempts and passes the last error on", async () => {
    const last = systemError("EAGAIN");
    const { inner, retry } = setup([busy, busy, failWith(last), deliver], { maxAttempts: 3 });
    const delivery = retry.writeBatch(events(0, 2)).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    expect(await delivery).toBe(last);
    expect(inner.calls).toHaveLength(3);
    expect(retry.stats()).toMatchObject({ failed: 2, retries: 2, exhausted: 1, lastError: last });
  });

  it("starts no pause that would end past the deadline", async () => {
    const { inner, retry } = setup(Array(10).fill(busy), {
      initialDelayMs: 100,
      jitter: 0,
      deadlineMs: 350,
      maxAttempts: 10,
    });
    const delivery = retry.writeBatch(events(0, 1)).catch(() => {});
    await vi.runAllTimersAsync();
    await delivery;
    // Pauses of 100 and 200 end at 300; the next (400) would end at 700.
    expect(inner.calls).toHaveLength(3);
    expect(retry.stats()).toMatchObject({ exhausted: 1, failed: 1 });
  });

  it("does not retry an error that is not transient, nor a CircuitOpenError", async () => {
    for (const error of [
      systemError("ENOSPC"),
      new Error("plain"),
      new CircuitOpenError("b", 10),
    ]) {
      const { inner, retry } = setup([failWith(error)]);
      await expect(retry.writeBatch(events(0, 1))).rejects.toBe(error);
      expect(inner.calls).toHaveLength(1);
      expect(retry.stats()).toMatchObject({ permanent: 1, retries: 0 });
    }
  });

  it("finds a transient code in the cause chain, takes transientCodes and isTransient", async () => {
    const wrapped = new PartialDeliveryError(0, 1, { cause: systemError("ECONNRESET") });
    const first = setup([failWith(wrapped)]);
    const delivery = first.retry.writeBatch(events(0, 1));
    await vi.runAllTimersAsync();
    await delivery;
    expect(first.inner.calls).toHaveLength(2);

    const disk = setup([failWith(systemError("ENOSPC"))], {
      transientCodes: [...defaultTransientCodes, "ENOSPC"],
    });
    const diskDelivery = disk.retry.writeBatch(events(0, 1));
    await vi.runAllTimersAsync();
    await diskDelivery;
    expect(disk.inner.calls).toHaveLength(2);

    const custom = setup([failWith(new Error("try again")), busy], {
      isTransient: (error) => (error as Error).message === "try again",
    });
    const customDelivery = custom.retry.writeBatch(events(0, 1)).catch(() => {});
    await vi.runAllTimersAsync();
    await customDelivery;
    expect(custom.inner.calls).toHaveLength(2);
    expect(custom.retry.stats()).toMatchObject({ permanent: 1, retries: 1 });
  });

  it("retries only the undelivered rest of a partially delivered batch", async () => {
    const { inner, retry } = setup([
      failWith(new PartialDeliveryError(2, 5, { cause: systemError("EAGAIN") })),
      failWith(new PartialDeliveryError(1, 3, { cause: systemError("EAGAIN") })),
    ]);
    const delivery = retry.writeBatch(events(0, 5));
    await vi.runAllTimersAsync();
    await delivery;
    expect(inner.calls.map(numbers)).toEqual([
      [0, 1, 2, 3, 4],
      [2, 3, 4],
      [3, 4],
    ]);
    expect(numbers(inner.delivered)).toEqual([0, 1, 2, 3, 4]);
    expect(retry.stats()).toMatchObject({ delivered: 5, failed: 0, retries: 2 });
  });

  it("reports how much was delivered when a partially delivered batch finally fails", async () => {
    const { retry } = setup(
      [
        failWith(new PartialDeliveryError(2, 5, { cause: systemError("EAGAIN") })),
        failWith(systemError("EIO")),
      ],
      {},
    );
    const delivery = retry.writeBatch(events(0, 5)).catch((error: unknown) => error);
    await vi.runAllTimersAsync();
    const error = await delivery;
    expect(PartialDeliveryError.is(error)).toBe(true);
    expect(error).toMatchObject({ delivered: 2, total: 5, cause: { code: "EIO" } });
    expect(retry.stats()).toMatchObject({ delivered: 2, failed: 3, permanent: 1 });
  });

  it("keeps batches in order: a later batch waits for one that is being retried", async () => {
    const { inner, retry } = setup([busy, busy]);
    const first = retry.writeBatch(events(0, 2));
    const second = retry.writeBatch(events(2, 2));
    for (const event of events(4, 2)) retry.write(event);
    await vi.runAllTimersAsync();
    await Promise.all([first, second]);
    expect(inner.calls.map(numbers)).toEqual([
      [0, 1],
      [0, 1],
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
    expect(numbers(inner.delivered)).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("runs no retry after close() returns: a batch in its pause gets one last attempt at once", async () => {
    const { inner, retry } = setup(Array(10).fill(busy), { initialDelayMs: 10_000 });
    const delivery = retry.writeBatch(events(0, 1)).catch((error: unknown) => error);
    await settle();
    expect(inner.calls).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(1);
    const closing = retry.close();
    await closing.catch(() => {});
    expect(await delivery).toMatchObject({ code: "EBUSY" });
    expect(inner.calls).toHaveLength(2);
    expect(inner.closes).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    await vi.runAllTimersAsync();
    expect(inner.calls).toHaveLength(2);
    expect(retry.stats()).toMatchObject({ failed: 1, exhausted: 1, pending: 0 });
  });

  it("routes write through the same retries and reports a final failure to onError", async () => {
    const reported: unknown[] = [];
    const { inner, retry } = setup([busy, busy, busy], {
      maxAttempts: 2,
      onError: (error) => reported.push(error),
    });
    for (const event of events(0, 3)) retry.write(event);
    await vi.runAllTimersAsync();
    expect(inner.calls.map(numbers)).toEqual([
      [0, 1, 2],
      [0, 1, 2],
    ]);
    expect(reported).toEqual([expect.objectContaining({ code: "EBUSY" })]);
    expect(retry.stats()).toMatchObject({ accepted: 3, failed: 3, pending: 0 });
  });

  it("bounds what write holds while a batch is being retried", async () => {
    const { retry } = setup(Array(10).fill(busy), { maxPending: 4, onError: () => {} });
    for (const event of events(0, 6)) retry.write(event);
    const stats = retry.stats();
    expect(stats.dropped.buffer_full).toBe(2);
    expect(stats.pending).toBe(4);
    expect(checkConservation(stats)).toBeUndefined();
    await retry.close().catch(() => {});
  });

  it("validates its options with messages naming them", () => {
    const sink = createMemorySink();
    const cases: [object, string][] = [
      [{ maxAttempts: 0 }, 'Invalid option "maxAttempts": expected a positive integer'],
      [{ initialDelayMs: -1 }, 'Invalid option "initialDelayMs"'],
      [{ initialDelayMs: 500, maxDelayMs: 100 }, 'Invalid option "maxDelayMs"'],
      [{ multiplier: 0.5 }, 'Invalid option "multiplier"'],
      [{ jitter: 2 }, 'Invalid option "jitter": expected a number from 0 to 1'],
      [{ deadlineMs: Number.NaN }, 'Invalid option "deadlineMs"'],
      [{ transientCodes: "EAGAIN" }, 'Invalid option "transientCodes"'],
      [{ isTransient: true }, 'Invalid option "isTransient": expected a function'],
      [{ random: 1 }, 'Invalid option "random"'],
    ];
    for (const [options, message] of cases) {
      expect(() => withRetry(sink, options as never)).toThrow(message);
    }
    expect(() => withRetry(null as never)).toThrow(/withRetry expects a sink/);
  });
});
