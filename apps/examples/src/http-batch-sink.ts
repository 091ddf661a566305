// A third-party sink, as a package of its own would ship it: events posted as NDJSON (one CLEF
// line per event) to an HTTP endpoint, in batches. It needs nothing but @sluice/core: `createSink`
// supplies the buffering, ordering, batching, counters, flush and close of the sink contract.
import { createClefFormatter } from "@sluice/core";
import {
  createSink,
  type ErrorHandler,
  formatEvent,
  invalidOption,
  positiveIntegerOption,
  type Sink,
  type SinkStats,
} from "@sluice/core/sink";

/** Options of {@link createHttpBatchSink}. */
export interface HttpBatchSinkOptions {
  /** The endpoint that receives `POST`s of NDJSON. */
  readonly url: string;
  /**
   * The most events in one request.
   * @default 1000
   */
  readonly batchSize?: number;
  /**
   * How long one request may take before it counts as failed.
   * @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Receives delivery failures.
   * @default the self-log
   */
  readonly onError?: ErrorHandler;
}

/**
 * Creates a sink that posts events to `url` as NDJSON, one request per batch. A request that
 * fails (a network error, a status other than 2xx, the timeout) fails its whole batch: the
 * endpoint is expected to store a request's lines all or none.
 * @param options the endpoint and limits.
 * @returns the sink.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const sink = withQueue(createHttpBatchSink({ url: "http://127.0.0.1:5341/ingest" }));
 * ```
 */
export function createHttpBatchSink(options: HttpBatchSinkOptions): Sink & { stats(): SinkStats } {
  const { url } = options;
  if (typeof url !== "string" || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) {
    throw invalidOption("url", "an http: or https: URL", url);
  }
  const timeoutMs = positiveIntegerOption("timeoutMs", options.timeoutMs, 5000);
  const formatter = createClefFormatter();
  return createSink({
    name: `http-batch(${url})`,
    batchSize: positiveIntegerOption("batchSize", options.batchSize, 1000),
    ...(options.onError === undefined ? {} : { onError: options.onError }),
    deliver: async (events) => {
      let body = "";
      for (const event of events) body += formatEvent(event, formatter);
      const response = await fetch(url, {
        method: "POST",
        headers: { "content-type": "application/x-ndjson" },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.arrayBuffer(); // releases the connection for the next request
      if (!response.ok) throw new Error(`POST ${url} answered ${response.status}`);
    },
  });
}
