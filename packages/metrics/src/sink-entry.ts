import type { DropReason, Sink } from "@sluice/core";
import { createDropCounts, dropReasons, walkSinkChain } from "@sluice/core/sink";
import { type ComponentStats, readComponentStats } from "./component-stats.ts";
import { describeError } from "./error-description.ts";
import { HeldDeliveries } from "./held-deliveries.ts";
import type { Histogram } from "./histogram.ts";
import type { MeteredSink } from "./metered-sink.ts";
import type { AlertKind } from "./metrics-options.ts";
import type {
  ComponentSnapshot,
  LastErrorSnapshot,
  LatencySnapshot,
  QueueSnapshot,
  SinkMetricsSnapshot,
} from "./metrics-snapshot.ts";
import { RestartOffsets } from "./restart-offsets.ts";

/** The counters of a snapshot that reset sets back to zero. */
interface Totals {
  events: number;
  delivered: number;
  readonly dropped: Record<DropReason, number>;
  failed: number;
  bytes: number;
}

function zeroTotals(): Totals {
  return { events: 0, delivered: 0, dropped: createDropCounts(), failed: 0, bytes: 0 };
}

const unreadable = Symbol("unreadable");

/** A component's `inner`, or {@link unreadable} when its getter throws. */
function readInner(component: Sink): unknown {
  try {
    return component.inner;
  } catch {
    return unreadable;
  }
}

/**
 * The chain as core walks it, or the metered sink alone when a component's `inner` cannot be
 * read (a getter that throws): what lies past it is unknown, so the metrics count what crosses
 * the metered sink itself.
 */
function walkChain(sink: MeteredSink): Sink[] {
  const chain = walkSinkChain(sink);
  return chain.some((component) => readInner(component) === unreadable) ? [sink] : chain;
}

/** A component's name for export: its own when it is a string, else `"sink"`. */
function componentName(component: Sink, sink: MeteredSink): string {
  if (component === sink) return sink.name;
  try {
    const name: unknown = component.name;
    return typeof name === "string" ? name : "sink";
  } catch {
    return "sink";
  }
}

/**
 * A latency histogram (of milliseconds) summarised.
 *
 * @param histogram the histogram.
 * @returns count, sum, p50, p95, p99 and max; all 0 when empty.
 */
export function summariseLatency(histogram: Histogram): LatencySnapshot {
  if (histogram.count === 0) return { count: 0, sum: 0, p50: 0, p95: 0, p99: 0, max: 0 };
  return {
    count: histogram.count,
    sum: histogram.sum,
    p50: histogram.quantile(0.5),
    p95: histogram.quantile(0.95),
    p99: histogram.quantile(0.99),
    max: histogram.max,
  };
}

/** What {@link SinkEntry} reads from the chain's counters at one moment. */
interface ChainReading {
  /** The counters before the baseline. */
  readonly totals: Totals;
  /** Events the first component inside holds now. */
  readonly pending: number;
  /** Events the innermost sinks delivered, in all. */
  readonly leavesDelivered: number;
}

/**
 * One named sink as the metrics see it: reads the chain's counters through `stats()`, keeps the
 * baseline that wrapping and `reset()` take, and notices new failures along the chain.
 */
export class SinkEntry {
  readonly sink: MeteredSink;
  readonly #now: () => number;
  #baseline: Totals = zeroTotals();
  #lastError: LastErrorSnapshot | undefined;
  // The last error each component reported when last read, so a new one is noticed once.
  readonly #seenErrors = new WeakMap<Sink, unknown>();
  // Each component's last usable reading (restarts carried), read in its place while its
  // `stats()` fails.
  readonly #lastReadings = new WeakMap<Sink, ComponentStats>();
  // What each component counted before its counters restarted.
  readonly #restarts = new WeakMap<Sink, RestartOffsets>();

