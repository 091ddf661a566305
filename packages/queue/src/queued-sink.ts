import {
  type DropReason,
  type LogEvent,
  LoggingError,
  levelOrdinal,
  type Sink,
  type SinkStats,
} from "@sluice/core";
import {
  Abandonment,
  type DeliveryObserver,
  deliveredCount,
  dropReasons,
  PartialDeliveryError,
  registerExitDrain,
  reportError,
  retainedEventBytes,
  SinkCounters,
  settleSinkCall,
  UnreportedFailures,
  walkSinkChain,
} from "@sluice/core/sink";
import { EventRing } from "./event-ring.ts";
import type { BudgetMember } from "./memory-budget.ts";
import { oversizePlaceholder } from "./oversize-placeholder.ts";
import {
  type QueueOptions,
  type ResolvedQueueOptions,
  resolveQueueOptions,
} from "./queue-options.ts";

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
  /** Events in the batches being delivered, 0 when none. */
  readonly inFlight: number;
  /** Estimated bytes of the batches being delivered. */
  readonly inFlightBytes: number;
  /**
   * Times the wrapped sink broke the `Sink` contract (a method threw, returned no promise, or
   * settled one twice); each is also reported to `onError` once.
   */
  readonly contractViolations: number;
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
   * Hands the queued events to the inner sink a batch at a time (`writeBatch`, then its
   * `flushSync`), for exit paths, counting each batch from the outcome the inner sink tells
   * synchronously. A batch it takes without telling stays in flight (`pending`) until its
   * outcome, or an `abandon`, counts it; the rest then stays queued. Does nothing when the inner
   * sink has no `flushSync`, or when called from inside the queue's own hand-over.
   */
  flushSync(): void;
  /**
   * Gives up every event queued or in flight (see `Sink.abandon`), counted as dropped for
   * `reason`, settles pending calls at once, and passes the call to the inner sink first: what
   * the inner sink tells it delivered of a batch in flight while it gives up (whole lines a
   * stalled pipe took) counts as delivered here too, so both levels count the same events. The
   * same path gives up a batch the inner sink never settles when the process runs out of work.
   *
   * @param reason the drop reason, e.g. `shutdown_timeout`.
   */
  abandon(reason: DropReason): void;
  /** The queue's counters. */
  stats(): QueueStats;
}

