import {
  type BatchSettled,
  type DropReason,
  type LogEvent,
  LoggingError,
  type Sink,
  type SinkStats,
} from "@sluice/core";
import { invalidOption, positiveIntegerOption } from "@sluice/core/sink";
import { conclude } from "./batch-outcome.ts";
import { DeliveryWrapper } from "./delivery-wrapper.ts";
import { CircuitOpenError, ProbeTimeoutError } from "./errors.ts";
import { FailureWindow } from "./failure-window.ts";
import {
  functionOption,
  multiplierOption,
  type ResolvedWrapperOptions,
  rangeOption,
  requireAtLeast,
  requireSink,
  resolveWrapperOptions,
  sinkName,
  type WrapperOptions,
} from "./wrapper-options.ts";

/**
 * A circuit's state.
 *
 * - `closed`: batches go through to the wrapped sink.
 * - `open`: batches are refused at once with a {@link CircuitOpenError}, without touching it.
 * - `half-open`: one probe batch is in flight; every other batch is refused at once.
 */
export type CircuitState = "closed" | "open" | "half-open";

/**
 * Why a circuit changed state.
 *
 * - `failure-threshold`: `failureThreshold` batches failed in a row (closed to open).
 * - `failure-rate`: the failure ratio over the window reached `failureRate.threshold` (closed to
 *   open).
 * - `reset-timeout`: the open period passed and a batch arrived to be the probe (open to
 *   half-open).
 * - `probe-succeeded` (half-open to closed), `probe-failed` and `probe-timeout` (half-open to
 *   open).
 * - `reset`: `reset()` was called (any state to closed).
 */
export type CircuitTransitionReason =
  | "failure-threshold"
  | "failure-rate"
  | "reset-timeout"
  | "probe-succeeded"
  | "probe-failed"
  | "probe-timeout"
  | "reset";

/** The optional failure-ratio trigger of a circuit breaker. */
export interface FailureRateOptions {
  /** The share of failed batches (above 0, up to 1) in the window that opens the circuit. */
  readonly threshold: number;
  /**
   * The sliding window's length, in milliseconds.
   * @default 10000
   */
  readonly windowMs?: number;
  /**
   * The fewest batches the window must hold before the ratio is judged, so that one failure
   * among two batches does not open the circuit.
   * @default 20
   */
  readonly minimumBatches?: number;
}

/** Options for {@link withCircuitBreaker}. */
export interface CircuitBreakerOptions extends WrapperOptions {
  /**
   * Consecutive failed batches that open the circuit.
   * @default 5
   */
  readonly failureThreshold?: number;
  /**
   * Also open the circuit when the share of failed batches over a sliding window reaches a
   * threshold (an intermittent fault never fails `failureThreshold` batches in a row).
   * @default none
   */
  readonly failureRate?: FailureRateOptions;
  /**
   * How long the circuit stays open before a probe batch may go through, in milliseconds.
   * @default 5000
   */
  readonly resetTimeoutMs?: number;
  /**
   * The factor the open period grows by after each failed probe, while the fault persists (1
   * keeps it fixed). A closed circuit starts again from `resetTimeoutMs`.
   * @default 1
   */
  readonly resetBackoffMultiplier?: number;
  /**
   * The longest open period the backoff may reach, in milliseconds.
   * @default 60000, or `resetTimeoutMs` when that is longer
   */
  readonly maxResetTimeoutMs?: number;
  /**
   * How long a probe may take before it counts as failed, in milliseconds.
   * @default 5000
   */
  readonly probeTimeoutMs?: number;
  /**
   * Called on every change of state, for monitoring. It must not throw (a throw is reported to
   * `onError`).
   */
  readonly onStateChange?: (
    from: CircuitState,
    to: CircuitState,
    reason: CircuitTransitionReason,
  ) => void;
  /**
   * The monotonic clock for open periods, in milliseconds. A wall-clock jump does not move it.
   * @default performance.now
   */
  readonly now?: () => number;
}

/** The counters of a circuit breaker: the sink counters plus its state and transitions. */
export interface CircuitBreakerStats extends SinkStats {
  /** The circuit's state now. */
  readonly state: CircuitState;
  /** How many times the circuit opened (from closed or from a failed probe). */
  readonly opened: number;
  /** Batches refused without touching the wrapped sink (their events are `circuit_open`). */
  readonly rejectedBatches: number;
  /** Probe batches let through in half-open. */
  readonly probes: number;
  /** Probes that did not settle within `probeTimeoutMs`. */
  readonly probeTimeouts: number;
  /** Batches failed in a row while closed. */
  readonly consecutiveFailures: number;
  /** The open period now in force, in milliseconds (grows with `resetBackoffMultiplier`). */
  readonly resetTimeoutMs: number;
}

