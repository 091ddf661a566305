import { invalidOption, LoggingError, positiveIntegerOption as positiveInteger } from "./errors.ts";
import type { LogEvent } from "./log-event.ts";
import { type ErrorHandler, reportError } from "./self-log.ts";
import type { Sink, SinkStats } from "./sink.ts";
import { SinkCounters } from "./sink-counters.ts";

/** Options for {@link createSink}. */
export interface CreateSinkOptions {
  /** The sink's name, for diagnostics and metrics. */
  readonly name: string;
  /**
   * Delivers a batch of events, in order. Resolve when they are delivered; throw or reject when
   * they were not (the batch is then counted as failed and the error reported).
   */
  readonly deliver: (events: readonly LogEvent[]) => Promise<void> | void;
  /**
   * Delivers a batch synchronously, for exit paths. Without it the sink has no `flushSync`.
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
export function createSink(options: CreateSinkOptions): Sink & { stats(): SinkStats } {
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
  readonly flushSync?: () => void;
  readonly #options: CreateSinkOptions;
  readonly #maxPending: number;
  readonly #batchSize: number;
  readonly #counters = new SinkCounters();
  #buffer: LogEvent[] = [];
  #scheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  // Every delivery chains onto this promise, so deliveries never overlap and stay in order.
  #tail: Promise<void> = Promise.resolve();
  #lastFailure: unknown;
  #failureGeneration = 0;

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
        this.#drain().catch(() => {
          // Counted and reported in #deliver; flush() surfaces the failure to its caller.
        });
      });
    }
  }

  writeBatch(events: readonly LogEvent[]): Promise<void> {
    if (this.#closed) {
      this.#counters.refuse("closed", events.length);
      return Promise.reject(new LoggingError("sink_closed", `Sink "${this.name}" is closed.`));
    }
    this.#counters.accept(events.length);
    this.#buffer.push(...events);
    return this.#drain();
  }

  flush(): Promise<void> {
    const generation = this.#failureGeneration;
    return this.#drain().then(() => {
      if (this.#failureGeneration !== generation) throw this.#lastFailure;
    });
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

  #drain(): Promise<void> {
    const run = this.#tail.then(() => this.#deliverBuffered());
    // The next delivery waits for this one whatever its outcome; only this caller sees the failure.
    this.#tail = run.catch(() => {});
    return run;
  }

  async #deliverBuffered(): Promise<void> {
    let failure: unknown;
    let failed = false;
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#batchSize);
      try {
        await this.#options.deliver(batch);
        this.#counters.deliver(batch.length);
      } catch (error) {
        this.#recordFailure(batch.length, error);
        failure = error;
        failed = true;
      }
    }
    if (failed) throw failure;
  }

  #drainSync(deliverSync: (events: readonly LogEvent[]) => void): void {
    while (this.#buffer.length > 0) {
      const batch = this.#buffer.splice(0, this.#batchSize);
      try {
        deliverSync(batch);
        this.#counters.deliver(batch.length);
      } catch (error) {
        this.#recordFailure(batch.length, error);
      }
    }
  }

  #recordFailure(count: number, error: unknown): void {
    this.#counters.fail(count, 0, error);
    this.#lastFailure = error;
    this.#failureGeneration += 1;
    reportError(
      error,
      { source: "sink", operation: "deliver", sink: this.name, events: count },
      this.#options.onError,
    );
  }
}
