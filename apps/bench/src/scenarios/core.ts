// Core hot path, one subject per child process so no library's JIT state colours another's:
//   disabled  a call below the minimum level
//   null      `info` with two properties into a sink that keeps nothing (pino: to /dev/null)
//   json      `info` with two properties serialized as one JSON line and written to /dev/null
import { openSync, writeSync } from "node:fs";
import { createClefFormatter, createLogger, type Sink } from "@sluice/core";
import { formatEvent } from "@sluice/core/sink";
import pino from "pino";
import { argument, report, timePerCall } from "../measure.ts";

const scenario = argument("case", "disabled");
const subject = argument("subject", "sluice");
const iterations = Number(argument("iterations", "1000000"));

type Call = (index: number) => void;

function nullSink(): Sink {
  return {
    name: "null",
    write(): void {},
    writeBatch: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

// Formats each event as CLEF and writes 64 KiB chunks synchronously, as pino's synchronous
// destination writes each line: both pay for serialization and the system call on the caller.
function devNullSink(): Sink {
  const formatter = createClefFormatter();
  const fd = openSync("/dev/null", "a");
  let pending = "";
  const drain = (): void => {
    writeSync(fd, pending);
    pending = "";
  };
  return {
    name: "dev-null",
    write(event): void {
      pending += formatEvent(event, formatter);
      if (pending.length >= 65_536) drain();
    },
    writeBatch: () => Promise.resolve(),
    flush: () => Promise.resolve(drain()),
    close: () => Promise.resolve(drain()),
    flushSync: drain,
  };
}

function sluiceCall(): Call {
  const sink = scenario === "json" ? devNullSink() : nullSink();
  const log = createLogger({ level: "info", sinks: [sink] });
  if (scenario === "disabled") {
    return (index) =>
      log.debug("Request {Path} took {Elapsed} ms", { Path: "/api", Elapsed: index });
  }
  return (index) => log.info("Request {Path} took {Elapsed} ms", { Path: "/api", Elapsed: index });
}

function pinoCall(sync: boolean): Call {
  const log = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync }));
  if (scenario === "disabled") {
    return (index) => log.debug({ Path: "/api", Elapsed: index }, "Request took ms");
  }
  return (index) => log.info({ Path: "/api", Elapsed: index }, "Request took ms");
}

const call =
  subject === "pino" ? pinoCall(true) : subject === "pino-async" ? pinoCall(false) : sluiceCall();
const nsPerOp = timePerCall(call, scenario === "disabled" ? iterations * 10 : iterations);
report({ scenario, subject, nsPerOp });
