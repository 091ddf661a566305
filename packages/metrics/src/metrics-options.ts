import type { ErrorHandler } from "@sluice/core";
import { invalidOption, positiveIntegerOption as positiveInteger } from "@sluice/core/sink";
import { refuseUnknownKeys } from "./option-keys.ts";

/**
 * What an alert is about.
 *
 * - `drop_rate`: the share of the events processed in the last interval that were dropped.
 * - `failure_rate`: the share of the events processed in the last interval that failed.
 * - `delivery_p99`: the 99th percentile of the delivery latency over the last interval.
 * - `write_p99`: the 99th percentile of the caller-side `write` cost over the last interval.
 * - `queue_fill`: how full the sink's queue is now, by events or by bytes, whichever is fuller.
 */
export type AlertKind = "drop_rate" | "failure_rate" | "delivery_p99" | "write_p99" | "queue_fill";

/** Every {@link AlertKind}, in the order alerts are evaluated. */
export const alertKinds: readonly AlertKind[] = Object.freeze([
  "drop_rate",
  "failure_rate",
  "delivery_p99",
  "write_p99",
  "queue_fill",
] as const);

/** Alert thresholds; an alert is raised when its value goes above its threshold. */
export interface AlertThresholds {
  /**
   * Dropped events as a share (0 to 1) of the events processed (delivered, dropped or failed) in
   * the interval.
   * @default no drop-rate alert
   */
  readonly dropRate?: number;
  /**
   * Failed events as a share (0 to 1) of the events processed in the interval.
   * @default no failure-rate alert
   */
  readonly failureRate?: number;
  /**
   * The 99th percentile of the delivery latency over the interval, in milliseconds.
   * @default no delivery-latency alert
   */
  readonly deliveryP99Ms?: number;
  /**
   * The 99th percentile of the caller-side cost of `write` over the interval, in milliseconds
   * (e.g. `0.05` for 50 µs).
   * @default no write-cost alert
   */
  readonly writeP99Ms?: number;
  /**
   * How full the queue is (0 to 1 of its capacity in events or bytes, whichever is fuller).
   * @default no queue-fill alert
   */
  readonly queueFill?: number;
}

/** What {@link MetricsOptions.onAlert} receives. */
export interface MetricsAlert {
  /** The sink's name. */
  readonly sink: string;
  /** What the alert is about. */
  readonly kind: AlertKind;
  /**
   * `raised` when the value went above the threshold (once per episode), `cleared` when it came
   * back to or below it, which ends the episode.
   */
  readonly status: "raised" | "cleared";
  /** The value that raised or cleared the alert (a share, or milliseconds for latencies). */
  readonly value: number;
  /** The configured threshold. */
  readonly threshold: number;
  /** When the alert was evaluated, in epoch milliseconds. */
  readonly time: number;
}

/** Options for `createMetrics`. */
export interface MetricsOptions {
  /**
   * Alert thresholds, evaluated for every sink every `alertIntervalMs`.
   * @default {} (no alerts, no timer)
   */
  readonly thresholds?: AlertThresholds;
  /**
   * Called when an alert is raised and when it clears. A throw is reported to `onError`.
   * @default none (active alerts are still listed in snapshots)
   */
  readonly onAlert?: (alert: MetricsAlert) => void;
  /**
   * How often thresholds are evaluated, in milliseconds, on an `unref()`ed timer: an integer from
   * 1 to 2147483647 (2^31 - 1, about 24.8 days, the longest a Node.js timer waits).
   * @default 10000
   */
  readonly alertIntervalMs?: number;
  /**
   * Time one `write` in this many, a power of two (1 times every write). The counters see every
   * write.
   * @default 64
   */
  readonly writeSampleInterval?: number;
  /**
   * The wall clock, in epoch milliseconds: for delivery latency (against `LogEvent.timestamp`),
   * error times and alert times.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Receives a throwing `onAlert`, and a wrapped sink's throwing `write` (which breaks the sink
   * contract).
   * @default the self-log
   */
  readonly onError?: ErrorHandler;
}

