import { invalidOption } from "@sluice/core";

/** What {@link MemoryBudgetOptions.onExceeded} receives. */
export interface MemoryBudgetExceeded {
  /** Bytes held across all queues when a reservation failed. */
  readonly usage: number;
  /** The budget's limit. */
  readonly maxBytes: number;
  /** The size of the event that did not fit. */
  readonly requested: number;
}

/** Options for {@link createMemoryBudget}. */
export interface MemoryBudgetOptions {
  /** The most estimated bytes all queues sharing the budget may hold together. */
  readonly maxBytes: number;
  /**
   * Called when an event does not fit in the budget; once per episode, again only after usage
   * has fallen below half of `maxBytes`.
   */
  readonly onExceeded?: (info: MemoryBudgetExceeded) => void;
}

/**
 * @internal what a queue offers its budget: the age and eviction of its oldest events, so the
 * budget can make room across queues, low levels first.
 */
export interface BudgetMember {
  /** Enqueue time of the oldest sheddable event, `Infinity` if none. */
  oldestSheddableTime(): number;
  /** Enqueue time of the oldest event, `Infinity` if none. */
  oldestTime(): number;
  /** Drops the oldest sheddable event (counted as `shed`); false if none. */
  evictOldestSheddable(): boolean;
  /** Drops the oldest event (counted as `queue_full`); false if none. */
  evictOldest(): boolean;
}

/**
 * A byte budget shared by several queues: their estimated bytes together stay under `maxBytes`.
 * Make one with {@link createMemoryBudget} and pass it to each `withQueue` as `memoryBudget`.
 */
export interface MemoryBudget {
  /** The limit, in estimated bytes. */
  readonly maxBytes: number;
  /** Estimated bytes held by all queues that share the budget. */
  readonly usage: number;
  /**
   * Drops events until usage is at most `targetBytes`: the oldest events below each queue's
   * shedding level first (across all queues), then the oldest of any level.
   *
   * @param targetBytes the usage to reach.
   * @default maxBytes
   * @returns how many events were dropped.
   */
  trim(targetBytes?: number): number;
  /** @internal */
  join(member: BudgetMember): void;
  /** @internal */
  leave(member: BudgetMember): void;
  /** @internal reserves bytes, making room from other queues' sheddable events if `protectedEvent`. */
  reserve(bytes: number, protectedEvent: boolean): boolean;
  /** @internal */
  release(bytes: number): void;
}

/**
 * Creates a {@link MemoryBudget}.
 *
 * @param options the limit and the callback.
 * @returns the budget.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const budget = createMemoryBudget({ maxBytes: 64 * 1024 * 1024 });
 * const file = withQueue(createFileSink({ path: "app.log" }), { memoryBudget: budget });
 * const remote = withQueue(httpSink, { memoryBudget: budget });
 * ```
 */
export function createMemoryBudget(options: MemoryBudgetOptions): MemoryBudget {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object with maxBytes", options);
  }
  const { maxBytes, onExceeded } = options;
  if (typeof maxBytes !== "number" || !Number.isSafeInteger(maxBytes) || maxBytes < 1) {
    throw invalidOption("maxBytes", "a positive integer", maxBytes);
  }
  if (onExceeded !== undefined && typeof onExceeded !== "function") {
    throw invalidOption("onExceeded", "a function", onExceeded);
  }
  return new SharedMemoryBudget(maxBytes, onExceeded);
}

class SharedMemoryBudget implements MemoryBudget {
  readonly maxBytes: number;
  usage = 0;
  readonly #members = new Set<BudgetMember>();
  readonly #onExceeded: ((info: MemoryBudgetExceeded) => void) | undefined;
  #exceeded = false;

  constructor(maxBytes: number, onExceeded: ((info: MemoryBudgetExceeded) => void) | undefined) {
    this.maxBytes = maxBytes;
    this.#onExceeded = onExceeded;
  }

  join(member: BudgetMember): void {
    this.#members.add(member);
  }

  leave(member: BudgetMember): void {
    this.#members.delete(member);
  }

  reserve(bytes: number, protectedEvent: boolean): boolean {
    if (this.usage + bytes > this.maxBytes && protectedEvent) {
      while (this.usage + bytes > this.maxBytes && this.#evict(true)) {
        // Each pass drops the oldest sheddable event across the queues.
      }
    }
    if (this.usage + bytes <= this.maxBytes) {
      this.usage += bytes;
      return true;
    }
    if (!this.#exceeded) {
      this.#exceeded = true;
      try {
        this.#onExceeded?.({ usage: this.usage, maxBytes: this.maxBytes, requested: bytes });
      } catch {
        // A throwing callback must not turn a full budget into a crash of the logging call.
      }
    }
    return false;
  }

  release(bytes: number): void {
    this.usage -= bytes;
    if (this.#exceeded && this.usage < this.maxBytes / 2) this.#exceeded = false;
  }

  trim(targetBytes: number = this.maxBytes): number {
    let dropped = 0;
    while (this.usage > targetBytes && this.#evict(true)) dropped += 1;
    while (this.usage > targetBytes && this.#evict(false)) dropped += 1;
    return dropped;
  }

  #evict(sheddableOnly: boolean): boolean {
    let oldest: BudgetMember | undefined;
    let oldestTime = Number.POSITIVE_INFINITY;
    for (const member of this.#members) {
      const time = sheddableOnly ? member.oldestSheddableTime() : member.oldestTime();
      if (time < oldestTime) {
        oldestTime = time;
        oldest = member;
      }
    }
    if (oldest === undefined) return false;
    return sheddableOnly ? oldest.evictOldestSheddable() : oldest.evictOldest();
  }
}
