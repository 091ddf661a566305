import type { DropReason } from "@sluice/core";
import { createDropCounts, dropReasons } from "@sluice/core/sink";
import type { ComponentStats } from "./component-stats.ts";

/** What a component counted before its counters last restarted, per counter. */
interface Offsets {
  accepted: number;
  delivered: number;
  failed: number;
  bytes: number;
  readonly dropped: Record<DropReason, number>;
}

/**
 * Keeps one component's counters going up across restarts. The core contract does not make a
 * component's counters monotonic: a third-party sink may recreate them (after a reconnect, say)
 * and count from zero again. A counter that reads lower than it last did is taken to have
 * restarted, as Prometheus' `rate()` takes a counter reset and OpenTelemetry's cumulative-to-delta
 * conversion takes a new start time: what it had counted before is carried forward and added to
 * every later reading. Each counter is judged on its own, so one that restarts alone (only
 * `bytes`, say) leaves the others as they are.
 *
 * Gauges (`pending`, `pendingBytes`, a queue's depth) are read as they are now: they say what the
 * component holds, which a carried value would misstate for ever after.
 */
export class RestartOffsets {
  // The component's last reading as it gave it, before any offset: a restart is judged against
  // it, so a reading that stood in for a failing `stats()` is never carried twice.
  #last: ComponentStats | undefined;
  #offsets: Offsets | undefined;

  /**
   * Takes a fresh reading of the component's counters.
   *
   * @param reading the counters as `stats()` gave them now.
   * @returns the counters with what was counted before every restart added; `reading` itself
   *   while none has restarted.
   */
  carry(reading: ComponentStats): ComponentStats {
    const last = this.#last;
    this.#last = reading;
    if (last !== undefined) this.#noticeRestarts(last, reading);
    const offsets = this.#offsets;
    if (offsets === undefined) return reading;
    const dropped = createDropCounts();
    for (const reason of dropReasons) {
      dropped[reason] = reading.dropped[reason] + offsets.dropped[reason];
    }
    return {
      ...reading,
      accepted: reading.accepted + offsets.accepted,
      delivered: reading.delivered + offsets.delivered,
      failed: reading.failed + offsets.failed,
      bytes: reading.bytes + offsets.bytes,
      dropped,
    };
  }

  #noticeRestarts(last: ComponentStats, reading: ComponentStats): void {
    const restarted = (before: number, now: number): number => (now < before ? before : 0);
    const accepted = restarted(last.accepted, reading.accepted);
    const delivered = restarted(last.delivered, reading.delivered);
    const failed = restarted(last.failed, reading.failed);
    const bytes = restarted(last.bytes, reading.bytes);
    let dropped = false;
    for (const reason of dropReasons) {
      if (reading.dropped[reason] < last.dropped[reason]) dropped = true;
    }
    if (accepted + delivered + failed + bytes === 0 && !dropped) return;
    this.#offsets ??= {
      accepted: 0,
      delivered: 0,
      failed: 0,
      bytes: 0,
      dropped: createDropCounts(),
    };
    const offsets = this.#offsets;
    offsets.accepted += accepted;
    offsets.delivered += delivered;
    offsets.failed += failed;
    offsets.bytes += bytes;
    for (const reason of dropReasons) {
      offsets.dropped[reason] += restarted(last.dropped[reason], reading.dropped[reason]);
    }
  }
}