/** The sink {@link withCircuitBreaker} returns. */
export interface CircuitBreakerSink extends Sink {
  /**
   * Gives up the events held here (see `Sink.abandon`), counted as dropped for `reason`, and
   * passes the call to every wrapped sink.
   *
   * @param reason the drop reason, e.g. `shutdown_timeout`.
   */
  abandon(reason: DropReason): void;
  /** The wrapped sink. */
  readonly inner: Sink;
  /** The circuit's state now. */
  readonly state: CircuitState;
  /**
   * Closes the circuit at once and forgets past failures; a probe in flight no longer decides
   * anything.
   */
  reset(): void;
  /** The breaker's counters. */
  stats(): CircuitBreakerStats;
}

interface ResolvedBreakerOptions {
  readonly failureThreshold: number;
  readonly failureRate:
    | { readonly threshold: number; readonly windowMs: number; readonly minimumBatches: number }
    | undefined;
  readonly resetTimeoutMs: number;
  readonly resetBackoffMultiplier: number;
  readonly maxResetTimeoutMs: number;
  readonly probeTimeoutMs: number;
  readonly onStateChange: CircuitBreakerOptions["onStateChange"];
  readonly now: () => number;
}

const monotonicNow = (): number => performance.now();

/**
 * Wraps a sink in a circuit breaker: after repeated failures it stops sending batches to the sink
 * for a while and refuses them at once with a {@link CircuitOpenError}, so an outer fallback
 * takes them (or an outer queue counts them) instead of every batch waiting on a sink that is
 * down. After `resetTimeoutMs` one probe batch goes through; its success closes the circuit, its
 * failure (or a probe that does not settle within `probeTimeoutMs`) opens it again, for a period
 * that grows with `resetBackoffMultiplier`.
 *
 * The breaker decorates the delivery face: batches from `writeBatch` go through it as they come,
 * and `write` gathers events and sends them through the same gate. Refused events are counted as
 * dropped (`circuit_open`) by the breaker.
 *
 * @param sink the sink to protect.
 * @param options thresholds, periods, the state callback and the clock.
 * @returns the breaker, a sink.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const file = withCircuitBreaker(createFileSink({ path: "logs/app.log" }), {
 *   failureThreshold: 3,
 *   resetTimeoutMs: 1000,
 *   onStateChange: (from, to, reason) => console.warn(`log file circuit ${from} -> ${to} (${reason})`),
 * });
 * ```
 */
export function withCircuitBreaker(
  sink: Sink,
  options: CircuitBreakerOptions = {},
): CircuitBreakerSink {
  const inner = requireSink("withCircuitBreaker", "first argument", sink);
  const shared = resolveWrapperOptions(options, `breaker(${sinkName(inner)})`);
  return new CircuitBreaker(inner, shared, resolveBreakerOptions(options));
}

function resolveBreakerOptions(options: CircuitBreakerOptions): ResolvedBreakerOptions {
  const resetTimeoutMs = positiveIntegerOption("resetTimeoutMs", options.resetTimeoutMs, 5000);
  const maxResetTimeoutMs = positiveIntegerOption(
    "maxResetTimeoutMs",
    options.maxResetTimeoutMs,
    Math.max(60_000, resetTimeoutMs),
  );
  requireAtLeast("maxResetTimeoutMs", maxResetTimeoutMs, "resetTimeoutMs", resetTimeoutMs);
  return {
    failureThreshold: positiveIntegerOption("failureThreshold", options.failureThreshold, 5),
    failureRate: resolveFailureRate(options.failureRate),
    resetTimeoutMs,
    resetBackoffMultiplier: multiplierOption(
      "resetBackoffMultiplier",
      options.resetBackoffMultiplier,
      1,
    ),
    maxResetTimeoutMs,
    probeTimeoutMs: positiveIntegerOption("probeTimeoutMs", options.probeTimeoutMs, 5000),
    onStateChange: functionOption("onStateChange", options.onStateChange),
    now: functionOption("now", options.now) ?? monotonicNow,
  };
}

