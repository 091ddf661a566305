import {
  type ErrorHandler,
  isLogLevel,
  type LogLevel,
  levelOrdinal,
  logLevels,
  type Sink,
} from "@sluice/core";
import { invalidOption, positiveIntegerOption as positiveInteger } from "@sluice/core/sink";
import type { MemoryBudget } from "./memory-budget.ts";

/**
 * What a full queue does with one more event.
 *
 * - `drop-oldest`: discard the oldest queued event to make room (the newest data wins).
 * - `drop-newest`: discard the incoming event (the queued data wins).
 * - `block`: hand the oldest batch to the inner sink (`writeBatch`, counted from its answer) and
 *   let it write synchronously (`flushSync`, given what is left of `blockTimeoutMs`) until there is
 *   room, for at most `blockTimeoutMs`; then discard the incoming event. Needs an inner sink with
 *   `flushSync`.
 */
export type OverflowPolicy = "drop-oldest" | "drop-newest" | "block";

/** What {@link QueueOptions.onBackPressure} receives. */
export interface BackPressureInfo {
  /** Events queued when the threshold was crossed. */
  readonly depth: number;
  /** Estimated bytes queued when the threshold was crossed. */
  readonly bytes: number;
}

/** Options for `withQueue`. */
export interface QueueOptions {
  /**
   * The sink's name, for diagnostics.
   * @default `queue(<inner name>)`
   */
  readonly name?: string;
  /**
   * The most events held (queued, not counting the batch in flight).
   * @default 100000
   */
  readonly maxEvents?: number;
  /**
   * The most bytes held, as estimated heap bytes the queued events retain (see the README on
   * size estimates).
   * @default 16777216 (16 MiB)
   */
  readonly maxBytes?: number;
  /**
   * The largest estimated size of one event; a larger event is replaced by a small placeholder
   * event that says what was cut, and counted as dropped (`too_large`).
   * @default 262144 (256 KiB)
   */
  readonly maxEventBytes?: number;
  /**
   * What a full queue does with one more event.
   * @default "drop-oldest"
   */
  readonly overflow?: OverflowPolicy;
  /**
   * Level-aware shedding: when the queue is full, events below this level are dropped (counted as
   * `shed`) before any event at or above it. `false` turns shedding off.
   * @default "warn"
   */
  readonly shedBelow?: LogLevel | false;
  /**
   * How long `block` may wait for room for one event, in milliseconds; no call blocks much
   * longer, however slow the inner sink's destination.
   * @default 1000
   */
  readonly blockTimeoutMs?: number;
  /**
   * The most events handed to the inner sink in one `writeBatch`. Small batches leave the queue
   * sooner, so queued events die young instead of surviving garbage collections; 1000 matches
   * core's `createSink` default, so one batch is one `deliver` call.
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * How long events wait for a fuller batch before the drain sends what it has, in milliseconds.
   * @default 50
   */
  readonly flushIntervalMs?: number;
  /**
   * The longest an event may wait in the queue before it is sent, even behind a slow batch, in
   * milliseconds (the drain sends at once when the oldest event is this old).
   * @default 1000
   */
  readonly maxBatchAgeMs?: number;
  /**
   * Queue depth (events) at which `onBackPressure` fires and `ready()` starts waiting.
   * @default 80% of maxEvents
   */
  readonly backPressureThreshold?: number;
  /**
   * Estimated bytes at which `onBackPressure` fires and `ready()` starts waiting.
   * @default 80% of maxBytes
   */
  readonly backPressureThresholdBytes?: number;
  /**
   * Called once when the queue crosses a back-pressure threshold; it fires again only after the
   * depth has fallen to half the thresholds.
   */
  readonly onBackPressure?: (info: BackPressureInfo) => void;
  /**
   * A memory budget shared with other queues; this queue's bytes count against it, and it is
   * guaranteed its fair share of it (see {@link MemoryBudget}).
   */
  readonly memoryBudget?: MemoryBudget;
  /**
   * Receives delivery failures (a rejected `writeBatch`).
   * @default failures go to the self-log
   */
  readonly onError?: ErrorHandler;
  /**
   * The clock for batch ages and block timeouts, in milliseconds. Writes read it when the queue
   * is empty and once in 64 otherwise (a stale reading only makes events look older).
   * @default Date.now
   */
  readonly now?: () => number;
}