interface FlushWaiter {
  readonly target: number;
  readonly mark: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

/** How events were lost: dropped for a reason, or failed with an error. */
type Loss = { readonly reason: DropReason } | { readonly error: unknown };

/**
 * A `writeBatch` waiting for its events, numbered `start` to `end`. Once one of them is lost, the
 * rest are not delivered either (they are taken out of the queue), so that what was delivered is
 * a prefix, as a rejection says.
 */
interface BatchWaiter {
  readonly start: number;
  end: number;
  readonly total: number;
  /** The sequence number of the first of its events lost (dropped or failed); the end if none. */
  firstLost: number;
  /** How the first lost event was lost, for the events after it. */
  loss: Loss | undefined;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface Batch {
  readonly events: LogEvent[];
  readonly bytes: number;
  readonly firstSequence: number;
  readonly lastSequence: number;
}

// What the queue keeps of the batch being delivered: its counts, not its events, so the events
// can die as soon as the inner sink is done with them instead of living (and being copied by
// the garbage collector) for the whole round trip.
interface InFlightBatch {
  readonly count: number;
  readonly bytes: number;
  readonly firstSequence: number;
  readonly lastSequence: number;
}

/** How long a batch in flight when the process runs out of work may still take, in milliseconds. */
const exitGraceMs = 1000;

// How many writes may share one reading of the clock while the queue is not empty.
const clockReadInterval = 64;

// How many of the drain's batches may be in flight at once. With one, a batch waits for the whole
// write round trip of the one before it (at least two turns of the event loop), so a producer
// logging a batch's worth per turn outruns the drain; with two it still falls behind whenever a
// write takes longer than two turns (measured: drops in one 1M-event burst in three on a loaded
// machine). Full batches handed over while one is written let a sink that buffers in order (the
// file sink) write them back to back, in one chunk. Beyond the first, a batch goes only while the
// drain's batches in flight are estimated under `maxBytes`, so what a slow inner sink holds for
// the queue stays bounded like the queue itself.
const drainsInFlightLimit = 8;

/**
 * Wraps a sink in a bounded queue: `write` only enqueues (nothing on the caller's path waits for
 * I/O) and a drain hands the inner sink ordered batches through `writeBatch`, in order, the next
 * ones while the one before them is written (at most eight in flight).
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
  // Its own writeBatch calls are queued in call order.
  readonly acceptsOverlappingBatches = true;
  /** Passed through to the inner sink, when it has it: deliveries happen there. */
  readonly observeDelivery?: (observer: DeliveryObserver) => () => void;
  readonly #options: ResolvedQueueOptions;
  // Two rings so shedding finds the oldest low-level event in O(1); a sequence number on every
  // event lets the drain merge them back into arrival order.
  readonly #sheddable = new EventRing();
  readonly #protected = new EventRing();
  readonly #counters = new SinkCounters();
  #nextSequence = 0;
  #clockReading = 0;
  #writesUntilClockRead = 0;
  // Batches handed to the inner sink and not yet settled: the drain's, and any a blocking write
  // handed over.
  #inFlight: InFlightBatch[] = [];
  // How many of the batches in flight are the drain's (at most drainsInFlightLimit), and their
  // estimated bytes.
  #drainsInFlight = 0;
  #drainBytesInFlight = 0;
  readonly #unregisterExitDrain: () => void;
  // Whether the inner sink, and every sink it wraps, declares writeBatch's `settled` listener (a
  // second parameter), the only way a batch's outcome can reach the queue on an exit path: a
  // wrapper passes the listener on, and tells only what the sink below it tells. See
  // #drainSyncUntold for a chain that cannot tell.
  readonly #innerTells: boolean;
  #stalledAtExit: InFlightBatch | undefined;
  // Set once the process ran out of work with a batch the inner sink never settled: its flush
  // and close would never settle either, so they are still called but no longer waited for.
  #innerWedged = false;
  // The reason an abandon passed to the inner sink gives up for, while it runs.
  #givingUp: DropReason | undefined;
  readonly #abandonment = new Abandonment();
  #timer: NodeJS.Timeout | undefined;
  #immediate: NodeJS.Immediate | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #failures = new UnreportedFailures();
  #contractViolations = 0;
  // Violations already reported, so a rejection carrying one is not reported again.
  readonly #reportedViolations = new WeakSet<object>();
  #flushWaiters: FlushWaiter[] = [];
  // Above 0 while a batch is being handed to the inner sink or the inner sink drains
  // synchronously for the queue: a flushSync or blocking write reached from there (a formatter or
  // error callback that logs or flushes) hands nothing more, so batches reach the sink whole and
  // in order.
  #handingOver = 0;
  #batchWaiters: BatchWaiter[] = [];
  #backPressured = false;
  #readyWaiters: (() => void)[] = [];

