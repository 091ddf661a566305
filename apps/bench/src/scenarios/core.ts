// Core hot path, one subject per child process so no library's JIT state colours another's:
//   disabled  a call below the minimum level
//   null      `info` with two properties into a sink that keeps nothing (pino: to /dev/null)
//   json      `info` with two properties serialized as one JSON line and written to /dev/null
import { openSync } from "node:fs";
import { createClefFormatter, createLogger, FdWriter, formatEvent, type Sink } from "@sluice/core";
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

function devNullSink(): Sink {
  const formatter = createClefFormatter();
  const writer = new FdWriter({ fd: openSync("/dev/null", "a") });
  return {
    name: "dev-null",
    write(event): void {
      writer.write(formatEvent(event, formatter));
    },
    writeBatch: () => Promise.resolve(),
    flush: () => writer.flush(),
    close: () => writer.flush(),
    flushSync: () => writer.flushSync(),
  };
}

function sluiceCall(): Call {
  const sink = scenario === "json" ? devNullSink() : nullSink();
  const log = createLogger({ level: "info", sinks: [sink] });
  if (scenario === "disabled") {
    return (index) => log.debug("Request {Path} took {Elapsed} ms", { Path: "/api", Elapsed: index });
  }
  return (index) => log.info("Request {Path} took {Elapsed} ms", { Path: "/api", Elapsed: index });
}

function pinoCall(): Call {
  const log = pino({ level: "info" }, pino.destination({ dest: "/dev/null", sync: true }));
  if (scenario === "disabled") {
    return (index) => log.debug({ Path: "/api", Elapsed: index }, "Request took ms");
  }
  return (index) => log.info({ Path: "/api", Elapsed: index }, "Request took ms");
}

const call = subject === "pino" ? pinoCall() : sluiceCall();
const nsPerOp = timePerCall(call, scenario === "disabled" ? iterations * 10 : iterations);
report({ scenario, subject, nsPerOp });
