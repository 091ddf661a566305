import { createDropCounts, type DropReason, type SinkStats } from "./sink.ts";

/**
 * Mutable counters behind a sink's {@link SinkStats}, with one method per transition so the
 * conservation law holds by construction: `accept` adds to `pending`, and every other method
 * moves events out of `pending` into exactly one outcome.
 *
 * @example
 * ```ts
 * const counters = new SinkCounters();
 * counters.accept(1, bytes);         // in write()
 * counters.deliver(1, bytes);        // once the OS took them
 * counters.fail(1, bytes, error);    // or once it refused
 * sink.stats = () => counters.snapshot();
 * ```
 */
export class SinkCounters {
  accepted = 0;
  delivered = 0;
  failed = 0;
  pending = 0;
  pendingBytes = 0;
  bytes = 0;
  lastError: unknown = undefined;
  readonly dropped: Record<DropReason, number> = createDropCounts();

  /**
   * Takes `count` events (of `bytes` bytes in all) into the component's care.
   */
  accept(count: number, bytes = 0): void {
    this.accepted += count;
    this.pending += count;
    this.pendingBytes += bytes;
  }

  /**
   * Counts `count` held events (of `bytes` bytes) as delivered.
   */
  deliver(count: number, bytes = 0): void {
    this.delivered += count;
    this.pending -= count;
    this.pendingBytes -= bytes;
    this.bytes += bytes;
  }

  /**
   * Counts `count` held events (of `bytes` bytes) as failed, keeping `error` as `lastError`.
   */
  fail(count: number, bytes: number, error: unknown): void {
    this.failed += count;
    this.pending -= count;
    this.pendingBytes -= bytes;
    this.lastError = error;
  }

  /**
   * Counts `count` held events (of `bytes` bytes) as dropped for `reason`.
   */
  drop(reason: DropReason, count: number, bytes = 0): void {
    this.dropped[reason] += count;
    this.pending -= count;
    this.pendingBytes -= bytes;
  }

  /**
   * Counts `count` events as accepted and dropped at once: refused on arrival, never held.
   */
  refuse(reason: DropReason, count = 1): void {
    this.accepted += count;
    this.dropped[reason] += count;
  }

  /**
   * @param state an optional component state to include, e.g. a circuit's `"open"`.
   * @returns an immutable copy of the counters.
   */
  snapshot(state?: string): SinkStats {
    const stats: SinkStats = {
      accepted: this.accepted,
      delivered: this.delivered,
      dropped: { ...this.dropped },
      failed: this.failed,
      pending: this.pending,
      pendingBytes: this.pendingBytes,
      bytes: this.bytes,
      lastError: this.lastError,
      ...(state === undefined ? {} : { state }),
    };
    return stats;
  }
}
