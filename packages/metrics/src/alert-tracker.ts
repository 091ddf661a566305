import { totalDropped } from "@sluice/core/sink";
import { type Histogram, histogramBucketCount } from "./histogram.ts";
import { type AlertKind, alertKinds, type MetricsAlert } from "./metrics-options.ts";
import type { SinkMetricsSnapshot } from "./metrics-snapshot.ts";

/**
 * The alert episodes of one sink. Rates and latency percentiles are read over the interval since
 * the previous evaluation (latencies against a copy of each histogram's counts, kept only for the
 * latencies that have a threshold); queue fill is read as it is now.
 */
export class AlertTracker {
  readonly #thresholds: Readonly<Partial<Record<AlertKind, number>>>;
  readonly #active = new Set<AlertKind>();
  readonly #writeBaseline: Float64Array | undefined;
  readonly #deliveryBaseline: Float64Array | undefined;
  #delivered = 0;
  #dropped = 0;
  #failed = 0;

  constructor(thresholds: Readonly<Partial<Record<AlertKind, number>>>) {
    this.#thresholds = thresholds;
    if (thresholds.write_p99 !== undefined)
      this.#writeBaseline = new Float64Array(histogramBucketCount);
    if (thresholds.delivery_p99 !== undefined)
      this.#deliveryBaseline = new Float64Array(histogramBucketCount);
  }

  /** The alerts in an episode now, in {@link alertKinds} order. */
  get active(): AlertKind[] {
    return alertKinds.filter((kind) => this.#active.has(kind));
  }

  /**
   * Evaluates every threshold against the interval since the last call.
   *
   * @param snapshot the sink's snapshot now.
   * @param write the write-cost histogram.
   * @param delivery the delivery-latency histogram.
   * @param time the evaluation time, in epoch milliseconds.
   * @returns the alerts raised and cleared by this evaluation.
   */
  evaluate(
    snapshot: SinkMetricsSnapshot,
    write: Histogram,
    delivery: Histogram,
    time: number,
  ): MetricsAlert[] {
    const dropped = totalDropped(snapshot.dropped);
    // Counters fall back after a reset; the interval then starts at zero.
    const droppedDelta = Math.max(0, dropped - this.#dropped);
    const failedDelta = Math.max(0, snapshot.failed - this.#failed);
    const processed =
      Math.max(0, snapshot.delivered - this.#delivered) + droppedDelta + failedDelta;
    this.#delivered = snapshot.delivered;
    this.#dropped = dropped;
    this.#failed = snapshot.failed;
    const queue = snapshot.queue;
    const values: Record<AlertKind, number | undefined> = {
      drop_rate: processed === 0 ? 0 : droppedDelta / processed,
      failure_rate: processed === 0 ? 0 : failedDelta / processed,
      delivery_p99: intervalP99(delivery, this.#deliveryBaseline),
      write_p99: intervalP99(write, this.#writeBaseline),
      queue_fill:
        queue === undefined
          ? undefined
          : Math.max(
              queue.capacity > 0 ? queue.size / queue.capacity : 0,
              queue.maxBytes > 0 ? queue.bytes / queue.maxBytes : 0,
            ),
    };
    const alerts: MetricsAlert[] = [];
    for (const kind of alertKinds) {
      const threshold = this.#thresholds[kind];
      const value = values[kind];
      // No latency measured in the interval says nothing: the episode stays as it is.
      if (threshold === undefined || value === undefined) continue;
      const above = value > threshold;
      if (above === this.#active.has(kind)) continue;
      if (above) this.#active.add(kind);
      else this.#active.delete(kind);
      alerts.push({
        sink: snapshot.name,
        kind,
        status: above ? "raised" : "cleared",
        value,
        threshold,
        time,
      });
    }
    return alerts;
  }

  /** Starts the next interval from zero, after the histograms and counters were reset. */
  reset(): void {
    this.#delivered = 0;
    this.#dropped = 0;
    this.#failed = 0;
    this.#writeBaseline?.fill(0);
    this.#deliveryBaseline?.fill(0);
  }
}

/**
 * The p99 of what `histogram` recorded in the interval that began at `baseline`, kept between the
 * interval's own extremes as a snapshot's p99 is between `min` and `max`; begins the next one.
 */
function intervalP99(histogram: Histogram, baseline: Float64Array | undefined): number | undefined {
  if (baseline === undefined) return undefined;
  const value = histogram.quantile(0.99, baseline);
  histogram.startInterval(baseline);
  return Number.isNaN(value) ? undefined : value;
}
