// The subjects of the file scenarios, shared by `file.ts` (one subject a process) and
// `file-interleaved.ts` (Sluice's pipelines and pino's taking turns in one process):
//   sluice          createFileSink, called directly
//   sluice-queue    withQueue(createFileSink(...))
//   pino            pino.destination({ sync: false })
//   pino-transport  pino.transport({ target: "pino/file" }): formats on the caller's thread,
//                   writes from a worker thread
//   winston         format.timestamp() and format.json() through transports.Stream over
//                   fs.createWriteStream (twice as fast as transports.File here)
//   logtape         getStreamFileSink with the JSON Lines formatter (getFileSink by default fsyncs
//                   every flush, and writes an event alone whenever its buffer is empty)
//   floor           hand-built JSON lines joined into 64 KiB writeSync calls
import { closeSync, createWriteStream, openSync, writeSync } from "node:fs";
import { getStreamFileSink } from "@logtape/file";
import {
  configure,
  dispose,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
} from "@logtape/logtape";
import { createLogger } from "@sluice/core";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import pino from "pino";
import winston from "winston";
import type { LineShape } from "../measure.ts";
import type { FileSubjectName } from "./file-subject-names.ts";

/** One library writing to a file: its logging call and how to wait for what it wrote. */
export interface FileSubject {
  call(index: number): void;
  /**
   * Asks the subject to write what it holds, and resolves when it says it has. Sluice's flush
   * resolves once the file has every line; pino's may resolve earlier (sonic-boom's flush calls
   * back at once when `minLength` is 0, its default), so a caller that needs the lines on disk
   * reads the file until they are there.
   */
  flush(): Promise<void>;
  /** Writes what is left and closes the file. */
  finish(): Promise<void>;
  /** Where the subject's lines keep the message and the properties, when not pino's way. */
  readonly shape?: LineShape;
}

function sluice(path: string, queued: boolean): FileSubject {
  const file = createFileSink({ path, maxBufferBytes: 64 << 20 });
  const sink = queued ? withQueue(file) : file;
  const log = createLogger({ sinks: [sink] });
  return {
    call: (index) =>
      log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: index }),
    flush: () => log.flush(),
    finish: () => log.close(),
  };
}

function pinoSubject(path: string): FileSubject {
  const destination = pino.destination({ dest: path, sync: false });
  const log = pino({ level: "info" }, destination);
  return {
    call: (index) => log.info({ Path: "/api/items", Elapsed: index }, "Request took ms"),
    flush: () => new Promise<void>((resolve) => log.flush(() => resolve())),
    // end() writes what sonic-boom still holds, then closes; "close" means it is all on disk.
    finish: () =>
      new Promise<void>((resolve) => {
        destination.once("close", () => resolve());
        destination.end();
      }),
  };
}

function pinoTransport(path: string): FileSubject {
  const transport = pino.transport({ target: "pino/file", options: { destination: path } });
  const log = pino({ level: "info" }, transport);
  return {
    call: (index) => log.info({ Path: "/api/items", Elapsed: index }, "Request took ms"),
    // thread-stream's flush waits for the worker to have read every line, then for the worker's
    // sonic-boom to call back (at once: see FileSubject.flush).
    flush: () => new Promise<void>((resolve) => log.flush(() => resolve())),
    // end() lets the worker write what it holds and exit; "close" follows once it has. The
    // worker does not keep the process alive, so a timer does until then.
    finish: () =>
      new Promise<void>((resolve) => {
        const alive = setInterval(() => {}, 1000);
        transport.once("close", () => {
          clearInterval(alive);
          resolve();
        });
        transport.end();
      }),
  };
}

function winstonSubject(path: string): FileSubject {
  const stream = createWriteStream(path, { flags: "a" });
  const log = winston.createLogger({
    level: "info",
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  return {
    // One info object is winston's fastest call: the logger takes it as it is.
    call: (index) => log.info({ message: "Request took ms", Path: "/api/items", Elapsed: index }),
    // The stream's writes are queued in order; an empty write's callback runs after them all.
    flush: () => new Promise<void>((resolve) => stream.write("", () => resolve())),
    // The logger's "finish" follows its transport's; the stream transport leaves its stream
    // open, so it is ended here, and its callback runs once the stream has written everything.
    finish: () =>
      new Promise<void>((resolve) => {
        log.once("finish", () => stream.end(() => resolve()));
        log.end();
      }),
    shape: { messageKeys: ["message"] },
  };
}

async function logtapeSubject(path: string): Promise<FileSubject> {
  await configure({
    sinks: {
      file: getStreamFileSink(path, { formatter: getJsonLinesFormatter() }),
      console: getConsoleSink(),
    },
    loggers: [
      { category: ["bench"], lowestLevel: "info", sinks: ["file"] },
      // LogTape's own diagnostics at warning and above, so configure() prints no notice.
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
  const log = getLogger(["bench"]);
  return {
    call: (index) => log.info("Request took ms", { Path: "/api/items", Elapsed: index }),
    // LogTape has no flush of its own short of dispose(); the file is read until it is there.
    flush: async () => {},
    // dispose() disposes every configured sink; the stream file sink's waits for its stream to
    // finish writing and close.
    finish: () => dispose(),
    shape: { messageKeys: ["message"], properties: "properties" },
  };
}

function floor(path: string): FileSubject {
  const fd = openSync(path, "a");
  let pending = "";
  const flush = (): void => {
    writeSync(fd, pending);
    pending = "";
  };
  return {
    call(index) {
      pending += `{"@t":"${new Date().toISOString()}","@mt":"Request {Path} took {Elapsed} ms","Path":"/api/items","Elapsed":${index}}\n`;
      if (pending.length >= 65_536) flush();
    },
    flush: async () => flush(),
    async finish() {
      flush();
      closeSync(fd);
    },
  };
}

/** Sets up the subject `name`, writing to the file at `path`. */
export async function createFileSubject(name: FileSubjectName, path: string): Promise<FileSubject> {
  switch (name) {
    case "sluice":
      return sluice(path, false);
    case "sluice-queue":
      return sluice(path, true);
    case "pino":
      return pinoSubject(path);
    case "pino-transport":
      return pinoTransport(path);
    case "winston":
      return winstonSubject(path);
    case "logtape":
      return logtapeSubject(path);
    case "floor":
      return floor(path);
  }
}