  /**
   * Starts counting from now, as `reset()` does: a chain that already carried traffic (alone, or
   * under another metered sink) is reported from its wrapping on. The events it holds now count
   * as received after the wrapping, and are left out of delivery latency (they never crossed the
   * metered sink).
   *
   * @param sink the metered sink, just made.
   * @param now the wall clock, for error times.
   */
  constructor(sink: MeteredSink, now: () => number) {
    this.sink = sink;
    this.#now = now;
    const { pending, leavesDelivered } = this.#start();
    if (pending > 0 && sink.observesDelivery) {
      sink.leaveOut(new HeldDeliveries(pending, leavesDelivered, () => this.#progress()));
    }
  }

  /**
   * Reads everything measured for this sink now.
   *
   * @param alerts the alerts in an episode now.
   * @returns the snapshot.
   */
  read(alerts: readonly AlertKind[]): SinkMetricsSnapshot {
    const sink = this.sink;
    const chain = walkChain(sink);
    const components: ComponentSnapshot[] = [];
    const statsByComponent: (ComponentStats | undefined)[] = [];
    let queue: QueueSnapshot | undefined;
    let state: string | undefined;
    for (const component of chain) {
      const stats = this.#readStats(component);
      statsByComponent.push(stats);
      if (stats === undefined) continue;
      const name = componentName(component, sink);
      components.push({
        name,
        accepted: stats.accepted,
        delivered: stats.delivered,
        dropped: { ...stats.dropped },
        failed: stats.failed,
        pending: stats.pending,
        pendingBytes: stats.pendingBytes,
        bytes: stats.bytes,
        lastError: stats.lastError === undefined ? undefined : describeError(stats.lastError),
        state: stats.state,
      });
      if (state === undefined && typeof stats.state === "string") state = stats.state;
      const { depth, capacity } = stats;
      if (queue === undefined && depth !== undefined && capacity !== undefined) {
        queue = {
          component: name,
          size: depth,
          bytes: stats.depthBytes ?? stats.pendingBytes,
          capacity,
          maxBytes: stats.maxBytes ?? Number.POSITIVE_INFINITY,
        };
      }
    }
    this.#noticeErrors(chain, statsByComponent);
    const { totals, pending } = this.#totals(chain, statsByComponent);
    const baseline = this.#baseline;
    const dropped = createDropCounts();
    for (const reason of dropReasons)
      dropped[reason] = totals.dropped[reason] - baseline.dropped[reason];
    return {
      name: sink.name,
      events: totals.events - baseline.events,
      delivered: totals.delivered - baseline.delivered,
      dropped,
      failed: totals.failed - baseline.failed,
      pending,
      bytes: totals.bytes - baseline.bytes,
      lastError: this.#lastError,
      queue,
      state,
      writeLatency: summariseLatency(sink.writeLatency),
      deliveryLatency: summariseLatency(sink.deliveryLatency),
      alerts,
      components,
    };
  }

  /**
   * Starts counting from now: counters, histograms and the last error. Events pending now count
   * as received after the reset, so the conservation law still holds.
   */
  reset(): void {
    this.#start();
    this.sink.writeLatency.reset();
    this.sink.deliveryLatency.reset();
  }

  /** Takes the chain's counters now as the baseline; clears the last error. */
  #start(): ChainReading {
    const chain = walkChain(this.sink);
    const statsByComponent = chain.map((component) => this.#readStats(component));
    this.#noticeErrors(chain, statsByComponent);
    const reading = this.#totals(chain, statsByComponent);
    // Totals are a fresh object: the baseline may keep it.
    this.#baseline = { ...reading.totals, events: reading.totals.events - reading.pending };
    this.#lastError = undefined;
    return reading;
  }

  /**
   * A component's counters now, with what it counted before its counters restarted carried
   * forward (see {@link RestartOffsets}), or, while its `stats()` throws or gives no counters after
   * it gave some, its last usable reading: falling back to the metered sink's own counters then
   * would make the exported counters go down and up again without a reset. Either way every
   * counter read here only goes up, so the baseline that wrapping and `reset()` take is never
   * above a later reading.
   */
  #readStats(component: Sink): ComponentStats | undefined {
    const given = readComponentStats(component);
    if (given === undefined) return this.#lastReadings.get(component);
    let restarts = this.#restarts.get(component);
    if (restarts === undefined) {
      restarts = new RestartOffsets();
      this.#restarts.set(component, restarts);
    }
    const stats = restarts.carry(given);
    this.#lastReadings.set(component, stats);
    return stats;
  }

  /** The chain's progress, for {@link HeldDeliveries}; read on the delivery path, never throws. */
  #progress(): { leavesDelivered: number; pending: number } | undefined {
    try {
      const chain = walkChain(this.sink);
      const { pending, leavesDelivered } = this.#totals(
        chain,
        chain.map((component) => this.#readStats(component)),
      );
      return { pending, leavesDelivered };
    } catch {
      return undefined;
    }
  }

  /**
   * The chain's counters, before the baseline: events and outcomes as the first component inside
   * counts them (plus what the metered sink kept from it: writes refused after close, and writes
   * that threw), or the metered sink's own when that one has no counters; and the bytes and
   * deliveries of the innermost sinks. Events come from the same component as the outcomes so that
   * the law holds even when that component also takes events that do not cross the metered sink
   * (a sink shared by two metered sinks).
   */
  #totals(
    chain: readonly Sink[],
    statsByComponent: readonly (ComponentStats | undefined)[],
  ): ChainReading {
    const sink = this.sink;
    const own = statsByComponent[0] as ComponentStats;
    const entry = chain[1] === sink.inner ? statsByComponent[1] : undefined;
    const totals = zeroTotals();
    let pending: number;
    if (entry === undefined) {
      totals.events = own.accepted;
      totals.delivered = own.delivered;
      totals.failed = own.failed;
      for (const reason of dropReasons) totals.dropped[reason] = own.dropped[reason];
      pending = own.pending;
    } else {
      // A write the wrapped sink threw from never reached its counters, nor did a refused one:
      // both are counted here.
      totals.events = entry.accepted + sink.writeFailures + sink.refused;
      totals.delivered = entry.delivered;
      totals.failed = entry.failed + sink.writeFailures;
      for (const reason of dropReasons) totals.dropped[reason] = entry.dropped[reason];
      totals.dropped.closed += sink.refused;
      pending = entry.pending;
    }
    let leavesDelivered = 0;
    for (let index = 0; index < chain.length; index++) {
      if (readInner(chain[index] as Sink) !== undefined) continue;
      totals.bytes += statsByComponent[index]?.bytes ?? 0;
      leavesDelivered += statsByComponent[index]?.delivered ?? 0;
    }
    return { totals, pending, leavesDelivered };
  }

  /** Keeps the newest failure along the chain, the innermost when several are new at once. */
  #noticeErrors(
    chain: readonly Sink[],
    statsByComponent: readonly (ComponentStats | undefined)[],
  ): void {
    const sink = this.sink;
    let found: LastErrorSnapshot | undefined;
    for (let index = chain.length - 1; index >= 0; index--) {
      const component = chain[index] as Sink;
      const error = statsByComponent[index]?.lastError;
      if (error === undefined || this.#seenErrors.get(component) === error) continue;
      this.#seenErrors.set(component, error);
      if (found !== undefined) continue;
      const ownFailure = sink.stats().lastError === error;
      found = {
        ...describeError(error),
        time: ownFailure ? sink.lastErrorTime : this.#now(),
        component: componentName(component, sink),
      };
    }
    if (found !== undefined) this.#lastError = found;
  }
}
