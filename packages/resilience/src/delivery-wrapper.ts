import {
  type BatchSettled,
  type DropReason,
  type LogEvent,
  LoggingError,
  type Sink,
} from "@sluice/core";
import {
  Abandonment,
  type DeliveryObserver,
  deliveredCount,
  reportError,
  SinkCounters,
} from "@sluice/core/sink";
import { type BatchOutcome, failureFor, sendBatch } from "./batch-outcome.ts";
import type { ResolvedWrapperOptions } from "./wrapper-options.ts";

const ignore = (): void => {};

/** One batch on the wrapper's delivery path, from `writeBatch` or gathered by `write`. */
interface Job {
  readonly events: readonly LogEvent[];
  /** The `writeBatch` caller's listener. */
  readonly settled: BatchSettled | undefined;
  /** Gathered by `write`: its failure is reported, and it counts against `maxPending`. */
  readonly written: boolean;
  readonly promise: Promise<void>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
  done: boolean;
}

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
  /**
   * Present when the wrapped sink has one; set by the constructor. `timeoutMs` bounds the whole
   * drain, as `Sink.flushSync` says.
   */
  readonly flushSync?: (timeoutMs?: number) => void;
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
  // A serial wrapper runs one batch at a time, in the order they came; the next starts the moment
  // the one before it settles, also when a wrapped sink told that synchronously (inside its
  // flushSync at process exit, where no promise reaction runs), so one drain delivers them all.
  #running: Job | undefined;
  #waiting: Job[] = [];
  #pumping = false;
  // Batches started or waiting and not yet settled.
  readonly #inFlight = new Set<Job>();
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
      this.flushSync = (timeoutMs?: number) => this.#flushSync(syncTarget, timeoutMs);
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
   *
   * `told` is to the wrapper what `settled` is to a sink (see `Sink.writeBatch`): called with the
   * same outcome as the promise, before it settles, when the outcome becomes known outside a
   * promise reaction (a wrapped sink told its own listener, or the wrapper decided at once). The
   * wrapper counts the batch from whichever comes first and only then tells its caller's
   * listener, so a caller at process exit learns of deliveries made inside `flushSync`. Where the
   * outcome waits for a timer or a promise, the promise alone tells.
   */
  protected abstract deliver(events: readonly LogEvent[], told: BatchSettled): Promise<void>;

  /**
   * Hands a batch to a wrapped sink, with a listener, and calls `onOutcome` once with the first
   * of what the listener tells and how the promise settles (see {@link sendBatch}). A sink that
   * breaks the contract (a throw, no promise) is reported and its batch failed.
   */
  protected send(sink: Sink, events: readonly LogEvent[], onOutcome: BatchOutcome): void {
    sendBatch(sink, events, onOutcome, (violation) => this.report(violation, "writeBatch"));
  }

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

  writeBatch(events: readonly LogEvent[], settled?: BatchSettled): Promise<void> {
    if (this.#closed) {
      this.counters.refuse("closed", events.length);
      const error = new LoggingError("sink_closed", `Sink "${this.name}" is closed.`);
      tell(settled, 0, error);
      return Promise.reject(error);
    }
    this.counters.accept(events.length);
    // Events written before this batch go first.
    this.#deliverBuffered();
    // Settled by abandon() when given up: a batch told settled before it keeps its outcome.
    return this.#start(events, settled, false);
  }

  flush(): Promise<void> {
    this.#deliverBuffered();
    const losses = this.#losses;
    const waiting = [...this.#inFlight].map((job) => job.promise);
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
    // Every batch not settled yet was counted above, and its promise is given up now (those
    // waiting first, so none starts). The caller's listener is not told: abandon passes from the
    // outside in, so the caller gave up first.
    this.#waiting = [];
    for (const job of [...this.#inFlight]) this.#release(job, { error: this.#lastLoss });
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
    void this.#start(events, undefined, true);
  }

  #start(
    events: readonly LogEvent[],
    settled: BatchSettled | undefined,
    written: boolean,
  ): Promise<void> {
    let resolve = ignore;
    let reject: (error: unknown) => void = ignore;
    const promise = new Promise<void>((resolvePromise, rejectPromise) => {
      resolve = resolvePromise;
      reject = rejectPromise;
    });
    // Settled through #finish, which counts; a failure nobody awaits is not unhandled.
    promise.catch(ignore);
    const job: Job = { events, settled, written, promise, resolve, reject, done: false };
    this.#inFlight.add(job);
    if (this.#serial) {
      this.#waiting.push(job);
      this.#pump();
    } else {
      this.#run(job);
    }
    return promise;
  }

  /** Starts waiting batches while none runs; a loop, so batches settled at once do not recurse. */
  #pump(): void {
    if (this.#pumping) return;
    this.#pumping = true;
    try {
      while (this.#running === undefined) {
        const job = this.#waiting.shift();
        if (job === undefined) break;
        this.#running = job;
        this.#run(job);
      }
    } finally {
      this.#pumping = false;
    }
  }

  #run(job: Job): void {
    const count = job.events.length;
    const told: BatchSettled = (delivered, error) => {
      this.#finish(job, Math.min(delivered, count), error, true);
    };
    let delivery: Promise<void>;
    try {
      delivery = this.deliver(job.events, told);
    } catch (error) {
      delivery = Promise.reject(error);
    }
    delivery.then(
      () => this.#finish(job, count, undefined, false),
      (error: unknown) => this.#finish(job, deliveredCount(error, count), error, false),
    );
  }

  /** Counts a batch from its first outcome, tells its caller's listener, and starts the next. */
  #finish(job: Job, delivered: number, error: unknown, told: boolean): void {
    if (job.done) return;
    const count = job.events.length;
    const failure = delivered < count ? failureFor(delivered, count, error) : undefined;
    // Once abandoned, the events were counted as dropped: a late outcome is not counted again.
    if (!this.#abandonment.abandoned) {
      if (failure === undefined) this.counters.deliver(count);
      else this.#countLoss(count, failure);
      if (told) {
        if (failure === undefined) tell(job.settled, count);
        else tell(job.settled, delivered, failure);
      }
      if (job.written && failure !== undefined) this.report(failure, "write", count);
    }
    this.#release(job, failure === undefined ? undefined : { error: failure });
  }

  /** Settles a batch's promise as counted, and lets the next batch of a serial wrapper go. */
  #release(job: Job, failure: { readonly error: unknown } | undefined): void {
    if (job.done) return;
    job.done = true;
    this.#inFlight.delete(job);
    if (job.written) this.#writeBacklog -= job.events.length;
    if (failure === undefined) job.resolve();
    else job.reject(failure.error);
    if (this.#running === job) {
      this.#running = undefined;
      this.#pump();
    }
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

  #flushSync(target: Sink, timeoutMs: number | undefined): void {
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    // The wrapped sink may be asked twice: both calls share the caller's time.
    const left = () =>
      deadline === undefined ? undefined : Math.max(0, deadline - performance.now());
    try {
      // Batches waiting for the one in the wrapped sink go first: each starts the moment the one
      // before it is told delivered, inside this drain, so they are written ahead of the events
      // gathered by write, which came after them.
      if (this.#waiting.length > 0) target.flushSync?.(left());
    } catch (error) {
      this.report(error, "flushSync");
    }
    const events = this.#buffer;
    this.#buffer = [];
    this.#writeBacklog -= events.length;
    try {
      if (events.length > 0) this.handOverSync(events, target);
      target.flushSync?.(left());
    } catch (error) {
      this.report(error, "flushSync", events.length);
    }
  }
}

/** Calls a caller's listener, which must not throw (see `BatchSettled`): a throw is ignored. */
function tell(settled: BatchSettled | undefined, delivered: number, error?: unknown): void {
  if (settled === undefined) return;
  try {
    if (error === undefined) settled(delivered);
    else settled(delivered, error);
  } catch {
    // Ignored, as the contract says: the promise still settles.
  }
}
