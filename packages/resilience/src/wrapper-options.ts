import { type ErrorHandler, LoggingError, type Sink } from "@sluice/core";
import { invalidOption, positiveIntegerOption } from "@sluice/core/sink";

/** Options every wrapper of this package takes. */
export interface WrapperOptions {
  /**
   * The wrapper's name, for diagnostics and errors.
   * @default `<wrapper>(<inner name>)`, e.g. `"breaker(file)"`
   */
  readonly name?: string;
  /**
   * The most events taken by `write` and not yet settled (gathered for one turn of the event
   * loop, then in delivery); more are dropped as `buffer_full`, so a hung sink cannot make them
   * pile up.
   * @default 10000
   */
  readonly maxPending?: number;
  /**
   * Receives failures of batches that came through `write` (a `writeBatch` caller gets its
   * rejection instead) and errors thrown by callbacks.
   * @default failures go to the self-log
   */
  readonly onError?: ErrorHandler;
}

/** @internal {@link WrapperOptions} validated and completed. */
export interface ResolvedWrapperOptions {
  readonly name: string;
  readonly maxPending: number;
  readonly onError: ErrorHandler | undefined;
}

/**
 * @internal Checks that `sink` is a sink, for the first argument of a wrapper.
 */
export function requireSink(wrapper: string, argument: string, sink: unknown): Sink {
  if (
    sink === null ||
    typeof sink !== "object" ||
    typeof (sink as Sink).write !== "function" ||
    typeof (sink as Sink).writeBatch !== "function" ||
    typeof (sink as Sink).flush !== "function" ||
    typeof (sink as Sink).close !== "function"
  ) {
    throw new LoggingError(
      "invalid_option",
      `${wrapper} expects a sink (an object with write, writeBatch, flush and close) as its ${argument}.`,
    );
  }
  return sink as Sink;
}

/**
 * @internal Checks that `options` is an object (or absent) and reads the shared options.
 */
export function resolveWrapperOptions(
  options: unknown,
  defaultName: string,
): ResolvedWrapperOptions {
  if (options !== undefined && (options === null || typeof options !== "object")) {
    throw invalidOption("options", "an object", options);
  }
  const given = (options ?? {}) as WrapperOptions;
  if (given.name !== undefined && typeof given.name !== "string") {
    throw invalidOption("name", "a string", given.name);
  }
  return {
    name: given.name ?? defaultName,
    maxPending: positiveIntegerOption("maxPending", given.maxPending, 10_000),
    onError: functionOption("onError", given.onError),
  };
}

/** @internal Reads an optional callback. */
export function functionOption<Value>(option: string, value: Value | undefined): Value | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw invalidOption(option, "a function", value);
  }
  return value;
}

/** @internal Reads an optional duration or count that may be 0. */
export function nonNegativeNumberOption(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
    throw invalidOption(option, "a finite number of 0 or more", value);
  }
  return value;
}

/** @internal Reads an optional number within `[minimum, maximum]`. */
export function rangeOption(
  option: string,
  value: unknown,
  fallback: number,
  minimum: number,
  maximum: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !(value >= minimum && value <= maximum)) {
    throw invalidOption(option, `a number from ${minimum} to ${maximum}`, value);
  }
  return value;
}

/** @internal Reads an optional growth factor: a finite number of 1 or more. */
export function multiplierOption(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < 1) {
    throw invalidOption(option, "a finite number of 1 or more", value);
  }
  return value;
}

/** @internal Checks that a cap (`option`) is not below the duration it caps (`floorOption`). */
export function requireAtLeast(
  option: string,
  value: number,
  floorOption: string,
  floor: number,
): void {
  if (value < floor) {
    throw invalidOption(
      option,
      `a number of milliseconds of at least ${floorOption} (${floor})`,
      value,
    );
  }
}

/** @internal The name of a sink for a wrapper's default name. */
export function sinkName(sink: Sink): string {
  return typeof sink.name === "string" ? sink.name : "sink";
}