  constructor(inner: Sink, options: ResolvedQueueOptions) {
    this.inner = inner;
    if (typeof inner.observeDelivery === "function") {
      this.observeDelivery = (observer) => inner.observeDelivery?.(observer) ?? (() => {});
    }
    this.name = options.name;
    this.#options = options;
    this.#innerTells = walkSinkChain(inner).every(
      (sink) => typeof sink.writeBatch === "function" && sink.writeBatch.length >= 2,
    );
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
    const start = this.#nextSequence;
    const waiter: BatchWaiter = {
      start,
      end: Number.POSITIVE_INFINITY,
      total: events.length,
      firstLost: Number.POSITIVE_INFINITY,
      loss: undefined,
      resolve: () => {},
      reject: () => {},
    };
    const settled = new Promise<void>((resolve, reject) => {
      Object.assign(waiter, { resolve, reject });
    });
    // Registered first, so that an event of this batch evicted while it is written counts.
    this.#batchWaiters.push(waiter);
    let taken = 0;
    for (let index = 0; index < events.length; index++) {
      const before = this.#nextSequence;
      const dropped = { ...this.#counters.dropped };
      this.write(events[index] as LogEvent);
      const took = this.#nextSequence !== before;
      if (took) taken += 1;
      if (took && waiter.firstLost === Number.POSITIVE_INFINITY) continue;
      // What is delivered must be a prefix: once one event is lost (refused, or evicted while the
      // batch was written), the rest are not taken.
      const reason = dropReasons.find((name) => this.#counters.dropped[name] !== dropped[name]);
      const rest = events.length - index - 1;
      if (rest > 0) this.#counters.refuse(reason ?? "queue_full", rest);
      waiter.loss ??= { reason: reason ?? "queue_full" };
      break;
    }
    waiter.end = start + taken - 1;
    if (waiter.firstLost > start + taken) waiter.firstLost = start + taken;
    // An event taken after an earlier one of the batch was evicted must not be delivered.
    if (waiter.loss !== undefined) this.#discardRest(waiter, waiter.loss);
    this.#afterRemoval();
    if (this.#batchWaiters.includes(waiter)) this.#scheduleImmediate();
    return settled;
  }

  async flush(): Promise<void> {
    const failures: unknown[] = [];
    try {
      await this.#settleQueued();
    } catch (error) {
      failures.push(error);
    }
    // The inner sink is flushed whatever happened here, and a failure it reports that the queue
    // already counted (the same error) is reported once.
    try {
      await this.#awaitInner("flush", () => this.inner.flush());
    } catch (error) {
      addFailure(failures, error);
    }
    throwFailures(failures, `Flushing "${this.name}" failed.`);
  }

  flushSync(timeoutMs?: number): void {
    // Called from inside a hand-over (a formatter or error callback that flushes): the hand-over
    // in progress goes on once this returns, and a batch handed over from here would reach the
    // inner sink in the middle of the one before it.
    if (typeof this.inner.flushSync !== "function" || this.#handingOver > 0) return;
    const deadline = timeoutMs === undefined ? undefined : this.#options.now() + timeoutMs;
    this.#handingOver += 1;
    try {
      do {
        const before = this.#innerBacklog();
        if (!this.#innerTells) {
          this.#drainSyncUntold(this.#options.batchSize);
          this.#flushInnerSync(this.#remaining(deadline));
        } else if (this.#mayHandOverSync()) {
          this.#handOffSync(deadline);
        } else {
          // A sink that takes one batch at a time gets the next once the one in flight settled,
          // which its flushSync may do.
          this.#flushInnerSync(this.#remaining(deadline));
        }
        // A destination that could not take what it was given (a pipe whose reader stopped: the
        // sink waited, then failed the text or kept it) would make every further batch wait as
        // long again: the rest stays queued, for the exit path to count, and the drain ends
        // after one wait however much is queued.
        const after = this.#innerBacklog();
        if (after.pending > 0 || after.failed > before.failed) break;
        // A batch the inner sink took without telling its outcome by now (it writes
        // asynchronously) stays in flight and is counted when the outcome comes: delivered or
        // failed if the process goes on; at an exit, dropped as `process_exit` by the `abandon`
        // that follows a `flushSync` there (the shutdown hooks call both), or as
        // `shutdown_timeout` after the exit grace when the event loop runs dry. The sink counts
        // what it still holds the same way, so both ends of the chain say the events were lost,
        // and nothing is counted delivered that nobody saw delivered. Nothing more goes to such
        // a sink here, where it would only wait in flight as well.
        if (this.#innerTells && this.#inFlight.length > 0) break;
      } while (this.#depth() > 0);
    } finally {
      this.#handingOver -= 1;
    }
  }

  /**
   * What the inner sink still holds and how many events its destination failed so far, by its
   * stats (nothing, for a sink without them). Events it refused one by one (too large, a
   * formatter's error) say nothing about the destination and do not stop a drain.
   */
  #innerBacklog(): { pending: number; failed: number } {
    try {
      const stats = this.inner.stats?.();
      if (stats !== undefined) return { pending: stats.pending, failed: stats.failed };
    } catch {
      // A sink whose stats throw tells nothing here; its other faults are counted elsewhere.
    }
    return { pending: 0, failed: 0 };
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  abandon(reason: DropReason): void {
    if (this.#abandonment.abandoned) return;
    this.#closed = true;
    this.#cancelTimers();
    if (this.#immediate !== undefined) clearImmediate(this.#immediate);
    this.#immediate = undefined;
    this.#unregisterExitDrain();
    const held = this.#depth() + this.#inFlightCount();
    this.#giveUp(
      reason,
      new LoggingError(
        "timeout",
        `Queue "${this.name}" gave up ${held} events it still held (${reason}).`,
      ),
    );
    this.#options.memoryBudget?.leave(this);
    this.#abandonment.abandon();
  }

  /**
   * Passes an abandon to the inner sink while the batches in flight are still the queue's, so a
   * delivered prefix it tells while giving up (the lines a stalled pipe took) is counted
   * delivered here too, and only the rest dropped for `reason` (see {@link Queue.#settleBatch}).
   */
  #abandonInner(reason: DropReason): void {
    if (typeof this.inner.abandon !== "function") return;
    this.#givingUp = reason;
    try {
      this.inner.abandon(reason);
    } catch (error) {
      this.#contractViolation(
        new LoggingError("contract_violation", "Sink.abandon threw.", { cause: error }),
        "abandon",
      );
    } finally {
      this.#givingUp = undefined;
    }
  }

  ready(): Promise<void> {
    if (!this.#aboveThreshold()) return Promise.resolve();
    return new Promise((resolve) => this.#readyWaiters.push(resolve));
  }

  stats(): QueueStats {
    let inFlight = 0;
    let inFlightBytes = 0;
    for (const batch of this.#inFlight) {
      inFlight += batch.count;
      inFlightBytes += batch.bytes;
    }
    return {
      ...this.#counters.snapshot(),
      depth: this.#depth(),
      depthBytes: this.#queuedBytes(),
      capacity: this.#options.maxEvents,
      maxBytes: this.#options.maxBytes,
      inFlight,
      inFlightBytes,
      contractViolations: this.#contractViolations,
    };
  }

  /**
   * Run when the event loop runs dry: starts a drain of what is queued, or asks for a grace
   * period for a batch in flight seen for the first time, or gives up the batches in flight when
   * the oldest was already in flight at the previous exit check (its sink will never settle it).
   *
   * @returns how long the process should be kept alive for a batch in flight, in ms.
   */
  drainAtExit(): number {
    const oldest = this.#inFlight[0];
    if (oldest === undefined) {
      this.#stalledAtExit = undefined;
      if (this.#depth() > 0) this.#scheduleImmediate();
      return 0;
    }
    if (this.#stalledAtExit !== oldest) {
      this.#stalledAtExit = oldest;
      return exitGraceMs;
    }
    this.#abandonAtExit();
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
    let depth = this.#depth();
    let queuedBytes = this.#queuedBytes();
    // Room without a budget to ask is the common case, decided here without a call.
    const room =
      options.memoryBudget === undefined &&
      depth < options.maxEvents &&
      queuedBytes + size <= options.maxBytes;
    if (room) {
      depth += 1;
      queuedBytes += size;
    } else if (this.#makeRoom(size, sheddable)) {
      // Making room may have evicted events.
      depth = this.#depth() + 1;
      queuedBytes = this.#queuedBytes() + size;
    } else {
      return;
    }
    (sheddable ? this.#sheddable : this.#protected).push(
      event,
      size,
      this.#nextSequence++,
      this.#enqueueTime(depth),
    );
    this.#counters.accept(1, size);
    if (
      !this.#backPressured &&
      (depth >= options.backPressureThreshold || queuedBytes >= options.backPressureThresholdBytes)
    ) {
      this.#signalBackPressure();
    }
    if (depth >= options.batchSize) {
      if (this.#drainsInFlight === 0 || this.#mayPipeline()) this.#scheduleImmediate();
      return;
    }
    if (this.#drainsInFlight > 0) return;
    if (this.#timer === undefined && this.#immediate === undefined) {
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
      // From inside a hand-over (a formatter that logs), waiting would mean handing the inner
      // sink a batch in the middle of the one it is taking: the newcomer is discarded instead.
      if (this.#depth() === 0 || options.now() > deadline || this.#handingOver > 0) {
        this.#counters.refuse("queue_full");
        return false;
      }
      this.#handOffSync(deadline);
    }
  }

  /**
   * The enqueue time, reading the clock only when the queue is empty or every
   * {@link clockReadInterval} writes: a busy producer pays for one reading in many. A stale
   * reading only makes events look older, so they are delivered sooner, never held past
   * `maxBatchAgeMs`.
   */
  #enqueueTime(depth: number): number {
    // `depth` counts the event being queued: 1 when the queue was empty.
    if (depth === 1 || --this.#writesUntilClockRead <= 0) {
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
    const sequence = ring.headSequence();
    ring.shift();
    this.#counters.drop(reason, 1, size);
    this.#options.memoryBudget?.release(size);
    this.#lost(sequence, sequence, { reason });
    this.#afterRemoval();
  }

  #takeBatch(limit: number): Batch {
    const events: LogEvent[] = [];
    let bytes = 0;
    let firstSequence = Number.POSITIVE_INFINITY;
    let lastSequence = Number.NEGATIVE_INFINITY;
    while (events.length < limit) {
      const ring = this.#oldestRing();
      if (ring === undefined) break;
      if (events.length === 0) firstSequence = ring.headSequence();
      // The run of this ring's events older than the other ring's oldest goes in one take; with
      // one ring in use (no shedding, or one level), that is the whole batch.
      const other = ring === this.#sheddable ? this.#protected : this.#sheddable;
      const taken = ring.takeOlderThan(other.headSequence(), limit - events.length, events);
      bytes += taken.bytes;
      lastSequence = taken.lastSequence;
    }
    this.#options.memoryBudget?.release(bytes);
    return { events, bytes, firstSequence, lastSequence };
  }

  /**
   * `flushSync`'s step for an inner sink whose `writeBatch`, or that of a sink it wraps, declares
   * no `settled` listener (core's `createSink` and memory sink, most sinks of other authors, and
   * any wrapper around one): hands a batch to its `write`,
   * counted delivered once it took them, as handed on to the wrapped sink (`SinkStats.delivered`);
   * its own counters then say what became of them, and the shutdown report reads them there.
   * Handed to its `writeBatch` instead, a batch could only wait in flight until an exit counts it
   * lost, even when the sink's synchronous drain delivers it, since no outcome can reach the
   * queue there; and such a sink's `flushSync` may drain only what `write` took.
   */
  #drainSyncUntold(limit: number): void {
    const { events, bytes, firstSequence, lastSequence } = this.#takeBatch(limit);
    if (events.length === 0) return;
    try {
      for (const event of events) this.inner.write(event);
      this.#counters.deliver(events.length, bytes);
    } catch (error) {
      this.#recordFailure(events.length, bytes, error);
      this.#lost(firstSequence, lastSequence, { error });
    }
    this.#afterRemoval();
  }

  /**
   * One step of a synchronous hand-over, for `flushSync` and the `block` policy: hands the oldest
   * batch to the inner sink through `writeBatch`, so it is counted from the outcome the inner sink
   * reports (the delivered prefix and the failed rest; never as delivered while merely buffered),
   * then lets the inner sink write synchronously until the deadline at most.
   */
  #handOffSync(deadline: number | undefined): void {
    this.#handingOver += 1;
    try {
      this.#send(false);
      this.#flushInnerSync(this.#remaining(deadline));
    } finally {
      this.#handingOver -= 1;
    }
  }

  /**
   * Whether a synchronous hand-over may hand another batch while some are in flight: to a sink
   * that takes overlapping batches, and only while no `writeBatch` of the queue's own waits, as
   * for the drain's pipelining.
   */
  #mayHandOverSync(): boolean {
    return (
      this.#inFlight.length === 0 ||
      (this.inner.acceptsOverlappingBatches === true && this.#batchWaiters.length === 0)
    );
  }

  #remaining(deadline: number | undefined): number | undefined {
    return deadline === undefined ? undefined : Math.max(0, deadline - this.#options.now());
  }

  #flushInnerSync(timeoutMs: number | undefined): void {
    try {
      this.inner.flushSync?.(timeoutMs);
    } catch (error) {
      this.#contractViolation(
        new LoggingError("contract_violation", "Sink.flushSync threw.", { cause: error }),
        "flushSync",
      );
    }
  }

  #drain(): void {
    this.#cancelTimers();
    while (this.#depth() > 0 && (this.#drainsInFlight === 0 || this.#mayPipeline())) {
      this.#send(true);
    }
  }

  /**
   * Whether the next batch may go while the drain has one in flight: a full batch (a partial one
   * when a flush or close waits), within the limits of count and bytes in flight, and only while
   * no `writeBatch` of the queue's own waits, whose promise must say that nothing after a failed
   * event was delivered.
   */
  #mayPipeline(): boolean {
    return (
      this.inner.acceptsOverlappingBatches === true &&
      this.#drainsInFlight < drainsInFlightLimit &&
      this.#drainBytesInFlight < this.#options.maxBytes &&
      this.#batchWaiters.length === 0 &&
      (this.#depth() >= this.#options.batchSize ||
        this.#flushWaiters.length > 0 ||
        this.#closing !== undefined)
    );
  }

  /** Hands the oldest batch to the inner sink's `writeBatch`; `drain` marks the drain's own. */
  #send(drain: boolean): void {
    const { events, bytes, firstSequence, lastSequence } = this.#takeBatch(this.#options.batchSize);
    if (events.length === 0) return;
    const batch: InFlightBatch = { count: events.length, bytes, firstSequence, lastSequence };
    this.#inFlight.push(batch);
    if (drain) {
      this.#drainsInFlight += 1;
      this.#drainBytesInFlight += bytes;
    }
    this.#afterRemoval();
    // The inner sink may tell the outcome synchronously (see `Sink.writeBatch`): at process exit,
    // a batch it wrote inside `flushSync` is known delivered only this way, as promise reactions
    // never run again. Told during the call itself, it is counted once the call returned, so the
    // queue's state is never changed under its own `#send`. The promise then changes nothing.
    let calling = true;
    let told: { readonly delivered: number; readonly error: unknown } | undefined;
    const settled = (delivered: number, error?: unknown): void => {
      if (told !== undefined || typeof delivered !== "number" || !(delivered >= 0)) return;
      told = { delivered: Math.min(Math.floor(delivered), batch.count), error };
      if (!calling) this.#settleTold(batch, drain, told);
    };
    this.#handingOver += 1;
    try {
      this.#callInner("writeBatch", () => this.inner.writeBatch(events, settled)).then(
        () => this.#settleBatch(batch, drain, undefined),
        (error: unknown) => this.#settleBatch(batch, drain, { error }),
      );
    } finally {
      this.#handingOver -= 1;
    }
    calling = false;
    if (told !== undefined) this.#settleTold(batch, drain, told);
  }

  /** Counts a batch whose outcome the inner sink told synchronously. */
  #settleTold(
    batch: InFlightBatch,
    drain: boolean,
    told: { readonly delivered: number; readonly error: unknown },
  ): void {
    if (told.delivered === batch.count) {
      this.#settleBatch(batch, drain, undefined);
      return;
    }
    // The rest failed; the count told wins over one the error may carry.
    const error =
      deliveredCount(told.error, batch.count) === told.delivered
        ? told.error
        : new PartialDeliveryError(told.delivered, batch.count, { cause: told.error });
    this.#settleBatch(batch, drain, { error });
  }

