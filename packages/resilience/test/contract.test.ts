import type { Sink } from "@sluice/core";
import { checkSinkContract, createMemorySink, type MemorySink } from "@sluice/core/testing";
import { withCircuitBreaker, withFallback, withRetry } from "@sluice/resilience";
import { describe, expect, it } from "vitest";

const markers = (sink: MemorySink | undefined): string[] =>
  (sink?.events ?? []).map((event) => String(event.properties.Marker));

describe("every wrapper honours the sink contract around the memory sink", () => {
  const wrappers: [string, (inner: MemorySink) => Sink][] = [
    ["withCircuitBreaker", (inner) => withCircuitBreaker(inner)],
    ["withRetry", (inner) => withRetry(inner)],
    ["withFallback", (inner) => withFallback(inner, createMemorySink({ name: "spare" }))],
    [
      "the recommended composition",
      (inner) =>
        withFallback(withCircuitBreaker(withRetry(inner)), createMemorySink({ name: "spare" })),
    ],
  ];
  for (const [name, wrap] of wrappers) {
    it(`${name}: every event delivered once, in order`, async () => {
      let inner: MemorySink | undefined;
      const violations = await checkSinkContract(
        () => {
          inner = createMemorySink();
          return wrap(inner);
        },
        { readDelivered: () => markers(inner) },
      );
      expect(violations).toEqual([]);
      expect(inner?.closed).toBe(true);
    });
  }

  it("withFallback: every event delivered once, in order, by the fallback when the primary fails", async () => {
    let spare: MemorySink | undefined;
    const violations = await checkSinkContract(
      () => {
        const primary = createMemorySink();
        primary.failWith(new Error("down"));
        spare = createMemorySink({ name: "spare" });
        return withFallback(primary, spare, { onError: () => {} });
      },
      { readDelivered: () => markers(spare) },
    );
    expect(violations).toEqual([]);
  });
});
