import type { DropCounts, DropReason, Sink } from "@sluice/core";
import { createDropCounts, dropReasons, walkSinkChain } from "@sluice/core/sink";

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
 * @internal A resource's counters, as the report gives them, with what the components of each of
 * its sink chains counted, to find events lost below the component that speaks for the chain.
 */
export interface EventSnapshot extends EventCounts {
  readonly chains: readonly ChainSnapshot[];
}

/** @internal One sink chain's counters: those of the component that speaks for it, and more. */
export interface ChainSnapshot {
  /** The outermost component, which names the chain between two snapshots. */
  readonly root: object;
  /** The counts of the component that speaks for the chain (see {@link readEventCounts}). */
  readonly counts: EventCounts;
  /**
   * The components below that one whose own counts tell about events it handed on: each sees
   * only part of them, so their losses are not in its counts.
   */
  readonly below: readonly object[];
  /** Every component's counts, by component. */
  readonly components: ReadonlyMap<object, EventCounts>;
}

/**
 * @internal reads a resource's sink counters, or the sum of its sinks' (a logger's) but for those
 * in `countedElsewhere` (registered on their own); `undefined` when it keeps none or they throw.
 */
export function readEventCounts(
  resource: ShutdownResource | CleanupFunction,
  countedElsewhere: ReadonlySet<unknown> = new Set(),
): EventSnapshot | undefined {
  if (typeof resource === "function") return undefined;
  const own = readChain(resource, countedElsewhere);
  if (own !== undefined) return { ...own.counts, chains: [own] };
  return sumSinkCounts(resource.sinks, countedElsewhere);
}

/**
 * @internal {@link abandonedSince} for a resource, counting also what its chains lost below the
 * component that speaks for each. That component counts an event delivered once the component
 * below it took it (a queue draining into a sink's `write` at exit), and sees none of what
 * becomes of it there; a component below that saw fewer events, and gave up some at exit, still
 * holds them or failed them (a full disk in the exit drain), lost events the report would
 * otherwise call delivered. Since events lost above may be the same ones (a batch in flight is
 * held by both, a failed batch is told to both), a chain's loss of each kind is the largest told
 * by any of its components past what the speaker told, and never more in all than the events it
 * counted delivered since.
 */
export function lostSince(
  after: EventSnapshot,
  before: EventSnapshot | undefined,
): EventCounts & { readonly abandoned: number } {
  const counts = abandonedSince(after, before);
  let lost = 0;
  let failed = 0;
  for (const chain of after.chains) {
    const earlier = before?.chains.find((candidate) => candidate.root === chain.root);
    const given = abandonedSince(chain.counts, earlier?.counts).abandoned;
    const told = chain.counts.failed - (earlier?.counts.failed ?? 0);
    let largest = given;
    let largestFailed = told;
    for (const component of chain.below) {
      const now = chain.components.get(component);
      if (now === undefined) continue;
      const then = earlier?.components.get(component);
      largest = Math.max(largest, abandonedSince(now, then).abandoned);
      largestFailed = Math.max(largestFailed, now.failed - (then?.failed ?? 0));
    }
    const handedOn = Math.max(0, chain.counts.delivered - (earlier?.counts.delivered ?? 0));
    const chainLost = Math.min(largest - given, handedOn);
    lost += chainLost;
    failed += Math.min(largestFailed - told, handedOn - chainLost);
  }
  if (lost === 0 && failed === 0) return counts;
  return {
    ...counts,
    delivered: counts.delivered - lost - failed,
    failed: counts.failed + failed,
    abandoned: counts.abandoned + lost,
  };
}