  /** Counts a settled batch: the prefix a rejection says was delivered, and the rest failed. */
  #settleBatch(
    batch: InFlightBatch,
    drain: boolean,
    failure: { error: unknown } | undefined,
  ): void {
    // Given up at exit and already counted.
    if (!this.#inFlight.includes(batch)) return;
    if (failure === undefined) {
      this.#counters.deliver(batch.count, batch.bytes);
    } else if (this.#givingUp !== undefined) {
      // Told by the inner sink while it gives up: what it delivered is delivered, and the rest is
      // given up for the same reason at both levels, not failed.
      const reason = this.#givingUp;
      const delivered = deliveredCount(failure.error, batch.count);
      const deliveredBytes = Math.round((batch.bytes * delivered) / batch.count);
      this.#counters.deliver(delivered, deliveredBytes);
      if (delivered < batch.count) {
        this.#counters.drop(reason, batch.count - delivered, batch.bytes - deliveredBytes);
        this.#failures.record(failure.error);
        this.#lost(batch.firstSequence + delivered, batch.lastSequence, { reason });
      }
    } else {
      const delivered = deliveredCount(failure.error, batch.count);
      // A batch's sequence numbers are consecutive unless events in between were evicted, which
      // were counted as lost already; so this is at or before its first failed event.
      const deliveredBytes = Math.round((batch.bytes * delivered) / batch.count);
      this.#counters.deliver(delivered, deliveredBytes);
      this.#recordFailure(batch.count - delivered, batch.bytes - deliveredBytes, failure.error);
      if (delivered < batch.count) {
        this.#lost(batch.firstSequence + delivered, batch.lastSequence, failure);
      }
    }
    this.#inFlight.splice(this.#inFlight.indexOf(batch), 1);
    if (drain) {
      this.#drainsInFlight -= 1;
      this.#drainBytesInFlight -= batch.bytes;
    }
    this.#checkFlushWaiters();
    this.#scheduleAfterBatch();
  }

  /**
   * The process ran out of work twice while the oldest batch was in flight: the inner sink will
   * never settle it. The inner sink is abandoned (`shutdown_timeout`) as well, so that both count
   * the same events: what it tells it delivered of the batches in flight (a stalled pipe took
   * part of them) is delivered here too, and the rest of them and everything queued behind them
   * are counted as dropped (`shutdown_timeout`), and said once.
   */
  #abandonAtExit(): void {
    const inFlight = this.#inFlightCount();
    const queued = this.#depth();
    const count = inFlight + queued;
    const error = new LoggingError(
      "timeout",
      `The process ran out of work while "${this.inner.name ?? "the inner sink"}" still held ` +
        `${inFlight} events for over ${exitGraceMs} ms; ${count} events (${inFlight} in ` +
        `flight, ${queued} queued) were given up as shutdown_timeout, but for what it had ` +
        "delivered of them.",
    );
    this.#giveUp("shutdown_timeout", error);
    reportError(
      error,
      { source: "queue", operation: "exit", sink: this.name, events: count },
      this.#options.onError,
    );
  }

