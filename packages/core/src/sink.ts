import type { DeliveryObserver, DeliveryObservers } from "./delivery-observers.ts";
import type { LogEvent } from "./log-event.ts";

/**
 * A destination for log events, with two faces.
 *
 * The caller's face is {@link Sink.write}: synchronous, cheap, never throws, never waits for
 * I/O. The delivery face is {@link Sink.writeBatch}: a promise that settles when the events are
 * handed to the OS (or the remote peer), and rejects when they were not. Queues drive the
 * delivery face and resilience wrappers decorate it; it is where failure becomes visible.
 *
 * Every sink keeps the conservation law of {@link SinkStats} true.
 */
export interface Sink {
  /** A short name for diagnostics and metrics, e.g. `"file"`. */
  readonly name?: string;
  /**
   * What this sink wraps, for wrappers (one sink, or several for a fallback chain). Tools walk a
   * chain with {@link walkSinkChain}.
   */
  readonly inner?: Sink | readonly Sink[];
  /**
   * `true` when `writeBatch` may be called again before an earlier call settled: the sink then
   * delivers overlapping batches in the order of the calls (as one that buffers in order, or
   * chains its deliveries, does). A queue hands such a sink its next batches while one is being
   * written; any other sink gets one batch at a time, so a third-party sink that handles each
   * call on its own never sees two at once. Leave it out unless the order is guaranteed.
   */
  readonly acceptsOverlappingBatches?: boolean;
  /**
   * Accepts one event. Synchronous and cheap; never throws and never blocks on I/O. A sink that
   * does I/O buffers here and delivers later.
   */
  write(event: LogEvent): void;
  /**
   * Delivers events, in order. Resolves when they are handed to the OS or the peer; rejects
   * (with the cause) when they were not. Each event counts as accepted by this sink.
   *
   * A rejection with a {@link PartialDeliveryError} says that the leading `delivered` events
   * were delivered and the rest were not; any other rejection says that none were. Wrappers
   * count from it with {@link deliveredCount}. A sink that delivers a batch in several steps
   * stops at the first failed step, so what was delivered is always a prefix. It settles only
   * once the events reached the OS or the peer, never when they were merely buffered.
   *
   * Must return a promise and never throw; a wrapper that meets a sink breaking this (a throw,
   * no promise, a thenable settling twice) counts and reports it as a `contract_violation`
   * (see {@link settleSinkCall}).
   *
   * `settled`, when given, may be called once with the batch's outcome the moment the sink knows
   * it, synchronously, before the promise settles. It matters on exit paths: a batch delivered
   * inside `flushSync` (from `process.on("exit")`) settles its promise in a microtask that never
   * runs, and a caller that learns of the delivery only from the promise would count those
   * events as lost. A sink that calls it reports the same outcome as its promise; a caller
   * counts whichever comes first and ignores the other. Sinks may ignore it (the promise alone
   * then tells), and wrappers that forward the batch pass it on (or call it themselves once
   * their own outcome is known).
   *
   * @param events the batch, in order.
   * @param settled receives the outcome as the promise would tell it; see {@link BatchSettled}.
   */
  writeBatch(events: readonly LogEvent[], settled?: BatchSettled): Promise<void>;
  /**
   * Resolves when everything accepted before the call has settled (delivered, dropped or failed)
   * and nothing failed that it must report. It rejects when an event accepted before the call
   * failed, or a failure came to light while it waited, and no flush that settled before this
   * call already reported that failure. So every failure is reported by a flush, and flushes
   * made one after another never report the same failure twice (a `writeBatch` rejection tells
   * only its caller about its own batch and does not count as a report). It rejects with the
   * failure (the most recent, when several events failed; an `AggregateError` for failures of
   * several sinks).
   */
  flush(): Promise<void>;
  /**
   * Flushes, then releases resources; passes through every wrapper to the innermost sink, and
   * rejects like its flush (or when releasing failed). Idempotent: every call returns the same
   * promise. Never closes stdout or stderr. Events written after close are counted as dropped
   * (`closed`), not thrown.
   */
  close(): Promise<void>;
  /**
   * Best-effort synchronous drain for `process.on("exit")` and crash paths, where no promise
   * will ever settle. Sinks that cannot do it leave it out. Never throws.
   *
   * @param timeoutMs how long it may wait for a slow destination (a full pipe) before leaving the
   *   rest for its asynchronous path; a blocking queue passes what is left of its
   *   `blockTimeoutMs`. Without it, the sink picks its own bound for an exit path.
   */
  flushSync?(timeoutMs?: number): void;
  /**
   * Gives up what the sink holds, for shutdowns past their deadline and exit paths: it stops
   * waiting for its destination, counts every event it still holds (buffered, queued or in
   * flight) as dropped for `reason`, settles every pending `flush`, `close` and `writeBatch`
   * (a flush or close rejects with a `LoggingError` of code `timeout` when events were given up;
   * a batch rejects with the part delivered, as `writeBatch` says) and passes through every
   * wrapper to what it wraps, like `close`. The sink is closed after it: later writes count as
   * dropped (`closed`), and `close()` releases what is left to release without waiting for the
   * destination. Synchronous, idempotent, and never throws. Events the destination took before
   * the call and reports later are not counted again. Sinks that hold nothing may leave it out.
   *
   * @param reason the drop reason to count the abandoned events under, e.g. `shutdown_timeout`.
   */
  abandon?(reason: DropReason): void;
  /**
   * Observes deliveries: `observer` is told the timestamps of events as they are handed to the
   * OS or the peer (a file sink: when the write system call returned), in delivery order, one
   * call per delivered batch or chunk, never for events dropped or failed. For end-to-end
   * latency measured outside a queue. Sinks that deliver implement it at no cost while nobody
   * observes; wrappers pass it through to what they wrap (a fallback to every destination) and
   * have it only when what they wrap has it. See {@link DeliveryObservers}.
   *
   * @param observer receives `timestamps[from]` to `timestamps[to - 1]`; the array is reused.
   * @returns a function that stops the observation.
   */
  observeDelivery?(observer: DeliveryObserver): () => void;
  /** The counters this component owns. */
  stats?(): SinkStats;
}

