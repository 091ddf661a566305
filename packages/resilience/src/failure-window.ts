// The window is cut into this many buckets: memory and work stay constant at any batch rate, and
// an outcome leaves the window at most a tenth of the window late.
const bucketCount = 10;

/**
 * @internal Batch outcomes over a sliding time window, for a breaker's failure ratio.
 */
export class FailureWindow {
  readonly #bucketMs: number;
  readonly #epochs = new Float64Array(bucketCount).fill(Number.NaN);
  readonly #successes = new Float64Array(bucketCount);
  readonly #failures = new Float64Array(bucketCount);

  /**
   * @param windowMs the window's length in milliseconds.
   */
  constructor(windowMs: number) {
    this.#bucketMs = windowMs / bucketCount;
  }

  /** Records one batch outcome at monotonic time `now`. */
  record(now: number, failed: boolean): void {
    const epoch = Math.floor(now / this.#bucketMs);
    const slot = ((epoch % bucketCount) + bucketCount) % bucketCount;
    if (this.#epochs[slot] !== epoch) {
      this.#epochs[slot] = epoch;
      this.#successes[slot] = 0;
      this.#failures[slot] = 0;
    }
    if (failed) (this.#failures[slot] as number) += 1;
    else (this.#successes[slot] as number) += 1;
  }

  /** The outcomes within the window ending at `now`. */
  totals(now: number): { readonly batches: number; readonly failures: number } {
    const current = Math.floor(now / this.#bucketMs);
    let batches = 0;
    let failures = 0;
    for (let slot = 0; slot < bucketCount; slot++) {
      const epoch = this.#epochs[slot] as number;
      // A never-used slot holds NaN, which fails both comparisons.
      if (!(epoch > current - bucketCount && epoch <= current)) continue;
      const slotFailures = this.#failures[slot] as number;
      failures += slotFailures;
      batches += slotFailures + (this.#successes[slot] as number);
    }
    return { batches, failures };
  }

  /** Forgets every outcome. */
  clear(): void {
    this.#epochs.fill(Number.NaN);
  }
}
