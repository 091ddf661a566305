import { checkConservation } from "@sluice/core/sink";
import {
  CircuitOpenError,
  type CircuitState,
  type CircuitTransitionReason,
  withCircuitBreaker,
} from "@sluice/resilience";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  deliver,
  events,
  failWith,
  hang,
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

type Command =
  | {
      readonly kind: "send";
      readonly size: number;
      readonly outcome: "success" | "failure" | "hang";
    }
  | { readonly kind: "advance"; readonly ms: number }
  | { readonly kind: "settle"; readonly pick: number; readonly success: boolean }
  | { readonly kind: "reset" };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("send" as const),
      size: fc.integer({ min: 1, max: 3 }),
      outcome: fc.constantFrom("success" as const, "failure" as const, "hang" as const),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("advance" as const),
      ms: fc.integer({ min: 0, max: 1500 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("settle" as const),
      pick: fc.nat(),
      success: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "reset" as const }) },
);

const options = fc.record({
  failureThreshold: fc.integer({ min: 1, max: 4 }),
  resetTimeoutMs: fc.integer({ min: 50, max: 1000 }),
  probeTimeoutMs: fc.integer({ min: 20, max: 800 }),
  resetBackoffMultiplier: fc.constantFrom(1, 1.5, 3),
  failureRate: fc.option(
    fc.record({
      threshold: fc.constantFrom(0.25, 0.5, 1),
      windowMs: fc.constantFrom(500, 2000),
      minimumBatches: fc.integer({ min: 1, max: 6 }),
    }),
    { nil: undefined },
  ),
});

// The events' content plays no part here; one set made once keeps 10,000 runs cheap.
const sample = events(0, 3);

const allowedEdges = new Set([
  "closed>open",
  "open>half-open",
  "half-open>closed",
  "half-open>open",
  "open>closed",
]);

describe("withCircuitBreaker state machine (fast-check)", () => {
  it("holds its invariants over 10,000 random sequences of success, failure, hang and time", async () => {
    await fc.assert(
      fc.asyncProperty(
        options,
        fc.array(command, { minLength: 1, maxLength: 30 }),
        async (settings, commands) => {
          let nextOutcome: Outcome = deliver;
          const inner = scriptedSink(() => nextOutcome);
          const transitions: [CircuitState, CircuitState, CircuitTransitionReason][] = [];
          const { failureRate, ...fixed } = settings;
          const breaker = withCircuitBreaker(inner, {
            ...fixed,
            ...(failureRate === undefined ? {} : { failureRate }),
            onStateChange: (from, to, reason) => transitions.push([from, to, reason]),
          });
          let sent = 0;
          let refusedBatches = 0;
          let refusedEvents = 0;
          // The probe the breaker has in flight, from its point of view: sent in half-open and
          // neither settled nor timed out (nor made irrelevant by reset()).
          let probeInFlight: object | undefined;
          // Plain checks in the loop (and in promise callbacks, where a throw would be lost),
          // asserted once at the end of the sequence.
          const violations: string[] = [];
          const check = (holds: boolean, invariant: string): void => {
            if (!holds) violations.push(invariant);
          };

          for (const step of commands) {
            if (step.kind === "advance") {
              vi.advanceTimersByTime(step.ms);
            } else if (step.kind === "reset") {
              breaker.reset();
              probeInFlight = undefined;
            } else if (step.kind === "settle") {
              const hanging = inner.hanging;
              if (hanging.length > 0) {
                const [batch] = hanging.splice(step.pick % hanging.length, 1);
                if (step.success) batch?.resolve();
                else batch?.reject(systemError("EIO"));
              }
            } else {
              nextOutcome =
                step.outcome === "success"
                  ? deliver
                  : step.outcome === "failure"
                    ? failWith(systemError("EIO"))
                    : hang;
              const before = breaker.state;
              const callsBefore = inner.calls.length;
              const batch = sample.slice(0, step.size);
              sent += step.size;
              const delivery = breaker.writeBatch(batch);
              const reached = inner.calls.length > callsBefore;
              const after = breaker.state;
              check(before !== "half-open" || !reached, "a half-open circuit let a batch through");
              check(
                before !== "open" || !reached || after === "half-open",
                "an open circuit let a batch through that was not the probe",
              );
              const probe = reached && before !== "closed" ? {} : undefined;
              if (probe !== undefined) {
                check(probeInFlight === undefined, "a second probe while one is in flight");
                probeInFlight = probe;
              }
              const done = (): void => {
                if (probe !== undefined && probeInFlight === probe) probeInFlight = undefined;
              };
              delivery.then(done, (error: unknown) => {
                if (CircuitOpenError.is(error)) {
                  check(!reached, "a batch refused after it reached the sink");
                  refusedBatches += 1;
                  refusedEvents += step.size;
                }
                done();
              });
            }
            await settle();
            // The breaker's own view agrees: half-open exactly while a probe is in flight.
            check(
              (probeInFlight !== undefined) === (breaker.state === "half-open"),
              "half-open without a probe in flight, or a probe in flight outside half-open",
            );
          }
          expect(violations).toEqual([]);

          for (const [from, to, reason] of transitions) {
            expect(allowedEdges.has(`${from}>${to}`)).toBe(true);
            if (to === "closed" && from === "open") expect(reason).toBe("reset");
          }
          const stats = breaker.stats();
          expect(stats.accepted).toBe(sent);
          expect(stats.rejectedBatches).toBe(refusedBatches);
          expect(stats.dropped.circuit_open).toBe(refusedEvents);
          expect(checkConservation(stats)).toBeUndefined();
          expect(stats.state).toBe(breaker.state);
          // Events that reached the inner sink are all it was given, and no refused event was.
          const reachedEvents = inner.calls.reduce((total, call) => total + call.length, 0);
          expect(reachedEvents).toBe(sent - refusedEvents);
        },
      ),
      { numRuns: 10_000 },
    );
  }, 300_000);
});
