import type { Sink, SinkStats } from "@sluice/core";
import { invalidOption } from "@sluice/core/sink";
import { MeteredSink } from "./metered-sink.ts";
import { attachSink, type Metrics } from "./metrics.ts";
import { refuseUnknownKeys } from "./option-keys.ts";

// With the `u` flag a pair is one code point, so only an unpaired surrogate matches.
const loneSurrogate = /[\uD800-\uDFFF]/u;

/** Options for {@link withMetrics}. */
export interface WithMetricsOptions {
  /** The metrics to report to, from `createMetrics`. */
  readonly metrics: Metrics;
  /** The sink's name in the metrics (the `sink` label in Prometheus); unique per metrics. */
  readonly name: string;
}

/** The sink `withMetrics` returns. */
export interface MetricsSink extends Sink {
  /** The name given in the options. */
  readonly name: string;
  /** The wrapped sink. */
  readonly inner: Sink;
  /**
   * The metered sink's own counters, since it was made: what crossed it, an event delivered once
   * the wrapped sink took it (`write`) or its `writeBatch` resolved.
   */
  stats(): SinkStats;
}

/**
 * Wraps a sink so that `metrics` reports it under `name`: the events and the outcomes and drop
 * reasons of the first component inside, bytes written, last error, queue depth and state read
 * along the `inner` chain, the caller-side cost of `write` (sampled) and the delivery latency of
 * the events that cross it.
 *
 * The report starts at the wrapping, as after `metrics.reset()`: a sink that already carried
 * traffic is reported from zero (its components' own totals stay in `components`). Events the
 * chain holds at the wrapping count as received after it, so the conservation law holds, and
 * are not timed: they never crossed the metered sink. Two metered sinks around one sink each
 * report all of that sink's traffic since their own wrapping (its counters cannot tell who sent
 * what); what crossed one of them alone is its own `components[0].accepted`.
 *
 * @param sink the sink to meter.
 * @param options the metrics and the sink's name.
 * @returns the metered sink.
 * @throws {LoggingError} `invalid_option` for a missing sink, metrics not made by
 *   `createMetrics`, an empty or taken name, or one with a lone surrogate, or an unknown option.
 * @example
 * ```ts
 * const metrics = createMetrics();
 * const sink = withMetrics(withQueue(createFileSink({ path: "logs/app.log" })), {
 *   metrics,
 *   name: "app",
 * });
 * const log = createLogger({ sinks: [sink] });
 * ```
 */
export function withMetrics(sink: Sink, options: WithMetricsOptions): MetricsSink {
  if (sink === null || typeof sink !== "object" || typeof sink.writeBatch !== "function") {
    throw invalidOption("sink", "a sink (an object with write, writeBatch, flush and close)", sink);
  }
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object with metrics and name", options);
  }
  refuseUnknownKeys(options, "withMetrics options", "", ["metrics", "name"]);
  const name = options.name;
  if (typeof name !== "string" || name.length === 0) {
    throw invalidOption("name", "a non-empty string", name);
  }
  // The name is a Prometheus label value, sent as UTF-8: a lone surrogate would be sent as
  // U+FFFD, and two names differing only there would become one series.
  if (loneSurrogate.test(name)) {
    throw invalidOption("name", "well-formed Unicode (no lone surrogate)", name);
  }
  return attachSink(options.metrics, name, (settings) => new MeteredSink(sink, name, settings));
}