function resolveFailureRate(
  rate: FailureRateOptions | undefined,
): ResolvedBreakerOptions["failureRate"] {
  if (rate === undefined) return undefined;
  if (rate === null || typeof rate !== "object") {
    throw invalidOption(
      "failureRate",
      "an object with threshold (and windowMs, minimumBatches)",
      rate,
    );
  }
  const threshold = rangeOption("failureRate.threshold", rate.threshold, Number.NaN, 0, 1);
  if (!(threshold > 0)) {
    throw invalidOption("failureRate.threshold", "a number above 0, up to 1", rate.threshold);
  }
  return {
    threshold,
    windowMs: positiveIntegerOption("failureRate.windowMs", rate.windowMs, 10_000),
    minimumBatches: positiveIntegerOption("failureRate.minimumBatches", rate.minimumBatches, 20),
  };
}

class CircuitBreaker extends DeliveryWrapper implements CircuitBreakerSink {
  readonly inner: Sink;
  readonly #settings: ResolvedBreakerOptions;
  readonly #window: FailureWindow | undefined;
  // The breaker's own refusals, to count their events as circuit_open rather than failed (an
  // inner breaker's refusal is a failure of the sink this one wraps).
  readonly #refusals = new WeakSet<object>();
  #state: CircuitState = "closed";
  // Bumped on every transition: an outcome of a batch sent in an earlier state decides nothing.
  #generation = 0;
  #consecutiveFailures = 0;
  #openedAt = 0;
  #resetTimeoutMs: number;
  #opened = 0;
  #rejectedBatches = 0;
  #probes = 0;
  #probeTimeouts = 0;
  // Probes given up on timeout that the wrapped sink has not settled yet: its flush waits for
  // them, maybe forever.
  #unsettledProbes = 0;

  constructor(inner: Sink, shared: ResolvedWrapperOptions, settings: ResolvedBreakerOptions) {
    super("breaker", shared, false, inner, [inner]);
    this.inner = inner;
    this.#settings = settings;
    this.#resetTimeoutMs = settings.resetTimeoutMs;
    this.#window =
      settings.failureRate === undefined
        ? undefined
        : new FailureWindow(settings.failureRate.windowMs);
  }

  get state(): CircuitState {
    return this.#state;
  }

  reset(): void {
    this.#consecutiveFailures = 0;
    this.#window?.clear();
    this.#resetTimeoutMs = this.#settings.resetTimeoutMs;
    // A probe in flight must not decide anything after a reset, even without a state change.
    this.#generation += 1;
    this.#transition("closed", "reset");
  }

