import { type DropReason, type LogEvent, LoggingError, type Sink } from "@sluice/core";
import {
  Abandonment,
  type DeliveryObserver,
  deliveredCount,
  reportError,
  SinkCounters,
} from "@sluice/core/sink";
import type { ResolvedWrapperOptions } from "./wrapper-options.ts";

const ignore = (): void => {};

/**
 * @internal What the wrappers of this package share: both faces of a sink routed through one
 * delivery path. `writeBatch` hands its batch to {@link DeliveryWrapper.deliver}; `write` buffers
 * (bounded) and hands what it gathered in one turn of the event loop to the same path, so failures
 * are seen and handled the same way with or without a queue in front. The counters are kept here,
 * from the outcome of each delivery, so every wrapper keeps the conservation law the same way.
 */
export abstract class DeliveryWrapper {
  readonly name: string;
  /** Serial wrappers order batches themselves; a gate keeps the order only where its sinks do. */
  readonly acceptsOverlappingBatches: boolean;
  /** Present when the wrapped sink has one; set by the constructor. */
  readonly flushSync?: () => void;
  /** Present when a wrapped sink has it: passed through to every one that has it. */
  readonly observeDelivery?: (observer: DeliveryObserver) => () => void;
  protected readonly counters: SinkCounters = new SinkCounters();
  protected readonly options: ResolvedWrapperOptions;
  readonly #source: string;
  readonly #serial: boolean;
  #buffer: LogEvent[] = [];
  // Events taken by write and not yet settled, waiting in the buffer or in a delivery: the bound
  // of maxPending, so a hung inner sink cannot make write-path batches pile up without limit.
  #writeBacklog = 0;
  #scheduled = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  // Serial deliveries chain onto this, so they run one at a time, in the order they came.
  #tail: Promise<void> = Promise.resolve();
  readonly #inFlight = new Set<Promise<void>>();
  #losses = 0;
  #lastLoss: unknown;
  readonly #abandonment = new Abandonment();

  /**
   * @param source the component name for reports, e.g. `"breaker"`.
   * @param options the shared options, resolved.
   * @param serial whether a batch waits for the one before it (order across batches), or goes on
   *   at once (a gate that only decides whether to let each one through, in the order they come).
   * @param syncTarget the sink whose `flushSync` this wrapper's `flushSync` passes to, if it has
   *   one; without it the wrapper has no `flushSync`.
   * @param delivering the wrapped sinks whose deliveries `observeDelivery` observes.
   */
  constructor(
    source: string,
    options: ResolvedWrapperOptions,
    serial: boolean,
    syncTarget: Sink | undefined,
    delivering: readonly Sink[],
  ) {
    this.#source = source;
    this.name = options.name;
    this.options = options;
    this.#serial = serial;
    this.acceptsOverlappingBatches =
      serial || delivering.every((sink) => sink.acceptsOverlappingBatches === true);
    if (syncTarget !== undefined && typeof syncTarget.flushSync === "function") {
      this.flushSync = () => this.#flushSync(syncTarget);
    }
    const observable = delivering.filter((sink) => typeof sink.observeDelivery === "function");
    if (observable.length > 0) {
      this.observeDelivery = (observer) => {
        const stops = observable.map((sink) => sink.observeDelivery?.(observer));
        return () => {
          for (const stop of stops) stop?.();
        };
      };
    }
  }

  /**
   * Delivers one batch through the wrapper's own path. Resolves when every event was delivered;
   * rejects otherwise, with a `PartialDeliveryError` when a leading part was.
   */
  protected abstract deliver(events: readonly LogEvent[]): Promise<void>;

  /**
   * Hands buffered events to the wrapped sink's `write`, for `flushSync`, counting each as
   * delivered (handed on). A wrapper that must refuse them instead overrides it.
   */
  protected handOverSync(events: readonly LogEvent[], target: Sink): void {
    for (const event of events) {
      try {
        target.write(event);
        this.counters.deliver(1);
      } catch (error) {
        // A sink whose write throws breaks the contract; count the event rather than lose it.
        this.counters.fail(1, 0, error);
      }
    }
  }

  /** Flushes the wrapped sinks. */
  protected abstract flushInner(): Promise<void>;

  /** Closes the wrapped sinks. */
  protected abstract closeInner(): Promise<void>;

  /** Gives up what the wrapped sinks hold (`Sink.abandon`), never throwing. */
  protected abstract abandonInner(reason: DropReason): void;

  /** The drop reason for events a rejection left undelivered, or `undefined` for `failed`. */
  protected lossReason(_error: unknown): DropReason | undefined {
    return undefined;
  }

  /** Runs when `close()` is first called, before the final flush. */
  protected beforeClose(): void {}

  /** True once `close()` or `abandon()` was called. */
  protected get isClosed(): boolean {
    return this.#closed;
  }

  /** True once `abandon()` was called: no batch may be tried again. */
  protected get isAbandoned(): boolean {
    return this.#abandonment.abandoned;
  }

  /** Passes `abandon` to one wrapped sink, reporting a throw as a contract violation. */
  protected abandonSink(sink: Sink, reason: DropReason): void {
    try {
      sink.abandon?.(reason);
    } catch (error) {
      this.report(
        new LoggingError("contract_violation", "Sink.abandon threw.", { cause: error }),
        "abandon",
      );
    }
  }

