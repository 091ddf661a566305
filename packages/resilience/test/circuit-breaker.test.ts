import { LoggingError } from "@sluice/core";
import { checkConservation, PartialDeliveryError, walkSinkChain } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import {
  CircuitOpenError,
  type CircuitState,
  type CircuitTransitionReason,
  ProbeTimeoutError,
  withCircuitBreaker,
  withRetry,
} from "@sluice/resilience";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  deliver,
  events,
  failWith,
  hang,
  numbers,
  type Outcome,
  scriptedSink,
  settle,
  systemError,
} from "./scripted-sink.ts";

type Transition = [CircuitState, CircuitState, CircuitTransitionReason];

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

/** A breaker over a sink that follows `outcome()` on every call. */
function setup(outcome: () => Outcome, options: Parameters<typeof withCircuitBreaker>[1] = {}) {
  const inner = scriptedSink(() => outcome());
  const transitions: Transition[] = [];
  const breaker = withCircuitBreaker(inner, {
    failureThreshold: 3,
    resetTimeoutMs: 1000,
    probeTimeoutMs: 500,
    onStateChange: (from, to, reason) => transitions.push([from, to, reason]),
    ...options,
  });
  return { inner, breaker, transitions };
}

const down = failWith(systemError("EIO"));

describe("withCircuitBreaker: closed to open", () => {
  it("opens after failureThreshold consecutive failures, and a success resets the count", async () => {
    let next: Outcome = down;
    const { inner, breaker, transitions } = setup(() => next);
    for (const batch of [events(0, 2), events(2, 2)]) {
      await expect(breaker.writeBatch(batch)).rejects.toMatchObject({ code: "EIO" });
    }
    next = deliver;
    await breaker.writeBatch(events(4, 2));
    next = down;
    for (let round = 0; round < 2; round++) {
      await expect(breaker.writeBatch(events(6 + round * 2, 2))).rejects.toMatchObject({
        code: "EIO",
      });
    }
    expect(breaker.state).toBe("closed");
    expect(breaker.stats().consecutiveFailures).toBe(2);
    await expect(breaker.writeBatch(events(10, 2))).rejects.toMatchObject({ code: "EIO" });
    expect(breaker.state).toBe("open");
    expect(transitions).toEqual([["closed", "open", "failure-threshold"]]);
    expect(inner.calls).toHaveLength(6);
    const stats = breaker.stats();
    expect(stats).toMatchObject({
      accepted: 12,
      delivered: 2,
      failed: 10,
      opened: 1,
      state: "open",
    });
    expect(checkConservation(stats)).toBeUndefined();
  });

  it("while open, refuses batches at once with CircuitOpenError without touching the sink", async () => {
    const { inner, breaker } = setup(() => down);
    for (let round = 0; round < 3; round++) await breaker.writeBatch(events(0, 1)).catch(() => {});
    vi.advanceTimersByTime(400);
    const refused = breaker.writeBatch(events(10, 4));
    const error = await refused.catch((caught: unknown) => caught);
    expect(CircuitOpenError.is(error)).toBe(true);
    expect(LoggingError.is(error)).toBe(true);
    expect(error).toMatchObject({ breaker: breaker.name, retryAfterMs: 600 });
    expect(inner.calls).toHaveLength(3);
    const stats = breaker.stats();
    expect(stats.dropped.circuit_open).toBe(4);
    expect(stats.rejectedBatches).toBe(1);
    expect(stats.failed).toBe(3);
    expect(checkConservation(stats)).toBeUndefined();
  });

  it("counts a partial delivery exactly and treats it as a failure", async () => {
    const { breaker } = setup(() => failWith(new PartialDeliveryError(3, 5)), {
      failureThreshold: 1,
    });
    const error = await breaker.writeBatch(events(0, 5)).catch((caught: unknown) => caught);
    expect(PartialDeliveryError.is(error)).toBe(true);
    expect(breaker.stats()).toMatchObject({ accepted: 5, delivered: 3, failed: 2, state: "open" });
  });

  it("opens on the failure ratio over the window once the minimum volume is reached", async () => {
    let call = 0;
    const { breaker, transitions } = setup(() => (call++ % 2 === 0 ? down : deliver), {
      failureThreshold: 100,
      failureRate: { threshold: 0.5, windowMs: 1000, minimumBatches: 10 },
    });
    for (let batch = 0; batch < 9; batch++) {
      await breaker.writeBatch(events(batch, 1)).catch(() => {});
      vi.advanceTimersByTime(10);
    }
    expect(breaker.state).toBe("closed");
    await breaker.writeBatch(events(9, 1)).catch(() => {});
    expect(breaker.state).toBe("closed"); // the tenth batch succeeded: 5 failures of 10
    await breaker.writeBatch(events(10, 1)).catch(() => {});
    expect(breaker.state).toBe("open");
    expect(transitions).toEqual([["closed", "open", "failure-rate"]]);
  });

  it("forgets outcomes older than the window", async () => {
    let call = 0;
    const { breaker } = setup(() => (call++ < 8 ? down : deliver), {
      failureThreshold: 100,
      failureRate: { threshold: 0.5, windowMs: 1000, minimumBatches: 10 },
    });
    for (let batch = 0; batch < 8; batch++)
      await breaker.writeBatch(events(batch, 1)).catch(() => {});
    vi.advanceTimersByTime(1500);
    for (let batch = 0; batch < 10; batch++) await breaker.writeBatch(events(batch, 1));
    // Eight failures, then ten successes after the window moved on: 0 of 10 in the window.
    expect(breaker.state).toBe("closed");
  });
});

