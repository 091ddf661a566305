import { Abandonment } from "./abandonment.ts";
import { type DeliveryObserver, DeliveryObservers } from "./delivery-observers.ts";
import { invalidOption, LoggingError, positiveIntegerOption as positiveInteger } from "./errors.ts";
import type { LogEvent } from "./log-event.ts";
import { deliveredCount, PartialDeliveryError } from "./partial-delivery.ts";
import { type ErrorHandler, reportError } from "./self-log.ts";
import type { DropReason, Sink, SinkStats } from "./sink.ts";
import { SinkCounters } from "./sink-counters.ts";
import { UnreportedFailures } from "./unreported-failures.ts";

/** Options for {@link createSink}. */
export interface CreateSinkOptions {
  /** The sink's name, for diagnostics and metrics. */
  readonly name: string;
  /**
   * Delivers a batch of events (at most `batchSize`), in order. Resolve when they are delivered;
   * throw or reject when they were not (the batch is then counted as failed and the error
   * reported). Throw a `PartialDeliveryError` when its leading `delivered` events were delivered
   * and the rest were not (say, a batch posted in several requests).
   */
  readonly deliver: (events: readonly LogEvent[]) => Promise<void> | void;
  /**
   * Delivers a batch synchronously, for exit paths, with the same outcomes as `deliver`. Without
   * it the sink has no `flushSync`.
   */
  readonly deliverSync?: (events: readonly LogEvent[]) => void;
  /** Releases the sink's resources, after the last delivery. */
  readonly close?: () => Promise<void> | void;
  /**
   * The most events `write` holds before delivery; more are dropped as `buffer_full`.
   * @default 10000
   */
  readonly maxPending?: number;
  /**
   * The most events handed to one `deliver` call.
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * Receives delivery failures.
   * @default failures go to the self-log
   */
  readonly onError?: ErrorHandler;
}

/**
 * Builds a complete {@link Sink} from a delivery function, so a new sink is a few lines: `write`
 * buffers (bounded) and delivers on a later tick in batches, one delivery at a time, in order;
 * `writeBatch`, `flush`, `close` (idempotent), `flushSync` and `stats` follow the contract, and
 * the counters keep the conservation law.
 *
 * `writeBatch` delivers its events after those `write` buffered before it, in `batchSize` steps,
 * and stops at the first step that fails: the rest of its events count as failed, and it rejects
 * with a {@link PartialDeliveryError} saying how many of its leading events were delivered (with
 * the plain error when none were). Events from `write` are counted step by step.
 *
 * @param options the delivery function and limits.
 * @returns the sink.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const sink = createSink({
 *   name: "http",
 *   deliver: async (events) => { await fetch(url, { method: "POST", body: toLines(events) }); },
 * });
 * ```
 */
export function createSink(options: CreateSinkOptions): Sink & {
  stats(): SinkStats;
  abandon(reason: DropReason): void;
  observeDelivery(observer: DeliveryObserver): () => void;
} {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object with name and deliver", options);
  }
  if (typeof options.name !== "string") throw invalidOption("name", "a string", options.name);
  if (typeof options.deliver !== "function") {
    throw invalidOption("deliver", "a function", options.deliver);
  }
  const maxPending = positiveInteger("maxPending", options.maxPending, 10_000);
  const batchSize = positiveInteger("batchSize", options.batchSize, 1000);
  return new CallbackSink(options, maxPending, batchSize);
}

class CallbackSink implements Sink {
  readonly name: string;
  // Deliveries chain onto one promise, so overlapping batches go out in call order.
  readonly acceptsOverlappingBatches = true;
  readonly flushSync?: () => void;
  readonly #options: CreateSinkOptions;
  readonly #maxPending: number;
  readonly #batchSize: number;
  readonly #counters = new SinkCounters();
  readonly #failures = new UnreportedFailures();
  // Events taken by `write` and not yet handed to a delivery.
  #buffer: LogEvent[] = [];
  #scheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  // Every delivery chains onto this promise, so deliveries never overlap and stay in order.
  #tail: Promise<void> = Promise.resolve();
  readonly #abandonment = new Abandonment();
  #abandonError: LoggingError | undefined;
  readonly #observers = new DeliveryObservers();

  constructor(options: CreateSinkOptions, maxPending: number, batchSize: number) {
    this.name = options.name;
    this.#options = options;
    this.#maxPending = maxPending;
    this.#batchSize = batchSize;
    const deliverSync = options.deliverSync;
    if (deliverSync !== undefined) this.flushSync = () => this.#drainSync(deliverSync);
  }