  /** Reports a failure nobody awaits, or a throwing callback, to `onError` or the self-log. */
  protected report(error: unknown, operation: string, events?: number): void {
    reportError(
      error,
      {
        source: this.#source,
        operation,
        sink: this.name,
        ...(events === undefined ? {} : { events }),
      },
      this.options.onError,
    );
  }

  write(event: LogEvent): void {
    if (this.#closed) {
      this.counters.refuse("closed");
      return;
    }
    if (this.#writeBacklog >= this.options.maxPending) {
      this.counters.refuse("buffer_full");
      return;
    }
    this.counters.accept(1);
    this.#writeBacklog += 1;
    this.#buffer.push(event);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => {
        this.#scheduled = false;
        this.#deliverBuffered();
      });
    }
  }

  writeBatch(events: readonly LogEvent[]): Promise<void> {
    if (this.#closed) {
      this.counters.refuse("closed", events.length);
      return Promise.reject(new LoggingError("sink_closed", `Sink "${this.name}" is closed.`));
    }
    this.counters.accept(events.length);
    // Events written before this batch go first.
    this.#deliverBuffered();
    return this.#abandonment.race(this.#start(events), () => {
      throw this.#lastLoss;
    });
  }

  flush(): Promise<void> {
    this.#deliverBuffered();
    const losses = this.#losses;
    const waiting = [...this.#inFlight];
    const abandoned = (): undefined => undefined;
    return this.#abandonment.race(Promise.allSettled(waiting), abandoned).then(async () => {
      let innerFailure: { error: unknown } | undefined;
      try {
        await this.#abandonment.race(this.flushInner(), abandoned);
      } catch (error) {
        innerFailure = { error };
      }
      if (this.#losses !== losses) throw this.#lastLoss;
      if (innerFailure !== undefined) throw innerFailure.error;
    });
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  abandon(reason: DropReason): void {
    if (this.#abandonment.abandoned) return;
    this.#closed = true;
    this.#buffer = [];
    const held = this.counters.pending;
    if (held > 0) {
      const error = new LoggingError(
        "timeout",
        `"${this.name}" gave up ${held} events it still held (${reason}).`,
      );
      this.counters.drop(reason, held);
      this.counters.lastError = error;
      this.#losses += 1;
      this.#lastLoss = error;
    }
    this.#abandonment.abandon();
    // A pause ends now; the batch in it sees the wrapper abandoned and is not tried again.
    this.beforeClose();
    this.abandonInner(reason);
  }

  async #close(): Promise<void> {
    this.#closed = true;
    this.beforeClose();
    const errors: unknown[] = [];
    try {
      await this.flush();
    } catch (error) {
      errors.push(error);
    }
    try {
      await this.closeInner();
    } catch (error) {
      errors.push(error);
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, `Closing "${this.name}" failed.`);
  }

  #deliverBuffered(): void {
    if (this.#buffer.length === 0) return;
    const events = this.#buffer;
    this.#buffer = [];
    const settled = this.#start(events);
    settled.then(
      () => {
        this.#writeBacklog -= events.length;
      },
      (error: unknown) => {
        this.#writeBacklog -= events.length;
        // Given up by abandon(): counted there, and the caller that abandoned knows.
        if (!this.#abandonment.abandoned) this.report(error, "write", events.length);
      },
    );
  }

  #start(events: readonly LogEvent[]): Promise<void> {
    const serial = this.#serial;
    const run = serial ? this.#tail.then(() => this.#attempt(events)) : this.#attempt(events);
    if (serial) this.#tail = run.then(ignore, ignore);
    this.#inFlight.add(run);
    const untrack = (): void => {
      this.#inFlight.delete(run);
    };
    run.then(untrack, untrack);
    return run;
  }

  #attempt(events: readonly LogEvent[]): Promise<void> {
    let delivery: Promise<void>;
    try {
      delivery = this.deliver(events);
    } catch (error) {
      delivery = Promise.reject(error);
    }
    // Once abandoned, the events were counted as dropped: a late outcome is not counted again.
    return delivery.then(
      () => {
        if (!this.#abandonment.abandoned) this.counters.deliver(events.length);
      },
      (error: unknown) => {
        if (!this.#abandonment.abandoned) this.#countLoss(events.length, error);
        throw error;
      },
    );
  }

  #countLoss(count: number, error: unknown): void {
    const delivered = deliveredCount(error, count);
    if (delivered > 0) this.counters.deliver(delivered);
    const reason = this.lossReason(error);
    if (reason === undefined) {
      this.counters.fail(count - delivered, 0, error);
    } else {
      this.counters.drop(reason, count - delivered);
      this.counters.lastError = error;
    }
    this.#losses += 1;
    this.#lastLoss = error;
  }

  #flushSync(target: Sink): void {
    const events = this.#buffer;
    this.#buffer = [];
    this.#writeBacklog -= events.length;
    try {
      if (events.length > 0) this.handOverSync(events, target);
      target.flushSync?.();
    } catch (error) {
      this.report(error, "flushSync", events.length);
    }
  }
}
