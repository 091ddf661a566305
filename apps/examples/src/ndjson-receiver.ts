// A local stand-in for a log server: it stores the lines of every NDJSON POST on 127.0.0.1, or
// answers 503 while `failing` is set.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/** A running receiver. */
export interface NdjsonReceiver {
  readonly url: string;
  /** Every line received, in order. */
  readonly lines: string[];
  /** While true, every request is refused with 503 and nothing is stored. */
  failing: boolean;
  close(): Promise<void>;
}

/**
 * Starts a receiver on a free port of 127.0.0.1.
 * @returns the receiver, listening.
 */
export async function startReceiver(): Promise<NdjsonReceiver> {
  const server = createServer(async (request, response) => {
    let body = "";
    for await (const chunk of request) body += chunk;
    if (receiver.failing) {
      response.writeHead(503).end();
      return;
    }
    receiver.lines.push(...body.split("\n").filter(Boolean));
    response.writeHead(204).end();
  });
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const receiver: NdjsonReceiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/ingest`,
    lines: [],
    failing: false,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return receiver;
}
