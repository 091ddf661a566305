import type { LogEvent, SinkStats } from "@sluice/core";
import { checkConservation, PartialDeliveryError, walkSinkChain } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { withCircuitBreaker, withFallback, withRetry } from "@sluice/resilience";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  deliver,
  events,
  failWith,
  numbers,
  type Outcome,
  scriptedSink,
  systemError,
} from "./scripted-sink.ts";

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const partial = (delivered: number, total: number, code: string): Outcome =>
  failWith(new PartialDeliveryError(delivered, total, { cause: systemError(code) }));

function expectBalanced(...all: SinkStats[]): void {
  for (const stats of all) {
    expect(checkConservation(stats)).toBeUndefined();
    expect(stats.pending).toBe(0);
  }
}

/**
 * Runs batches through fallback(breaker(retry(primary)), [spare, memory]) where the primary and
 * the spare fail as `primaryScript` and `spareScript` say, then checks that every event landed in
 * exactly one destination, in order within each, with exact counts on every component.
 */
async function runChain(
  batchSizes: readonly number[],
  primaryScript: (events: readonly LogEvent[], call: number) => Outcome,
  spareScript: (events: readonly LogEvent[], call: number) => Outcome,
): Promise<void> {
  const primary = scriptedSink(primaryScript, "primary");
  const retry = withRetry(primary, { maxAttempts: 3, initialDelayMs: 5, jitter: 0 });
  const breaker = withCircuitBreaker(retry, { failureThreshold: 2, resetTimeoutMs: 40 });
  const spare = scriptedSink(spareScript, "spare");
  const last = createMemorySink({ name: "last" });
  const failures: { error: unknown; events: number[] }[] = [];
  const chain = withFallback(breaker, [spare, last], {
    onFailure: (error, undelivered) => failures.push({ error, events: numbers(undelivered) }),
  });

  let next = 0;
  for (const [index, size] of batchSizes.entries()) {
    const batch = events(next, size);
    next += size;
    if (index % 4 === 3) {
      // Every fourth batch comes through write, the way an application without a queue sends it.
      for (const event of batch) chain.write(event);
      await vi.advanceTimersToNextTimerAsync();
    } else {
      const delivery = chain.writeBatch(batch);
      await vi.runAllTimersAsync();
      await delivery;
    }
    vi.advanceTimersByTime(15);
  }
  await vi.runAllTimersAsync();
  await chain.flush();

  const landed = [
    ...numbers(primary.delivered),
    ...numbers(spare.delivered),
    ...numbers(last.events),
  ];
  expect(landed.sort((a, b) => a - b)).toEqual(Array.from({ length: next }, (_, index) => index));
  for (const destination of [primary.delivered, spare.delivered, last.events]) {
    const order = numbers(destination);
    expect(order).toEqual([...order].sort((a, b) => a - b));
  }

  const chainStats = chain.stats();
  const breakerStats = breaker.stats();
  const retryStats = retry.stats();
  expectBalanced(
    chainStats,
    breakerStats,
    retryStats,
    primary.stats(),
    spare.stats(),
    last.stats(),
  );
  expect(chainStats).toMatchObject({ accepted: next, delivered: next, failed: 0 });
  expect(chainStats.routes).toEqual([
    {
      name: breaker.name,
      delivered: primary.delivered.length,
      failed: next - primary.delivered.length,
    },
    {
      name: "spare",
      delivered: spare.delivered.length,
      failed: next - primary.delivered.length - spare.delivered.length,
    },
    { name: "last", delivered: last.events.length, failed: 0 },
  ]);
  expect(breakerStats.accepted).toBe(next);
  expect(breakerStats.delivered).toBe(primary.delivered.length);
  expect(breakerStats.failed + breakerStats.dropped.circuit_open).toBe(
    next - primary.delivered.length,
  );
  expect(retryStats.accepted).toBe(next - breakerStats.dropped.circuit_open);
  expect(retryStats.delivered).toBe(primary.delivered.length);
  expect(retryStats.failed).toBe(breakerStats.failed);
  expect(spare.stats().accepted).toBe(
    (chainStats.routes[1]?.delivered ?? 0) + (chainStats.routes[1]?.failed ?? 0),
  );
  expect(last.stats().accepted).toBe(last.events.length);
  // onFailure saw exactly the events each destination passed on, once each.
  const passedOn = failures.flatMap((failure) => failure.events);
  expect(passedOn.length).toBe(
    (chainStats.routes[0]?.failed ?? 0) + (chainStats.routes[1]?.failed ?? 0),
  );
  await chain.close();
  expect(primary.closes).toBe(1);
  expect(spare.closes).toBe(1);
  expect(last.closed).toBe(true);
}

