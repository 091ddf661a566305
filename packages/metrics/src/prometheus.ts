import { dropReasons } from "@sluice/core/sink";
import type { AlertKind } from "./metrics-options.ts";
import type { LatencySnapshot, MetricsSnapshot, SinkMetricsSnapshot } from "./metrics-snapshot.ts";

type Labels = readonly (readonly [name: string, value: string])[];
type Sample = readonly [suffix: string, labels: Labels, value: number];

interface Family {
  readonly name: string;
  readonly type: "counter" | "gauge" | "summary";
  readonly help: string;
  readonly samples: (sink: SinkMetricsSnapshot, alertKinds: readonly AlertKind[]) => Sample[];
}

const secondsPerMillisecond = 1e-3;

function latencySamples(latency: LatencySnapshot): Sample[] {
  // A summary with no observations reports NaN quantiles, as Prometheus client libraries do.
  const quantile = (value: number): number =>
    latency.count === 0 ? Number.NaN : value * secondsPerMillisecond;
  return [
    ["", [["quantile", "0.5"]], quantile(latency.p50)],
    ["", [["quantile", "0.95"]], quantile(latency.p95)],
    ["", [["quantile", "0.99"]], quantile(latency.p99)],
    ["_sum", [], latency.sum * secondsPerMillisecond],
    ["_count", [], latency.count],
  ];
}

// Names follow OpenTelemetry's SDK self-observability conventions for log processors
// (`otel.sdk.processor.log.processed` with `error.type`, `.queue.size`, `.queue.capacity`) under a
// `sluice.sink` namespace, translated to Prometheus as its OpenTelemetry exporter does: dots to
// underscores, the unit as a suffix, `_total` on counters.
const families: readonly Family[] = [
  {
    name: "sluice_sink_log_accepted_total",
    type: "counter",
    help: "Log events the sink received.",
    samples: (sink) => [["", [], sink.events]],
  },
  {
    name: "sluice_sink_log_processed_total",
    type: "counter",
    help: "Log events whose processing finished: delivered (no error_type), dropped (error_type is the drop reason) or failed (error_type failed).",
    samples: (sink) => [
      ["", [], sink.delivered],
      ...dropReasons.map((reason): Sample => ["", [["error_type", reason]], sink.dropped[reason]]),
      ["", [["error_type", "failed"]], sink.failed],
    ],
  },
  {
    name: "sluice_sink_log_pending",
    type: "gauge",
    help: "Log events held now: queued, buffered or in flight.",
    samples: (sink) => [["", [], sink.pending]],
  },
  {
    name: "sluice_sink_log_written_bytes_total",
    type: "counter",
    help: "Bytes written by the innermost sinks.",
    samples: (sink) => [["", [], sink.bytes]],
  },
  {
    name: "sluice_sink_log_queue_size",
    type: "gauge",
    help: "Log events in the sink's queue.",
    samples: (sink) => (sink.queue === undefined ? [] : [["", [], sink.queue.size]]),
  },
  {
    name: "sluice_sink_log_queue_capacity",
    type: "gauge",
    help: "The most log events the sink's queue holds.",
    samples: (sink) => (sink.queue === undefined ? [] : [["", [], sink.queue.capacity]]),
  },
  {
    name: "sluice_sink_log_queue_usage_bytes",
    type: "gauge",
    help: "Estimated bytes in the sink's queue.",
    samples: (sink) => (sink.queue === undefined ? [] : [["", [], sink.queue.bytes]]),
  },
  {
    name: "sluice_sink_log_queue_limit_bytes",
    type: "gauge",
    help: "The most bytes the sink's queue holds.",
    samples: (sink) =>
      sink.queue === undefined || !Number.isFinite(sink.queue.maxBytes)
        ? []
        : [["", [], sink.queue.maxBytes]],
  },
  {
    name: "sluice_sink_log_write_duration_seconds",
    type: "summary",
    help: "Caller-side cost of a write call (sampled).",
    samples: (sink) => latencySamples(sink.writeLatency),
  },
  {
    name: "sluice_sink_log_write_duration_max_seconds",
    type: "gauge",
    help: "The largest sampled caller-side cost of a write call.",
    samples: (sink) => [["", [], sink.writeLatency.max * secondsPerMillisecond]],
  },
  {
    name: "sluice_sink_log_delivery_duration_seconds",
    type: "summary",
    help: "Time from the log call to the delivery of the batch holding the event.",
    samples: (sink) => latencySamples(sink.deliveryLatency),
  },
  {
    name: "sluice_sink_log_delivery_duration_max_seconds",
    type: "gauge",
    help: "The largest time from a log call to the delivery of its batch.",
    samples: (sink) => [["", [], sink.deliveryLatency.max * secondsPerMillisecond]],
  },
  {
    name: "sluice_sink_state",
    type: "gauge",
    help: "The state of a component of the sink's chain (1 for the current state).",
    samples: (sink) => (sink.state === undefined ? [] : [["", [["state", sink.state]], 1]]),
  },
  {
    name: "sluice_sink_last_error_timestamp_seconds",
    type: "gauge",
    help: "When the most recent failure along the sink's chain was seen.",
    samples: (sink) => {
      const error = sink.lastError;
      if (error === undefined) return [];
      const labels: Labels = [
        ["component", error.component],
        ["error_type", error.code ?? "unknown"],
      ];
      return [["", labels, error.time / 1000]];
    },
  },
  {
    name: "sluice_sink_alert_active",
    type: "gauge",
    help: "Whether an alert is in an episode (1) or not (0), for every configured threshold.",
    samples: (sink, alertKinds) =>
      alertKinds.map((kind): Sample => ["", [["alert", kind]], sink.alerts.includes(kind) ? 1 : 0]),
  },
];

/**
 * Escapes a label value: backslash, double quote and line feed.
 *
 * @param value the raw value.
 * @returns the value as it goes between the quotes.
 */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (character) => (character === "\n" ? "\\n" : `\\${character}`));
}

function escapeHelp(text: string): string {
  return text.replace(/[\\\n]/g, (character) => (character === "\n" ? "\\n" : "\\\\"));
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  // Unit conversions leave binary noise in the last digits (0.000015123999999957506); twelve
  // significant digits are far beyond what any of these values measures. Integers past 2^53
  // carry the same noise.
  return Number.isSafeInteger(value) ? String(value) : String(Number(value.toPrecision(12)));
}

/**
 * Renders a snapshot in the Prometheus text exposition format (version 0.0.4): one HELP and one
 * TYPE line per metric family, then its samples, each labelled with the sink's name.
 *
 * @param snapshot what to render.
 * @param alertKinds the alerts that have thresholds (each gets an `alert_active` series).
 * @returns the text, ending with a line feed.
 */
export function formatPrometheus(
  snapshot: MetricsSnapshot,
  alertKinds: readonly AlertKind[],
): string {
  const lines: string[] = [];
  for (const family of families) {
    const body: string[] = [];
    for (const sink of snapshot.sinks) {
      for (const [suffix, labels, value] of family.samples(sink, alertKinds)) {
        const rendered = [["sink", sink.name] as const, ...labels]
          .map(([name, text]) => `${name}="${escapeLabelValue(text)}"`)
          .join(",");
        body.push(`${family.name}${suffix}{${rendered}} ${formatValue(value)}`);
      }
    }
    if (body.length === 0) continue;
    lines.push(`# HELP ${family.name} ${escapeHelp(family.help)}`);
    lines.push(`# TYPE ${family.name} ${family.type}`);
    // Not `push(...body)`: ten thousand sinks make more samples than a call takes arguments.
    for (const line of body) lines.push(line);
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}