/** {@link MetricsOptions} with every default applied. */
export interface ResolvedMetricsOptions {
  readonly thresholds: Readonly<Partial<Record<AlertKind, number>>>;
  readonly onAlert: ((alert: MetricsAlert) => void) | undefined;
  readonly alertIntervalMs: number;
  readonly writeSampleInterval: number;
  readonly now: () => number;
  readonly onError: ErrorHandler | undefined;
}

const thresholdOptions: readonly {
  readonly option: keyof AlertThresholds;
  readonly kind: AlertKind;
  readonly share: boolean;
}[] = [
  { option: "dropRate", kind: "drop_rate", share: true },
  { option: "failureRate", kind: "failure_rate", share: true },
  { option: "deliveryP99Ms", kind: "delivery_p99", share: false },
  { option: "writeP99Ms", kind: "write_p99", share: false },
  { option: "queueFill", kind: "queue_fill", share: true },
];

const metricsOptionKeys: readonly (keyof MetricsOptions)[] = [
  "thresholds",
  "onAlert",
  "alertIntervalMs",
  "writeSampleInterval",
  "now",
  "onError",
];

// Node.js fires a timer of more than 2^31 - 1 ms after 1 ms instead (with a warning).
const longestTimerMs = 2 ** 31 - 1;

function timerInterval(option: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== "number" ||
    !Number.isInteger(value) ||
    value < 1 ||
    value > longestTimerMs
  ) {
    throw invalidOption(
      option,
      `an integer number of milliseconds from 1 to ${longestTimerMs}`,
      value,
    );
  }
  return value;
}

function powerOfTwo(option: string, value: unknown, fallback: number): number {
  const resolved = positiveInteger(option, value, fallback);
  // A power of two lets the write path pick its samples with one mask instead of a countdown.
  if (resolved > 2 ** 30 || (resolved & (resolved - 1)) !== 0) {
    throw invalidOption(option, "a power of two from 1 to 2^30", value);
  }
  return resolved;
}

/**
 * Validates options and applies defaults.
 *
 * @param options what the user gave.
 * @returns the resolved options.
 * @throws {LoggingError} `invalid_option` naming the first bad option.
 */
export function resolveMetricsOptions(options: MetricsOptions): ResolvedMetricsOptions {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object", options);
  }
  refuseUnknownKeys(options, "createMetrics options", "", metricsOptionKeys);
  const given = options.thresholds ?? {};
  if (given === null || typeof given !== "object") {
    throw invalidOption("thresholds", "an object", given);
  }
  refuseUnknownKeys(
    given,
    "thresholds",
    "thresholds.",
    thresholdOptions.map(({ option }) => option),
  );
  const thresholds: Partial<Record<AlertKind, number>> = {};
  for (const { option, kind, share } of thresholdOptions) {
    const value = given[option];
    if (value === undefined) continue;
    const valid =
      typeof value === "number" && value > 0 && (share ? value <= 1 : Number.isFinite(value));
    if (!valid) {
      throw invalidOption(
        `thresholds.${option}`,
        share ? "a number above 0 and at most 1" : "a positive number of milliseconds",
        value,
      );
    }
    thresholds[kind] = value;
  }
  for (const key of ["onAlert", "now", "onError"] as const) {
    if (options[key] !== undefined && typeof options[key] !== "function") {
      throw invalidOption(key, "a function", options[key]);
    }
  }
  return {
    thresholds,
    onAlert: options.onAlert,
    alertIntervalMs: timerInterval("alertIntervalMs", options.alertIntervalMs, 10_000),
    writeSampleInterval: powerOfTwo("writeSampleInterval", options.writeSampleInterval, 64),
    now: options.now ?? Date.now,
    onError: options.onError,
  };
}