describe("withCircuitBreaker: half-open", () => {
  async function openBreaker(options: Parameters<typeof withCircuitBreaker>[1] = {}) {
    let next: Outcome = down;
    const context = setup(() => next, options);
    for (let round = 0; round < 3; round++) {
      await context.breaker.writeBatch(events(round, 1)).catch(() => {});
    }
    expect(context.breaker.state).toBe("open");
    const setNext = (outcome: Outcome): void => {
      next = outcome;
    };
    return { ...context, setNext };
  }

  it("lets exactly one of 1,000 concurrent batches through as the probe and refuses the rest at once", async () => {
    const { inner, breaker, setNext, transitions } = await openBreaker();
    setNext(hang);
    vi.advanceTimersByTime(1000);
    const outcomes = Array.from({ length: 1000 }, (_, index) =>
      breaker.writeBatch(events(100 + index, 2)).then(
        () => "delivered",
        (error: unknown) => (CircuitOpenError.is(error) ? "refused" : "failed"),
      ),
    );
    expect(inner.calls).toHaveLength(4);
    expect(numbers(inner.calls[3] ?? [])).toEqual([100, 101]);
    expect(breaker.state).toBe("half-open");
    // The refusals settle without waiting for the probe.
    await settle();
    const refusedSoFar = await Promise.all(outcomes.slice(1));
    expect(refusedSoFar.every((outcome) => outcome === "refused")).toBe(true);
    expect(breaker.stats()).toMatchObject({ rejectedBatches: 999, probes: 1, pending: 2 });
    expect(breaker.stats().dropped.circuit_open).toBe(1998);
    inner.hanging[0]?.resolve();
    expect(await outcomes[0]).toBe("delivered");
    expect(breaker.state).toBe("closed");
    expect(transitions).toEqual([
      ["closed", "open", "failure-threshold"],
      ["open", "half-open", "reset-timeout"],
      ["half-open", "closed", "probe-succeeded"],
    ]);
    const stats = breaker.stats();
    expect(stats).toMatchObject({ accepted: 2003, delivered: 2, failed: 3, pending: 0 });
    expect(checkConservation(stats)).toBeUndefined();
  });

  it("stays open until resetTimeoutMs has passed", async () => {
    const { inner, breaker, setNext } = await openBreaker();
    setNext(deliver);
    vi.advanceTimersByTime(999);
    await expect(breaker.writeBatch(events(10, 1))).rejects.toSatisfy(CircuitOpenError.is);
    expect(inner.calls).toHaveLength(3);
    vi.advanceTimersByTime(1);
    await breaker.writeBatch(events(11, 1));
    expect(inner.calls).toHaveLength(4);
    expect(breaker.state).toBe("closed");
  });

  it("reopens when the probe fails", async () => {
    const { breaker, transitions } = await openBreaker();
    vi.advanceTimersByTime(1000);
    await expect(breaker.writeBatch(events(10, 1))).rejects.toMatchObject({ code: "EIO" });
    expect(breaker.state).toBe("open");
    expect(transitions.at(-1)).toEqual(["half-open", "open", "probe-failed"]);
    expect(breaker.stats()).toMatchObject({ opened: 2, probes: 1 });
  });

  it("times out a probe that never settles, counts it as failed and reopens", async () => {
    const { inner, breaker, setNext, transitions } = await openBreaker();
    setNext(hang);
    vi.advanceTimersByTime(1000);
    const probe = breaker.writeBatch(events(10, 3)).catch((error: unknown) => error);
    vi.advanceTimersByTime(499);
    expect(breaker.state).toBe("half-open");
    vi.advanceTimersByTime(1);
    const error = await probe;
    expect(ProbeTimeoutError.is(error)).toBe(true);
    expect(error).toMatchObject({ code: "timeout", timeoutMs: 500 });
    expect(breaker.state).toBe("open");
    expect(transitions.at(-1)).toEqual(["half-open", "open", "probe-timeout"]);
    expect(breaker.stats()).toMatchObject({ probeTimeouts: 1, failed: 6, pending: 0 });
    // A late outcome of the timed-out probe decides nothing.
    inner.hanging[0]?.resolve();
    await settle();
    expect(breaker.state).toBe("open");
    expect(vi.getTimerCount()).toBe(0);
  });

  it("grows the open period with the backoff multiplier, up to its cap, and starts again after closing", async () => {
    const { inner, breaker, setNext } = await openBreaker({
      resetBackoffMultiplier: 2,
      maxResetTimeoutMs: 3000,
    });
    const openPeriods: number[] = [];
    for (let round = 0; round < 4; round++) {
      // Find how long the circuit stays open by stepping 100 ms at a time.
      let waited = 0;
      const callsBefore = inner.calls.length;
      while (inner.calls.length === callsBefore) {
        vi.advanceTimersByTime(100);
        waited += 100;
        await breaker.writeBatch(events(round, 1)).catch(() => {});
      }
      openPeriods.push(waited);
      expect(breaker.state).toBe("open");
    }
    expect(openPeriods).toEqual([1000, 2000, 3000, 3000]);
    expect(breaker.stats().resetTimeoutMs).toBe(3000);
    setNext(deliver);
    vi.advanceTimersByTime(3000);
    await breaker.writeBatch(events(50, 1));
    expect(breaker.state).toBe("closed");
    expect(breaker.stats().resetTimeoutMs).toBe(1000);
  });

  it("reset() closes the circuit at once, and the outcome of a probe in flight then decides nothing", async () => {
    const { inner, breaker, setNext, transitions } = await openBreaker();
    setNext(hang);
    vi.advanceTimersByTime(1000);
    const probe = breaker.writeBatch(events(10, 1)).catch((error: unknown) => error);
    breaker.reset();
    expect(breaker.state).toBe("closed");
    expect(transitions.at(-1)).toEqual(["half-open", "closed", "reset"]);
    inner.hanging[0]?.reject(systemError("EIO"));
    await probe;
    expect(breaker.state).toBe("closed");
    expect(breaker.stats().consecutiveFailures).toBe(0);
    setNext(deliver);
    await breaker.writeBatch(events(11, 1));
    expect(inner.calls).toHaveLength(5);
  });

  it("keeps the open duration on the monotonic clock when the wall clock jumps an hour either way", async () => {
    const { inner, breaker, setNext } = await openBreaker();
    setNext(deliver);
    vi.setSystemTime(Date.now() + 3_600_000);
    await expect(breaker.writeBatch(events(10, 1))).rejects.toSatisfy(CircuitOpenError.is);
    vi.advanceTimersByTime(500);
    vi.setSystemTime(Date.now() - 2 * 3_600_000);
    await expect(breaker.writeBatch(events(11, 1))).rejects.toSatisfy(CircuitOpenError.is);
    vi.advanceTimersByTime(499);
    await expect(breaker.writeBatch(events(12, 1))).rejects.toSatisfy(CircuitOpenError.is);
    expect(inner.calls).toHaveLength(3);
    vi.advanceTimersByTime(1);
    await breaker.writeBatch(events(13, 1));
    expect(breaker.state).toBe("closed");
  });

  it("uses an injected clock for open periods", async () => {
    let now = 0;
    const { inner, breaker, setNext } = await openBreaker({ now: () => now });
    setNext(deliver);
    vi.advanceTimersByTime(10_000); // timers move, the injected clock does not
    await expect(breaker.writeBatch(events(10, 1))).rejects.toSatisfy(CircuitOpenError.is);
    now = 1000;
    await breaker.writeBatch(events(11, 1));
    expect(numbers(inner.delivered)).toEqual([11]);
  });
});