describe("withFallback", () => {
  it("behind a primary that fails part-way every fifth batch: every event in exactly one destination, counts exact everywhere", async () => {
    const sizes = Array.from({ length: 120 }, (_, index) => 1 + ((index * 7) % 9));
    await runChain(
      sizes,
      (batch, call) => {
        if (call % 5 === 4) return partial(Math.floor(batch.length / 2), batch.length, "EIO");
        if (call % 11 === 7) return partial(1, batch.length, "EAGAIN");
        return deliver;
      },
      (batch, call) =>
        call % 3 === 2 ? partial(Math.floor(batch.length / 3), batch.length, "EIO") : deliver,
    );
  });

  it("keeps every event in exactly one destination for any pattern of faults (property)", async () => {
    const outcome = fc.oneof(
      fc.constant<"deliver">("deliver"),
      fc.constant<"fail">("fail"),
      fc.constant<"transient">("transient"),
      fc.double({ min: 0, max: 1, noNaN: true }),
    );
    const toScript =
      (plan: readonly (string | number)[]) =>
      (batch: readonly LogEvent[], call: number): Outcome => {
        const step = plan[call % plan.length] ?? "deliver";
        if (step === "deliver") return deliver;
        if (step === "fail") return failWith(systemError("EIO"));
        if (step === "transient") return failWith(systemError("EAGAIN"));
        return partial(Math.floor((step as number) * batch.length), batch.length, "EIO");
      };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 30 }),
        fc.array(outcome, { minLength: 1, maxLength: 12 }),
        fc.array(outcome, { minLength: 1, maxLength: 12 }),
        async (sizes, primaryPlan, sparePlan) => {
          await runChain(sizes, toScript(primaryPlan), toScript(sparePlan));
        },
      ),
      { numRuns: 150 },
    );
  });

  it("passes only the undelivered rest on and tells onFailure about it", async () => {
    const failure = new PartialDeliveryError(2, 5, { cause: systemError("EIO") });
    const primary = scriptedSink(() => failWith(failure), "primary");
    const spare = createMemorySink({ name: "spare" });
    const seen: [unknown, number[], string | undefined][] = [];
    const chain = withFallback(primary, spare, {
      onFailure: (error, rest, destination) => seen.push([error, numbers(rest), destination.name]),
    });
    await chain.writeBatch(events(0, 5));
    expect(numbers(primary.delivered)).toEqual([0, 1]);
    expect(numbers(spare.events)).toEqual([2, 3, 4]);
    expect(seen).toEqual([[failure, [2, 3, 4], "primary"]]);
    expect(chain.stats()).toMatchObject({
      accepted: 5,
      delivered: 5,
      failed: 0,
      routes: [
        { name: "primary", delivered: 2, failed: 3 },
        { name: "spare", delivered: 3, failed: 0 },
      ],
    });
  });

  it("counts events every destination failed, rejects writeBatch with what was delivered, and never throws", async () => {
    const reported: unknown[] = [];
    const primary = scriptedSink((batch) => partial(1, batch.length, "EIO"), "primary");
    const spare = createMemorySink({ name: "spare" });
    spare.failWith(systemError("ENOSPC"));
    const chain = withFallback(primary, spare, {
      onFailure: () => {
        throw new Error("monitoring broke");
      },
      onError: (error) => reported.push(error),
    });
    const error = await chain.writeBatch(events(0, 4)).catch((caught: unknown) => caught);
    expect(PartialDeliveryError.is(error)).toBe(true);
    expect(error).toMatchObject({ delivered: 1, total: 4, cause: { code: "ENOSPC" } });
    for (const event of events(4, 3)) chain.write(event);
    // flush sends what write holds at once, and rejects because it was lost.
    await expect(chain.flush()).rejects.toSatisfy(PartialDeliveryError.is);
    const stats = chain.stats();
    expect(stats).toMatchObject({ accepted: 7, delivered: 2, failed: 5, pending: 0 });
    expect(reported.filter((item) => (item as Error).message === "monitoring broke")).toHaveLength(
      4,
    );
    expect(reported.some((item) => PartialDeliveryError.is(item))).toBe(true);
  });

  it("flushes and closes every destination, and a primary's own flush failure does not fail the chain", async () => {
    vi.useRealTimers();
    const primary = createMemorySink({ name: "primary" });
    primary.failWith(systemError("EIO"));
    const spare = createMemorySink({ name: "spare" });
    const reported: unknown[] = [];
    const chain = withFallback(primary, [spare], { onError: (error) => reported.push(error) });
    await chain.writeBatch(events(0, 3));
    await chain.flush();
    expect(reported).toEqual([expect.objectContaining({ code: "EIO" })]);
    expect(walkSinkChain(chain)).toEqual([chain, primary, spare]);
    expect(chain.inner).toEqual([primary, spare]);
    const closing = chain.close();
    expect(chain.close()).toBe(closing);
    await closing;
    expect(primary.closed && spare.closed).toBe(true);
    chain.write(events(3, 1)[0] as LogEvent);
    expect(chain.stats().dropped.closed).toBe(1);
  });

  it("has flushSync when the primary has one, handing held events to the primary", () => {
    const primary = createMemorySink({ name: "primary" });
    const chain = withFallback(primary, createMemorySink());
    for (const event of events(0, 3)) chain.write(event);
    chain.flushSync?.();
    expect(numbers(primary.events)).toEqual([0, 1, 2]);
    expect(chain.stats()).toMatchObject({ accepted: 3, delivered: 3, pending: 0 });
    const bare = scriptedSink(() => deliver);
    expect(withFallback(bare, createMemorySink()).flushSync).toBeUndefined();
  });

  it("validates its arguments with clear messages", () => {
    const sink = createMemorySink();
    expect(() => withFallback(sink, [])).toThrow(/at least one fallback/);
    expect(() => withFallback(sink, sink)).toThrow(/the same sink appears twice/);
    expect(() => withFallback(sink, [createMemorySink(), {} as never])).toThrow(
      /fallback number 2/,
    );
    expect(() => withFallback(sink, createMemorySink(), { onFailure: 1 } as never)).toThrow(
      'Invalid option "onFailure": expected a function',
    );
    expect(() => withFallback(sink, createMemorySink(), null as never)).toThrow(
      'Invalid option "options"',
    );
  });
});
