import type { DropReason, Sink, SinkStats } from "@sluice/core";
import { createDropCounts, dropReasons } from "@sluice/core/sink";

/** A component's counters as read once, copied into plain data the metrics can trust. */
export interface ComponentStats extends SinkStats {
  /** A queue's depth in events, when it reports one. */
  readonly depth: number | undefined;
  /** A queue's capacity in events, when it reports one. */
  readonly capacity: number | undefined;
  /** A queue's depth in bytes, when it reports one. */
  readonly depthBytes: number | undefined;
  /** A queue's limit in bytes, when it reports one. */
  readonly maxBytes: number | undefined;
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && value >= 0 && Number.isFinite(value);
}

function optionalNumber(value: unknown): number | undefined {
  return typeof value === "number" && !Number.isNaN(value) ? value : undefined;
}

/**
 * Reads a component's `stats()` once and copies what the metrics use. A component whose
 * `stats()` throws, returns something other than counters (counts that are not finite
 * non-negative numbers), or whose fields throw when read is read as one without counters: every
 * later step (snapshots, alert timers, a scrape) works on the copy and cannot be made to throw.
 *
 * @param sink the component.
 * @returns the copy, or `undefined` for a component without usable counters.
 */
export function readComponentStats(sink: Sink): ComponentStats | undefined {
  try {
    if (typeof sink.stats !== "function") return undefined;
    const stats: unknown = sink.stats();
    if (typeof stats !== "object" || stats === null) return undefined;
    const fields = stats as Record<string, unknown>;
    const { accepted, delivered, failed, pending } = fields;
    if (!isCount(accepted) || !isCount(delivered) || !isCount(failed) || !isCount(pending)) {
      return undefined;
    }
    const given = fields.dropped;
    const dropped: Record<DropReason, number> = createDropCounts();
    if (typeof given === "object" && given !== null) {
      for (const reason of dropReasons) {
        const count = (given as Record<string, unknown>)[reason];
        // A reason the component does not know (an older core) is absent: none dropped for it.
        if (count === undefined) continue;
        if (!isCount(count)) return undefined;
        dropped[reason] = count;
      }
    }
    const state = fields.state;
    return {
      accepted,
      delivered,
      dropped,
      failed,
      pending,
      pendingBytes: isCount(fields.pendingBytes) ? fields.pendingBytes : 0,
      bytes: isCount(fields.bytes) ? fields.bytes : 0,
      lastError: fields.lastError,
      ...(typeof state === "string" ? { state } : {}),
      depth: optionalNumber(fields.depth),
      capacity: optionalNumber(fields.capacity),
      depthBytes: optionalNumber(fields.depthBytes),
      maxBytes: optionalNumber(fields.maxBytes),
    };
  } catch {
    return undefined;
  }
}
