import { createServer, type Server } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { invalidOption } from "@sluice/core/sink";
import type { Metrics } from "./metrics.ts";
import { refuseUnknownKeys } from "./option-keys.ts";

/** Options for {@link serveMetrics}. */
export interface MetricsServerOptions {
  /**
   * The TCP port; 0 picks a free one.
   * @default 9464 (the port of OpenTelemetry's Prometheus exporter)
   */
  readonly port?: number;
  /**
   * The address to listen on. The default keeps the endpoint off the network; use `"0.0.0.0"` or
   * `"::"` for a Prometheus server on another host.
   * @default "127.0.0.1"
   */
  readonly host?: string;
  /**
   * The path that serves the metrics: starts with one `/`, without `?` or `#`. It is compared as
   * a URL path, so `"/a b"` is served at `/a%20b` (as `url` says) and `"/x/../metrics"` at
   * `/metrics`.
   * @default "/metrics"
   */
  readonly path?: string;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** The endpoint's URL, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** The port it listens on. */
  readonly port: number;
  /**
   * Stops listening and closes open connections.
   *
   * @returns a promise that resolves once the server is closed.
   */
  close(): Promise<void>;
}

/**
 * The most requests one connection may have unanswered. A client that sends requests back to back
 * without reading the answers (HTTP pipelining) would otherwise make the server render and hold
 * one text per request, without bound; past this many the connection is closed.
 */
const maxUnansweredRequests = 4;

const origin = "http://localhost";

/**
 * The path of a request target, as the URL parser normalises it (`undefined` when it has none):
 * an origin-form target (`/metrics?x`) or an absolute-form one (`http://host/metrics`, which a
 * client talking to a proxy sends).
 */
function targetPath(target: string): string | undefined {
  try {
    if (target.startsWith("/")) return new URL(`${origin}${target}`).pathname;
    const url = new URL(target);
    return url.protocol === "http:" || url.protocol === "https:" ? url.pathname : undefined;
  } catch {
    return undefined;
  }
}

/** The content type of the Prometheus text exposition format. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8";

/**
 * Serves `metrics.toPrometheus()` over HTTP for a Prometheus scrape: `GET` (or `HEAD`) of `path`
 * gets the metrics, other paths 404, other methods 405. Neither the server nor its connections
 * keep the process alive (`unref()`). A connection with more than
 * {@link maxUnansweredRequests} requests unanswered (pipelined by a client that does not read) is
 * closed.
 *
 * @param metrics the metrics to serve.
 * @param options port, host and path.
 * @returns the running server, once it listens.
 * @throws {LoggingError} `invalid_option` for a bad option (synchronously); the promise rejects
 *   when the port cannot be bound.
 * @example
 * ```ts
 * const server = await serveMetrics(metrics, { port: 9464 });
 * console.log(`metrics at ${server.url}`);
 * ```
 */
export function serveMetrics(
  metrics: Metrics,
  options: MetricsServerOptions = {},
): Promise<MetricsServer> {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object", options);
  }
  refuseUnknownKeys(options, "serveMetrics options", "", ["port", "host", "path"]);
  const port = options.port ?? 9464;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw invalidOption("port", "an integer from 0 to 65535", port);
  }
  const host = options.host ?? "127.0.0.1";
  if (typeof host !== "string" || host.length === 0) {
    throw invalidOption("host", "a host name or address", host);
  }
  const given = options.path ?? "/metrics";
  // "//x" would be read as a host, and a query or fragment is not part of the path compared.
  if (
    typeof given !== "string" ||
    !given.startsWith("/") ||
    given.startsWith("//") ||
    /[?#]/.test(given)
  ) {
    throw invalidOption("path", 'a path starting with one "/", without "?" or "#"', given);
  }
  // Compared as the URL parser writes it (percent-encoded, dot segments resolved): what a client
  // given `url` sends.
  const path = targetPath(given) as string;
  const unanswered = new WeakMap<Socket, number>();
  const server = createServer((request, response) => {
    const socket = request.socket;
    const count = (unanswered.get(socket) ?? 0) + 1;
    if (count > maxUnansweredRequests) {
      socket.destroy();
      return;
    }
    unanswered.set(socket, count);
    response.once("finish", () => unanswered.set(socket, (unanswered.get(socket) ?? 1) - 1));
    if (targetPath(request.url ?? "/") !== path) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response
        .writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" })
        .end("Method not allowed\n");
      return;
    }
    let body: string;
    try {
      body = metrics.toPrometheus();
    } catch (error) {
      response
        .writeHead(500, { "content-type": "text/plain; charset=utf-8" })
        .end(`Metrics could not be read: ${String(error)}\n`);
      return;
    }
    response.writeHead(200, {
      "content-type": prometheusContentType,
      "content-length": Buffer.byteLength(body),
    });
    response.end(request.method === "HEAD" ? undefined : body);
  });
  // A scraper's connection (idle keep-alive between scrapes, or one that never sends a request)
  // would otherwise hold the process open until the server's timeouts, up to minutes.
  server.on("connection", (socket) => socket.unref());
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      server.unref();
      const bound = (server.address() as AddressInfo).port;
      const shownHost = host.includes(":") ? `[${host}]` : host;
      resolve({
        url: `http://${shownHost}:${bound}${path}`,
        port: bound,
        close: () => closeServer(server),
      });
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
