import {
  type DropReason,
  type LogEvent,
  LoggingError,
  levelOrdinal,
  registerExitDrain,
  reportError,
  type Sink,
  SinkCounters,
  type SinkStats,
} from "@sluice/core";
import { EventRing } from "./event-ring.ts";
import type { BudgetMember } from "./memory-budget.ts";
import { oversizePlaceholder } from "./oversize-placeholder.ts";
import {
  type QueueOptions,
  type ResolvedQueueOptions,
  resolveQueueOptions,
} from "./queue-options.ts";
import { retainedEventBytes } from "./retained-size.ts";

/** How long a batch in flight when the process runs out of work may still take, in milliseconds. */
const exitGraceMs = 1000;

/** The counters of a queue: the sink counters plus its depth and capacity. */
export interface QueueStats extends SinkStats {
  /** Events queued (not counting the batch in flight). */
  readonly depth: number;
  /** Estimated bytes queued. */
  readonly depthBytes: number;
  /** `maxEvents`. */
  readonly capacity: number;
  /** `maxBytes`. */
  readonly maxBytes: number;
  /** Events in the batch being delivered, 0 when none. */
  readonly inFlight: number;
  /** Estimated bytes of the batch being delivered. */
  readonly inFlightBytes: number;
}

/** The sink `withQueue` returns. */
export interface QueuedSink extends Sink {
  /** The wrapped sink. */
  readonly inner: Sink;
  /**
   * Resolves when the queue is below its back-pressure thresholds (at once if it already is),
   * for producers that can wait, such as batch jobs.
   */
  ready(): Promise<void>;
  /**
   * Hands every queued event to the inner sink's synchronous path (`write`, then `flushSync`),
   * for exit paths. Does nothing when the inner sink has no `flushSync`.
   */
  flushSync(): void;
  /** The queue's counters. */
  stats(): QueueStats;
}

interface FlushWaiter {
  readonly target: number;
  readonly failures: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Batch {
  readonly events: LogEvent[];
  readonly bytes: number;
  readonly firstSequence: number;
}

// What the queue keeps of the batch being delivered: its counts, not its events, so the events
// can die as soon as the inner sink is done with them instead of living (and being copied by
// the garbage collector) for the whole round trip.
interface InFlightBatch {
  readonly count: number;
  readonly bytes: number;
  readonly firstSequence: number;
}

// How many writes may share one reading of the clock while the queue is not empty.
const clockReadInterval = 64;

/**
 * Wraps a sink in a bounded queue: `write` only enqueues (nothing on the caller's path waits for
 * I/O) and a drain hands the inner sink ordered batches through `writeBatch`, one at a time.
 * Bounded by events and by estimated bytes, with an overflow policy, level-aware shedding,
 * back-pressure signals and an optional memory budget shared with other queues. Works with any
 * sink that honours the core contract.
 *
 * @param sink the sink to wrap.
 * @param options bounds, policies, batching and callbacks.
 * @returns the queued sink.
 * @throws {LoggingError} `invalid_option` for a bad option, and for `overflow: "block"` around a
 *   sink without `flushSync`.
 * @example
 * ```ts
 * const sink = withQueue(createFileSink({ path: "logs/app.log" }), {
 *   maxEvents: 50_000,
 *   overflow: "drop-oldest",
 *   onBackPressure: ({ depth }) => metrics.gauge("log_queue_depth", depth),
 * });
 * ```
 */
export function withQueue(sink: Sink, options: QueueOptions = {}): QueuedSink {
  if (sink === null || typeof sink !== "object" || typeof sink.writeBatch !== "function") {
    throw new LoggingError(
      "invalid_option",
      "withQueue expects a sink (an object with write, writeBatch, flush and close) as its first argument.",
    );
  }
  return new Queue(sink, resolveQueueOptions(sink, options));
}

class Queue implements QueuedSink, BudgetMember {
  readonly name: string;
  readonly inner: Sink;
  readonly #options: ResolvedQueueOptions;
  // Two rings so shedding finds the oldest low-level event in O(1); a sequence number on every
  // event lets the drain merge them back into arrival order.
  readonly #sheddable = new EventRing();
  readonly #protected = new EventRing();
  readonly #counters = new SinkCounters();
  #nextSequence = 0;
  #clockReading = 0;
  #writesUntilClockRead = 0;
  #inFlight: InFlightBatch | undefined;
  readonly #unregisterExitDrain: () => void;
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failures = 0;
  #lastFailure: unknown;
  #flushWaiters: FlushWaiter[] = [];
  #backPressured = false;
  #readyWaiters: (() => void)[] = [];
  #stalledAtExit: InFlightBatch | undefined;