/**
 * Receives a batch's outcome synchronously (see {@link Sink.writeBatch}): how many of its leading
 * events were delivered, and when that is not all of them, why the rest were not (what the
 * promise rejects with). Called at most once; must not throw (a throw is ignored).
 *
 * @param delivered how many of the batch's leading events reached the OS or the peer.
 * @param error the failure, when `delivered` is less than the batch's length.
 */
export type BatchSettled = (delivered: number, error?: unknown) => void;

/** Every reason a component may drop an event, as a closed set. */
export const dropReasons: readonly DropReason[] = Object.freeze([
  "queue_full",
  "buffer_full",
  "too_large",
  "shed",
  "closed",
  "sink_error",
  "circuit_open",
  "shutdown_timeout",
  "epipe",
  "reentrant",
  "process_exit",
] as const);

/**
 * Why an event was dropped.
 *
 * - `queue_full`: a queue was full and its overflow policy discarded the event.
 * - `buffer_full`: a sink's write buffer was at its byte bound (the destination is too slow or
 *   failing).
 * - `too_large`: the event was larger than the configured maximum event size.
 * - `shed`: a lower-level event was discarded to make room for a more severe one.
 * - `closed`: the event arrived after `close()`.
 * - `sink_error`: the destination failed and the event could not be kept for a later attempt.
 * - `circuit_open`: a circuit breaker was open.
 * - `shutdown_timeout`: shutdown's deadline passed before the event was delivered, or the process
 *   ran out of work while a sink still held the event and would never settle it.
 * - `epipe`: the reading end of a pipe went away (`node app | head -1`).
 * - `reentrant`: the event was logged from inside the logging pipeline itself and taking it would
 *   have recursed or looped: from inside a nested logging call, while a sink's `write` ran, or
 *   from a component's error callback past its one event per self-log interval.
 * - `process_exit`: the process ended without waiting (`process.exit()`, a crash) while the event
 *   was held by a sink that can only deliver asynchronously.
 */
