// One million `info` events with two properties to a file, until every line is on disk:
//   sluice        createFileSink, called directly
//   sluice-queue  withQueue(createFileSink(...))
//   pino          pino.destination({ sync: false })
//   pino-transport  pino.transport({ target: "pino/file" }): formats on the caller's thread,
//                 writes from a worker thread
//   floor         hand-built JSON lines joined into 64 KiB writeSync calls
// Every subject yields to the event loop every 1000 events (see produce()), so asynchronous
// writers get to write. Caller time counts only the logging calls. Every line of the file is then
// parsed and checked (valid JSON, the right event, in order); a short or wrong count fails the row.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@sluice/core";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import pino from "pino";
import { argument, checkLines, fail, produce, quantile, report } from "../measure.ts";

const subject = argument("subject", "sluice");
const total = Number(argument("events", "1000000"));
const directory = mkdtempSync(join(tmpdir(), "sluice-bench-"));
const path = join(directory, "bench.log");

interface Subject {
  call(index: number): void;
  finish(): Promise<void>;
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
        : sluice(subject === "sluice-queue");
const start = process.hrtime.bigint();
const caller = await produce((index) => chosen.call(index), total, 100);
await chosen.finish();
const wallNs = Number(process.hrtime.bigint() - start);
// Read before the file is read back, which would inflate it.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const text = readFileSync(path, "utf8");
rmSync(directory, { recursive: true, force: true });
const check = checkLines(text, "/api/items", 0);
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
