const loggingErrorMarker: unique symbol = Symbol.for("sluice.LoggingError");

/**
 * The codes a {@link LoggingError} can carry.
 *
 * - `invalid_option`: an option given at construction has a value that is not accepted.
 * - `sink_closed`: an operation reached a sink after `close()`.
 * - `sink_failure`: a sink could not deliver events.
 * - `timeout`: an operation did not finish before its deadline.
 * - `contract_violation`: a sink broke the `Sink` contract (for example, `write` threw).
 */
export type LoggingErrorCode =
  | "invalid_option"
  | "sink_closed"
  | "sink_failure"
  | "timeout"
  | "contract_violation";

/** Options for {@link LoggingError}. */
export interface LoggingErrorOptions {
  /** The underlying failure, if any. */
  readonly cause?: unknown;
}

/**
 * The error type of every Sluice package. Recognise it with {@link LoggingError.is}, which also
 * works across duplicate installs of `@sluice/core`, where `instanceof` does not.
 *
 * @example
 * ```ts
 * try { createLogger({ level: "loud" as never }); }
 * catch (error) { if (LoggingError.is(error)) console.log(error.code); } // "invalid_option"
 * ```
 */
export class LoggingError extends Error {
  /** What kind of failure this is. */
  readonly code: LoggingErrorCode;

  /**
   * @param code what kind of failure this is.
   * @param message a sentence a user can act on.
   * @param options the underlying failure, if any.
   */
  constructor(code: LoggingErrorCode, message: string, options?: LoggingErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "LoggingError";
    this.code = code;
    Object.defineProperty(this, loggingErrorMarker, { value: true });
  }

  /**
   * Tells whether a value is a `LoggingError`, from this copy of core or any other.
   *
   * @param value anything.
   * @returns `true` when `value` is a `LoggingError`.
   */
  static is(value: unknown): value is LoggingError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[loggingErrorMarker] === true
    );
  }
}

/**
 * Builds the `invalid_option` error thrown by constructors for a bad option.
 *
 * @param option the option's name as the user wrote it, e.g. `"maxEvents"`.
 * @param accepted what the option accepts, e.g. `"a positive integer"`.
 * @param received the value that was given.
 * @returns an error whose message names the option, the accepted values and the received value.
 */
export function invalidOption(option: string, accepted: string, received: unknown): LoggingError {
  return new LoggingError(
    "invalid_option",
    `Invalid option "${option}": expected ${accepted}, received ${describeValue(received)}.`,
  );
}

function describeValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "bigint") return `${value}n`;
  if (typeof value === "symbol" || typeof value === "function") return typeof value;
  if (value === null || typeof value !== "object") return String(value);
  if (Array.isArray(value)) return "an array";
  return "an object";
}

/**
 * Reads an option that must be a positive integer (counts, sizes, intervals), for option
 * validation in sinks and wrappers.
 *
 * @param option the option's name as the user wrote it.
 * @param value the value given, or `undefined`.
 * @param fallback the default, used when `value` is `undefined`.
 * @returns the value, or the default.
 * @throws {LoggingError} `invalid_option` naming the option when the value is not a positive
 *   safe integer.
 */
export function positiveIntegerOption(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw invalidOption(option, "a positive integer", value);
  }
  return value;
}

/**
 * Reads an option that is a wait in milliseconds which may also be unbounded: a whole number of
 * 0 or more, or `Infinity`, for option validation in sinks and wrappers.
 *
 * @param option the option's name as the user wrote it.
 * @param value the value given, or `undefined`.
 * @param fallback the default, used when `value` is `undefined`.
 * @returns the value, or the default.
 * @throws {LoggingError} `invalid_option` naming the option when the value is neither a safe
 *   integer of 0 or more nor `Infinity`.
 */
export function waitOption(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" ||
    !(value === Number.POSITIVE_INFINITY || (Number.isSafeInteger(value) && value >= 0))
  ) {
    throw invalidOption(option, "an integer of 0 or more, or Infinity", value);
  }
  return value;
}