/** A sink chain's snapshot, for a resource that keeps sink counters. */
function readChain(
  root: { stats?(): unknown },
  countedElsewhere: ReadonlySet<unknown>,
): ChainSnapshot | undefined {
  const counts = readChainCounts(root);
  if (counts === undefined) return undefined;
  const components = new Map<object, EventCounts>();
  const all = walkSinkChain(root as Sink);
  for (const component of all) {
    const read = readSinkCounts(component);
    if (read !== undefined) components.set(component, read);
  }
  const below: object[] = [];
  for (const component of walkSinkChain(counts.speaker as Sink).slice(1)) {
    const own = components.get(component);
    if (own === undefined || countedElsewhere.has(component)) continue;
    // A single wrapped sink that took every event this one did tells better what became of them.
    const inner = innerOf(component);
    const innerCounts = inner === undefined ? undefined : components.get(inner);
    if (innerCounts !== undefined && innerCounts.accepted === own.accepted) continue;
    below.push(component);
  }
  return { root, counts: counts.counts, below, components };
}

function innerOf(component: object): object | undefined {
  let inner: unknown;
  try {
    inner = (component as { inner?: unknown }).inner;
  } catch {
    return undefined;
  }
  return typeof inner === "object" && inner !== null && !Array.isArray(inner) ? inner : undefined;
}

/**
 * The counts of the deepest component, along a chain of single wrappers, that accepted every
 * event the outermost one did, and that component. A pass-through wrapper (metrics, say) counts
 * an event delivered once the component it wraps took it, so where the events really ended
 * (delivered, or still held by a queue) is told further in; the walk stops where a component saw
 * fewer events (a queue that dropped some, a sink that was handed only part of the backlog).
 */
function readChainCounts(resource: {
  stats?(): unknown;
}): { readonly counts: EventCounts; readonly speaker: object } | undefined {
  const outermost = readSinkCounts(resource);
  if (outermost === undefined) return undefined;
  let counts = outermost;
  let current: object = resource;
  const seen = new Set<unknown>([resource]);
  for (;;) {
    const inner = innerOf(current);
    if (inner === undefined || seen.has(inner)) return { counts, speaker: current };
    seen.add(inner);
    const innerCounts = readSinkCounts(inner as { stats?(): unknown });
    if (innerCounts === undefined || innerCounts.accepted !== outermost.accepted) {
      return { counts, speaker: current };
    }
    counts = innerCounts;
    current = inner;
  }
}

function sumSinkCounts(
  sinks: unknown,
  countedElsewhere: ReadonlySet<unknown>,
): EventSnapshot | undefined {
  if (!Array.isArray(sinks)) return undefined;
  let sum: EventCounts | undefined;
  const chains: ChainSnapshot[] = [];
  for (const sink of sinks as unknown[]) {
    if (typeof sink !== "object" || sink === null || countedElsewhere.has(sink)) continue;
    const chain = readChain(sink as { stats?(): unknown }, countedElsewhere);
    if (chain === undefined) continue;
    chains.push(chain);
    const counts = chain.counts;
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
  return sum === undefined ? undefined : { ...sum, chains };
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

/**
 * @internal Why a resource still held events it gave up at exit, when a sink of it says: the
 * last error of the innermost component that gave events up or still holds them (a full disk's
 * ENOSPC, a stalled pipe's give-up); `undefined` when none says.
 */
export function heldCause(resource: ShutdownResource | CleanupFunction): unknown {
  if (typeof resource === "function") return undefined;
  const roots =
    readSinkCounts(resource) === undefined && Array.isArray(resource.sinks)
      ? resource.sinks
      : [resource];
  for (const root of roots) {
    if (typeof root !== "object" || root === null) continue;
    const chain = walkSinkChain(root as Sink);
    for (let index = chain.length - 1; index >= 0; index--) {
      const cause = heldError(chain[index] as { stats?(): unknown });
      if (cause !== undefined) return cause;
    }
  }
  return undefined;
}

function heldError(component: { stats?(): unknown }): unknown {
  const counts = readSinkCounts(component);
  if (counts === undefined) return undefined;
  const gaveUp = counts.pending + counts.dropped.process_exit + counts.dropped.shutdown_timeout;
  if (gaveUp === 0) return undefined;
  try {
    return (component.stats?.() as { lastError?: unknown } | undefined)?.lastError;
  } catch {
    return undefined;
  }
}
