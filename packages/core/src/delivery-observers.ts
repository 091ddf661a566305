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

/**
 * The timestamps of events a sink holds, oldest first, for sinks that learn only how many of
 * their oldest events were delivered (as `FdWriter`'s `onWritten` says): `push` as an event is
 * taken, `deliver(count)` or `discard(count)` as the oldest settle. Tracks only while its
 * observers are active; events held from before are skipped, never misattributed.
 */
export class DeliveryTimestamps {
  readonly #observers: DeliveryObservers;
  readonly #held: () => number;
  #ring = new Float64Array(0);
  #head = 0;
  #length = 0;
  // Events held when tracking began, settled before any tracked one.
  #untracked = 0;
  #tracking = false;

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
    this.#length = 0;
    this.#untracked = active ? this.#held() : 0;
    if (!active) this.#ring = new Float64Array(0);
  }

  /** Records the timestamp of an event just taken, when tracking. */
  push(timestamp: number): void {
    if (!this.#tracking) return;
    if (this.#length === this.#ring.length) this.#grow();
    // The ring's size is a power of two, so the mask wraps the index.
    this.#ring[(this.#head + this.#length) & (this.#ring.length - 1)] = timestamp;
    this.#length += 1;
  }

  /** The oldest `count` held events were delivered: tells the observers. */
  deliver(count: number): void {
    this.#settle(count, true);
  }

  /** The oldest `count` held events were dropped or failed. */
  discard(count: number): void {
    this.#settle(count, false);
  }

  #settle(count: number, delivered: boolean): void {
    if (!this.#tracking) return;
    const skipped = Math.min(count, this.#untracked);
    this.#untracked -= skipped;
    let left = Math.min(count - skipped, this.#length);
    while (left > 0) {
      const end = Math.min(this.#head + left, this.#ring.length);
      if (delivered) this.#observers.notify(this.#ring, this.#head, end);
      const taken = end - this.#head;
      this.#head = end === this.#ring.length ? 0 : end;
      this.#length -= taken;
      left -= taken;
    }
  }

  #grow(): void {
    const bigger = new Float64Array(Math.max(64, this.#ring.length * 2));
    for (let index = 0; index < this.#length; index++) {
      bigger[index] = this.#ring[(this.#head + index) & (this.#ring.length - 1)] as number;
    }
    this.#ring = bigger;
    this.#head = 0;
  }
}
