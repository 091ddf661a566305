/**
 * What a sink needs to keep `Sink.abandon`'s promise that every pending call settles: promises
 * it hands out settle as they would, or, once {@link Abandonment.abandon} is called, at once as
 * the caller decided, even when the destination never answers.
 *
 * @example
 * ```ts
 * const abandonment = new Abandonment();
 * // in writeBatch:
 * return abandonment.race(delivery, () => { throw new LoggingError("timeout", "Given up."); });
 * // in abandon(reason):
 * counters.drop(reason, counters.pending);
 * abandonment.abandon();
 * ```
 */
export class Abandonment {
  #abandoned = false;
  readonly #waiting = new Set<() => void>();

  /** True once {@link Abandonment.abandon} was called. */
  get abandoned(): boolean {
    return this.#abandoned;
  }

  /**
   * @param promise what the call waits for.
   * @param onAbandon decides the outcome when the call is given up: its value resolves the
   *   returned promise, its throw rejects it.
   * @returns a promise that settles as `promise` does, or as `onAbandon` says once abandoned.
   */
  race<T>(promise: Promise<T>, onAbandon: () => T): Promise<T> {
    if (this.#abandoned) {
      // Nobody waits for it any more; what it fails with was counted by whoever failed.
      promise.catch(() => {});
      return settleWith(onAbandon);
    }
    return new Promise<T>((resolve, reject) => {
      let settled = false;
      const giveUp = (): void => {
        if (settled) return;
        settled = true;
        settleWith(onAbandon).then(resolve, reject);
      };
      this.#waiting.add(giveUp);
      promise.then(
        (value) => {
          this.#waiting.delete(giveUp);
          if (settled) return;
          settled = true;
          resolve(value);
        },
        (error: unknown) => {
          this.#waiting.delete(giveUp);
          if (settled) return;
          settled = true;
          reject(error);
        },
      );
    });
  }

  /** Gives up every call raced so far and every later one. Idempotent. */
  abandon(): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    const waiting = [...this.#waiting];
    this.#waiting.clear();
    for (const giveUp of waiting) giveUp();
  }
}

function settleWith<T>(onAbandon: () => T): Promise<T> {
  try {
    return Promise.resolve(onAbandon());
  } catch (error) {
    return Promise.reject(error);
  }
}