/**
 * A breaker over a retry over a sink: two events fail and open the circuit, then the probe of
 * three hangs below the retry and times out. The retry holds the hung probe (and would hold every
 * later batch behind it), so its flush, and the breaker's close, could wait forever.
 */
async function timedOutHungProbe() {
  let next: Outcome = down;
  const inner = scriptedSink(() => next);
  const retry = withRetry(inner, { maxAttempts: 1 });
  const breaker = withCircuitBreaker(retry, {
    failureThreshold: 1,
    resetTimeoutMs: 100,
    probeTimeoutMs: 500,
  });
  await breaker.writeBatch(events(0, 2)).catch(() => {});
  expect(breaker.state).toBe("open");
  next = hang;
  vi.advanceTimersByTime(100);
  const probe = breaker.writeBatch(events(2, 3)).catch((error: unknown) => error);
  vi.advanceTimersByTime(500);
  return { inner, retry, breaker, probe };
}

describe("withCircuitBreaker: the sink around it", () => {
  it("ends close() when a timed-out probe never settles below it, giving the held events up as counted", async () => {
    const { retry, breaker, probe } = await timedOutHungProbe();
    expect(ProbeTimeoutError.is(await probe)).toBe(true);
    let closed: unknown = "pending";
    breaker.close().then(
      () => {
        closed = "ok";
      },
      (error: unknown) => {
        closed = error;
      },
    );
    await settle();
    expect(closed).toBe("pending");
    // One more probe period for the wrapped sink to settle it, then it is given up.
    await vi.advanceTimersByTimeAsync(499);
    expect(closed).toBe("pending");
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(closed).not.toBe("pending");
    expect(LoggingError.is(closed) && closed.code === "timeout").toBe(true);
    expect(breaker.stats()).toMatchObject({ accepted: 5, failed: 5, pending: 0 });
    expect(retry.stats()).toMatchObject({ accepted: 5, failed: 2, pending: 0 });
    expect(retry.stats().dropped.shutdown_timeout).toBe(3);
    expect(checkConservation(retry.stats())).toBeUndefined();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("waits for a timed-out probe that settles late, without abandoning anything", async () => {
    const { inner, retry, breaker, probe } = await timedOutHungProbe();
    await probe;
    const closing = breaker.close();
    await vi.advanceTimersByTimeAsync(200);
    inner.hanging[0]?.resolve();
    await closing;
    expect(retry.stats()).toMatchObject({ accepted: 5, delivered: 3, failed: 2, pending: 0 });
    expect(retry.stats().dropped.shutdown_timeout).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("routes write through the same gate: refused events are counted and reported, never thrown", async () => {
    const reported: unknown[] = [];
    const { inner, breaker } = setup(() => down, { onError: (error) => reported.push(error) });
    for (let round = 0; round < 3; round++)
      await breaker.writeBatch(events(round, 1)).catch(() => {});
    for (const event of events(10, 5)) breaker.write(event);
    await vi.advanceTimersToNextTimerAsync();
    await settle();
    expect(inner.calls).toHaveLength(3);
    expect(reported.some(CircuitOpenError.is)).toBe(true);
    const stats = breaker.stats();
    expect(stats).toMatchObject({ accepted: 8, failed: 3, pending: 0 });
    expect(stats.dropped.circuit_open).toBe(5);
  });

  it("passes flush, close and flushSync through, exposes inner, and closes once", async () => {
    vi.useRealTimers();
    const inner = createMemorySink();
    const breaker = withCircuitBreaker(inner);
    expect(walkSinkChain(breaker)).toEqual([breaker, inner]);
    expect(typeof breaker.flushSync).toBe("function");
    breaker.write(events(0, 1)[0] as never);
    breaker.flushSync?.();
    expect(numbers(inner.events)).toEqual([0]);
    const first = breaker.close();
    expect(breaker.close()).toBe(first);
    await first;
    expect(inner.closed).toBe(true);
    const bare = scriptedSink(() => deliver);
    expect(withCircuitBreaker(bare).flushSync).toBeUndefined();
  });

  it("reports a throwing onStateChange instead of throwing it", async () => {
    const reported: unknown[] = [];
    const { breaker } = setup(() => down, {
      onStateChange: () => {
        throw new Error("callback broke");
      },
      onError: (error) => reported.push(error),
    });
    for (let round = 0; round < 3; round++)
      await breaker.writeBatch(events(round, 1)).catch(() => {});
    expect(breaker.state).toBe("open");
    expect(reported).toEqual([expect.objectContaining({ message: "callback broke" })]);
  });

  it("validates its options with messages naming them", () => {
    const sink = createMemorySink();
    const cases: [object, string][] = [
      [{ failureThreshold: 0 }, 'Invalid option "failureThreshold": expected a positive integer'],
      [{ resetTimeoutMs: -1 }, 'Invalid option "resetTimeoutMs"'],
      [{ resetTimeoutMs: 5000, maxResetTimeoutMs: 10 }, 'Invalid option "maxResetTimeoutMs"'],
      [{ resetBackoffMultiplier: 0.5 }, 'Invalid option "resetBackoffMultiplier"'],
      [{ probeTimeoutMs: 1.5 }, 'Invalid option "probeTimeoutMs"'],
      [{ failureRate: { threshold: 0 } }, 'Invalid option "failureRate.threshold"'],
      [{ failureRate: { threshold: 2 } }, 'Invalid option "failureRate.threshold"'],
      [{ failureRate: { threshold: 0.5, minimumBatches: 0 } }, "failureRate.minimumBatches"],
      [{ onStateChange: "yes" }, 'Invalid option "onStateChange": expected a function'],
      [{ now: 5 }, 'Invalid option "now"'],
      [{ maxPending: 0 }, 'Invalid option "maxPending"'],
      [{ name: 3 }, 'Invalid option "name"'],
    ];
    for (const [options, message] of cases) {
      expect(() => withCircuitBreaker(sink, options as never)).toThrow(message);
    }
    expect(() => withCircuitBreaker({} as never)).toThrow(/withCircuitBreaker expects a sink/);
  });
});
