import type { BatchSettled, LogEvent, Sink, SinkStats } from "@sluice/core";
import { type DropReason, invalidOption, positiveIntegerOption } from "@sluice/core/sink";
import { concludeParts } from "./batch-outcome.ts";
import { DeliveryWrapper } from "./delivery-wrapper.ts";
import { defaultTransientCodes, hasErrorCode } from "./transient-error.ts";
import {
  functionOption,
  multiplierOption,
  nonNegativeNumberOption,
  type ResolvedWrapperOptions,
  rangeOption,
  requireAtLeast,
  requireSink,
  resolveWrapperOptions,
  sinkName,
  type WrapperOptions,
} from "./wrapper-options.ts";

/** Options for {@link withRetry}. */
export interface RetryOptions extends WrapperOptions {
  /**
   * The most attempts per batch, the first one included.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * The pause before the first retry, in milliseconds; each later pause is `multiplier` times
   * longer, up to `maxDelayMs`.
   * @default 100
   */
  readonly initialDelayMs?: number;
  /**
   * The longest pause between two attempts, in milliseconds.
   * @default 5000
   */
  readonly maxDelayMs?: number;
  /**
   * The factor each pause grows by.
   * @default 2
   */
  readonly multiplier?: number;
  /**
   * The share of each pause drawn at random, from 0 (none: every pause exactly as computed) to 1
   * (full jitter: anywhere from 0 to the computed pause). Spreads the retries of many processes
   * that failed together.
   * @default 0.5
   */
  readonly jitter?: number;
  /**
   * The longest a batch may spend in attempts and pauses, from its first attempt, in
   * milliseconds: no pause is started that would end past it. An attempt in progress is not cut
   * short (a sink's `writeBatch` cannot be cancelled).
   * @default 30000
   */
  readonly deadlineMs?: number;
  /**
   * The error codes (on the error or anywhere in its `cause` chain) that are worth another
   * attempt. Ignored when `isTransient` is given.
   * @default defaultTransientCodes (EAGAIN, EBUSY, EINTR, network resets and timeouts; not ENOSPC)
   */
  readonly transientCodes?: readonly string[];
  /**
   * Decides whether a failure is worth another attempt; replaces the `transientCodes` check.
   * A throw counts as "no".
   */
  readonly isTransient?: (error: unknown) => boolean;
  /**
   * The monotonic clock for the deadline, in milliseconds.
   * @default performance.now
   */
  readonly now?: () => number;
  /**
   * The random source for jitter, returning a number in [0, 1).
   * @default Math.random
   */
  readonly random?: () => number;
}

/** The counters of a retry wrapper: the sink counters plus what retrying did. */
export interface RetryStats extends SinkStats {
  /** Attempts beyond the first, over all batches. */
  readonly retries: number;
  /** Batches given up while their failure was transient: attempts, deadline or close ran out. */
  readonly exhausted: number;
  /** Batches failed at once because their failure was not transient. */
  readonly permanent: number;
}

/** The sink {@link withRetry} returns. */
export interface RetrySink extends Sink {
  /**
   * Gives up the events held here (see `Sink.abandon`), counted as dropped for `reason`, and
   * passes the call to every wrapped sink.
   *
   * @param reason the drop reason, e.g. `shutdown_timeout`.
   */
  abandon(reason: DropReason): void;
  /** The wrapped sink. */
  readonly inner: Sink;
  /** The retry wrapper's counters. */
  stats(): RetryStats;
}

interface ResolvedRetryOptions {
  readonly maxAttempts: number;
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  readonly multiplier: number;
  readonly jitter: number;
  readonly deadlineMs: number;
  readonly isTransient: (error: unknown) => boolean;
  readonly now: () => number;
  readonly random: () => number;
}

const monotonicNow = (): number => performance.now();

/**
 * Wraps a sink so that a batch that fails with a transient error is tried again, after a capped
 * exponential backoff with jitter, until it is delivered, its attempts or its deadline run out,
 * or the wrapper is closed. A batch that was delivered part-way (a `PartialDeliveryError`) is
 * retried from the first undelivered event, so nothing is written twice. Batches go one at a
 * time, so a later batch never overtakes one that is waiting for a retry: order is preserved.
 *
 * After `close()` is called no batch waits for a pause any more: a batch in its pause gets one
 * last attempt at once, and none is retried after that, so no retry runs once `close()` has
 * returned. Pause timers are `unref()`ed.
 *
 * @param sink the sink to retry.
 * @param options attempts, pauses, deadline and what counts as transient.
 * @returns the retrying sink.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const sink = withRetry(createHttpSink(url), { maxAttempts: 4, initialDelayMs: 200 });
 * ```
 */
export function withRetry(sink: Sink, options: RetryOptions = {}): RetrySink {
  const inner = requireSink("withRetry", "first argument", sink);
  const shared = resolveWrapperOptions(options, `retry(${sinkName(inner)})`);
  return new Retry(inner, shared, resolveRetryOptions(options));
}

