import {
  type BatchSettled,
  type DropReason,
  type ErrorHandler,
  type LogEvent,
  LoggingError,
  type Sink,
  type SinkStats,
} from "@sluice/core";
import {
  type DeliveryObserver,
  deliveredCount,
  reportError,
  SinkCounters,
} from "@sluice/core/sink";
import type { HeldDeliveries } from "./held-deliveries.ts";
import { Histogram } from "./histogram.ts";

/** What a metered sink needs from the metrics it reports to. */
export interface MeterSettings {
  /** Time one `write` in this many (a power of two). */
  readonly writeSampleInterval: number;
  /** The wall clock, in epoch milliseconds, the clock of `LogEvent.timestamp`. */
  readonly now: () => number;
  /** Receives a wrapped sink's throwing `write`. */
  readonly onError: ErrorHandler | undefined;
}

// Latencies are recorded in milliseconds (so `max` and `sum` keep the exact difference of two
// clock readings) and bucketed by the nanosecond.
const nanosecondsPerMillisecond = 1e6;
// Where core's `DeliveryTimestamps` looks for an observer's runs function (see `#recordRuns`).
const deliveryRunsKey = Symbol.for("@sluice/core/delivery-runs");

/**
 * The sink `withMetrics` returns: a pass-through that counts what crosses it and measures two
 * latencies. Its own counters treat an event as delivered once the wrapped sink took it
 * (`write`) or once the wrapped sink's `writeBatch` settled (`writeBatch`). Delivery latency is
 * observed where the events reach the OS or the peer (`Sink.observeDelivery`, through a queue and
 * any other wrapper) when the wrapped chain supports it, else when `writeBatch` settles.
 */
export class MeteredSink implements Sink {
  readonly name: string;
  readonly inner: Sink;
  readonly acceptsOverlappingBatches: boolean;
  /** Present when the wrapped sink has it, so a wrapper that needs it (a blocking queue) can tell. */
  readonly flushSync?: () => void;
  /** Caller-side cost of `write`, in milliseconds, sampled. */
  readonly writeLatency: Histogram = new Histogram(nanosecondsPerMillisecond);
  /**
   * Log call (the event's timestamp, in whole milliseconds) to the event being handed to the OS
   * or the peer, in milliseconds.
   */
  readonly deliveryLatency: Histogram = new Histogram(nanosecondsPerMillisecond);
  /** Passed through to the wrapped sink, when it has it. */
  readonly observeDelivery?: (observer: DeliveryObserver) => () => void;
  /** When the last failure the sink saw itself was recorded, in epoch milliseconds. */
  lastErrorTime = 0;
  // Counters for `writeBatch` and refusals; `write` has its own two numbers below so that the
  // common path updates a single field.
  readonly #counters = new SinkCounters();
  // Events handed on by `write`, and those of them whose hand-over threw.
  #writes = 0;
  #writeFailures = 0;
  // Events refused after `close()`, never handed on.
  #refused = 0;
  readonly #sampleMask: number;
  readonly #now: () => number;
  readonly #onError: ErrorHandler | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #abandoned = false;
  // Stops observing the wrapped chain's deliveries; set while they are observed.
  #stopObserving: (() => void) | undefined;
  // The events the chain held when it was wrapped, while some may still be told of.
  #held: HeldDeliveries | undefined;

  constructor(inner: Sink, name: string, settings: MeterSettings) {
    this.inner = inner;
    this.name = name;
    // A pass-through: overlapping batches keep their order only where the wrapped sink keeps it.
    this.acceptsOverlappingBatches = inner.acceptsOverlappingBatches === true;
    if (typeof inner.flushSync === "function") this.flushSync = () => inner.flushSync?.();
    this.#sampleMask = settings.writeSampleInterval - 1;
    this.#now = settings.now;
    this.#onError = settings.onError;
    if (typeof inner.observeDelivery === "function") {
      this.observeDelivery = (observer) => inner.observeDelivery?.(observer) ?? (() => {});
      const observer: DeliveryObserver = (timestamps, from, to) =>
        this.#recordObserved(timestamps, from, to);
      // Core's `DeliveryTimestamps` (file and console sinks) keeps held timestamps as runs of
      // equal ones and tells them as such to an observer carrying this: no scan of one
      // timestamp an event (some 20 instructions an event).
      Object.defineProperty(observer, deliveryRunsKey, {
        value: (timestamps: Float64Array, counts: Float64Array, from: number, to: number) =>
          this.#recordRuns(timestamps, counts, from, to),
      });
      this.#stopObserving = inner.observeDelivery(observer);
    }
  }

