// The subjects of the core cases, shared by `core.ts` (one subject a process) and
// `core-interleaved.ts` (Sluice and pino taking turns in one process):
//   disabled  a call below the minimum level; nothing may be written
//   memory    `info` with two properties serialized as one pino-format line into an in-memory
//             destination that keeps nothing: a sink calling formatEvent with createPinoFormatter,
//             and pino writing to a stream whose write() does nothing; neither makes a system call
//   child     the same through a child logger with three bound properties
//   json      the same call serialized and written to a file on tmpfs by a shipped destination:
//             createFileSink (CLEF), pino.destination({ sync: true }) and ({ sync: false })
// winston and LogTape run the disabled, memory and child cases: winston formats with
// format.timestamp() and format.json() into a transport that hands the line to the in-memory
// destination; LogTape's sink formats each record with its JSON Lines formatter and does the same.
import { readFileSync } from "node:fs";
import {
  configure,
  getConsoleSink,
  getJsonLinesFormatter,
  getLogger,
  type LogRecord,
} from "@logtape/logtape";
import {
  createLogger,
  createPinoFormatter,
  type LogEvent,
  type Logger,
  type Sink,
} from "@sluice/core";
import { formatEvent } from "@sluice/core/sink";
import { createFileSink } from "@sluice/sink-file";
import pino from "pino";
import winston from "winston";
import { checkLines, fail, type LineShape } from "../measure.ts";

/** The core cases. */
export type CoreCase = "disabled" | "memory" | "child" | "json";

/** Where the in-memory subjects' lines go: counted, and kept only while `keep` is set. */
export class MemoryDestination {
  lines = 0;
  keep = false;
  kept: string[] = [];
  write(line: string): boolean {
    this.lines++;
    if (this.keep) this.kept.push(line);
    return true;
  }
}

/** One library set up for a case: its logging call and how to collect what it wrote. */
export interface Subject {
  call(index: number): void;
  /** Waits until everything is written, then returns the lines the subject wrote. */
  finish(): Promise<string>;
  /** Lines written, for subjects that count (in-memory ones). */
  readonly memory?: MemoryDestination;
  /** Where the subject's lines keep the message and the properties, when not pino's way. */
  readonly shape?: LineShape;
}