/** @internal options validated and completed. */
export interface ResolvedQueueOptions {
  readonly name: string;
  readonly maxEvents: number;
  readonly maxBytes: number;
  readonly maxEventBytes: number;
  readonly overflow: OverflowPolicy;
  /** Events with a level ordinal below this are sheddable; -1 when shedding is off. */
  readonly shedOrdinal: number;
  readonly blockTimeoutMs: number;
  readonly batchSize: number;
  readonly flushIntervalMs: number;
  readonly maxBatchAgeMs: number;
  readonly backPressureThreshold: number;
  readonly backPressureThresholdBytes: number;
  readonly onBackPressure: ((info: BackPressureInfo) => void) | undefined;
  readonly memoryBudget: MemoryBudget | undefined;
  readonly onError: ErrorHandler | undefined;
  readonly now: () => number;
}

const overflowPolicies: readonly OverflowPolicy[] = ["drop-oldest", "drop-newest", "block"];

function nonNegativeInteger(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidOption(name, "an integer of 0 or more", value);
  }
  return value;
}

function optionalFunction<Value>(name: string, value: Value | undefined): Value | undefined {
  if (value !== undefined && typeof value !== "function") {
    throw invalidOption(name, "a function", value);
  }
  return value;
}

/** @internal validates options against the sink they wrap. */
export function resolveQueueOptions(sink: Sink, options: QueueOptions): ResolvedQueueOptions {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object", options);
  }
  const maxEvents = positiveInteger("maxEvents", options.maxEvents, 100_000);
  const maxBytes = positiveInteger("maxBytes", options.maxBytes, 16 * 1024 * 1024);
  const maxEventBytes = positiveInteger(
    "maxEventBytes",
    options.maxEventBytes,
    Math.min(256 * 1024, maxBytes),
  );
  if (maxEventBytes > maxBytes) {
    throw invalidOption("maxEventBytes", `at most maxBytes (${maxBytes})`, maxEventBytes);
  }
  const overflow = options.overflow ?? "drop-oldest";
  if (!overflowPolicies.includes(overflow)) {
    throw invalidOption("overflow", `one of ${overflowPolicies.join(", ")}`, overflow);
  }
  if (overflow === "block" && typeof sink.flushSync !== "function") {
    throw invalidOption(
      "overflow",
      `"drop-oldest" or "drop-newest": "block" drains synchronously and the wrapped sink${
        sink.name === undefined ? "" : ` "${sink.name}"`
      } has no flushSync()`,
      overflow,
    );
  }
  const shedBelow = options.shedBelow ?? "warn";
  if (shedBelow !== false && !isLogLevel(shedBelow)) {
    throw invalidOption("shedBelow", `false or one of ${logLevels.join(", ")}`, shedBelow);
  }
  const batchSize = positiveInteger("batchSize", options.batchSize, 1000);
  const flushIntervalMs = nonNegativeInteger("flushIntervalMs", options.flushIntervalMs, 50);
  const maxBatchAgeMs = nonNegativeInteger("maxBatchAgeMs", options.maxBatchAgeMs, 1000);
  const backPressureThreshold = positiveInteger(
    "backPressureThreshold",
    options.backPressureThreshold,
    Math.max(1, Math.floor(maxEvents * 0.8)),
  );
  const backPressureThresholdBytes = positiveInteger(
    "backPressureThresholdBytes",
    options.backPressureThresholdBytes,
    Math.max(1, Math.floor(maxBytes * 0.8)),
  );
  const budget = options.memoryBudget;
  if (budget !== undefined && (budget === null || typeof budget.usage !== "number")) {
    throw invalidOption("memoryBudget", "a budget from createMemoryBudget()", budget);
  }
  const name = options.name ?? `queue(${sink.name ?? "sink"})`;
  if (typeof name !== "string") throw invalidOption("name", "a string", name);
  return {
    name,
    maxEvents,
    maxBytes,
    maxEventBytes,
    overflow,
    shedOrdinal: shedBelow === false ? -1 : levelOrdinal(shedBelow),
    blockTimeoutMs: nonNegativeInteger("blockTimeoutMs", options.blockTimeoutMs, 1000),
    batchSize,
    flushIntervalMs,
    maxBatchAgeMs,
    backPressureThreshold,
    backPressureThresholdBytes,
    onBackPressure: optionalFunction("onBackPressure", options.onBackPressure),
    memoryBudget: budget,
    onError: optionalFunction("onError", options.onError),
    now: optionalFunction("now", options.now) ?? Date.now,
  };
}