  write(event: LogEvent): void {
    // Reading the clock twice costs more than everything else here (hundreds of nanoseconds on
    // some virtual machines), so only one write in `writeSampleInterval` is timed. The common
    // path stays this small so that the compiler inlines it where the logger calls the sink
    // without crowding out the logger's own inlining (a larger one pushed capture's `cutString`
    // out of line: some 30 instructions an event); the rare paths are a call away.
    if (this.#closed || (++this.#writes & this.#sampleMask) === 0) {
      this.#writeRarely(event);
      return;
    }
    try {
      this.inner.write(event);
    } catch (error) {
      this.#writeThrew(error);
    }
  }

  writeBatch(events: readonly LogEvent[], settled?: BatchSettled): Promise<void> {
    const count = events.length;
    if (this.#closed) {
      this.#counters.refuse("closed", count);
      this.#refused += count;
      const error = new LoggingError("sink_closed", `Sink "${this.name}" is closed.`);
      try {
        settled?.(0, error);
      } catch {
        // The caller's listener must not throw (see BatchSettled); ignored.
      }
      return Promise.reject(error);
    }
    this.#counters.accept(count);
    // The events are not kept for the round trip (a queue lets them go as soon as they are
    // handed over); their timestamps are, run-length encoded, as a batch spans few milliseconds.
    // Not needed when deliveries are observed where they happen.
    const timestamps = this.#stopObserving === undefined ? encodeTimestamps(events) : noTimestamps;
    // Counted once, from whichever comes first: the outcome told synchronously (at process
    // exit the only one that arrives) or the promise.
    let counted = false;
    const countOutcome = (delivered: number, error: unknown): void => {
      // Once abandoned, the batch was counted as dropped: a late outcome is not counted again.
      if (counted || this.#abandoned) return;
      counted = true;
      this.#counters.deliver(delivered);
      if (delivered < count) {
        this.#counters.fail(count - delivered, 0, error);
        this.lastErrorTime = this.#now();
      }
      this.#recordDelivery(timestamps, delivered);
    };
    const tell =
      settled === undefined
        ? undefined
        : (delivered: number, error?: unknown): void => {
            if (counted || typeof delivered !== "number" || !(delivered >= 0)) return;
            const exact = Math.min(Math.floor(delivered), count);
            countOutcome(exact, error);
            try {
              if (exact < count) settled(exact, error);
              else settled(exact);
            } catch {
              // The caller's listener must not throw (see BatchSettled); ignored.
            }
          };
    let delivery: Promise<void>;
    try {
      delivery = this.inner.writeBatch(events, tell);
    } catch (error) {
      delivery = Promise.reject(error);
    }
    return delivery.then(
      () => countOutcome(count, undefined),
      (error: unknown) => {
        countOutcome(deliveredCount(error, count), error);
        throw error;
      },
    );
  }

  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /**
   * Passes `abandon` to the wrapped sink (see `Sink.abandon`), after counting the batches still
   * waiting here as dropped for `reason`.
   *
   * @param reason the drop reason, e.g. `shutdown_timeout`.
   */
  abandon(reason: DropReason): void {
    if (this.#abandoned) return;
    this.#abandoned = true;
    this.#closed = true;
    this.#counters.drop(reason, this.#counters.pending);
    try {
      this.inner.abandon?.(reason);
    } catch (error) {
      reportError(
        new LoggingError("contract_violation", "Sink.abandon threw.", { cause: error }),
        { source: "metrics", operation: "abandon", sink: this.name },
        this.#onError,
      );
    }
  }

  /** Whether delivery latency comes from the wrapped chain's delivery observers. */
  get observesDelivery(): boolean {
    return this.#stopObserving !== undefined;
  }

  /**
   * Leaves the events the chain held when it was wrapped out of delivery latency, as the
   * observers are told of them (see {@link HeldDeliveries}).
   *
   * @param held the held events.
   */
  leaveOut(held: HeldDeliveries): void {
    this.#held = held.done ? undefined : held;
  }

  /** Events refused after `close()` (dropped as `closed`): never handed on, seen only here. */
  get refused(): number {
    return this.#refused;
  }

  /** Writes the wrapped sink threw from (breaking the contract): failed, and seen only here. */
  get writeFailures(): number {
    return this.#writeFailures;
  }

  stats(): SinkStats {
    const stats = this.#counters.snapshot();
    return {
      ...stats,
      accepted: stats.accepted + this.#writes,
      delivered: stats.delivered + this.#writes - this.#writeFailures,
      failed: stats.failed + this.#writeFailures,
    };
  }

  /** A write after `close()` (refused, not counted as handed on), or one to time. */
  #writeRarely(event: LogEvent): void {
    if (this.#closed) {
      this.#counters.refuse("closed");
      this.#refused++;
      return;
    }
    const start = performance.now();
    try {
      this.inner.write(event);
    } catch (error) {
      this.#writeThrew(error);
    }
    this.writeLatency.record(performance.now() - start);
  }

  /** A sink whose write throws breaks the contract; the caller must still not see it. */
  #writeThrew(error: unknown): void {
    this.#writeFailures++;
    this.#counters.lastError = error;
    this.lastErrorTime = this.#now();
    reportError(error, { source: "metrics", operation: "write", sink: this.name }, this.#onError);
  }

  #close(): Promise<void> {
    this.#closed = true;
    const stop = (): void => {
      this.#stopObserving?.();
      this.#stopObserving = undefined;
    };
    return this.inner.close().finally(stop);
  }

