// Log-linear buckets, as in HdrHistogram: values below 2 * subBuckets have a bucket each; above,
// every power of two is split into `subBuckets` equal buckets, so a bucket is never wider than
// 1/subBuckets of its lower bound. 64 sub-buckets keep any quantile within 1/128 of the exact
// value (the estimate is a bucket's middle) in 3072 counters: 24 KiB, whatever the traffic.
const subBucketBits = 6;
const subBuckets = 1 << subBucketBits;
// Values up to 2^53 (the largest exact integer, 104 days in nanoseconds) have their own bucket.
const largestExponent = 52;
const bucketCount = (largestExponent - subBucketBits + 2) * subBuckets;

/** How many counters a {@link Histogram} has (the length of `counts`). */
export const histogramBucketCount: number = bucketCount;
const twoToThe32 = 4_294_967_296;
const largestTracked = 2 ** 53 - 1;

/**
 * The largest relative error of a quantile from {@link Histogram.quantile}, against the exact
 * nearest-rank value of the same samples (with an absolute floor of half a unit, for values
 * below {@link subBuckets}).
 */
export const histogramRelativeError: number = 1 / (2 * subBuckets);

// 2^-shift for every shift a value can need, so indexing multiplies instead of dividing.
const inversePowers = new Float64Array(largestExponent + 1);
for (let shift = 0; shift <= largestExponent; shift++) inversePowers[shift] = 2 ** -shift;

/**
 * The rank (1-based) of quantile `q` among `count` sorted samples: the smallest rank whose share
 * of the samples reaches `q` (nearest-rank definition), tolerant of the rounding of `q * count`.
 *
 * @param q a quantile from 0 to 1.
 * @param count how many samples there are (at least 1).
 * @returns a rank from 1 to `count`.
 */
export function nearestRank(q: number, count: number): number {
  const rank = Math.ceil(q * count - 1e-9 * count);
  return Math.max(1, Math.min(rank, count));
}

/**
 * A latency histogram with fixed memory, O(1) recording without allocation, and quantiles within
 * {@link histogramRelativeError} of the exact values. Values are non-negative numbers, kept as
 * given in `sum`, `min` and `max` (so `max` is exact) and bucketed at `unitsPerValue` buckets'
 * units each, truncated (1e6 for milliseconds bucketed by the nanosecond).
 *
 * The extremes are kept per interval as well: {@link Histogram.startInterval} begins a new one,
 * and a quantile of the values since then is kept between that interval's own extremes, as a
 * quantile of everything is kept between `min` and `max`.
 */
export class Histogram {
  readonly counts: Float64Array = new Float64Array(bucketCount);
  /** How many bucket units one value holds. */
  readonly unitsPerValue: number;
  count = 0;
  sum = 0;
  // The extremes since the last `startInterval()` (since the start until it is called): `record`
  // compares with these two only, so keeping intervals costs it nothing; those of earlier
  // intervals are folded into the two below, off the recording path.
  recentMin: number = Number.POSITIVE_INFINITY;
  recentMax = 0;
  #earlierMin: number = Number.POSITIVE_INFINITY;
  #earlierMax = 0;

  /**
   * @param unitsPerValue how many bucket units one value holds (e.g. 1e6 for values in
   *   milliseconds bucketed by the nanosecond).
   */
  constructor(unitsPerValue = 1) {
    this.unitsPerValue = unitsPerValue;
  }

  /** The smallest value recorded (`Infinity` when none was). */
  get min(): number {
    return Math.min(this.#earlierMin, this.recentMin);
  }

  /** The largest value recorded, exact (0 when none was). */
  get max(): number {
    return Math.max(this.#earlierMax, this.recentMax);
  }

  /**
   * Records a value, once or several times; a negative value counts as 0, and `NaN` or an
   * infinity is ignored.
   *
   * @param value the value.
   * @param times how many times it occurred.
   */
  record(value: number, times = 1): void {
    if (!Number.isFinite(value)) return;
    if (value < 0) value = 0;
    const index = bucketIndex(value * this.unitsPerValue);
    this.counts[index] = (this.counts[index] as number) + times;
    this.count += times;
    this.sum += value * times;
    if (value < this.recentMin) this.recentMin = value;
    if (value > this.recentMax) this.recentMax = value;
  }

  /**
   * Begins a new interval: copies the counts into `baseline` (for {@link Histogram.quantile}'s
   * `since`) and starts the interval's extremes afresh.
   *
   * @param baseline receives a copy of {@link Histogram.counts}.
   */
  startInterval(baseline: Float64Array): void {
    baseline.set(this.counts);
    if (this.recentMin < this.#earlierMin) this.#earlierMin = this.recentMin;
    if (this.recentMax > this.#earlierMax) this.#earlierMax = this.recentMax;
    this.recentMin = Number.POSITIVE_INFINITY;
    this.recentMax = 0;
  }

  /**
   * The value at quantile `q` of everything recorded (or, with `since`, of what was recorded in
   * the interval that began when `since` was filled by {@link Histogram.startInterval}). The
   * estimate is kept between the smallest and largest values of what it reads, and the lowest and
   * highest ranks read them exactly.
   *
   * @param q a quantile from 0 to 1.
   * @param since the baseline given to the last `startInterval()`, to read only that interval.
   * @returns the estimate, or `NaN` when there is nothing to read.
   */
  quantile(q: number, since?: Float64Array): number {
    const counts = this.counts;
    let total = this.count;
    if (since !== undefined) {
      total = 0;
      for (let index = 0; index < bucketCount; index++) {
        total += (counts[index] as number) - (since[index] as number);
      }
    }
    if (total <= 0) return Number.NaN;
    const min = since === undefined ? this.min : this.recentMin;
    const max = since === undefined ? this.max : this.recentMax;
    const rank = nearestRank(q, total);
    if (rank === 1) return min;
    if (rank === total) return max;
    let seen = 0;
    for (let index = 0; index < bucketCount; index++) {
      seen += (counts[index] as number) - (since === undefined ? 0 : (since[index] as number));
      if (seen >= rank) {
        // The exact value lies between min and max, so clamping can only bring the estimate
        // closer.
        const estimate = bucketMiddle(index) / this.unitsPerValue;
        return Math.max(min, Math.min(estimate, max));
      }
    }
    return max;
  }

  /** Forgets everything recorded. */
  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.recentMin = Number.POSITIVE_INFINITY;
    this.recentMax = 0;
    this.#earlierMin = Number.POSITIVE_INFINITY;
    this.#earlierMax = 0;
  }
}

function bucketIndex(value: number): number {
  const whole = value < largestTracked ? Math.floor(value) : largestTracked;
  if (whole < 2 * subBuckets) return whole;
  const exponent =
    whole < twoToThe32 ? 31 - Math.clz32(whole) : 63 - Math.clz32(Math.floor(whole / twoToThe32));
  const shift = exponent - subBucketBits;
  // With shift = exponent - subBucketBits, the scaled value lies in [subBuckets, 2 * subBuckets).
  return shift * subBuckets + Math.floor(whole * (inversePowers[shift] as number));
}

function bucketMiddle(index: number): number {
  if (index < 2 * subBuckets) return index + 0.5;
  const shift = Math.floor(index / subBuckets) - 1;
  const width = 2 ** shift;
  return (index - shift * subBuckets) * width + width / 2;
}
