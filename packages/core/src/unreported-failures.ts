/**
 * Decides which `flush()` reports a failure, so that every failure reaches one flush and none is
 * reported twice. The rule (the `Sink` contract's): a flush rejects when an event accepted before
 * the call failed (or any failure came to light while it waited) and no flush that settled before
 * the call reported that failure. `writeBatch` rejections do not count as reports: they tell the
 * caller about its own batch, while a flush tells about everything the component accepted.
 *
 * @example
 * ```ts
 * const failures = new UnreportedFailures();
 * // on a failed delivery:
 * failures.record(error);
 * // in flush():
 * const mark = failures.mark();
 * await deliverEverythingAcceptedSoFar();
 * failures.throwIfFailedSince(mark);
 * ```
 */
export class UnreportedFailures {
  #count = 0;
  #reported = 0;
  #lastError: unknown;

  /** How many failures were recorded. */
  get count(): number {
    return this.#count;
  }

  /** The most recent failure. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Records a failure.
   *
   * @param error the failure, kept as the one a flush rejects with.
   */
  record(error: unknown): void {
    this.#count += 1;
    this.#lastError = error;
  }

  /**
   * Call when a flush starts.
   *
   * @returns the mark to pass to {@link UnreportedFailures.throwIfFailedSince} when it settles.
   */
  mark(): number {
    return this.#reported;
  }

  /**
   * Call when a flush's events have settled: throws the most recent failure when one was recorded
   * that no flush settled before `mark` was taken reported, and counts it as reported.
   *
   * @param mark what {@link UnreportedFailures.mark} returned when the flush started.
   * @throws the most recent failure, when there is one to report.
   */
  throwIfFailedSince(mark: number): void {
    if (this.#count <= mark) return;
    if (this.#reported < this.#count) this.#reported = this.#count;
    throw this.#lastError;
  }
}