  constructor(inner: Sink, options: ResolvedQueueOptions) {
    this.inner = inner;
    this.name = options.name;
    this.#options = options;
    options.memoryBudget?.join(this);
    this.#unregisterExitDrain = registerExitDrain(() => this.drainAtExit());
  }

  write(event: LogEvent): void {
    if (this.#closed) {
      this.#counters.refuse("closed");
      return;
    }
    try {
      this.#enqueue(event);
    } catch (error) {
      // Only a sink author's malformed event can get here; count it rather than throw.
      this.#counters.refuse("too_large");
      reportError(
        error,
        { source: "queue", operation: "write", sink: this.name },
        this.#options.onError,
      );
    }
  }

  writeBatch(events: readonly LogEvent[]): Promise<void> {
    if (this.#closed) {
      this.#counters.refuse("closed", events.length);
      return Promise.reject(new LoggingError("sink_closed", `Sink "${this.name}" is closed.`));
    }
    for (const event of events) this.write(event);
    return this.flush();
  }

  flush(): Promise<void> {
    return this.#settleQueued().then(() => this.inner.flush());
  }

  flushSync(): void {
    if (typeof this.inner.flushSync !== "function") return;
    while (this.#depth() > 0) this.#drainSync(this.#options.batchSize);
    try {
      this.inner.flushSync();
    } catch (error) {
      reportError(
        error,
        { source: "queue", operation: "flushSync", sink: this.name },
        this.#options.onError,
      );
    }
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  ready(): Promise<void> {
    if (!this.#aboveThreshold()) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  stats(): QueueStats {
    const inFlight = this.#inFlight;
    return {
      ...this.#counters.snapshot(),
      depth: this.#depth(),
      depthBytes: this.#queuedBytes(),
      capacity: this.#options.maxEvents,
      maxBytes: this.#options.maxBytes,
      inFlight: inFlight?.count ?? 0,
      inFlightBytes: inFlight?.bytes ?? 0,
    };
  }

  /**
   * Run when the event loop runs dry: starts a drain of what is queued, or asks for a grace
   * period for a batch in flight seen for the first time, or gives up a batch that was already in
   * flight at the previous exit check (its sink will never settle it).
   *
   * @returns how long the process should be kept alive for the batch in flight, in ms.
   */
  drainAtExit(): number {
    const inFlight = this.#inFlight;
    if (inFlight === undefined) {
      this.#stalledAtExit = undefined;
      if (this.#depth() > 0) this.#scheduleImmediate();
      return 0;
    }
    if (this.#stalledAtExit !== inFlight) {
      this.#stalledAtExit = inFlight;
      return exitGraceMs;
    }
    this.#abandonAtExit(inFlight);
    return 0;
  }

  heldBytes(): number {
    return this.#queuedBytes();
  }

  oldestSheddableTime(): number {
    return this.#sheddable.headTime();
  }

  oldestTime(): number {
    return Math.min(this.#sheddable.headTime(), this.#protected.headTime());
  }

  evictOldestSheddable(): boolean {
    if (this.#sheddable.length === 0) return false;
    this.#evictHead(this.#sheddable, "shed");
    return true;
  }

  evictOldest(): boolean {
    const ring = this.#oldestRing();
    if (ring === undefined) return false;
    this.#evictHead(ring, "queue_full");
    return true;
  }

  #enqueue(original: LogEvent): void {
    const options = this.#options;
    let event = original;
    let size = retainedEventBytes(event);
    if (size > options.maxEventBytes) {
      this.#counters.refuse("too_large");
      event = oversizePlaceholder(original, size, options.maxEventBytes);
      size = retainedEventBytes(event);
    }
    const sheddable = levelOrdinal(event.level) < options.shedOrdinal;
    if (!this.#makeRoom(size, sheddable)) return;
    (sheddable ? this.#sheddable : this.#protected).push(
      event,
      size,
      this.#nextSequence++,
      this.#enqueueTime(),
    );
    this.#counters.accept(1, size);
    if (!this.#backPressured && this.#aboveThreshold()) this.#signalBackPressure();
    if (this.#inFlight !== undefined) return;
    if (this.#depth() >= options.batchSize) this.#scheduleImmediate();
    else if (this.#timer === undefined && this.#immediate === undefined) {
      this.#scheduleTimer(Math.min(options.flushIntervalMs, options.maxBatchAgeMs));
    }
  }

  /** Makes room for one event of `size` bytes, or counts it as dropped and returns false. */
  #makeRoom(size: number, sheddable: boolean): boolean {
    const options = this.#options;
    const shedding = options.shedOrdinal >= 0;
    let deadline: number | undefined;
    for (;;) {
      const localRoom =
        this.#depth() < options.maxEvents && this.#queuedBytes() + size <= options.maxBytes;
      if (localRoom) {
        const budget = options.memoryBudget;
        if (budget === undefined || budget.reserve(size, !sheddable, this)) return true;
        if (this.#depth() === 0) {
          this.#counters.refuse("queue_full");
          return false;
        }
      }
      if (shedding && !sheddable && this.#sheddable.length > 0) {
        this.#evictHead(this.#sheddable, "shed");
        continue;
      }
      if (shedding && sheddable && this.#sheddable.length === 0) {
        // Everything queued is more severe than the newcomer: it yields.
        this.#counters.refuse("shed");
        return false;
      }
      if (options.overflow === "drop-newest") {
        this.#counters.refuse("queue_full");
        return false;
      }
      if (options.overflow === "drop-oldest") {
        const ring = shedding
          ? sheddable
            ? this.#sheddable
            : this.#protected
          : this.#oldestRing();
        if (ring === undefined || ring.length === 0) {
          this.#counters.refuse("queue_full");
          return false;
        }
        this.#evictHead(ring, "queue_full");
        continue;
      }
      deadline ??= options.now() + options.blockTimeoutMs;
      if (this.#depth() === 0 || options.now() > deadline) {
        this.#counters.refuse("queue_full");
        return false;
      }
      this.#drainSync(options.batchSize);
    }
  }

  /**
   * The enqueue time, reading the clock only when the queue is empty or every
   * {@link clockReadInterval} writes: a busy producer pays for one reading in many. A stale
   * reading only makes events look older, so they are delivered sooner, never held past
   * `maxBatchAgeMs`.
   */
  #enqueueTime(): number {
    if (this.#depth() === 0 || --this.#writesUntilClockRead <= 0) {
      this.#writesUntilClockRead = clockReadInterval;
      this.#clockReading = this.#options.now();
    }
    return this.#clockReading;
  }

  #depth(): number {
    return this.#sheddable.length + this.#protected.length;
  }

  #queuedBytes(): number {
    return this.#sheddable.bytes + this.#protected.bytes;
  }

  #oldestRing(): EventRing | undefined {
    if (this.#depth() === 0) return undefined;
    return this.#sheddable.headSequence() < this.#protected.headSequence()
      ? this.#sheddable
      : this.#protected;
  }

  #evictHead(ring: EventRing, reason: DropReason): void {
    const size = ring.headSize();
    ring.shift();
    this.#counters.drop(reason, 1, size);
    this.#options.memoryBudget?.release(size);
    this.#afterRemoval();
  }

  #takeBatch(limit: number): Batch {
    const events: LogEvent[] = [];
    let bytes = 0;
    let firstSequence = Number.POSITIVE_INFINITY;
    while (events.length < limit) {
      const ring = this.#oldestRing();
      if (ring === undefined) break;
      if (events.length === 0) firstSequence = ring.headSequence();
      bytes += ring.headSize();
      events.push(ring.shift());
    }
    this.#options.memoryBudget?.release(bytes);
    return { events, bytes, firstSequence };
  }

  #drainSync(limit: number): void {
    const { events, bytes } = this.#takeBatch(limit);
    if (events.length === 0) return;
    try {
      for (const event of events) this.inner.write(event);
      this.inner.flushSync?.();
      this.#counters.deliver(events.length, bytes);
    } catch (error) {
      this.#recordFailure(events.length, bytes, error);
    }
    this.#afterRemoval();
  }

  #drain(): void {
    this.#cancelTimers();
    if (this.#inFlight !== undefined || this.#depth() === 0) return;
    const { events, bytes, firstSequence } = this.#takeBatch(this.#options.batchSize);
    const batch: InFlightBatch = { count: events.length, bytes, firstSequence };
    this.#inFlight = batch;
    this.#afterRemoval();
    let delivery: Promise<void>;
    try {
      delivery = this.inner.writeBatch(events);
    } catch (error) {
      delivery = Promise.reject(error);
    }
    delivery.then(
      () => this.#settleBatch(batch, undefined, false),
      (error: unknown) => this.#settleBatch(batch, error, true),
    );
  }

  #settleBatch(batch: InFlightBatch, error: unknown, failed: boolean): void {
    // Given up at exit and already counted.
    if (this.#inFlight !== batch) return;
    if (failed) this.#recordFailure(batch.count, batch.bytes, error);
    else this.#counters.deliver(batch.count, batch.bytes);
    this.#inFlight = undefined;
    this.#checkFlushWaiters();
    this.#scheduleAfterBatch();
  }

  /**
   * The process ran out of work twice while `batch` was in flight: the inner sink will never
   * settle it. It and everything queued behind it are counted as dropped, and said once.
   */
  #abandonAtExit(batch: InFlightBatch): void {
    const queued = this.#takeBatch(this.#depth());
    const count = batch.count + queued.events.length;
    this.#inFlight = undefined;
    this.#stalledAtExit = undefined;
    this.#counters.drop("shutdown_timeout", count, batch.bytes + queued.bytes);
    const error = new LoggingError(
      "timeout",
      `The process ran out of work while "${this.inner.name ?? "the inner sink"}" still held a batch ` +
        `of ${batch.count} events for over ${exitGraceMs} ms; ${count} events (${batch.count} in ` +
        `flight, ${queued.events.length} queued) were dropped as shutdown_timeout.`,
    );
    this.#failures += 1;
    this.#lastFailure = error;
    reportError(
      error,
      { source: "queue", operation: "exit", sink: this.name, events: count },
      this.#options.onError,
    );
    this.#afterRemoval();
  }

  #recordFailure(count: number, bytes: number, error: unknown): void {
    const failure =
      error ?? new LoggingError("sink_failure", `The sink wrapped by "${this.name}" failed.`);
    this.#counters.fail(count, bytes, failure);
    this.#failures += 1;
    this.#lastFailure = failure;
    reportError(
      failure,
      { source: "queue", operation: "writeBatch", sink: this.name, events: count },
      this.#options.onError,
    );
  }

