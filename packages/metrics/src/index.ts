// @sluice/metrics: per-sink counters, latency histograms, alerts, and JSON and Prometheus export.
export { createMetrics, type Metrics } from "./metrics.ts";
export type {
  AlertKind,
  AlertThresholds,
  MetricsAlert,
  MetricsOptions,
} from "./metrics-options.ts";
export {
  type MetricsServer,
  type MetricsServerOptions,
  prometheusContentType,
  serveMetrics,
} from "./metrics-server.ts";
export type {
  ComponentSnapshot,
  ErrorDescription,
  LastErrorSnapshot,
  LatencySnapshot,
  MetricsSnapshot,
  QueueSnapshot,
  SinkMetricsSnapshot,
} from "./metrics-snapshot.ts";
export { type MetricsSink, type WithMetricsOptions, withMetrics } from "./with-metrics.ts";
