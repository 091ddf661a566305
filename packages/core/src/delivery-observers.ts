/**
 * Receives the timestamps (`LogEvent.timestamp`, epoch milliseconds) of events just handed to the
 * OS or the peer, in delivery order, as `timestamps[from]` to `timestamps[to - 1]`. The array is
 * reused once the call returns: read it, never keep it. Must not throw (a throw is ignored).
 */
export type DeliveryObserver = (timestamps: Float64Array, from: number, to: number) => void;

/**
 * The observers of one sink's deliveries, for sink authors implementing `Sink.observeDelivery`:
 * costs nothing while nobody observes, and a call per delivered batch (no allocation per event)
 * while somebody does.
 *
 * @example
 * ```ts
 * const observers = new DeliveryObservers();
 * sink.observeDelivery = (observer) => observers.add(observer);
 * // after a batch was delivered:
 * if (observers.active) observers.notifyEvents(batch);
 * ```
 */
export class DeliveryObservers {
  #observers: readonly DeliveryObserver[] = [];
  #scratch = new Float64Array(64);
  readonly #onChange: ((active: boolean) => void) | undefined;

  /** @param onChange told when the first observer comes and when the last one leaves. */
  constructor(onChange?: (active: boolean) => void) {
    this.#onChange = onChange;
  }

  /** Whether anybody observes. */
  get active(): boolean {
    return this.#observers.length > 0;
  }