  #scheduleAfterBatch(): void {
    const depth = this.#depth();
    if (depth === 0) return;
    const options = this.#options;
    const age = options.now() - this.oldestTime();
    if (
      depth >= options.batchSize ||
      this.#flushWaiters.length > 0 ||
      this.#closing !== undefined ||
      age >= options.maxBatchAgeMs
    ) {
      this.#scheduleImmediate();
    } else {
      this.#scheduleTimer(
        Math.max(0, Math.min(options.flushIntervalMs, options.maxBatchAgeMs - age)),
      );
    }
  }

  #scheduleImmediate(): void {
    if (this.#immediate !== undefined) return;
    this.#immediate = setImmediate(() => {
      this.#immediate = undefined;
      this.#drain();
    });
  }

  #scheduleTimer(delay: number): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#drain();
    }, delay);
    this.#timer.unref();
  }

  #cancelTimers(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #aboveThreshold(): boolean {
    return (
      this.#depth() >= this.#options.backPressureThreshold ||
      this.#queuedBytes() >= this.#options.backPressureThresholdBytes
    );
  }

  #signalBackPressure(): void {
    this.#backPressured = true;
    const callback = this.#options.onBackPressure;
    if (callback === undefined) return;
    try {
      callback({ depth: this.#depth(), bytes: this.#queuedBytes() });
    } catch (error) {
      reportError(
        error,
        { source: "queue", operation: "onBackPressure", sink: this.name },
        this.#options.onError,
      );
    }
  }

  #afterRemoval(): void {
    const options = this.#options;
    if (this.#readyWaiters.length > 0 && !this.#aboveThreshold()) {
      const waiters = this.#readyWaiters;
      this.#readyWaiters = [];
      for (const resolve of waiters) resolve();
    }
    if (
      this.#backPressured &&
      this.#depth() <= options.backPressureThreshold / 2 &&
      this.#queuedBytes() <= options.backPressureThresholdBytes / 2
    ) {
      this.#backPressured = false;
    }
    if (this.#flushWaiters.length > 0) this.#checkFlushWaiters();
  }

  /** Resolves when every event accepted before the call has been delivered, dropped or failed. */
  #settleQueued(): Promise<void> {
    const target = this.#nextSequence - 1;
    const failures = this.#failures;
    if (this.#settledUpTo(target)) {
      return failures === this.#failures ? Promise.resolve() : Promise.reject(this.#lastFailure);
    }
    const settled = new Promise<void>((resolve, reject) => {
      this.#flushWaiters.push({ target, failures, resolve, reject });
    });
    this.#scheduleImmediate();
    return settled;
  }

  #settledUpTo(target: number): boolean {
    const oldestQueued = Math.min(this.#sheddable.headSequence(), this.#protected.headSequence());
    if (oldestQueued <= target) return false;
    return this.#inFlight === undefined || this.#inFlight.firstSequence > target;
  }

  #checkFlushWaiters(): void {
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.#flushWaiters) {
      if (!this.#settledUpTo(waiter.target)) waiting.push(waiter);
      else if (waiter.failures === this.#failures) waiter.resolve();
      else waiter.reject(this.#lastFailure);
    }
    this.#flushWaiters = waiting;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const errors: unknown[] = [];
    try {
      await this.#settleQueued();
    } catch (error) {
      errors.push(error);
    }
    this.#cancelTimers();
    this.#unregisterExitDrain();
    this.#options.memoryBudget?.leave(this);
    try {
      await this.inner.close();
    } catch (error) {
      errors.push(error);
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `Closing "${this.name}" failed.`);
  }
}