  #inFlightCount(): number {
    let count = 0;
    for (const batch of this.#inFlight) count += batch.count;
    return count;
  }

  /**
   * Gives up every batch in flight and everything queued behind them, counted as dropped for
   * `reason` but for the prefix of a batch the inner sink tells it delivered while it gives up as
   * well; the inner sink is no longer waited for, and waiting calls settle with `error`.
   */
  #giveUp(reason: DropReason, error: LoggingError): void {
    this.#abandonInner(reason);
    const abandoned = this.#inFlight.splice(0);
    this.#drainsInFlight = 0;
    this.#drainBytesInFlight = 0;
    this.#innerWedged = true;
    this.#stalledAtExit = undefined;
    const queued = this.#takeBatch(this.#depth());
    let inFlightCount = 0;
    let inFlightBytes = 0;
    for (const batch of abandoned) {
      inFlightCount += batch.count;
      inFlightBytes += batch.bytes;
    }
    const count = inFlightCount + queued.events.length;
    this.#counters.drop(reason, count, inFlightBytes + queued.bytes);
    if (count > 0) this.#failures.record(error);
    for (const batch of abandoned) {
      this.#lost(batch.firstSequence, batch.lastSequence, { reason });
    }
    if (queued.events.length > 0) {
      this.#lost(queued.firstSequence, queued.lastSequence, { reason });
    }
    this.#afterRemoval();
    this.#checkFlushWaiters();
  }

  /**
   * Tells the waiting batches that events numbered `from` to `to` were lost, and takes the rest of
   * an affected batch out of the queue the same way.
   */
  #lost(from: number, to: number, loss: Loss): void {
    for (const waiter of this.#batchWaiters) {
      if (to < waiter.start || from > waiter.end) continue;
      const first = Math.max(from, waiter.start);
      if (first >= waiter.firstLost) continue;
      waiter.firstLost = first;
      waiter.loss ??= loss;
      this.#discardRest(waiter, loss);
    }
  }

  /** Takes a batch's events after its first lost one out of the head of the queue. */
  #discardRest(waiter: BatchWaiter, loss: Loss): void {
    for (;;) {
      const ring = this.#oldestRing();
      if (ring === undefined) return;
      const sequence = ring.headSequence();
      if (sequence < waiter.firstLost || sequence > waiter.end) return;
      const size = ring.headSize();
      ring.shift();
      this.#options.memoryBudget?.release(size);
      if ("reason" in loss) this.#counters.drop(loss.reason, 1, size);
      else this.#counters.fail(1, size, loss.error);
    }
  }

  #recordFailure(count: number, bytes: number, error: unknown): void {
    const failure =
      error ?? new LoggingError("sink_failure", `The sink wrapped by "${this.name}" failed.`);
    this.#counters.fail(count, bytes, failure);
    this.#failures.record(failure);
    if (typeof failure === "object" && this.#reportedViolations.has(failure)) return;
    reportError(
      failure,
      { source: "queue", operation: "writeBatch", sink: this.name, events: count },
      this.#options.onError,
    );
  }

  /** Calls one of the inner sink's promise methods, counting any contract violation once. */
  #callInner(method: string, call: () => unknown): Promise<void> {
    return settleSinkCall(method, call, (violation) => this.#contractViolation(violation, method));
  }

  #contractViolation(violation: LoggingError, operation: string): void {
    this.#contractViolations += 1;
    this.#reportedViolations.add(violation);
    reportError(violation, { source: "queue", operation, sink: this.name }, this.#options.onError);
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
    if (this.#flushWaiters.length > 0 || this.#batchWaiters.length > 0) this.#checkFlushWaiters();
  }

  /**
   * Resolves when every event accepted before the call has been delivered, dropped or failed;
   * rejects when a failure is to be reported (the rule of `Sink.flush`).
   */
  #settleQueued(): Promise<void> {
    const target = this.#nextSequence - 1;
    const mark = this.#failures.mark();
    if (this.#settledUpTo(target)) {
      try {
        this.#failures.throwIfFailedSince(mark);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const settled = new Promise<void>((resolve, reject) => {
      this.#flushWaiters.push({ target, mark, resolve, reject });
    });
    this.#scheduleImmediate();
    return settled;
  }

  #settledUpTo(target: number): boolean {
    const oldestQueued = Math.min(this.#sheddable.headSequence(), this.#protected.headSequence());
    if (oldestQueued <= target) return false;
    for (const batch of this.#inFlight) if (batch.firstSequence <= target) return false;
    return true;
  }

  #checkFlushWaiters(): void {
    if (this.#batchWaiters.length > 0) this.#checkBatchWaiters();
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.#flushWaiters) {
      if (!this.#settledUpTo(waiter.target)) {
        waiting.push(waiter);
        continue;
      }
      try {
        this.#failures.throwIfFailedSince(waiter.mark);
        waiter.resolve();
      } catch (error) {
        waiter.reject(error);
      }
    }
    this.#flushWaiters = waiting;
  }

  /** Settles each waiting `writeBatch` whose events all settled, with the prefix delivered. */
  #checkBatchWaiters(): void {
    const waiting: BatchWaiter[] = [];
    for (const waiter of this.#batchWaiters) {
      if (!this.#settledUpTo(waiter.end)) {
        waiting.push(waiter);
        continue;
      }
      const delivered = waiter.firstLost - waiter.start;
      if (delivered === waiter.total) {
        waiter.resolve();
        continue;
      }
      const loss = waiter.loss;
      const cause =
        loss !== undefined && "error" in loss
          ? loss.error
          : new LoggingError(
              "sink_failure",
              `${waiter.total - delivered} events of the batch were not delivered by "${this.name}" (${loss?.reason ?? "queue_full"}).`,
            );
      waiter.reject(
        delivered === 0 ? cause : new PartialDeliveryError(delivered, waiter.total, { cause }),
      );
    }
    this.#batchWaiters = waiting;
  }

  async #close(): Promise<void> {
    this.#closed = true;
    const failures: unknown[] = [];
    try {
      await this.#settleQueued();
    } catch (error) {
      failures.push(error);
    }
    this.#cancelTimers();
    this.#unregisterExitDrain();
    this.#options.memoryBudget?.leave(this);
    try {
      await this.#awaitInner("close", () => this.inner.close());
    } catch (error) {
      addFailure(failures, error);
    }
    throwFailures(failures, `Closing "${this.name}" failed.`);
  }

  /**
   * Calls the inner sink's flush or close, and waits for it unless the sink is wedged or until
   * the queue is abandoned.
   */
  #awaitInner(operation: "flush" | "close", call: () => Promise<void>): Promise<void> {
    const settled = this.#callInner(operation, call);
    if (!this.#innerWedged) return this.#abandonment.race(settled, () => undefined);
    settled.catch(() => {
      // Given up at exit; the failure was already counted and said.
    });
    return Promise.resolve();
  }
}

/**
 * Adds a failure unless it is one already listed: the same error, or the cause of a listed
 * `PartialDeliveryError` (the inner sink's flush reporting what its `writeBatch` already did).
 */
function addFailure(failures: unknown[], error: unknown): void {
  for (const known of failures) {
    if (known === error) return;
    if (typeof known === "object" && known !== null && (known as Error).cause === error) return;
  }
  failures.push(error);
}

function throwFailures(failures: readonly unknown[], message: string): void {
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, message);
}
