import type { BatchSettled, LogEvent, Sink } from "@sluice/core";
import { checkConservation, deliveredCount, PartialDeliveryError } from "@sluice/core/sink";
import { CircuitOpenError, withCircuitBreaker, withFallback, withRetry } from "@sluice/resilience";
import { describe, expect, it, vi } from "vitest";
import { events, numbers, settle, systemError } from "./scripted-sink.ts";

interface Call {
  readonly events: readonly LogEvent[];
  readonly settled: BatchSettled | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface FakeSink extends Sink {
  /** Every writeBatch call, in order; its promise stays pending until settled by hand. */
  readonly calls: Call[];
  /** Events handed to write, in order. */
  readonly written: LogEvent[];
}

/**
 * A sink whose batches stay in flight until the test settles them: through the listener (as a
 * sink does inside flushSync at process exit, where promise reactions never run), through the
 * promise, or both. `onCall` runs inside writeBatch, to tell during the call.
 */
function fakeSink(name = "fake", onCall?: (call: Call) => void): FakeSink {
  const calls: Call[] = [];
  const written: LogEvent[] = [];
  return {
    name,
    calls,
    written,
    write: (event) => {
      written.push(event);
    },
    writeBatch(batch, settled) {
      return new Promise<void>((resolve, reject) => {
        const call = { events: [...batch], settled, resolve, reject };
        calls.push(call);
        onCall?.(call);
      });
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

/** A caller's listener that keeps what it is told. */
function listener(): { told: [number, unknown][]; settled: BatchSettled } {
  const told: [number, unknown][] = [];
  return { told, settled: (delivered, error) => told.push([delivered, error]) };
}

function call(sink: FakeSink, index: number): Call {
  const found = sink.calls[index];
  if (found === undefined) throw new Error(`no call ${index} (${sink.calls.length} calls)`);
  return found;
}

const permanent = (): Error => new Error("disk gone");

describe("withRetry and a batch's outcome told synchronously", () => {
  it("tells a full delivery the moment the wrapped sink tells it, and counts it once", async () => {
    const inner = fakeSink();
    const retry = withRetry(inner);
    const { told, settled } = listener();
    const delivery = retry.writeBatch(events(0, 3), settled);
    expect(call(inner, 0).settled).toBeTypeOf("function");
    call(inner, 0).settled?.(3);
    // No promise reaction has run: this is all a caller at process exit gets.
    expect(told).toEqual([[3, undefined]]);
    expect(retry.stats()).toMatchObject({ accepted: 3, delivered: 3, failed: 0, pending: 0 });
    // A late, contradicting promise changes nothing.
    call(inner, 0).reject(new Error("late"));
    await expect(delivery).resolves.toBeUndefined();
    expect(told).toHaveLength(1);
    expect(retry.stats()).toMatchObject({ delivered: 3, failed: 0 });
    expect(checkConservation(retry.stats())).toBeUndefined();
  });

  it("tells a partial delivery with a permanent failure at once, as its promise rejects", async () => {
    const inner = fakeSink();
    const retry = withRetry(inner);
    const { told, settled } = listener();
    const delivery = retry.writeBatch(events(0, 5), settled);
    const cause = permanent();
    call(inner, 0).settled?.(2, new PartialDeliveryError(2, 5, { cause }));
    expect(told).toHaveLength(1);
    const [delivered, error] = told[0] ?? [];
    expect(delivered).toBe(2);
    expect(deliveredCount(error, 5)).toBe(2);
    expect(retry.stats()).toMatchObject({ delivered: 2, failed: 3, pending: 0, permanent: 1 });
    await expect(delivery).rejects.toBe(error);
    expect(inner.calls).toHaveLength(1);
    expect(checkConservation(retry.stats())).toBeUndefined();
  });

  it("does not tell a transient failure it will retry; the retry's outcome comes by the promise", async () => {
    const inner = fakeSink();
    const retry = withRetry(inner, { initialDelayMs: 1, jitter: 0 });
    const { told, settled } = listener();
    const delivery = retry.writeBatch(events(0, 4), settled);
    call(inner, 0).settled?.(1, new PartialDeliveryError(1, 4, { cause: systemError("EBUSY") }));
    expect(told).toEqual([]);
    expect(retry.stats()).toMatchObject({ delivered: 0, pending: 4 });
    await vi.waitFor(() => expect(inner.calls).toHaveLength(2));
    // Only what was not delivered is tried again.
    expect(numbers(call(inner, 1).events)).toEqual([1, 2, 3]);
    call(inner, 1).resolve();
    await expect(delivery).resolves.toBeUndefined();
    expect(told).toEqual([]);
    expect(retry.stats()).toMatchObject({ delivered: 4, failed: 0, pending: 0, retries: 1 });
    expect(checkConservation(retry.stats())).toBeUndefined();
  });

  it("counts from the promise alone when the wrapped sink ignores the listener, as before", async () => {
    const inner = fakeSink();
    const retry = withRetry(inner);
    const { told, settled } = listener();
    const delivery = retry.writeBatch(events(0, 2), settled);
    expect(retry.stats().pending).toBe(2);
    await settle();
    call(inner, 0).resolve();
    await expect(delivery).resolves.toBeUndefined();
    expect(told).toEqual([]);
    expect(retry.stats()).toMatchObject({ delivered: 2, pending: 0 });
  });

  it("takes the first outcome told, also during the writeBatch call, and tells it once", async () => {
    const inner = fakeSink("eager", (batch) => {
      batch.settled?.(batch.events.length);
      batch.settled?.(0, new Error("second"));
    });
    const retry = withRetry(inner);
    const { told, settled } = listener();
    const delivery = retry.writeBatch(events(0, 3), settled);
    expect(told).toEqual([[3, undefined]]);
    call(inner, 0).reject(new Error("late"));
    await expect(delivery).resolves.toBeUndefined();
    await settle();
    expect(told).toHaveLength(1);
    expect(retry.stats()).toMatchObject({ accepted: 3, delivered: 3, failed: 0, pending: 0 });
  });

  it("starts the next batch the moment the one before is told delivered, so one flushSync drains them in order", () => {
    // As at process exit: the wrapped sink writes and tells inside flushSync, and no promise
    // reaction ever runs.
    const order: number[] = [];
    const held: (Call | LogEvent)[] = [];
    const inner: Sink = {
      name: "exit",
      write: (event) => {
        held.push(event);
      },
      writeBatch(batch, settled) {
        held.push({ events: [...batch], settled, resolve: () => {}, reject: () => {} });
        return new Promise<void>(() => {});
      },
      flushSync() {
        for (let item = held.shift(); item !== undefined; item = held.shift()) {
          if ("settled" in item) {
            order.push(...numbers(item.events));
            item.settled?.(item.events.length);
          } else {
            order.push(item.properties.N as number);
          }
        }
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const retry = withRetry(inner);
    const listeners = [listener(), listener(), listener()];
    void retry.writeBatch(events(0, 2), listeners[0]?.settled);
    void retry.writeBatch(events(2, 2), listeners[1]?.settled);
    void retry.writeBatch(events(4, 2), listeners[2]?.settled);
    for (const event of events(6, 2)) retry.write(event);
    retry.flushSync?.();
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(listeners.map(({ told }) => told)).toEqual([
      [[2, undefined]],
      [[2, undefined]],
      [[2, undefined]],
    ]);
    retry.abandon("process_exit");
    const stats = retry.stats();
    expect(stats).toMatchObject({ accepted: 8, delivered: 8, pending: 0 });
    expect(stats.dropped.process_exit).toBe(0);
    expect(checkConservation(stats)).toBeUndefined();
  });
});

describe("a wrapper's flushSync with a timeout", () => {
  it("gives the wrapped sink the caller's time, shared by both of its calls", () => {
    const given: (number | undefined)[] = [];
    const inner: Sink = {
      name: "slow exit",
      write: () => {},
      writeBatch: () => new Promise<void>(() => {}),
      flushSync(timeoutMs?: number) {
        given.push(timeoutMs);
        // A destination that takes what it is given: here, 30 ms of it.
        const until = performance.now() + 30;
        while (performance.now() < until) {
          // Busy, as a synchronous write to a slow pipe is.
        }
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    const spare: Sink = {
      name: "spare",
      write: () => {},
      writeBatch: () => Promise.resolve(),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    for (const wrapper of [
      withRetry(inner),
      withCircuitBreaker(inner),
      withFallback(inner, spare),
    ]) {
      given.length = 0;
      void wrapper.writeBatch(events(0, 2));
      for (const event of events(2, 2)) wrapper.write(event);
      wrapper.flushSync?.(50);
      expect(given.length).toBeGreaterThan(0);
      for (const timeoutMs of given) {
        expect(timeoutMs).toBeDefined();
        expect(timeoutMs).toBeLessThanOrEqual(50);
      }
      // The second call gets what the first left.
      if (given.length > 1) expect(given[1]).toBeLessThanOrEqual(20 + 1);
      wrapper.flushSync?.();
      expect(given.at(-1)).toBeUndefined();
      wrapper.abandon?.("process_exit");
    }
  });
});

describe("withCircuitBreaker and a batch's outcome told synchronously", () => {
  it("passes the listener through while closed and tells a full delivery at once", async () => {
    const inner = fakeSink();
    const breaker = withCircuitBreaker(inner);
    const { told, settled } = listener();
    const delivery = breaker.writeBatch(events(0, 3), settled);
    call(inner, 0).settled?.(3);
    expect(told).toEqual([[3, undefined]]);
    expect(breaker.stats()).toMatchObject({ delivered: 3, pending: 0, consecutiveFailures: 0 });
    call(inner, 0).reject(new Error("late"));
    await expect(delivery).resolves.toBeUndefined();
    expect(told).toHaveLength(1);
    expect(breaker.stats()).toMatchObject({ delivered: 3, failed: 0 });
    expect(checkConservation(breaker.stats())).toBeUndefined();
  });

  it("tells a partial delivery at once and judges it as a failure then", async () => {
    const inner = fakeSink();
    const breaker = withCircuitBreaker(inner, { failureThreshold: 1 });
    const { told, settled } = listener();
    const delivery = breaker.writeBatch(events(0, 4), settled);
    const failure = new PartialDeliveryError(3, 4, { cause: permanent() });
    call(inner, 0).settled?.(3, failure);
    expect(told).toEqual([[3, failure]]);
    expect(breaker.state).toBe("open");
    expect(breaker.stats()).toMatchObject({ delivered: 3, failed: 1, pending: 0, opened: 1 });
    await expect(delivery).rejects.toBe(failure);
    expect(checkConservation(breaker.stats())).toBeUndefined();
  });

  it("tells a refusal at once while open", async () => {
    const inner = fakeSink();
    const breaker = withCircuitBreaker(inner, { failureThreshold: 1 });
    void breaker.writeBatch(events(0, 1)).catch(() => {});
    call(inner, 0).settled?.(0, permanent());
    expect(breaker.state).toBe("open");
    const { told, settled } = listener();
    const refused = breaker.writeBatch(events(1, 2), settled);
    expect(told).toHaveLength(1);
    expect(told[0]?.[0]).toBe(0);
    expect(CircuitOpenError.is(told[0]?.[1])).toBe(true);
    await expect(refused).rejects.toBe(told[0]?.[1]);
    expect(breaker.stats().dropped.circuit_open).toBe(2);
    expect(inner.calls).toHaveLength(1);
    expect(checkConservation(breaker.stats())).toBeUndefined();
  });

  it("closes the circuit the moment a probe is told delivered", () => {
    let now = 0;
    const inner = fakeSink();
    const breaker = withCircuitBreaker(inner, {
      failureThreshold: 1,
      resetTimeoutMs: 100,
      now: () => now,
    });
    void breaker.writeBatch(events(0, 1)).catch(() => {});
    call(inner, 0).settled?.(0, permanent());
    now = 100;
    const { told, settled } = listener();
    void breaker.writeBatch(events(1, 2), settled);
    expect(breaker.state).toBe("half-open");
    call(inner, 1).settled?.(2);
    expect(breaker.state).toBe("closed");
    expect(told).toEqual([[2, undefined]]);
    expect(breaker.stats()).toMatchObject({ delivered: 2, failed: 1, pending: 0, probes: 1 });
  });

  it("counts from the promise alone when the wrapped sink ignores the listener, as before", async () => {
    const inner = fakeSink();
    const breaker = withCircuitBreaker(inner);
    const { told, settled } = listener();
    const delivery = breaker.writeBatch(events(0, 2), settled);
    call(inner, 0).reject(new PartialDeliveryError(1, 2));
    await expect(delivery).rejects.toBeInstanceOf(PartialDeliveryError);
    expect(told).toEqual([]);
    expect(breaker.stats()).toMatchObject({ delivered: 1, failed: 1, consecutiveFailures: 1 });
  });

  it("takes the first outcome told, also during the writeBatch call, and judges it once", async () => {
    const inner = fakeSink("eager", (batch) => {
      batch.settled?.(0, permanent());
      batch.settled?.(batch.events.length);
      batch.reject(permanent());
    });
    const breaker = withCircuitBreaker(inner, { failureThreshold: 2 });
    const { told, settled } = listener();
    await expect(breaker.writeBatch(events(0, 3), settled)).rejects.toThrow("disk gone");
    expect(told).toHaveLength(1);
    expect(told[0]?.[0]).toBe(0);
    expect(breaker.stats()).toMatchObject({
      delivered: 0,
      failed: 3,
      consecutiveFailures: 1,
      state: "closed",
    });
  });
});

describe("withFallback and a batch's outcome told synchronously", () => {
  it("tells the primary's full delivery at once, and counts it once on its route", async () => {
    const primary = fakeSink("primary");
    const spare = fakeSink("spare");
    const fallback = withFallback(primary, spare);
    const { told, settled } = listener();
    const delivery = fallback.writeBatch(events(0, 3), settled);
    call(primary, 0).settled?.(3);
    call(primary, 0).settled?.(0, permanent());
    expect(told).toEqual([[3, undefined]]);
    expect(fallback.stats()).toMatchObject({ delivered: 3, pending: 0 });
    call(primary, 0).reject(permanent());
    await expect(delivery).resolves.toBeUndefined();
    expect(spare.calls).toHaveLength(0);
    expect(fallback.stats().routes).toEqual([
      { name: "primary", delivered: 3, failed: 0 },
      { name: "spare", delivered: 0, failed: 0 },
    ]);
    expect(checkConservation(fallback.stats())).toBeUndefined();
  });

  it("does not tell a primary's failure, hands the rest on, and lets the promise tell", async () => {
    const primary = fakeSink("primary");
    const spare = fakeSink("spare");
    const failures: number[] = [];
    const fallback = withFallback(primary, spare, {
      onFailure: (_error, rest) => failures.push(rest.length),
    });
    const { told, settled } = listener();
    const delivery = fallback.writeBatch(events(0, 5), settled);
    call(primary, 0).settled?.(2, new PartialDeliveryError(2, 5, { cause: permanent() }));
    // Not handed on inside the failed destination's listener, and not told yet.
    expect(spare.calls).toHaveLength(0);
    expect(told).toEqual([]);
    expect(fallback.stats().pending).toBe(5);
    await settle();
    expect(numbers(call(spare, 0).events)).toEqual([2, 3, 4]);
    call(primary, 0).reject(permanent());
    call(spare, 0).resolve();
    await expect(delivery).resolves.toBeUndefined();
    expect(told).toEqual([]);
    expect(failures).toEqual([3]);
    expect(fallback.stats()).toMatchObject({ delivered: 5, failed: 0, pending: 0 });
    expect(fallback.stats().routes).toEqual([
      { name: "primary", delivered: 2, failed: 3 },
      { name: "spare", delivered: 3, failed: 0 },
    ]);
  });

  it("tells the last destination's failure at once when it is told", async () => {
    const primary = fakeSink("primary");
    const spare = fakeSink("spare");
    const fallback = withFallback(primary, spare, { onError: () => {} });
    const { told, settled } = listener();
    const delivery = fallback.writeBatch(events(0, 4), settled);
    call(primary, 0).reject(permanent());
    await settle();
    const last = permanent();
    call(spare, 0).settled?.(1, last);
    expect(told).toHaveLength(1);
    expect(told[0]?.[0]).toBe(1);
    expect(deliveredCount(told[0]?.[1], 4)).toBe(1);
    await expect(delivery).rejects.toBe(told[0]?.[1]);
    expect(fallback.stats()).toMatchObject({ delivered: 1, failed: 3, pending: 0 });
    expect(checkConservation(fallback.stats())).toBeUndefined();
  });

  it("counts from the promise alone when the destinations ignore the listener, as before", async () => {
    const primary = fakeSink("primary");
    const spare = fakeSink("spare");
    const fallback = withFallback(primary, spare);
    const { told, settled } = listener();
    const delivery = fallback.writeBatch(events(0, 2), settled);
    await settle();
    call(primary, 0).resolve();
    await expect(delivery).resolves.toBeUndefined();
    expect(told).toEqual([]);
    expect(fallback.stats()).toMatchObject({ delivered: 2, pending: 0 });
  });
});
