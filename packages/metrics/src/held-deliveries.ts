/** A chain's counters as read while some of the events it held at the wrapping may be delivered. */
export interface ChainProgress {
  /** Events the innermost sinks of the chain delivered, in all. */
  readonly leavesDelivered: number;
  /** Events the first component inside the metered sink holds now. */
  readonly pending: number;
}

/**
 * The events a chain held when it was metered. A chain delivers in order, so they are the first
 * ones its delivery observers are told of; they never crossed the metered sink, and their delay
 * ran up before it existed (often in the very stall that held them), so delivery latency leaves
 * them out. Where they end up (delivered, dropped, failed) is counted as usual.
 *
 * Counted out by number, from the chain's counters: exact when they are delivered. One that is
 * dropped or fails instead is noticed once the chain holds fewer events than are still to leave
 * out; until then a later event may go untimed in its place.
 */
export class HeldDeliveries {
  readonly #held: number;
  readonly #leavesDeliveredAtStart: number;
  readonly #read: () => ChainProgress | undefined;
  // Held events still to leave out, at most.
  #left: number;
  #told = 0;
  #skipped = 0;

  /**
   * @param held events the first component inside held at the wrapping.
   * @param leavesDelivered events the innermost sinks had delivered at the wrapping.
   * @param read reads the chain's progress now (`undefined` when it cannot be read).
   */
  constructor(held: number, leavesDelivered: number, read: () => ChainProgress | undefined) {
    this.#held = held;
    this.#left = held;
    this.#leavesDeliveredAtStart = leavesDelivered;
    this.#read = read;
  }

  /** Whether every held event has been accounted for: nothing more is left out. */
  get done(): boolean {
    return this.#left <= 0;
  }

  /**
   * Of `count` delivered events just told to the observer (delivery order), how many leading ones
   * were held at the wrapping.
   *
   * @param count how many events the observer was just told of.
   * @returns how many of them, from the first, to leave out.
   */
  take(count: number): number {
    this.#told += count;
    if (this.#left <= 0) return 0;
    const progress = this.#read();
    if (progress !== undefined) {
      // A sink that tracks delivery timestamps skips the events it held when the first observer
      // came (core's `DeliveryTimestamps`), so held events may be delivered without being told:
      // the innermost sinks count them (before telling), the observer never hears of them. The
      // estimate also counts the part of a delivery told in later calls (a sink tells one of over
      // a thousand distinct timestamps in pieces), so it only errs towards timing a held event.
      const untold = Math.max(
        0,
        progress.leavesDelivered - this.#leavesDeliveredAtStart - this.#told,
      );
      // The held events still to come are in the chain: no more of them than it holds.
      this.#left = Math.min(
        this.#left,
        this.#held - untold - this.#skipped,
        progress.pending + count,
      );
    }
    const skipped = Math.max(0, Math.min(this.#left, count));
    this.#left -= skipped;
    this.#skipped += skipped;
    return skipped;
  }
}
