// The file scenario with the subjects taking turns in one process, so that whatever the host
// does to a process's speed falls on all of them alike (see core-interleaved.ts for why one
// process a round is not enough on this kind of machine): Sluice's file sink called directly and
// behind withQueue, pino's async destination and its worker transport (file-subjects.ts), each
// writing its own file. Each round runs one block of `block` events a subject, in an order drawn
// at random (1000 calls a turn of the event loop, as everywhere), so each block starts with an
// empty pipeline.
// - Caller time: the time inside the block's logging calls.
// - Wall time: from the block's first call until every one of its lines is in the file. The
//   subject is asked to flush, then the file's size is watched, the same watch for every subject,
//   until it holds the block's bytes (a subject's line differs from its first only in the digits
//   of `Elapsed`: pino's `time` is milliseconds since 1970, 13 digits, and CLEF's `@t` an ISO time
//   of fixed width). The block's lines are then read back and checked, and their bytes must be
//   exactly those counted.
// - Main-thread CPU time: from the block's first call until the subject's flush resolves (Linux:
//   /proc/thread-self/schedstat), the work the event loop's thread did for the block, in the calls
//   and between them (a queue formats and writes from the event loop, between the caller's turns;
//   pino's worker thread is not counted).
// The row's figures are each subject's ns per event over all its blocks after the warm-up rounds,
// with the quartiles of the rounds' ratios to pino best (the pino subject faster in wall time over
// all its blocks). Every line of every block is parsed and checked, outside the timed part.
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { argument, checkLines, fail, produce, report } from "../measure.ts";
import { createFileSubject, type FileSubject } from "./file-subjects.ts";

const rounds = Number(argument("rounds", "60"));
const block = Number(argument("block", "50000"));
const warmupRounds = Math.max(2, Math.ceil(rounds / 10));
// A block's lines must arrive within this long of its flush, or the row fails.
const arrivalTimeoutMs = 30_000;
const directory = mkdtempSync(join(tmpdir(), "sluice-file-interleaved-"));
const names = ["sluice", "sluice-queue", "pino", "pino-transport"] as const;
type Name = (typeof names)[number];

interface Turns {
  readonly subject: FileSubject;
  readonly path: string;
  /** Read-only descriptor the block's lines are read back through (opened once the file exists). */
  reader: number;
  /** Where the next block's lines start in the file. */
  offset: number;
  /** Events logged so far, warm-up included. */
  logged: number;
  /** The bytes of the subject's line for event 0, newline included, less the one digit of 0. */
  lineBase: number;
  callerNs: number;
  wallNs: number;
  mainThreadCpuNs: number;
  /** Each timed round's figures, in order of rounds. */
  readonly roundCallerNs: number[];
  readonly roundWallNs: number[];
}

const turns = {} as Record<Name, Turns>;
for (const name of names) {
  const path = join(directory, `${name}.log`);
  turns[name] = {
    subject: await createFileSubject(name, path),
    path,
    reader: -1,
    offset: 0,
    logged: 0,
    lineBase: 0,
    callerNs: 0,
    wallNs: 0,
    mainThreadCpuNs: 0,
    roundCallerNs: [],
    roundWallNs: [],
  };
}

// The calling thread's time on a CPU, in nanoseconds, where Linux tells it (the first field).
const schedstat = "/proc/thread-self/schedstat";
const threadCpuKnown = existsSync(schedstat);
function threadCpuNs(): number {
  return threadCpuKnown ? Number(readFileSync(schedstat, "latin1").split(" ")[0]) : 0;
}

/** Counts the newlines in `bytes`. */
function newlines(bytes: Buffer): number {
  let count = 0;
  for (let at = bytes.indexOf(10); at !== -1; at = bytes.indexOf(10, at + 1)) count++;
  return count;
}

/** The number of decimal digits of `value`, a non-negative integer. */
function digits(value: number): number {
  let count = 1;
  for (let bound = 10; value >= bound; bound *= 10) count++;
  return count;
}

/** The bytes the subject's lines for events `first` to `first + count - 1` take. */
function blockBytes(state: Turns, first: number, count: number): number {
  let bytes = 0;
  for (let index = first; index < first + count; index++) bytes += state.lineBase + digits(index);
  return bytes;
}

/**
 * Reads the size of `state`'s file once a turn of the event loop and hands it to `visit`, until
 * `visit` says it is done (true), or the file has not grown for `arrivalTimeoutMs` (false).
 */
