import type { DropCounts } from "@sluice/core";

/**
 * What became of one resource:
 *
 * - `flushed`: its flush and close completed.
 * - `failed`: its flush or close rejected (or threw); `error` says why.
 * - `timed-out`: its own timeout or the overall deadline passed first; its pending events were
 *   abandoned.
 * - `abandoned`: it was not waited for at all: the strategy was `"immediate"`, shutdown was
 *   escalated, or the deadline had passed before its turn.
 * - `exited`: the process ended without waiting (`process.exit()`, a crash); it was drained
 *   with `flushSync` where it had one.
 */
export type ResourceOutcome = "flushed" | "failed" | "timed-out" | "abandoned" | "exited";

/**
 * What became of a resource's events, for resources that keep sink counters. At the end of a
 * shutdown, `accepted = delivered + failed + sum(dropped) + abandoned`.
 */
export interface ResourceEvents {
  /** Events the resource took over its lifetime. */
  readonly accepted: number;
  /** Events it delivered. */
  readonly delivered: number;
  /** Events whose delivery failed. */
  readonly failed: number;
  /** Events it dropped itself, by reason. */
  readonly dropped: DropCounts;
  /**
   * Events still pending when shutdown stopped waiting for it: counted as `shutdown_timeout`
   * after a strategy, or as `process_exit` when the process ended without waiting.
   */
  readonly abandoned: number;
}

/** One resource's part of a {@link ShutdownReport}. */
export interface ResourceReport {
  /** The name it was registered under. */
  readonly name: string;
  /** What became of it. */
  readonly outcome: ResourceOutcome;
  /** How long shutdown spent on it, in milliseconds. */
  readonly durationMs: number;
  /**
   * Why it failed, for `failed`; for `exited` with events abandoned, the last error of the sink
   * that held them, when it says (a full disk, a pipe whose reader stopped reading).
   */
  readonly error?: unknown;
  /** Its event counts, when it keeps sink counters. */
  readonly events?: ResourceEvents;
}

/** Event counts summed over every resource that keeps them. */
export interface ShutdownTotals {
  /** Events accepted. */
  readonly accepted: number;
  /** Events delivered. */
  readonly delivered: number;
  /** Events whose delivery failed. */
  readonly failed: number;
  /** Events dropped by the resources themselves. */
  readonly dropped: number;
  /** Events abandoned by shutdown. */
  readonly abandoned: number;
}

/** What a shutdown did, resource by resource. */
export interface ShutdownReport {
  /** The strategy that ran; `"exit"` for the synchronous drain at process exit. */
  readonly strategy: "immediate" | "flush-pending" | "graceful" | "exit";
  /** The overall deadline, for `graceful`. */
  readonly deadlineMs?: number;
  /** Whether a later `"immediate"` cut the strategy short. */
  readonly escalated: boolean;
  /** When it started, in epoch milliseconds. */
  readonly startedAt: number;
  /** How long it took, in milliseconds. */
  readonly durationMs: number;
  /** Whether every resource was flushed and nothing was abandoned. */
  readonly ok: boolean;
  /** Each resource, in the order they were closed. */
  readonly resources: readonly ResourceReport[];
  /** Event counts over every resource that keeps them. */
  readonly totals: ShutdownTotals;
}

/** @internal sums the resources' event counts. */
export function sumTotals(resources: readonly ResourceReport[]): ShutdownTotals {
  let accepted = 0;
  let delivered = 0;
  let failed = 0;
  let dropped = 0;
  let abandoned = 0;
  for (const resource of resources) {
    const events = resource.events;
    if (events === undefined) continue;
    accepted += events.accepted;
    delivered += events.delivered;
    failed += events.failed;
    abandoned += events.abandoned;
    for (const reason in events.dropped) dropped += events.dropped[reason as keyof DropCounts];
  }
  return { accepted, delivered, failed, dropped, abandoned };
}

/** @internal whether a report has nothing to regret. */
export function isClean(resources: readonly ResourceReport[], totals: ShutdownTotals): boolean {
  return totals.abandoned === 0 && resources.every((resource) => resource.outcome === "flushed");
}