export type DropReason =
  | "queue_full"
  | "buffer_full"
  | "too_large"
  | "shed"
  | "closed"
  | "sink_error"
  | "circuit_open"
  | "shutdown_timeout"
  | "epipe"
  | "reentrant"
  | "process_exit";

/** Drop counts by reason; every reason is present. */
export type DropCounts = Readonly<Record<DropReason, number>>;

/**
 * The counters a component owns. At every moment,
 * `accepted = delivered + sum(dropped) + failed + pending` (the conservation law), so at a
 * quiescent point (`pending = 0`) every accepted event was delivered, dropped with a reason, or
 * failed. Check it with {@link checkConservation}.
 */
export interface SinkStats {
  /** Events this component took responsibility for (via `write` or `writeBatch`). */
  readonly accepted: number;
  /** Events handed on successfully: to the OS, the peer, or the wrapped sink. */
  readonly delivered: number;
  /** Events discarded on purpose, by reason. */
  readonly dropped: DropCounts;
  /** Events whose delivery was attempted and failed. */
  readonly failed: number;
  /** Events held right now: buffered, queued or in flight. */
  readonly pending: number;
  /** Bytes held right now, when the component measures them. */
  readonly pendingBytes: number;
  /** Bytes delivered. */
  readonly bytes: number;
  /** The most recent failure, if any. */
  readonly lastError: unknown;
  /** A component-specific state, e.g. a circuit breaker's `"open"`. */
  readonly state?: string;
}

/**
 * A zeroed {@link DropCounts}, for components that count drops.
 *
 * @returns a fresh mutable record with every reason at zero.
 */
export function createDropCounts(): Record<DropReason, number> {
  return {
    queue_full: 0,
    buffer_full: 0,
    too_large: 0,
    shed: 0,
    closed: 0,
    sink_error: 0,
    circuit_open: 0,
    shutdown_timeout: 0,
    epipe: 0,
    reentrant: 0,
    process_exit: 0,
  };
}

/**
 * The total of all drop counts.
 *
 * @param dropped drop counts by reason.
 * @returns their sum.
 */
export function totalDropped(dropped: DropCounts): number {
  let total = 0;
  for (const reason of dropReasons) total += dropped[reason];
  return total;
}

/**
 * Checks the conservation law on a stats snapshot.
 *
 * @param stats a snapshot from `sink.stats()`.
 * @returns `undefined` when `accepted = delivered + dropped + failed + pending`, otherwise a
 *   sentence describing the imbalance.
 */
export function checkConservation(stats: SinkStats): string | undefined {
  const dropped = totalDropped(stats.dropped);
  const accounted = stats.delivered + dropped + stats.failed + stats.pending;
  if (accounted === stats.accepted) return undefined;
  return (
    `accepted (${stats.accepted}) != delivered (${stats.delivered}) + dropped (${dropped}) + ` +
    `failed (${stats.failed}) + pending (${stats.pending})`
  );
}

/**
 * Lists a sink and everything it wraps, outermost first, following `inner`. A third-party
 * wrapper's `inner` that throws, or holds anything but sinks (`null`, a number), ends the walk
 * there rather than the caller's work: metrics and shutdown reports walk chains they did not
 * build.
 *
 * @param sink the outermost sink.
 * @returns every sink of the chain, each once.
 */
export function walkSinkChain(sink: Sink): Sink[] {
  const seen = new Set<Sink>();
  const pending: unknown[] = [sink];
  const result: Sink[] = [];
  while (pending.length > 0) {
    const current = pending.shift();
    if (typeof current !== "object" || current === null || seen.has(current as Sink)) continue;
    seen.add(current as Sink);
    result.push(current as Sink);
    let inner: unknown;
    try {
      inner = (current as Sink).inner;
    } catch {
      continue;
    }
    if (Array.isArray(inner)) pending.push(...(inner as readonly unknown[]));
    else pending.push(inner);
  }
  return result;
}