function sluiceMemorySink(destination: MemoryDestination): Sink {
  const formatter = createPinoFormatter();
  return {
    name: "memory",
    write(event: LogEvent): void {
      destination.write(formatEvent(event, formatter));
    },
    writeBatch(events): Promise<void> {
      for (const event of events) destination.write(formatEvent(event, formatter));
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

function sluice(scenario: CoreCase, path: string): Subject {
  if (scenario === "json") {
    const log = createLogger({ sinks: [createFileSink({ path })] });
    return {
      call: (index) =>
        log.info("Request {Path} took {Elapsed} ms", { Path: "/api", Elapsed: index }),
      finish: async () => {
        await log.close();
        return readFileSync(path, "utf8");
      },
    };
  }
  const memory = new MemoryDestination();
  const log = createLogger({ level: "info", sinks: [sluiceMemorySink(memory)] });
  let target: Logger = log;
  if (scenario === "child") target = log.child({ Service: "api", Region: "eu-west-1", Shard: 7 });
  const call =
    scenario === "disabled"
      ? (index: number) =>
          target.debug("Request {Path} took {Elapsed} ms", { Path: "/api", Elapsed: index })
      : (index: number) =>
          target.info("Request {Path} took {Elapsed} ms", { Path: "/api", Elapsed: index });
  return { call, memory, finish: () => Promise.resolve(memory.kept.join("")) };
}

function pinoSubject(scenario: CoreCase, path: string, sync: boolean): Subject {
  if (scenario === "json") {
    const destination = pino.destination({ dest: path, sync });
    const log = pino({ level: "info" }, destination);
    return {
      call: (index) => log.info({ Path: "/api", Elapsed: index }, "Request took ms"),
      finish: () =>
        new Promise<string>((resolve) => {
          destination.once("close", () => resolve(readFileSync(path, "utf8")));
          destination.end();
        }),
    };
  }
  const memory = new MemoryDestination();
  const log = pino({ level: "info" }, memory);
  const target =
    scenario === "child" ? log.child({ Service: "api", Region: "eu-west-1", Shard: 7 }) : log;
  const call =
    scenario === "disabled"
      ? (index: number) => target.debug({ Path: "/api", Elapsed: index }, "Request took ms")
      : (index: number) => target.info({ Path: "/api", Elapsed: index }, "Request took ms");
  return { call, memory, finish: () => Promise.resolve(memory.kept.join("")) };
}

// winston exports its transport base class as `Transport`, which its typings leave out.
const WinstonTransport = (
  winston as unknown as { Transport: new () => Parameters<winston.Logger["add"]>[0] }
).Transport;

/** A winston transport that hands each formatted line to the in-memory destination. */
class MemoryTransport extends WinstonTransport {
  readonly #destination: MemoryDestination;
  constructor(destination: MemoryDestination) {
    super();
    this.#destination = destination;
  }
  override log(info: Record<symbol, unknown>, next: () => void): void {
    this.#destination.write(`${info[Symbol.for("message")] as string}\n`);
    next();
  }
}

function winstonSubject(scenario: CoreCase): Subject {
  if (scenario === "json") fail("json: winston is not a subject of this case");
  const memory = new MemoryDestination();
  const log = winston.createLogger({
    level: "info",
    format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
    transports: [new MemoryTransport(memory)],
  });
  const target =
    scenario === "child" ? log.child({ Service: "api", Region: "eu-west-1", Shard: 7 }) : log;
  // One info object is winston's fastest call (its "hot path"): the logger takes it as it is,
  // without merging a message and a metadata argument into a new one.
  const call =
    scenario === "disabled"
      ? (index: number) =>
          target.debug({ message: "Request took ms", Path: "/api", Elapsed: index })
      : (index: number) =>
          target.info({ message: "Request took ms", Path: "/api", Elapsed: index });
  // The transport is called within log(), so the time per call includes formatting, as it does
  // for pino: the checked run below joins its kept lines before yielding once, so a transport
  // called later would leave them short and fail the row.
  return {
    call,
    memory,
    shape: { messageKeys: ["message"] },
    finish: () => Promise.resolve(memory.kept.join("")),
  };
}

async function logtapeSubject(scenario: CoreCase): Promise<Subject> {
  if (scenario === "json") fail("json: LogTape is not a subject of this case");
  const memory = new MemoryDestination();
  const formatter = getJsonLinesFormatter();
  await configure({
    sinks: {
      memory: (record: LogRecord) => memory.write(formatter(record)),
      console: getConsoleSink(),
    },
    loggers: [
      { category: ["bench"], lowestLevel: "info", sinks: ["memory"] },
      // LogTape's own diagnostics at warning and above, so configure() prints no notice.
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["console"] },
    ],
  });
  const log = getLogger(["bench"]);
  const target =
    scenario === "child" ? log.with({ Service: "api", Region: "eu-west-1", Shard: 7 }) : log;
  // A message without holes, as pino's: LogTape then renders no template.
  const call =
    scenario === "disabled"
      ? (index: number) => target.debug("Request took ms", { Path: "/api", Elapsed: index })
      : (index: number) => target.info("Request took ms", { Path: "/api", Elapsed: index });
  return {
    call,
    memory,
    shape: { messageKeys: ["message"], properties: "properties" },
    finish: () => Promise.resolve(memory.kept.join("")),
  };
}

/**
 * Sets up `subject` (sluice, pino, pino-async, winston or logtape) for `scenario`; the json case
 * writes to the file at `path`.
 */
export async function createSubject(
  scenario: CoreCase,
  subject: string,
  path: string,
): Promise<Subject> {
  switch (subject) {
    case "sluice":
      return sluice(scenario, path);
    case "pino":
      return pinoSubject(scenario, path, true);
    case "pino-async":
      return pinoSubject(scenario, path, false);
    case "winston":
      return winstonSubject(scenario);
    case "logtape":
      return await logtapeSubject(scenario);
    default:
      return fail(`unknown subject ${subject}`);
  }
}

/**
 * For an in-memory subject: the lines it wrote while timed, then a checked run of 1000 events
 * from index `first` whose lines are kept and each parsed (none may be written when disabled).
 * A problem fails the row, named by `label`.
 */
export async function checkInMemory(
  chosen: Subject,
  scenario: CoreCase,
  label: string,
  first: number,
): Promise<number> {
  const memory = chosen.memory;
  if (memory === undefined) return fail(`${label}: not an in-memory subject`);
  const lines = memory.lines;
  memory.keep = scenario !== "disabled";
  const checked = 1000;
  for (let index = 0; index < checked; index++) chosen.call(first + index);
  if (scenario !== "disabled") {
    const check = checkLines(await chosen.finish(), "/api", first, chosen.shape);
    if (check.problem !== undefined) fail(`${label}: ${check.problem}`);
    if (check.lines !== checked) fail(`${label}: ${check.lines} of ${checked} checked lines`);
  } else if (memory.lines !== 0) {
    fail(`${label}: ${memory.lines} lines written below the level`);
  }
  return lines;
}