async function watchFile(state: Turns, visit: (size: number) => boolean): Promise<boolean> {
  let lastSize = -1;
  let lastGrowth = Date.now();
  for (;;) {
    const size = fstatSync(state.reader).size;
    if (visit(size)) return true;
    if (size !== lastSize) {
      lastSize = size;
      lastGrowth = Date.now();
    } else if (Date.now() - lastGrowth > arrivalTimeoutMs) {
      return false;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/** Waits until the file holds `bytes` more bytes past `state.offset`; false if it stops short. */
function arrived(state: Turns, bytes: number): Promise<boolean> {
  return watchFile(state, (size) => size >= state.offset + bytes);
}

/** Reads the file from `state.offset` until `lines` more lines are there; returns their text. */
async function readLines(state: Turns, lines: number): Promise<string> {
  const chunks: Buffer[] = [];
  let seen = 0;
  await watchFile(state, (size) => {
    if (size > state.offset) {
      const chunk = Buffer.allocUnsafe(size - state.offset);
      const read = readSync(state.reader, chunk, 0, chunk.length, state.offset);
      state.offset += read;
      chunks.push(chunk.subarray(0, read));
      seen += newlines(chunk.subarray(0, read));
    }
    return seen >= lines;
  });
  return Buffer.concat(chunks).toString("utf8");
}

/** Runs one block of `name`'s events until they are all in its file, and checks them. */
async function runBlock(name: Name, timed: boolean): Promise<void> {
  const state = turns[name];
  const first = state.logged;
  const bytes = blockBytes(state, first, block);
  const cpuStart = threadCpuNs();
  const start = process.hrtime.bigint();
  const caller = await produce(
    (index) => state.subject.call(first + index),
    block,
    Number.POSITIVE_INFINITY,
  );
  await state.subject.flush();
  const mainThreadCpuNs = threadCpuNs() - cpuStart;
  const complete = await arrived(state, bytes);
  const wallNs = Number(process.hrtime.bigint() - start);
  state.logged = first + block;
  const offset = state.offset;
  const text = await readLines(state, block);
  const check = checkLines(text, "/api/items", first, state.subject.shape);
  if (check.problem !== undefined) fail(`file-interleaved ${name}: ${check.problem}`);
  if (check.lines !== block) fail(`file-interleaved ${name}: ${check.lines} of ${block} lines`);
  if (!complete || state.offset - offset !== bytes) {
    fail(`file-interleaved ${name}: ${state.offset - offset} bytes for a block, not ${bytes}`);
  }
  if (!timed) return;
  state.callerNs += caller.totalNs;
  state.wallNs += wallNs;
  state.mainThreadCpuNs += mainThreadCpuNs;
  state.roundCallerNs.push(caller.totalNs);
  state.roundWallNs.push(wallNs);
}

// The pino destinations create their files asynchronously: one flushed event each before the
// readers open them. Its line is the first checked, as event 0.
for (const name of names) {
  const state = turns[name];
  state.subject.call(0);
  await state.subject.flush();
  const deadline = Date.now() + arrivalTimeoutMs;
  let reader = -1;
  while (reader === -1) {
    try {
      reader = openSync(state.path, "r");
    } catch {
      if (Date.now() > deadline) fail(`file-interleaved ${name}: ${state.path} never appeared`);
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
    }
  }
  state.reader = reader;
  const text = await readLines(state, 1);
  const check = checkLines(text, "/api/items", 0, state.subject.shape);
  if (check.problem !== undefined || check.lines !== 1) {
    fail(`file-interleaved ${name}: the first line: ${check.problem ?? `${check.lines} lines`}`);
  }
  state.logged = 1;
  state.lineBase = Buffer.byteLength(text) - digits(0);
}

for (let round = 0; round < warmupRounds + rounds; round++) {
  const order = [...names];
  for (let index = order.length - 1; index > 0; index--) {
    const other = Math.floor(Math.random() * (index + 1));
    [order[index], order[other]] = [order[other] as Name, order[index] as Name];
  }
  for (const name of order) await runBlock(name, round >= warmupRounds);
}
for (const name of names) {
  const state = turns[name];
  await state.subject.finish();
  closeSync(state.reader);
}
rmSync(directory, { recursive: true, force: true });

const best: Name = turns.pino.wallNs <= turns["pino-transport"].wallNs ? "pino" : "pino-transport";
/** The quartiles of the rounds' ratios of `figure` between `name` and pino best. */
function quartiles(name: Name, figure: "roundCallerNs" | "roundWallNs"): string {
  const ratios = turns[name][figure]
    .map((ns, round) => ns / (turns[best][figure][round] as number))
    .sort((a, b) => a - b);
  const at = (q: number): string =>
    (ratios[Math.floor(q * (ratios.length - 1))] as number).toFixed(2);
  return `${at(0.25)} / ${at(0.5)} / ${at(0.75)}`;
}
const timedEvents = rounds * block;
for (const name of names) {
  const state = turns[name];
  report({
    scenario: "file-interleaved",
    subject: name,
    nsPerOp: state.wallNs / timedEvents,
    extra: {
      "caller ns/call": (state.callerNs / timedEvents).toFixed(0),
      ...(threadCpuKnown
        ? { "main-thread CPU ns/event": (state.mainThreadCpuNs / timedEvents).toFixed(0) }
        : {}),
      ...(name.startsWith("sluice")
        ? {
            [`round wall ratio to ${best} p25 / p50 / p75`]: quartiles(name, "roundWallNs"),
            [`round caller ratio to ${best} p25 / p50 / p75`]: quartiles(name, "roundCallerNs"),
          }
        : {}),
      rounds: String(rounds),
      "events per block": String(block),
      lines: `${state.logged} (all checked)`,
    },
  });
}