  stats(): CircuitBreakerStats {
    return {
      ...this.counters.snapshot(this.#state),
      state: this.#state,
      opened: this.#opened,
      rejectedBatches: this.#rejectedBatches,
      probes: this.#probes,
      probeTimeouts: this.#probeTimeouts,
      consecutiveFailures: this.#consecutiveFailures,
      resetTimeoutMs: this.#resetTimeoutMs,
    };
  }

  protected override deliver(events: readonly LogEvent[], told: BatchSettled): Promise<void> {
    if (this.#state === "closed") return this.#pass(events, told);
    if (this.#state === "half-open") return this.#refuse(0, told);
    const waited = this.#settings.now() - this.#openedAt;
    if (!(waited >= this.#resetTimeoutMs)) return this.#refuse(this.#resetTimeoutMs - waited, told);
    this.#transition("half-open", "reset-timeout");
    return this.#probe(events, told);
  }

  protected override lossReason(error: unknown): DropReason | undefined {
    return typeof error === "object" && error !== null && this.#refusals.has(error)
      ? "circuit_open"
      : undefined;
  }

  protected override handOverSync(events: readonly LogEvent[], target: Sink): void {
    // On an exit path there is no probe to wait for: a circuit that is not closed refuses.
    if (this.#state === "closed") super.handOverSync(events, target);
    else this.counters.drop("circuit_open", events.length);
  }

  protected override flushInner(): Promise<void> {
    const flushed = this.inner.flush();
    if (this.#unsettledProbes === 0) return flushed;
    // The events of a timed-out probe were counted here and passed on to whoever is outside; a
    // wrapped sink that still holds them (a retry inside holds every later batch behind them too)
    // may never finish this flush. It gets one more probe period; then the flush rejects, and
    // during close() the wrapped sink is abandoned, so that closing ends and every count adds up.
    // The timer is referenced on purpose: the process waits for this bounded end.
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        if (this.#unsettledProbes === 0) return;
        flushed.catch(() => {});
        const held = this.#unsettledProbes;
        if (this.isClosed) this.abandonSink(this.inner, "shutdown_timeout");
        reject(
          new LoggingError(
            "timeout",
            `"${this.name}": the wrapped sink still holds ${held} timed-out probes after ` +
              `${this.#settings.probeTimeoutMs} ms more${this.isClosed ? "; it was abandoned" : ""}.`,
          ),
        );
      }, this.#settings.probeTimeoutMs);
      flushed.then(
        () => {
          clearTimeout(timer);
          resolve();
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  protected override closeInner(): Promise<void> {
    return this.inner.close();
  }

  protected override abandonInner(reason: DropReason): void {
    this.abandonSink(this.inner, reason);
  }

  /** Refuses a batch at once: the outcome is known now, so the caller's listener is told now. */
  #refuse(retryAfterMs: number, told: BatchSettled): Promise<void> {
    const error = new CircuitOpenError(this.name, retryAfterMs);
    this.#refusals.add(error);
    this.#rejectedBatches += 1;
    told(0, error);
    return Promise.reject(error);
  }

  /**
   * Passes a batch through a closed circuit. Its outcome is the wrapped sink's, taken once from
   * whichever it gives first, its listener (then told outward at once) or its promise.
   */
  #pass(events: readonly LogEvent[], told: BatchSettled): Promise<void> {
    const generation = this.#generation;
    return new Promise<void>((resolve, reject) => {
      this.send(this.inner, events, (delivered, error, synchronous) => {
        this.#closedOutcome(generation, delivered < events.length);
        conclude(events.length, delivered, error, synchronous, told, resolve, reject);
      });
    });
  }

  #closedOutcome(generation: number, failed: boolean): void {
    if (generation !== this.#generation) return;
    const rate = this.#settings.failureRate;
    const window = this.#window;
    const now = window === undefined ? 0 : this.#settings.now();
    window?.record(now, failed);
    if (!failed) {
      this.#consecutiveFailures = 0;
      return;
    }
    this.#consecutiveFailures += 1;
    if (this.#consecutiveFailures >= this.#settings.failureThreshold) {
      this.#open(this.#settings.resetTimeoutMs, "failure-threshold");
      return;
    }
    if (window !== undefined && rate !== undefined) {
      const { batches, failures } = window.totals(now);
      if (batches >= rate.minimumBatches && failures >= rate.threshold * batches) {
        this.#open(this.#settings.resetTimeoutMs, "failure-rate");
      }
    }
  }

  #probe(events: readonly LogEvent[], told: BatchSettled): Promise<void> {
    this.#probes += 1;
    const generation = this.#generation;
    const timeoutMs = this.#settings.probeTimeoutMs;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        if (settled) return;
        settled = true;
        this.#probeTimeouts += 1;
        this.#unsettledProbes += 1;
        if (generation === this.#generation) this.#reopen("probe-timeout");
        reject(new ProbeTimeoutError(this.name, timeoutMs));
      }, timeoutMs);
      timer.unref();
      this.send(this.inner, events, (delivered, error, synchronous) => {
        if (settled) return this.#lateProbeSettled();
        settled = true;
        clearTimeout(timer);
        if (generation === this.#generation) {
          if (delivered === events.length) this.#closeCircuit();
          else this.#reopen("probe-failed");
        }
        conclude(events.length, delivered, error, synchronous, told, resolve, reject);
      });
    });
  }

  #lateProbeSettled(): void {
    this.#unsettledProbes -= 1;
  }

  #closeCircuit(): void {
    this.#consecutiveFailures = 0;
    this.#window?.clear();
    this.#resetTimeoutMs = this.#settings.resetTimeoutMs;
    this.#transition("closed", "probe-succeeded");
  }

  #reopen(reason: CircuitTransitionReason): void {
    const settings = this.#settings;
    this.#open(
      Math.min(settings.maxResetTimeoutMs, this.#resetTimeoutMs * settings.resetBackoffMultiplier),
      reason,
    );
  }

  #open(resetTimeoutMs: number, reason: CircuitTransitionReason): void {
    this.#resetTimeoutMs = resetTimeoutMs;
    this.#openedAt = this.#settings.now();
    this.#opened += 1;
    this.#transition("open", reason);
  }

  #transition(to: CircuitState, reason: CircuitTransitionReason): void {
    const from = this.#state;
    if (from === to) return;
    this.#state = to;
    this.#generation += 1;
    const callback = this.#settings.onStateChange;
    if (callback === undefined) return;
    try {
      callback(from, to, reason);
    } catch (error) {
      this.report(error, "onStateChange");
    }
  }
}
