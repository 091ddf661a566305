/**
 * Receives the timestamps (`LogEvent.timestamp`, epoch milliseconds) of events just handed to the
 * OS or the peer, in delivery order, as `timestamps[from]` to `timestamps[to - 1]`. The array is
 * reused once the call returns: read it, never keep it. Must not throw (a throw is ignored).
 */
export type DeliveryObserver = (timestamps: Float64Array, from: number, to: number) => void;

/**
 * Under this registry key a `DeliveryObserver` may carry a function that takes delivered events
 * as runs: `timestamps[i]` delivered `counts[i]` times, for `i` from `from` to `to - 1` (arrays
 * reused, as for the observer). `DeliveryTimestamps` calls it instead of the observer, sparing it
 * a scan of one timestamp an event; every other teller calls the observer. Agreed between this
 * repository's packages through the key, not exported.
 */
const deliveryRunsKey = Symbol.for("@sluice/core/delivery-runs");

type DeliveryRunsObserver = (
  timestamps: Float64Array,
  counts: Float64Array,
  from: number,
  to: number,
) => void;

/** The runs function `observer` carries, if any (see `deliveryRunsKey`). */
function runsOf(observer: DeliveryObserver): DeliveryRunsObserver | undefined {
  const runs = (observer as { readonly [deliveryRunsKey]?: unknown })[deliveryRunsKey];
  return typeof runs === "function" ? (runs as DeliveryRunsObserver) : undefined;
}

// Reads a `DeliveryObservers`' list for `DeliveryTimestamps`; set by the former's static block,
// as a method would be public.
let observerList: (observers: DeliveryObservers) => readonly DeliveryObserver[];

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
  static {
    observerList = (observers) => observers.#observers;
  }

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

// The most timestamps expanded for one call of the observers (32 KiB), and the most runs told in
// one call: a larger delivery is told in several calls.
const maxScratch = 4096;
const maxRuns = 1024;
// Runs shorter than this are expanded by a loop, longer ones by `fill`.
const shortRun = 32;
// Stands in for a `DeliveryTimestamps`' arrays while its observers are told (see `#tell`).
const detached = new Float64Array(0);

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
  // The runs a settlement delivered, for the observers; and expanded to one timestamp an event.
  #settledTimes: Float64Array = new Float64Array(0);
  #settledCounts: Float64Array = new Float64Array(0);
  #scratch: Float64Array = new Float64Array(0);

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
      this.#settledTimes = new Float64Array(0);
      this.#settledCounts = new Float64Array(0);
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
    let settled = 0;
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
      if (!delivered) continue;
      if (settled === this.#settledTimes.length) {
        if (settled === maxRuns) {
          this.#tell(settled);
          settled = 0;
        } else {
          this.#growSettled(settled);
        }
      }
      this.#settledTimes[settled] = timestamp;
      this.#settledCounts[settled] = taken;
      settled += 1;
    }
    if (settled > 0) this.#tell(settled);
  }

  /** Tells every observer about the first `runs` settled runs, as runs where it takes them. */
  #tell(runs: number): void {
    const times = this.#settledTimes;
    const counts = this.#settledCounts;
    const scratch = this.#scratch;
    // Detached while observers run: one that settles again (say, by logging to this sink, which
    // flushes) fills arrays of its own instead of these; one that stops observing drops them.
    this.#settledTimes = detached;
    this.#settledCounts = detached;
    this.#scratch = detached;
    let perEvent = false;
    for (const observer of observerList(this.#observers)) {
      const runsObserver = runsOf(observer);
      if (runsObserver === undefined) {
        perEvent = true;
        continue;
      }
      try {
        runsObserver(times, counts, 0, runs);
      } catch {
        // An observer's bug must not break delivery.
      }
    }
    const used = perEvent ? this.#tellEvents(times, counts, runs, scratch) : scratch;
    if (this.#settledTimes === detached) {
      this.#settledTimes = times;
      this.#settledCounts = counts;
      this.#scratch = used;
    }
  }

  /**
   * Tells the observers that take one timestamp an event, expanding the runs in pieces into
   * `kept`, or a larger array; returns the one used.
   */
  #tellEvents(
    times: Float64Array,
    counts: Float64Array,
    runs: number,
    kept: Float64Array,
  ): Float64Array {
    let events = 0;
    for (let run = 0; run < runs; run++) events += counts[run] as number;
    const wanted = Math.min(events, maxScratch);
    let scratch = kept;
    if (scratch.length < wanted) {
      let size = Math.max(64, scratch.length);
      while (size < wanted) size *= 2;
      scratch = new Float64Array(size);
    }
    let filled = 0;
    for (let run = 0; run < runs; run++) {
      const timestamp = times[run] as number;
      let left = counts[run] as number;
      while (left > 0) {
        if (filled === scratch.length) {
          this.#notifyEvents(scratch, filled);
          filled = 0;
        }
        const end = filled + Math.min(left, scratch.length - filled);
        // `fill` enters the runtime, costly for the short runs of a slow producer.
        if (end - filled < shortRun) {
          for (let index = filled; index < end; index++) scratch[index] = timestamp;
        } else {
          scratch.fill(timestamp, filled, end);
        }
        left -= end - filled;
        filled = end;
      }
    }
    if (filled > 0) this.#notifyEvents(scratch, filled);
    return scratch;
  }

  #notifyEvents(scratch: Float64Array, filled: number): void {
    for (const observer of observerList(this.#observers)) {
      if (runsOf(observer) !== undefined) continue;
      try {
        observer(scratch, 0, filled);
      } catch {
        // An observer's bug must not break delivery.
      }
    }
  }

  #growSettled(settled: number): void {
    const size = Math.max(64, settled * 2);
    const times = new Float64Array(size);
    const counts = new Float64Array(size);
    times.set(this.#settledTimes.subarray(0, settled));
    counts.set(this.#settledCounts.subarray(0, settled));
    this.#settledTimes = times;
    this.#settledCounts = counts;
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
