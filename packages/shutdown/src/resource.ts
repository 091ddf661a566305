import type { DropCounts, DropReason } from "@sluice/core";
import { createDropCounts, dropReasons } from "@sluice/core/sink";

/**
 * Anything a shutdown can flush and close: a logger, a sink or wrapper of any package, or a
 * resource of the application's own. It needs `flush` or `close` (or both); `stats` (a sink's
 * `SinkStats`) lets the report say what became of its events, and `flushSync` lets the exit
 * hook drain it when the process ends without waiting.
 */
export interface ShutdownResource {
  /** Delivers what is pending. */
  flush?(): Promise<void> | void;
  /** Releases the resource (for a sink: flushes first). */
  close?(): Promise<void> | void;
  /** Drains synchronously, for `process.exit()` and crash paths. */
  flushSync?(): void;
  /**
   * Gives up what is still pending, counting it as dropped for `reason` (see `Sink.abandon`):
   * called with `shutdown_timeout` when shutdown stops waiting, and with `process_exit` for what
   * `flushSync` could not drain.
   */
  abandon?(reason: DropReason): void;
  /** Counters with `accepted`, `delivered`, `dropped`, `failed` and `pending`, as sinks keep. */
  stats?(): unknown;
  /**
   * The sinks it writes to (a logger's `sinks`), counted instead when its own `stats()` are not
   * sink counters.
   */
  readonly sinks?: readonly { stats?(): unknown }[];
}

/** What a cleanup function may rely on where no `AbortSignal` type is declared. */
export interface AbortSignalShape {
  /** Whether the time is up. */
  readonly aborted: boolean;
  /** Why it was aborted. */
  readonly reason: unknown;
  /** Listens for the abort. */
  addEventListener(
    type: "abort",
    listener: () => void,
    options?: { readonly once?: boolean },
  ): void;
  /** Stops listening. */
  removeEventListener(type: "abort", listener: () => void): void;
}

/**
 * The signal a cleanup function receives: a real `AbortSignal`, typed as one wherever the
 * program declares it (Node's types, the DOM library), so it can be passed on to `fetch` or
 * `server.close`; elsewhere its shape, so the package's types need nothing beyond the language.
 */
export type CleanupSignal = typeof globalThis extends {
  readonly AbortSignal: { readonly prototype: infer Signal };
}
  ? Signal
  : AbortSignalShape;

/**
 * A cleanup step of the application's own. It receives an `AbortSignal` that aborts when its
 * time is up (its timeout, the overall deadline, or an escalation to `"immediate"`).
 */
export type CleanupFunction = (signal: CleanupSignal) => Promise<void> | void;

/** @internal the counters of a resource that keeps sink stats. */
export interface EventCounts {
  readonly accepted: number;
  readonly delivered: number;
  readonly failed: number;
  readonly pending: number;
  readonly dropped: DropCounts;
}

/** The drop reasons a shutdown counts under when it gives up pending events. */
const abandonReasons = ["shutdown_timeout", "process_exit"] as const;

/**
 * @internal Counts as the report gives them: the events dropped for `shutdown_timeout` or
 * `process_exit` since `before` (what the shutdown gave up) are `abandoned`, with anything still
 * pending that the resource could not give up itself, and are left out of `dropped`; so
 * `accepted = delivered + failed + sum(dropped) + abandoned`.
 */
export function abandonedSince(
  counts: EventCounts,
  before: EventCounts | undefined,
): EventCounts & { readonly abandoned: number } {
  const dropped: Record<DropReason, number> = { ...counts.dropped };
  let abandoned = counts.pending;
  for (const reason of abandonReasons) {
    const caused = Math.max(0, counts.dropped[reason] - (before?.dropped[reason] ?? 0));
    dropped[reason] -= caused;
    abandoned += caused;
  }
  return { ...counts, dropped, abandoned };
}

/**
 * @internal reads a resource's sink counters, or the sum of its sinks' (a logger's) but for those
 * in `countedElsewhere` (registered on their own); `undefined` when it keeps none or they throw.
 */
export function readEventCounts(
  resource: ShutdownResource | CleanupFunction,
  countedElsewhere: ReadonlySet<unknown> = new Set(),
): EventCounts | undefined {
  if (typeof resource === "function") return undefined;
  return readChainCounts(resource) ?? sumSinkCounts(resource.sinks, countedElsewhere);
}

/**
 * The counts of the deepest component, along a chain of single wrappers, that accepted every
 * event the outermost one did. A pass-through wrapper (metrics, say) counts an event delivered
 * once the component it wraps took it, so where the events really ended (delivered, or still
 * held by a queue) is told further in; the walk stops where a component saw fewer events (a
 * queue that dropped some, a sink that was handed only part of the backlog).
 */
function readChainCounts(resource: { stats?(): unknown }): EventCounts | undefined {
  const outermost = readSinkCounts(resource);
  if (outermost === undefined) return undefined;
  let counts = outermost;
  let current: unknown = resource;
  const seen = new Set<unknown>([resource]);
  for (;;) {
    const inner = (current as { inner?: unknown }).inner;
    if (typeof inner !== "object" || inner === null || Array.isArray(inner) || seen.has(inner)) {
      return counts;
    }
    seen.add(inner);
    const innerCounts = readSinkCounts(inner as { stats?(): unknown });
    if (innerCounts === undefined || innerCounts.accepted !== outermost.accepted) return counts;
    counts = innerCounts;
    current = inner;
  }
}

function sumSinkCounts(
  sinks: unknown,
  countedElsewhere: ReadonlySet<unknown>,
): EventCounts | undefined {
  if (!Array.isArray(sinks)) return undefined;
  let sum: EventCounts | undefined;
  for (const sink of sinks as unknown[]) {
    if (typeof sink !== "object" || sink === null || countedElsewhere.has(sink)) continue;
    const counts = readChainCounts(sink as { stats?(): unknown });
    if (counts === undefined) continue;
    if (sum === undefined) {
      sum = counts;
      continue;
    }
    const dropped: Record<DropReason, number> = { ...sum.dropped };
    for (const reason of dropReasons) dropped[reason] += counts.dropped[reason];
    sum = {
      accepted: sum.accepted + counts.accepted,
      delivered: sum.delivered + counts.delivered,
      failed: sum.failed + counts.failed,
      pending: sum.pending + counts.pending,
      dropped,
    };
  }
  return sum;
}

function readSinkCounts(resource: { stats?(): unknown }): EventCounts | undefined {
  if (typeof resource.stats !== "function") return undefined;
  let stats: unknown;
  try {
    stats = resource.stats();
  } catch {
    return undefined;
  }
  if (typeof stats !== "object" || stats === null) return undefined;
  const { accepted, delivered, failed, pending, dropped } = stats as Record<string, unknown>;
  if (
    typeof accepted !== "number" ||
    typeof delivered !== "number" ||
    typeof failed !== "number" ||
    typeof pending !== "number"
  ) {
    return undefined;
  }
  return { accepted, delivered, failed, pending, dropped: copyDropCounts(dropped) };
}

function copyDropCounts(value: unknown): DropCounts {
  const counts: Record<DropReason, number> = createDropCounts();
  if (typeof value !== "object" || value === null) return counts;
  for (const reason of dropReasons) {
    const count = (value as Record<string, unknown>)[reason];
    if (typeof count === "number") counts[reason] = count;
  }
  return counts;
}
