// One million `info` events with two properties to a file, until every line is on disk:
//   sluice        createFileSink, called directly
//   sluice-queue  withQueue(createFileSink(...))
//   pino          pino.destination({ sync: false })
//   pino-transport  pino.transport({ target: "pino/file" }): formats on the caller's thread,
//                 writes from a worker thread
//   winston       format.timestamp() and format.json() through transports.Stream over
//                 fs.createWriteStream (twice as fast as transports.File here)
//   logtape       getStreamFileSink with the JSON Lines formatter (getFileSink by default fsyncs
//                 every flush, and writes an event alone whenever its buffer is empty)
//   floor         hand-built JSON lines joined into 64 KiB writeSync calls
// Every subject yields to the event loop every 1000 events (see produce()), so asynchronous
// writers get to write. Caller time counts only the logging calls. Every line of the file is then
// parsed and checked (valid JSON, the right event, in order); a short or wrong count fails the row.
import {
  closeSync,
  createWriteStream,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
import {
  argument,
  checkLines,
  fail,
  type LineShape,
  produce,
  quantile,
  report,
} from "../measure.ts";

const subject = argument("subject", "sluice");
const total = Number(argument("events", "1000000"));
const directory = mkdtempSync(join(tmpdir(), "sluice-bench-"));
const path = join(directory, "bench.log");

interface Subject {
  call(index: number): void;
  finish(): Promise<void>;
  /** Where the subject's lines keep the message and the properties, when not pino's way. */
  readonly shape?: LineShape;
}

function sluice(queued: boolean): Subject {
  const file = createFileSink({ path, maxBufferBytes: 64 << 20 });
  const sink = queued ? withQueue(file) : file;
  const log = createLogger({ sinks: [sink] });
  return {
    call: (index) =>
      log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: index }),
    finish: () => log.close(),
  };
}

function pinoSubject(): Subject {
  const destination = pino.destination({ dest: path, sync: false });
  const log = pino({ level: "info" }, destination);
  return {
    call: (index) => log.info({ Path: "/api/items", Elapsed: index }, "Request took ms"),
    // end() writes what sonic-boom still holds, then closes; "close" means it is all on disk.
    finish: () =>
      new Promise<void>((resolve) => {
        destination.once("close", () => resolve());
        destination.end();
      }),
  };
}

function pinoTransport(): Subject {
  const transport = pino.transport({ target: "pino/file", options: { destination: path } });
  const log = pino({ level: "info" }, transport);
  return {
    call: (index) => log.info({ Path: "/api/items", Elapsed: index }, "Request took ms"),
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

function winstonSubject(): Subject {
  const stream = createWriteStream(path, { flags: "a" });
  const log = winston.createLogger({
    level: "info",
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new winston.transports.Stream({ stream })],
  });
  return {
    // One info object is winston's fastest call: the logger takes it as it is.
    call: (index) => log.info({ message: "Request took ms", Path: "/api/items", Elapsed: index }),
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

async function logtapeSubject(): Promise<Subject> {
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
    // dispose() disposes every configured sink; the stream file sink's waits for its stream to
    // finish writing and close.
    finish: () => dispose(),
    shape: { messageKeys: ["message"], properties: "properties" },
  };
}

function floor(): Subject {
  const fd = openSync(path, "a");
  let pending = "";
  return {
    call(index) {
      pending += `{"@t":"${new Date().toISOString()}","@mt":"Request {Path} took {Elapsed} ms","Path":"/api/items","Elapsed":${index}}\n`;
      if (pending.length >= 65_536) {
        writeSync(fd, pending);
        pending = "";
      }
    },
    async finish() {
      writeSync(fd, pending);
      closeSync(fd);
    },
  };
}

const chosen =
  subject === "pino"
    ? pinoSubject()
    : subject === "pino-transport"
      ? pinoTransport()
      : subject === "floor"
        ? floor()
        : subject === "winston"
          ? winstonSubject()
          : subject === "logtape"
            ? await logtapeSubject()
            : sluice(subject === "sluice-queue");
const start = process.hrtime.bigint();
const caller = await produce((index) => chosen.call(index), total, 100);
await chosen.finish();
const wallNs = Number(process.hrtime.bigint() - start);
// Read before the file is read back, which would inflate it.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const text = readFileSync(path, "utf8");
rmSync(directory, { recursive: true, force: true });
const check = checkLines(text, "/api/items", 0, chosen.shape);
if (check.problem !== undefined) fail(`file ${subject}: ${check.problem}`);
if (check.lines !== total) fail(`file ${subject}: ${check.lines} of ${total} lines`);
report({
  scenario: argument("scenario", "file"),
  subject,
  nsPerOp: wallNs / total,
  extra: {
    "caller ns/call": (caller.totalNs / total).toFixed(0),
    "caller p50 ns": quantile(caller.sortedLatencies, 0.5),
    "caller p99 ns": quantile(caller.sortedLatencies, 0.99),
    "timer ns": caller.timerNs.toFixed(0),
    "peak RSS MiB": peakRssMiB.toFixed(0),
    lines: `${check.lines} (all checked)`,
  },
});
