import { invalidOption } from "@sluice/core/sink";

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
 * @internal what a queue offers its budget: the bytes it holds and the age and eviction of its
 * oldest events, so the budget can make room across queues, low levels first.
 */
export interface BudgetMember {
  /** Estimated bytes of the events the queue holds (all reserved from the budget). */
  heldBytes(): number;
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
 *
 * Each queue is guaranteed a fair share, `maxBytes` divided by the number of queues. A queue may
 * borrow whatever the others leave free, but what it holds past its share is taken back, largest
 * holder first and its low-level events first, as soon as a queue within its share needs room; a
 * severe event may also take the low-level events a queue holds past its share. What a queue holds
 * within its share is never dropped for another queue's sake. So a queue whose sink has stopped
 * draining ends up holding at most what the others leave, and the others keep delivering.
 */
export interface MemoryBudget {
  /** The limit, in estimated bytes. */
  readonly maxBytes: number;
  /** Estimated bytes held by all queues that share the budget. */
  readonly usage: number;
  /**
   * Drops events until usage is at most `targetBytes`, from the queue that holds the most bytes
   * each time: the oldest events below the queues' shedding levels first, then the oldest of any
   * level.
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
  /**
   * @internal reserves bytes for `member`, taking back what other queues hold past their fair
   * share when `member` is within its own, or their sheddable events for a `protectedEvent`.
   */
  reserve(bytes: number, protectedEvent: boolean, member: BudgetMember): boolean;
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

  reserve(bytes: number, protectedEvent: boolean, member: BudgetMember): boolean {
    if (this.usage + bytes > this.maxBytes) this.#reclaim(bytes, protectedEvent, member);
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

  /**
   * Takes back what other queues hold past their fair share, until `bytes` fit: their low-level
   * events first, largest holder first; then, for a requester within its own share, their
   * oldest events of any level. A requester within its share always gets its room this way,
   * since the others cannot all be within theirs while the budget is full.
   */
  #reclaim(bytes: number, protectedEvent: boolean, requester: BudgetMember): void {
    const share = this.maxBytes / this.#members.size;
    const entitled = requester.heldBytes() + bytes <= share;
    if (!entitled && !protectedEvent) return;
    while (this.usage + bytes > this.maxBytes) {
      const sheddable = this.#largestHolder(share, requester, true);
      if (sheddable !== undefined) {
        if (sheddable.evictOldestSheddable()) continue;
        return;
      }
      const any = entitled ? this.#largestHolder(share, requester, false) : undefined;
      if (any === undefined || !any.evictOldest()) return;
    }
  }

  /** The member other than `except` holding the most bytes above `floor` (with sheddable events). */
  #largestHolder(
    floor: number,
    except: BudgetMember | undefined,
    withSheddable: boolean,
  ): BudgetMember | undefined {
    let largest: BudgetMember | undefined;
    let largestBytes = floor;
    for (const member of this.#members) {
      if (member === except) continue;
      if (withSheddable && member.oldestSheddableTime() === Number.POSITIVE_INFINITY) continue;
      const held = member.heldBytes();
      if (held > largestBytes) {
        largestBytes = held;
        largest = member;
      }
    }
    return largest;
  }

  release(bytes: number): void {
    this.usage -= bytes;
    if (this.#exceeded && this.usage < this.maxBytes / 2) this.#exceeded = false;
  }

  trim(targetBytes: number = this.maxBytes): number {
    let dropped = 0;
    for (const sheddableOnly of [true, false]) {
      while (this.usage > targetBytes) {
        const largest = this.#largestHolder(0, undefined, sheddableOnly);
        if (largest === undefined) break;
        if (!(sheddableOnly ? largest.evictOldestSheddable() : largest.evictOldest())) break;
        dropped += 1;
      }
    }
    return dropped;
  }
}