  /**
   * @param observer receives delivered timestamps.
   * @returns a function that stops the observation (idempotent).
   */
  add(observer: DeliveryObserver): () => void {
    this.#observers = [...this.#observers, observer];
    if (this.#observers.length === 1) this.#onChange?.(true);
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.#observers = this.#observers.filter((candidate) => candidate !== observer);
      if (this.#observers.length === 0) this.#onChange?.(false);
    };
  }

  /** Tells every observer about `timestamps[from]` to `timestamps[to - 1]`. */
  notify(timestamps: Float64Array, from: number, to: number): void {
    if (to <= from) return;
    for (const observer of this.#observers) {
      try {
        observer(timestamps, from, to);
      } catch {
        // An observer's bug must not break delivery.
      }
    }
  }

  /** Tells every observer about delivered events, by their timestamps. */
  notifyEvents(events: readonly { readonly timestamp: number }[]): void {
    if (this.#observers.length === 0 || events.length === 0) return;
    if (this.#scratch.length < events.length) {
      this.#scratch = new Float64Array(Math.max(events.length, this.#scratch.length * 2));
    }
    const scratch = this.#scratch;
    for (let index = 0; index < events.length; index++) {
      scratch[index] = (events[index] as { readonly timestamp: number }).timestamp;
    }
    this.notify(scratch, 0, events.length);
  }
}

// The most timestamps expanded for one call of the observers (32 KiB): a larger delivery is
// told in several calls.
const maxScratch = 4096;

/**
 * The timestamps of events a sink holds, oldest first, for sinks that learn only how many of
 * their oldest events were delivered (as `FdWriter`'s `onWritten` says): `push` as an event is
 * taken, `deliver(count)` or `discard(count)` as the oldest settle. Tracks only while its
 * observers are active; events held from before are skipped, never misattributed.
 */
export class DeliveryTimestamps {
  readonly #observers: DeliveryObservers;
  readonly #held: () => number;
  // Events come in bursts within one millisecond, so the held timestamps are kept as runs of
  // equal ones: a taken event usually only counts (a slot per event cost some 45 instructions
  // an event). Closed runs wait in a ring (`#times[i]` held `#counts[i]` times), the newest run
  // stays open in the two fields after it.
  #times = new Float64Array(0);
  #counts = new Float64Array(0);
  #head = 0;
  #runs = 0;
  // NaN while nothing is tracked, so that `push` needs no other test on its common path.
  #openTimestamp = Number.NaN;
  #openCount = 0;
  // Events held when tracking began, settled before any tracked one.
  #untracked = 0;
  #tracking = false;
  // The settled runs expanded to one timestamp an event, for the observers.
  #scratch = new Float64Array(0);
  #filled = 0;

  /**
   * @param observers who is told of deliveries.
   * @param held how many events the sink holds right now, read when tracking starts.
   */
  constructor(observers: DeliveryObservers, held: () => number) {
    this.#observers = observers;
    this.#held = held;
  }

  /** Call with the observers' activity (see `DeliveryObservers`'s `onChange`). */
  track(active: boolean): void {
    this.#tracking = active;
    this.#head = 0;
    this.#runs = 0;
    this.#openTimestamp = Number.NaN;
    this.#openCount = 0;
    this.#untracked = active ? this.#held() : 0;
    if (!active) {
      this.#times = new Float64Array(0);
      this.#counts = new Float64Array(0);
      this.#scratch = new Float64Array(0);
    }
  }

  /** Records the timestamp of an event just taken, when tracking. */
  push(timestamp: number): void {
    // Kept this small so that the compiler inlines it where a sink takes an event.
    if (timestamp === this.#openTimestamp) this.#openCount++;
    else if (this.#tracking) this.#open(timestamp);
  }

  /** The oldest `count` held events were delivered: tells the observers. */
  deliver(count: number): void {
    this.#settle(count, true);
  }

  /** The oldest `count` held events were dropped or failed. */
  discard(count: number): void {
    this.#settle(count, false);
  }

  /** Closes the open run into the ring and opens one for `timestamp`. */
  #open(timestamp: number): void {
    if (this.#openCount > 0) {
      if (this.#runs === this.#times.length) this.#grow();
      // The ring's size is a power of two, so the mask wraps the index.
      const slot = (this.#head + this.#runs) & (this.#times.length - 1);
      this.#times[slot] = this.#openTimestamp;
      this.#counts[slot] = this.#openCount;
      this.#runs += 1;
    }
    this.#openTimestamp = timestamp;
    this.#openCount = 1;
  }

  #settle(count: number, delivered: boolean): void {
    if (!this.#tracking) return;
    const skipped = Math.min(count, this.#untracked);
    this.#untracked -= skipped;
    let left = count - skipped;
    if (delivered && left > 0) this.#reserve(left);
    while (left > 0) {
      let timestamp: number;
      let taken: number;
      if (this.#runs > 0) {
        // A run split by the count keeps its remainder, with its timestamp, at the head.
        const head = this.#head;
        const held = this.#counts[head] as number;
        timestamp = this.#times[head] as number;
        taken = Math.min(left, held);
        if (taken === held) {
          this.#head = (head + 1) & (this.#times.length - 1);
          this.#runs -= 1;
        } else {
          this.#counts[head] = held - taken;
        }
      } else if (this.#openCount > 0) {
        timestamp = this.#openTimestamp;
        taken = Math.min(left, this.#openCount);
        this.#openCount -= taken;
      } else {
        break;
      }
      left -= taken;
      if (delivered) this.#expand(timestamp, taken);
    }
    if (this.#filled > 0) this.#notify();
  }

  /** Makes the scratch hold `count` timestamps, up to a bound past which they go in pieces. */
  #reserve(count: number): void {
    const wanted = Math.min(count, maxScratch);
    if (this.#scratch.length >= wanted) return;
    let size = Math.max(64, this.#scratch.length);
    while (size < wanted) size *= 2;
    this.#scratch = new Float64Array(size);
  }

  /** Adds `count` events of `timestamp` to the scratch, telling the observers whenever it is full. */
  #expand(timestamp: number, count: number): void {
    let left = count;
    while (left > 0) {
      if (this.#filled === this.#scratch.length) {
        this.#notify();
        // An observer that stopped observing dropped the scratch, and with it what was held.
        if (this.#scratch.length === 0) return;
      }
      const piece = Math.min(left, this.#scratch.length - this.#filled);
      this.#scratch.fill(timestamp, this.#filled, this.#filled + piece);
      this.#filled += piece;
      left -= piece;
    }
  }

  #notify(): void {
    const filled = this.#filled;
    this.#filled = 0;
    this.#observers.notify(this.#scratch, 0, filled);
  }

  #grow(): void {
    const size = Math.max(64, this.#times.length * 2);
    const times = new Float64Array(size);
    const counts = new Float64Array(size);
    const mask = this.#times.length - 1;
    for (let index = 0; index < this.#runs; index++) {
      times[index] = this.#times[(this.#head + index) & mask] as number;
      counts[index] = this.#counts[(this.#head + index) & mask] as number;
    }
    this.#times = times;
    this.#counts = counts;
    this.#head = 0;
  }
}
