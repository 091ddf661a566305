import {
  type BatchSettled,
  type DropReason,
  type LogEvent,
  LoggingError,
  type Sink,
  type SinkStats,
} from "@sluice/core";
import { concludeParts } from "./batch-outcome.ts";
import { DeliveryWrapper } from "./delivery-wrapper.ts";
import {
  functionOption,
  type ResolvedWrapperOptions,
  requireSink,
  resolveWrapperOptions,
  sinkName,
  type WrapperOptions,
} from "./wrapper-options.ts";

/** Options for {@link withFallback}. */
export interface FallbackOptions extends WrapperOptions {
  /**
   * Called each time a destination fails, with its error and the events it did not deliver (the
   * ones handed on to the next destination, or lost after the last one), for monitoring. It must
   * not throw (a throw is reported to `onError`); the events must not be kept or changed.
   */
  readonly onFailure?: (error: unknown, events: readonly LogEvent[], destination: Sink) => void;
}

/** Where a fallback chain's events went, for one destination. */
export interface FallbackRoute {
  /** The destination's name. */
  readonly name: string;
  /** Events this destination delivered. */
  readonly delivered: number;
  /** Events handed to this destination that it did not deliver. */
  readonly failed: number;
}

/** The counters of a fallback chain: the sink counters plus where events went. */
export interface FallbackStats extends SinkStats {
  /** One entry per destination, the primary first. */
  readonly routes: readonly FallbackRoute[];
}

/** The sink {@link withFallback} returns. */
export interface FallbackSink extends Sink {
  /**
   * Gives up the events held here (see `Sink.abandon`), counted as dropped for `reason`, and
   * passes the call to every wrapped sink.
   *
   * @param reason the drop reason, e.g. `shutdown_timeout`.
   */
  abandon(reason: DropReason): void;
  /** The destinations, the primary first. */
  readonly inner: readonly Sink[];
  /** The chain's counters. */
  stats(): FallbackStats;
}

interface RouteCounters {
  readonly name: string;
  delivered: number;
  failed: number;
}

/**
 * Sends each batch to the primary sink and, when it fails, what it did not deliver to the next
 * fallback, in order, and so on down the chain: only the undelivered part (from a
 * `PartialDeliveryError`, the events after the delivered prefix), so no event is written twice.
 * Events that every destination failed count as `failed` (and a `writeBatch` caller gets the last
 * error); nothing is thrown into the application.
 *
 * Put a circuit breaker around a primary that can hang or fail slowly, so the fallback takes
 * batches at once while it is down.
 *
 * @param primary the preferred destination.
 * @param fallback the destination for what the primary did not deliver, or several, tried in
 *   order.
 * @param options `onFailure` for monitoring, plus the shared options.
 * @returns the chain, a sink.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const sink = withFallback(
 *   withCircuitBreaker(createFileSink({ path: "/var/log/app/app.log" })),
 *   createFileSink({ path: "/tmp/app-fallback.log" }),
 *   { onFailure: (error, events) => alerts.notify(`log file failed; ${events.length} rerouted`) },
 * );
 * ```
 */
export function withFallback(
  primary: Sink,
  fallback: Sink | readonly Sink[],
  options: FallbackOptions = {},
): FallbackSink {
  const first = requireSink("withFallback", "first argument (the primary)", primary);
  const rest = Array.isArray(fallback) ? (fallback as readonly Sink[]) : [fallback as Sink];
  if (rest.length === 0) {
    throw new LoggingError(
      "invalid_option",
      "withFallback expects at least one fallback sink as its second argument.",
    );
  }
  const fallbacks = rest.map((sink, index) =>
    requireSink("withFallback", `fallback number ${index + 1}`, sink),
  );
  const destinations = [first, ...fallbacks];
  if (new Set(destinations).size !== destinations.length) {
    throw new LoggingError(
      "invalid_option",
      "withFallback expects different sinks: the same sink appears twice in the chain.",
    );
  }
  const shared = resolveWrapperOptions(options, `fallback(${sinkName(first)})`);
  return new Fallback(destinations, shared, functionOption("onFailure", options.onFailure));
}

class Fallback extends DeliveryWrapper implements FallbackSink {
  readonly inner: readonly Sink[];
  readonly #routes: RouteCounters[];
  readonly #onFailure: FallbackOptions["onFailure"];

  constructor(
    destinations: readonly Sink[],
    shared: ResolvedWrapperOptions,
    onFailure: FallbackOptions["onFailure"],
  ) {
    super("fallback", shared, true, destinations[0], destinations);
    this.inner = Object.freeze([...destinations]);
    this.#routes = destinations.map((sink) => ({ name: sinkName(sink), delivered: 0, failed: 0 }));
    this.#onFailure = onFailure;
  }

  stats(): FallbackStats {
    return {
      ...this.counters.snapshot(),
      routes: this.#routes.map((route) => ({ ...route })),
    };
  }

  protected override deliver(events: readonly LogEvent[], told: BatchSettled): Promise<void> {
    let delivered = 0;
    return new Promise<void>((resolve, reject) => {
      const end = (error: unknown, synchronous: boolean): void =>
        concludeParts(events.length, delivered, error, synchronous, told, resolve, reject);
      const attempt = (index: number): void => {
        const destination = this.inner[index] as Sink;
        const route = this.#routes[index] as RouteCounters;
        const rest = delivered === 0 ? events : events.slice(delivered);
        // Each destination's outcome is taken once, from whichever it gives first. Told through
        // its listener, a delivery ends the batch at once (at process exit the only way this
        // wrapper's caller learns it). A failure hands the rest on only after the current call
        // stack: the listener may run inside the failed destination's flushSync or write
        // callback, where starting another destination's write would re-enter the I/O path of
        // one sink from another's and begin a write that this exit drain (which drains the
        // primary) never finishes. So the outcome after a failure is told by the promise.
        this.send(destination, rest, (taken, error, synchronous) => {
          route.delivered += taken;
          route.failed += rest.length - taken;
          delivered += taken;
          if (delivered === events.length) return end(undefined, synchronous);
          this.#notify(error, events.slice(delivered), destination);
          if (index + 1 >= this.inner.length) return end(error, synchronous);
          void Promise.resolve().then(() => attempt(index + 1));
        });
      };
      attempt(0);
    });
  }

  protected override async flushInner(): Promise<void> {
    // Every event reached the destinations through writeBatch, whose outcome is already counted
    // (and rerouted); a destination's own flush failure is reported, not passed on, so a primary
    // that is down does not fail the flush of events the fallback took.
    await this.#settleEach("flush", (sink) => sink.flush());
  }

  protected override async closeInner(): Promise<void> {
    await this.#settleEach("close", (sink) => sink.close());
  }

  protected override abandonInner(reason: DropReason): void {
    for (const sink of this.inner) this.abandonSink(sink, reason);
  }

  async #settleEach(operation: string, run: (sink: Sink) => Promise<void>): Promise<void> {
    const outcomes = await Promise.allSettled(
      this.inner.map((sink) => {
        try {
          return run(sink);
        } catch (error) {
          return Promise.reject(error);
        }
      }),
    );
    for (const outcome of outcomes) {
      if (outcome.status === "rejected") this.report(outcome.reason, operation);
    }
  }

  #notify(error: unknown, events: readonly LogEvent[], destination: Sink): void {
    const callback = this.#onFailure;
    if (callback === undefined) return;
    try {
      callback(error, events, destination);
    } catch (callbackError) {
      this.report(callbackError, "onFailure", events.length);
    }
  }
}
