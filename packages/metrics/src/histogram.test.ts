import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Histogram, histogramRelativeError, nearestRank } from "./histogram.ts";

const quantiles = [0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1];

function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[nearestRank(q, sorted.length) - 1] as number;
}

function expectWithinBound(estimate: number, exact: number): void {
  const bound = Math.max(exact * histogramRelativeError, 0.5);
  expect(Math.abs(estimate - exact)).toBeLessThanOrEqual(bound + 1e-9 * exact);
}

function checkAgainstExact(samples: readonly number[]): void {
  const histogram = new Histogram();
  for (const sample of samples) histogram.record(sample);
  const sorted = [...samples].sort((a, b) => a - b);
  for (const q of quantiles) expectWithinBound(histogram.quantile(q), exactQuantile(sorted, q));
  expect(histogram.count).toBe(samples.length);
  expect(histogram.max).toBe(sorted.at(-1));
  expect(histogram.min).toBe(sorted[0]);
}

describe("Histogram", () => {
  it("keeps every quantile of integer samples within the relative error bound", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 2 ** 40 }), { minLength: 1, maxLength: 400 }),
        (samples) => checkAgainstExact(samples),
      ),
      { numRuns: 200 },
    );
  });

  it("keeps every quantile of fractional samples spread over many magnitudes within the bound", () => {
    const magnitude = fc
      .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.integer({ min: 0, max: 50 }))
      .map(([fraction, exponent]) => (1 + fraction) * 2 ** exponent);
    fc.assert(
      fc.property(fc.array(magnitude, { minLength: 1, maxLength: 400 }), (samples) =>
        checkAgainstExact(samples),
      ),
      { numRuns: 200 },
    );
  });

  it("reads a window of recent values against an earlier copy of its counts", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 200 }),
        (before, after) => {
          const histogram = new Histogram();
          for (const sample of before) histogram.record(sample);
          const baseline = new Float64Array(histogram.counts.length);
          histogram.startInterval(baseline);
          for (const sample of after) histogram.record(sample);
          const sorted = [...after].sort((a, b) => a - b);
          for (const q of quantiles) {
            expectWithinBound(histogram.quantile(q, baseline), exactQuantile(sorted, q));
          }
          // The interval's own extremes, not the whole history's.
          expect(histogram.quantile(0, baseline)).toBe(sorted[0]);
          expect(histogram.quantile(1, baseline)).toBe(sorted.at(-1));
          expect(histogram.min).toBe(Math.min(...before, ...after));
          expect(histogram.max).toBe(Math.max(...before, ...after));
          expect(Number.isNaN(histogram.quantile(0.5, Float64Array.from(histogram.counts)))).toBe(
            true,
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it("is exact for the extremes and below 128 units", () => {
    const histogram = new Histogram();
    for (const value of [3, 7, 7, 100, 127]) histogram.record(value);
    expect(histogram.quantile(1)).toBe(127);
    expect(histogram.quantile(0)).toBe(3);
    expect(histogram.quantile(0.5)).toBe(7.5);
    expect(histogram.sum).toBe(244);
  });

  it("counts negatives as zero, ignores NaN and infinities, and tracks values up to 2^53", () => {
    const histogram = new Histogram();
    histogram.record(-5);
    histogram.record(Number.NaN);
    histogram.record(Number.POSITIVE_INFINITY);
    histogram.record(2 ** 60);
    expect(histogram.count).toBe(2);
    expect(histogram.quantile(0)).toBe(0);
    expect(histogram.quantile(1)).toBe(2 ** 60);
  });

  it("keeps an interval's quantiles between that interval's smallest and largest values", () => {
    const histogram = new Histogram();
    histogram.record(10_000);
    const baseline = new Float64Array(histogram.counts.length);
    histogram.startInterval(baseline);
    // 1000 equal values: every quantile of the interval is that value, not its bucket's middle.
    histogram.record(5_000_000_000, 1000);
    expect(histogram.quantile(0.99, baseline)).toBe(5_000_000_000);
    expect(histogram.quantile(0.5, baseline)).toBe(5_000_000_000);
    histogram.startInterval(baseline);
    histogram.record(1_000_000_000);
    expect(histogram.quantile(0.99, baseline)).toBe(1_000_000_000);
    expect(histogram.quantile(1)).toBe(5_000_000_000);
    expect(histogram.min).toBe(10_000);
    expect(histogram.max).toBe(5_000_000_000);
  });

  it("keeps values as given and buckets them in finer units", () => {
    // Milliseconds bucketed by the nanosecond: converting to nanoseconds and back would move
    // this one by an ulp.
    const value = 769161806357.9386;
    const histogram = new Histogram(1e6);
    histogram.record(value);
    histogram.record(0.0005, 3);
    histogram.record(-1e308);
    expect(histogram.max).toBe(value);
    expect(histogram.quantile(1)).toBe(value);
    expect(histogram.min).toBe(0);
    expect(histogram.sum).toBe(value + 0.0015);
    // Bucketed at 500 ns (within 1/128), not in the bucket of 0 to 1 ms.
    expect(Math.abs(histogram.quantile(0.4) - 0.0005)).toBeLessThanOrEqual(
      0.0005 * histogramRelativeError,
    );
    expect(histogram.count).toBe(5);
  });

  it("forgets everything on reset", () => {
    const histogram = new Histogram();
    for (let value = 1; value < 1000; value++) histogram.record(value * 1000);
    histogram.reset();
    expect(histogram.count).toBe(0);
    expect(histogram.sum).toBe(0);
    expect(Number.isNaN(histogram.quantile(0.5))).toBe(true);
    expect(histogram.counts.every((count) => count === 0)).toBe(true);
    histogram.record(42);
    expect(histogram.quantile(0.99)).toBe(42);
  });
});
