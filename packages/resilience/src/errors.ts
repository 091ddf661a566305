import { LoggingError } from "@sluice/core";

const circuitOpenMarker: unique symbol = Symbol.for("sluice.CircuitOpenError");
const probeTimeoutMarker: unique symbol = Symbol.for("sluice.ProbeTimeoutError");

/**
 * The rejection of a batch that a circuit breaker refused without touching the sink it wraps:
 * the circuit was open, or half-open with its one probe already in flight. None of the batch was
 * delivered, so an outer fallback may take all of it.
 *
 * Recognise it with {@link CircuitOpenError.is}, which also works across duplicate installs.
 */
export class CircuitOpenError extends LoggingError {
  /** The name of the breaker that refused the batch. */
  readonly breaker: string;
  /** How long until the breaker lets a probe through, in milliseconds (0 when half-open). */
  readonly retryAfterMs: number;

  /**
   * @param breaker the name of the breaker that refused the batch.
   * @param retryAfterMs how long until the breaker lets a probe through, in milliseconds.
   */
  constructor(breaker: string, retryAfterMs: number) {
    super(
      "sink_failure",
      retryAfterMs > 0
        ? `Circuit "${breaker}" is open; the next probe is due in ${Math.ceil(retryAfterMs)} ms.`
        : `Circuit "${breaker}" is half-open and its probe is still in flight.`,
    );
    this.name = "CircuitOpenError";
    this.breaker = breaker;
    this.retryAfterMs = retryAfterMs;
    Object.defineProperty(this, circuitOpenMarker, { value: true });
  }

  /**
   * Tells whether a value is a `CircuitOpenError`, from this copy of the package or any other.
   *
   * @param value anything.
   * @returns `true` when `value` is a `CircuitOpenError`.
   */
  static override is(value: unknown): value is CircuitOpenError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[circuitOpenMarker] === true
    );
  }
}

/**
 * The rejection of a half-open circuit's probe batch that did not settle within
 * `probeTimeoutMs`. The breaker counts it as a failed probe and reopens; the batch counts as
 * failed. Its code is `timeout`.
 *
 * Recognise it with {@link ProbeTimeoutError.is}, which also works across duplicate installs.
 */
export class ProbeTimeoutError extends LoggingError {
  /** The name of the breaker whose probe timed out. */
  readonly breaker: string;
  /** The time limit that passed, in milliseconds. */
  readonly timeoutMs: number;

  /**
   * @param breaker the name of the breaker whose probe timed out.
   * @param timeoutMs the time limit that passed, in milliseconds.
   */
  constructor(breaker: string, timeoutMs: number) {
    super("timeout", `The probe batch of circuit "${breaker}" did not settle in ${timeoutMs} ms.`);
    this.name = "ProbeTimeoutError";
    this.breaker = breaker;
    this.timeoutMs = timeoutMs;
    Object.defineProperty(this, probeTimeoutMarker, { value: true });
  }

  /**
   * Tells whether a value is a `ProbeTimeoutError`, from this copy of the package or any other.
   *
   * @param value anything.
   * @returns `true` when `value` is a `ProbeTimeoutError`.
   */
  static override is(value: unknown): value is ProbeTimeoutError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[probeTimeoutMarker] === true
    );
  }
}
