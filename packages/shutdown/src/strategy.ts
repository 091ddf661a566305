import { invalidOption } from "@sluice/core/sink";

/**
 * How {@link Shutdown.execute} treats work still pending:
 *
 * - `"immediate"`: close every resource now without waiting; whatever is still pending is
 *   abandoned and counted (`shutdown_timeout`).
 * - `"flush-pending"`: flush every resource, then close it, each within its own timeout.
 * - `{ graceful: ms }`: as `"flush-pending"`, within an overall deadline of `ms` milliseconds;
 *   whatever is still pending at the deadline is abandoned and counted (`shutdown_timeout`).
 */
export type ShutdownStrategy = "immediate" | "flush-pending" | { readonly graceful: number };

/** @internal a validated strategy. */
export interface ResolvedStrategy {
  readonly kind: "immediate" | "flush-pending" | "graceful";
  /** The overall deadline in milliseconds, for `graceful`. */
  readonly deadlineMs: number | undefined;
}

const accepted = '"immediate", "flush-pending" or { graceful: <milliseconds> }';

/** @internal */
export function resolveStrategy(option: string, value: unknown): ResolvedStrategy {
  if (value === "immediate" || value === "flush-pending") {
    return { kind: value, deadlineMs: undefined };
  }
  if (typeof value === "object" && value !== null && "graceful" in value) {
    const deadlineMs = (value as { graceful: unknown }).graceful;
    if (typeof deadlineMs === "number" && Number.isFinite(deadlineMs) && deadlineMs >= 0) {
      return { kind: "graceful", deadlineMs };
    }
    throw invalidOption(`${option}.graceful`, "a non-negative number of milliseconds", deadlineMs);
  }
  throw invalidOption(option, accepted, value);
}