  write(event: LogEvent): void {
    if (this.#closed) {
      this.#counters.refuse("closed");
      return;
    }
    if (this.#buffer.length >= this.#maxPending) {
      this.#counters.refuse("buffer_full");
      return;
    }
    this.#counters.accept(1);
    this.#buffer.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        void this.#drain();
      });
    }
  }

  writeBatch(events: readonly LogEvent[]): Promise<void> {
    if (this.#closed) {
      this.#counters.refuse("closed", events.length);
      return Promise.reject(new LoggingError("sink_closed", `Sink "${this.name}" is closed.`));
    }
    this.#counters.accept(events.length);
    // What `write` buffered before this call goes first, to keep the order of arrival.
    const earlier = this.#takeBuffer();
    const progress = { delivered: 0 };
    const run = this.#tail.then(async () => {
      await this.#deliver(earlier, false);
      await this.#deliver(events, true, progress);
    });
    // The next delivery waits for this one whatever its outcome; only this caller sees the failure.
    this.#tail = run.catch(() => {});
    return this.#abandonment.race(run, () => {
      const error = this.#abandonError as LoggingError;
      throw progress.delivered === 0
        ? error
        : new PartialDeliveryError(progress.delivered, events.length, { cause: error });
    });
  }

  flush(): Promise<void> {
    const mark = this.#failures.mark();
    return this.#abandonment
      .race(this.#drain(), () => undefined)
      .then(() => this.#failures.throwIfFailedSince(mark));
  }

  observeDelivery(observer: DeliveryObserver): () => void {
    return this.#observers.add(observer);
  }

  abandon(reason: DropReason): void {
    if (this.#abandonment.abandoned) return;
    this.#closed = true;
    this.#buffer = [];
    const held = this.#counters.pending;
    this.#abandonError = new LoggingError(
      "timeout",
      `Sink "${this.name}" gave up ${held} events it still held (${reason}).`,
    );
    if (held > 0) {
      this.#counters.drop(reason, held);
      this.#failures.record(this.#abandonError);
    }
    this.#abandonment.abandon();
  }

  close(): Promise<void> {
    this.#closing ??= this.flush()
      .finally(() => {
        this.#closed = true;
      })
      .then(
        () => this.#options.close?.(),
        async (error: unknown) => {
          await this.#options.close?.();
          throw error;
        },
      );
    return this.#closing;
  }

  stats(): SinkStats {
    return this.#counters.snapshot();
  }

  /** Delivers everything buffered, after every delivery already chained; never rejects. */
  #drain(): Promise<void> {
    const run = this.#tail.then(() => this.#deliver(this.#takeBuffer(), false));
    this.#tail = run;
    return run;
  }

  #takeBuffer(): LogEvent[] {
    const taken = this.#buffer;
    this.#buffer = [];
    return taken;
  }

  /**
   * Delivers `events` in steps of `batchSize`. Events from `write` go on after a failed step;
   * a `writeBatch`'s own events (`asBatch`) stop there, so that what was delivered is a prefix,
   * and the rejection says how long it is.
   */
  async #deliver(
    events: readonly LogEvent[],
    asBatch: boolean,
    progress?: { delivered: number },
  ): Promise<void> {
    for (let start = 0; start < events.length; start += this.#batchSize) {
      // Given up: what is left was counted by abandon(), and nothing more is delivered.
      if (this.#abandonment.abandoned) return;
      const end = Math.min(start + this.#batchSize, events.length);
      const step = start === 0 && end === events.length ? events : events.slice(start, end);
      try {
        await this.#options.deliver(step);
        if (this.#abandonment.abandoned) return;
        this.#counters.deliver(step.length);
        this.#observers.notifyEvents(step);
        if (progress !== undefined) progress.delivered = end;
      } catch (error) {
        if (this.#abandonment.abandoned) return;
        const delivered = deliveredCount(error, step.length);
        if (delivered > 0) this.#observers.notifyEvents(step.slice(0, delivered));
        if (!asBatch) {
          this.#recordFailure(delivered, step.length - delivered, error);
          continue;
        }
        this.#recordFailure(delivered, events.length - start - delivered, error);
        const prefix = start + delivered;
        throw prefix === 0
          ? error
          : new PartialDeliveryError(prefix, events.length, { cause: error });
      }
    }
  }

  #drainSync(deliverSync: (events: readonly LogEvent[]) => void): void {
    const events = this.#takeBuffer();
    for (let start = 0; start < events.length; start += this.#batchSize) {
      const step = events.slice(start, start + this.#batchSize);
      try {
        deliverSync(step);
        this.#counters.deliver(step.length);
        this.#observers.notifyEvents(step);
      } catch (error) {
        const delivered = deliveredCount(error, step.length);
        if (delivered > 0) this.#observers.notifyEvents(step.slice(0, delivered));
        this.#recordFailure(delivered, step.length - delivered, error);
      }
    }
  }

  /** Counts `delivered` events as delivered and the `failed` after them as failed, and reports. */
  #recordFailure(delivered: number, failed: number, error: unknown): void {
    this.#counters.deliver(delivered);
    this.#counters.fail(failed, 0, error);
    this.#failures.record(error);
    reportError(
      error,
      { source: "sink", operation: "deliver", sink: this.name, events: failed },
      this.#options.onError,
    );
  }
}