  /** How many of `count` events just told of were held by the chain when it was wrapped. */
  #heldAmong(count: number): number {
    const held = this.#held as HeldDeliveries;
    const skipped = held.take(count);
    if (held.done) this.#held = undefined;
    return skipped;
  }

  /** Records the latency of delivered events, `timestamps[from]` to `timestamps[to - 1]`. */
  #recordObserved(timestamps: Float64Array, from: number, to: number): void {
    const first = this.#held === undefined ? from : from + this.#heldAmong(to - from);
    const now = this.#now();
    const histogram = this.deliveryLatency;
    let run = first;
    while (run < to) {
      const timestamp = timestamps[run] as number;
      let end = run + 1;
      while (end < to && timestamps[end] === timestamp) end++;
      histogram.record(now - timestamp, end - run);
      run = end;
    }
  }

  /** Records the latency of delivered runs: `timestamps[i]` delivered `counts[i]` times. */
  #recordRuns(timestamps: Float64Array, counts: Float64Array, from: number, to: number): void {
    let skip = 0;
    if (this.#held !== undefined) {
      let told = 0;
      for (let run = from; run < to; run++) told += counts[run] as number;
      skip = this.#heldAmong(told);
    }
    const now = this.#now();
    const histogram = this.deliveryLatency;
    for (let run = from; run < to; run++) {
      let times = counts[run] as number;
      if (skip > 0) {
        const skipped = Math.min(skip, times);
        skip -= skipped;
        times -= skipped;
        if (times === 0) continue;
      }
      histogram.record(now - (timestamps[run] as number), times);
    }
  }

  /** Records the latency of the first `delivered` events of a settled batch. */
  #recordDelivery(timestamps: Float64Array, delivered: number): void {
    const now = this.#now();
    const histogram = this.deliveryLatency;
    let remaining = delivered;
    for (let run = 0; run < timestamps.length && remaining > 0; run += 2) {
      const times = Math.min(timestamps[run + 1] as number, remaining);
      histogram.record(now - (timestamps[run] as number), times);
      remaining -= times;
    }
  }
}

const noTimestamps = new Float64Array(0);

/** The batch's timestamps as pairs (timestamp, how many consecutive events share it). */
function encodeTimestamps(events: readonly LogEvent[]): Float64Array {
  let runs = 0;
  let previous = Number.NaN;
  for (const event of events) {
    if (event.timestamp !== previous) {
      runs++;
      previous = event.timestamp;
    }
  }
  const pairs = new Float64Array(runs * 2);
  let run = -2;
  previous = Number.NaN;
  for (const event of events) {
    if (event.timestamp !== previous) {
      run += 2;
      pairs[run] = event.timestamp;
      previous = event.timestamp;
    }
    pairs[run + 1] = (pairs[run + 1] as number) + 1;
  }
  return pairs;
}
