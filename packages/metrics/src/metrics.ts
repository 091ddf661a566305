import { invalidOption, reportError } from "@sluice/core/sink";
import { AlertTracker } from "./alert-tracker.ts";
import { guardClock } from "./guarded-clock.ts";
import type { MeteredSink, MeterSettings } from "./metered-sink.ts";
import {
  type AlertKind,
  alertKinds,
  type MetricsAlert,
  type MetricsOptions,
  type ResolvedMetricsOptions,
  resolveMetricsOptions,
} from "./metrics-options.ts";
import type { MetricsSnapshot, SinkMetricsSnapshot } from "./metrics-snapshot.ts";
import { formatPrometheus } from "./prometheus.ts";
import { SinkEntry } from "./sink-entry.ts";

/** A set of metered sinks, read together. Made by {@link createMetrics}. */
export interface Metrics {
  /**
   * Reads every metered sink now: its chain's counters (through `stats()`), histograms, last
   * error, queue, state and active alerts.
   *
   * @returns the snapshot.
   */
  snapshot(): MetricsSnapshot;
  /**
   * Starts every counter and histogram from zero (the components' own counters are not touched:
   * the metrics subtract what they showed at the reset), clears last errors, and starts a new
   * alert interval. Alerts in an episode stay in it until their value says otherwise.
   */
  reset(): void;
  /**
   * The snapshot, for `JSON.stringify(metrics)`.
   *
   * @returns the same as {@link Metrics.snapshot}; every field is plain data.
   */
  toJSON(): MetricsSnapshot;
  /**
   * Renders the snapshot in the Prometheus text exposition format (version 0.0.4).
   *
   * @returns the text, ending with a line feed (empty when no sink is metered).
   */
  toPrometheus(): string;
  /**
   * Evaluates the alert thresholds now, as the interval timer does, and calls `onAlert` for
   * every alert raised or cleared.
   */
  evaluateAlerts(): void;
  /** Stops the alert timer. The metrics can still be read. Idempotent. */
  close(): void;
}

interface Registry {
  readonly settings: MeterSettings;
  readonly options: ResolvedMetricsOptions;
  readonly entries: Map<string, SinkEntry>;
  readonly trackers: Map<SinkEntry, AlertTracker>;
}

// The registry behind each Metrics object, reachable by `withMetrics` but not by users.
const registries = new WeakMap<Metrics, Registry>();

/**
 * Creates a set of metrics that sinks report to through `withMetrics`. With `thresholds`, an
 * `unref()`ed timer evaluates alerts every `alertIntervalMs` (so it never keeps a process alive).
 *
 * @param options alert thresholds and callback, write sampling, clock.
 * @returns the metrics.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const metrics = createMetrics({
 *   thresholds: { dropRate: 0.01, queueFill: 0.8 },
 *   onAlert: (alert) => console.warn(`${alert.sink}: ${alert.kind} ${alert.status}`),
 * });
 * const sink = withMetrics(withQueue(createFileSink({ path: "logs/app.log" })), {
 *   metrics,
 *   name: "app",
 * });
 * ```
 */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const given = resolveMetricsOptions(options);
  // Every reading of the clock in the metrics goes through the guard.
  const resolved: ResolvedMetricsOptions = { ...given, now: guardClock(given.now, given.onError) };
  const registry: Registry = {
    settings: {
      writeSampleInterval: resolved.writeSampleInterval,
      now: resolved.now,
      onError: resolved.onError,
    },
    options: resolved,
    entries: new Map(),
    trackers: new Map(),
  };
  const configuredAlerts: readonly AlertKind[] = alertKinds.filter(
    (kind) => resolved.thresholds[kind] !== undefined,
  );
  const read = (entry: SinkEntry): SinkMetricsSnapshot =>
    entry.read(registry.trackers.get(entry)?.active ?? []);
  const snapshot = (): MetricsSnapshot => ({
    time: resolved.now(),
    sinks: [...registry.entries.values()].map(read),
  });
  // Alerts recorded and not yet told, in the order they were recorded. Only the outermost
  // evaluation tells them: one started from `onAlert` or `onError` while alerts are being told
  // records its transitions behind those still to tell and returns, so every listener hears each
  // sink's alert kind go raised, cleared, raised... in the order its episodes went.
  const untold: MetricsAlert[] = [];
  let telling = false;
  const tell = (alert: MetricsAlert): void => {
    if (resolved.onAlert === undefined) return;
    try {
      resolved.onAlert(alert);
    } catch (error) {
      reportError(
        error,
        { source: "metrics", operation: "onAlert", sink: alert.sink },
        resolved.onError,
      );
    }
  };
  const evaluateAlerts = (): void => {
    const time = resolved.now();
    for (const [entry, tracker] of registry.trackers) {
      try {
        untold.push(
          ...tracker.evaluate(
            read(entry),
            entry.sink.writeLatency,
            entry.sink.deliveryLatency,
            time,
          ),
        );
      } catch (error) {
        // Runs on a timer: a throw here would be an uncaught exception in the application.
        reportError(
          error,
          { source: "metrics", operation: "evaluateAlerts", sink: entry.sink.name },
          resolved.onError,
        );
      }
    }
    if (telling) return;
    telling = true;
    try {
      // `untold` grows while this runs when a listener evaluates again.
      for (let index = 0; index < untold.length; index++) tell(untold[index] as MetricsAlert);
    } finally {
      untold.length = 0;
      telling = false;
    }
  };
  let timer: ReturnType<typeof setInterval> | undefined;
  if (configuredAlerts.length > 0) {
    timer = setInterval(evaluateAlerts, resolved.alertIntervalMs);
    timer.unref();
  }
  const metrics: Metrics = {
    snapshot,
    reset() {
      for (const entry of registry.entries.values()) {
        entry.reset();
        registry.trackers.get(entry)?.reset();
      }
    },
    toJSON: snapshot,
    toPrometheus: () => formatPrometheus(snapshot(), configuredAlerts),
    evaluateAlerts,
    close() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
    },
  };
  registries.set(metrics, registry);
  return metrics;
}

/**
 * Registers a metered sink under its name.
 *
 * @param metrics metrics made by {@link createMetrics}.
 * @param create makes the metered sink with the metrics' settings.
 * @returns the sink `create` made.
 * @throws {LoggingError} `invalid_option` when `metrics` is not from `createMetrics` or the name
 *   is taken.
 */
export function attachSink(
  metrics: Metrics,
  name: string,
  create: (settings: MeterSettings) => MeteredSink,
): MeteredSink {
  const registry = registries.get(metrics);
  if (registry === undefined) {
    throw invalidOption("metrics", "metrics made by createMetrics()", metrics);
  }
  if (registry.entries.has(name)) {
    throw invalidOption("name", "a name no other sink of these metrics uses", name);
  }
  const sink = create(registry.settings);
  const entry = new SinkEntry(sink, registry.options.now);
  registry.entries.set(name, entry);
  if (alertKinds.some((kind) => registry.options.thresholds[kind] !== undefined)) {
    registry.trackers.set(entry, new AlertTracker(registry.options.thresholds));
  }
  return sink;
}