function resolveRetryOptions(options: RetryOptions): ResolvedRetryOptions {
  const initialDelayMs = nonNegativeNumberOption("initialDelayMs", options.initialDelayMs, 100);
  const maxDelayMs = nonNegativeNumberOption(
    "maxDelayMs",
    options.maxDelayMs,
    Math.max(5000, initialDelayMs),
  );
  requireAtLeast("maxDelayMs", maxDelayMs, "initialDelayMs", initialDelayMs);
  const codes = options.transientCodes;
  if (
    codes !== undefined &&
    (!Array.isArray(codes) || !codes.every((code) => typeof code === "string"))
  ) {
    throw invalidOption("transientCodes", "an array of error code strings", codes);
  }
  const transientCodes = new Set(codes ?? defaultTransientCodes);
  const isTransient =
    functionOption("isTransient", options.isTransient) ??
    ((error: unknown) => hasErrorCode(error, transientCodes));
  return {
    maxAttempts: positiveIntegerOption("maxAttempts", options.maxAttempts, 5),
    initialDelayMs,
    maxDelayMs,
    multiplier: multiplierOption("multiplier", options.multiplier, 2),
    jitter: rangeOption("jitter", options.jitter, 0.5, 0, 1),
    deadlineMs: nonNegativeNumberOption("deadlineMs", options.deadlineMs, 30_000),
    isTransient,
    now: functionOption("now", options.now) ?? monotonicNow,
    random: functionOption("random", options.random) ?? Math.random,
  };
}

class Retry extends DeliveryWrapper implements RetrySink {
  readonly inner: Sink;
  readonly #settings: ResolvedRetryOptions;
  #retries = 0;
  #exhausted = 0;
  #permanent = 0;
  // Ends the pause in progress early, when close() is called.
  #wake: (() => void) | undefined;

  constructor(inner: Sink, shared: ResolvedWrapperOptions, settings: ResolvedRetryOptions) {
    super("retry", shared, true, inner, [inner]);
    this.inner = inner;
    this.#settings = settings;
  }

  stats(): RetryStats {
    return {
      ...this.counters.snapshot(),
      retries: this.#retries,
      exhausted: this.#exhausted,
      permanent: this.#permanent,
    };
  }

  protected override deliver(events: readonly LogEvent[], told: BatchSettled): Promise<void> {
    const settings = this.#settings;
    const started = settings.now();
    let delivered = 0;
    return new Promise<void>((resolve, reject) => {
      const end = (error: unknown, synchronous: boolean): void =>
        concludeParts(events.length, delivered, error, synchronous, told, resolve, reject);
      const attempt = (number: number): void => {
        const rest = delivered === 0 ? events : events.slice(delivered);
        // Each attempt's outcome is taken once, from whichever the wrapped sink gives first. Told
        // through its listener, a delivery or a failure not worth retrying ends the batch at
        // once (at process exit the only way this wrapper's caller learns it); a failure worth
        // retrying waits for a timer, so the outcome that follows it is told by the promise.
        this.send(this.inner, rest, (taken, error, synchronous) => {
          delivered += taken;
          if (delivered === events.length) return end(undefined, synchronous);
          const delay = this.#nextDelay(number, error, started);
          if (delay === undefined) return end(error, synchronous);
          this.#retries += 1;
          void this.#pause(delay).then(() => {
            if (this.isAbandoned) end(error, false);
            else attempt(number + 1);
          });
        });
      };
      attempt(1);
    });
  }

  /**
   * After failed attempt number `attempt` (from 1) of a batch started at `started`: the pause
   * before the next attempt, or `undefined` when the batch is given up (counted as permanent or
   * exhausted).
   */
  #nextDelay(attempt: number, error: unknown, started: number): number | undefined {
    const settings = this.#settings;
    if (!this.#transient(error)) {
      this.#permanent += 1;
      return undefined;
    }
    if (this.isAbandoned) return undefined;
    if (attempt >= settings.maxAttempts || this.isClosed) {
      this.#exhausted += 1;
      return undefined;
    }
    const delay = this.#delay(attempt);
    if (settings.now() + delay - started > settings.deadlineMs) {
      this.#exhausted += 1;
      return undefined;
    }
    return delay;
  }

  protected override beforeClose(): void {
    this.#wake?.();
  }

  protected override flushInner(): Promise<void> {
    return this.inner.flush();
  }

  protected override closeInner(): Promise<void> {
    return this.inner.close();
  }

  protected override abandonInner(reason: DropReason): void {
    this.abandonSink(this.inner, reason);
  }

  #transient(error: unknown): boolean {
    try {
      return this.#settings.isTransient(error) === true;
    } catch (callbackError) {
      this.report(callbackError, "isTransient");
      return false;
    }
  }

  /** The pause after failed attempt number `attempt` (from 1), capped and jittered. */
  #delay(attempt: number): number {
    const settings = this.#settings;
    const computed = Math.min(
      settings.maxDelayMs,
      settings.initialDelayMs * settings.multiplier ** (attempt - 1),
    );
    return computed * (1 - settings.jitter * settings.random());
  }

  #pause(delayMs: number): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, delayMs);
      timer.unref();
      this.#wake = () => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
    });
  }
}
