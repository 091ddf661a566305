import type { DropCounts } from "@sluice/core";
import type { AlertKind } from "./metrics-options.ts";

/** A latency distribution, in milliseconds. Every figure is 0 while `count` is 0. */
export interface LatencySnapshot {
  /** How many latencies were recorded. */
  readonly count: number;
  /** Their sum; `Infinity` (`null` in JSON) past the largest double. */
  readonly sum: number;
  /** The median. */
  readonly p50: number;
  /** The 95th percentile. */
  readonly p95: number;
  /** The 99th percentile. */
  readonly p99: number;
  /** The largest (exact). */
  readonly max: number;
}

/** A failure, described for export. */
export interface ErrorDescription {
  /** The error's message (or the thrown value as text). */
  readonly message: string;
  /** The error's `code` when it has a string one (e.g. `"ENOSPC"`), else its name. */
  readonly code: string | undefined;
}

/** The most recent failure seen along a sink's chain. */
export interface LastErrorSnapshot extends ErrorDescription {
  /**
   * When it was seen, in epoch milliseconds: exact for a failure the metered sink saw itself
   * (a rejected `writeBatch`), otherwise the first snapshot or alert evaluation that found it.
   */
  readonly time: number;
  /** The name of the component that reported it. */
  readonly component: string;
}

/** The queue found along a sink's chain. */
export interface QueueSnapshot {
  /** The queue's name. */
  readonly component: string;
  /** Events queued now. */
  readonly size: number;
  /** Estimated bytes queued now. */
  readonly bytes: number;
  /** The most events it holds. */
  readonly capacity: number;
  /** The most bytes it holds (`Infinity`, `null` in JSON, when the queue does not say). */
  readonly maxBytes: number;
}

/**
 * One component of a sink's chain, as its own `stats()` reports it (not affected by reset), with
 * what it counted before its counters restarted, if they did, carried forward.
 */
export interface ComponentSnapshot {
  /** The component's name (`"sink"` when it has none). */
  readonly name: string;
  /** Events it took responsibility for. */
  readonly accepted: number;
  /** Events it handed on successfully. */
  readonly delivered: number;
  /** Events it discarded, by reason. */
  readonly dropped: DropCounts;
  /** Events whose delivery it attempted and that failed. */
  readonly failed: number;
  /** Events it holds now. */
  readonly pending: number;
  /** Bytes it holds now, when it measures them. */
  readonly pendingBytes: number;
  /** Bytes it delivered. */
  readonly bytes: number;
  /** Its most recent failure. */
  readonly lastError: ErrorDescription | undefined;
  /** Its state, when it has one. */
  readonly state: string | undefined;
}

/**
 * Everything measured for one named sink since it was wrapped or last reset (the events its chain
 * held then count as received after it). The counters only go up between resets, and follow the
 * conservation law: `events = delivered + sum(dropped) + failed + pending` (short by the events a
 * component held when its counters restarted and no longer reports).
 */
export interface SinkMetricsSnapshot {
  /** The name given to `withMetrics`. */
  readonly name: string;
  /**
   * Events the chain received, as the first component inside counts them: those that crossed the
   * metered sink (through `write` or `writeBatch`), and any others that component takes (a sink
   * shared by two metered sinks).
   */
  readonly events: number;
  /**
   * Events delivered, as the first component inside the metered sink counts them (a queue: handed
   * to its sink, which resolved; a file sink: written to the OS).
   */
  readonly delivered: number;
  /** Events dropped by the first component inside, by reason, plus those refused after close. */
  readonly dropped: DropCounts;
  /** Events whose delivery failed, as the first component inside counts them. */
  readonly failed: number;
  /**
   * Events held now by the first component inside (queued, buffered or in flight): a gauge, read
   * as that component reports it now, across a restart of its counters too.
   */
  readonly pending: number;
  /** Bytes written by the innermost sinks of the chain. */
  readonly bytes: number;
  /** The most recent failure along the chain. */
  readonly lastError: LastErrorSnapshot | undefined;
  /** The first queue along the chain (a component whose stats have `depth` and `capacity`). */
  readonly queue: QueueSnapshot | undefined;
  /** The first component state along the chain, e.g. a circuit breaker's `"open"`. */
  readonly state: string | undefined;
  /** Caller-side cost of `write` (a sample of the calls: see `writeSampleInterval`). */
  readonly writeLatency: LatencySnapshot;
  /**
   * From the log call (`LogEvent.timestamp`) to the event being handed to the OS or the peer, where
   * the chain reports it (`Sink.observeDelivery`), else to the settlement of the `writeBatch` that
   * delivered the event through the metered sink (then empty when events only arrive through
   * `write`). Events the chain held when it was wrapped are not timed.
   */
  readonly deliveryLatency: LatencySnapshot;
  /** The alerts in an episode now. */
  readonly alerts: readonly AlertKind[];
  /**
   * Every component of the chain, outermost (the metered sink itself) first, with its whole
   * history: not affected by wrapping or reset, and carried across restarts of its counters.
   */
  readonly components: readonly ComponentSnapshot[];
}

/** Everything measured, for every sink. */
export interface MetricsSnapshot {
  /** When the snapshot was taken, in epoch milliseconds. */
  readonly time: number;
  /** One entry per named sink, in the order they were metered. */
  readonly sinks: readonly SinkMetricsSnapshot[];
}
