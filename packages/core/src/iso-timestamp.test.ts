import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isoTimestamp } from "./iso-timestamp.ts";

describe("isoTimestamp", () => {
  it("matches Date#toISOString within and across seconds", () => {
    const base = Date.UTC(2026, 10, 28, 5, 52, 37, 0);
    for (const offset of [0, 0, 1, 123, 999, 1000, 1001, -1, 86_400_000]) {
      expect(isoTimestamp(base + offset)).toBe(new Date(base + offset).toISOString());
    }
    for (const time of [8.64e15, -8.64e15, -8.64e15 + 0.999]) {
      expect(isoTimestamp(time)).toBe(new Date(time).toISOString());
    }
  });

  it("matches Date#toISOString for any time Date can hold, fractions truncated", () => {
    fc.assert(
      fc.property(
        // Below the last millisecond only: above 2^52 doubles are 1 apart, so adding a fraction
        // to the last one can round up to a time `Date` cannot hold (checked separately below).
        fc.integer({ min: -8.64e15, max: 8.64e15 - 1 }),
        fc.double({ min: 0, max: 0.999, noNaN: true }),
        (time, fraction) => {
          expect(isoTimestamp(time)).toBe(new Date(time).toISOString());
          const fractional = time + fraction;
          expect(isoTimestamp(fractional)).toBe(new Date(fractional).toISOString());
        },
      ),
    );
  });

  it("writes times outside the range of Date as the number instead of throwing", () => {
    expect(isoTimestamp(Number.NaN)).toBe("NaN");
    expect(isoTimestamp(Number.POSITIVE_INFINITY)).toBe("Infinity");
    expect(isoTimestamp(9e15)).toBe("9000000000000000");
    // The sum rounds to 8640000000000001, one past the last time `Date` can hold.
    expect(isoTimestamp(8.64e15 + 0.5000000000000001)).toBe("8640000000000001");
  });
});
