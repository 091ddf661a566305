import { execFileSync, spawn } from "node:child_process";
import {
  closeSync,
  constants,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
} from "node:fs";
import { Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FdWriter } from "./fd-writer.ts";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-fd-writer-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** A non-blocking pipe, as Node makes stdout when it is one: [read end, write end]. */
async function openPipe(): Promise<[number, number]> {
  const fifo = join(directory, "pipe");
  execFileSync("mkfifo", [fifo]);
  const readEnd = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeEnd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  return [readEnd, writeEnd];
}

/** Reads a descriptor to its end, returning how many bytes came. */
function drain(fd: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let total = 0;
    // A socket reads a non-blocking pipe the way Node reads stdin, waiting out EAGAIN.
    const stream = new Socket({ fd, readable: true, writable: false });
    stream.on("data", (chunk: Buffer) => {
      total += chunk.length;
    });
    stream.on("end", () => resolve(total));
    stream.on("error", reject);
  });
}

/** `count` lines of 100 bytes, each starting with `mark` and its number. */
function numberedLines(mark: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${mark}${String(index).padStart(98, "-")}\n`);
}

describe("FdWriter", () => {
  it("coalesces writes into chunks, in order, and reports what reached the OS", async () => {
    const path = join(directory, "out.log");
    const fd = openSync(path, "a");
    const written: number[] = [];
    const writer = new FdWriter({
      fd,
      chunkBytes: 100,
      onWritten: (events) => written.push(events),
    });
    for (let index = 0; index < 50; index++) expect(writer.write(`line ${index}\n`)).toBe(true);
    expect(writer.pendingEvents).toBe(50);
    await writer.flush();
    closeSync(fd);
    const lines = readFileSync(path, "utf8").trimEnd().split("\n");
    expect(lines).toEqual(Array.from({ length: 50 }, (_, index) => `line ${index}`));
    expect(written.reduce((sum, events) => sum + events, 0)).toBe(50);
    expect(written.length).toBeGreaterThan(1);
    expect(writer.pendingEvents).toBe(0);
  });

  it("writes the exact UTF-8 of any text, async and sync, across encoding runs", async () => {
    // Wide characters, astral pairs, lone surrogates and texts longer than one encoding run
    // (64 Ki code units), so every growth and boundary of the chunk buffer is crossed.
    const samples = ["plain ascii line", "é ü ß", "日本語のログ", "🙂🚀", "\ud800 lone", "x\udfff"];
    const texts: string[] = [];
    for (let index = 0; index < 6000; index++) {
      texts.push(
        `${index} ${(samples[index % samples.length] as string).repeat(1 + (index % 7))}\n`,
      );
    }
    texts.push(`${"語".repeat(200_000)}\n`);
    for (const mode of ["async", "sync"] as const) {
      const path = join(directory, `${mode}.log`);
      const fd = openSync(path, "a");
      const writer = new FdWriter({ fd, maxBufferBytes: 64 << 20 });
      for (const text of texts) expect(writer.write(text)).toBe(true);
      if (mode === "async") await writer.flush();
      else writer.flushSync();
      closeSync(fd);
      expect(readFileSync(path).equals(Buffer.from(texts.join("")))).toBe(true);
    }
  });

  it("refuses text past its bound instead of growing", () => {
    const fd = openSync(join(directory, "bounded.log"), "a");
    const writer = new FdWriter({ fd, maxBufferBytes: 10 });
    expect(writer.write("12345")).toBe(true);
    expect(writer.write("123456")).toBe(false);
    expect(writer.pendingBytes).toBe(5);
    writer.flushSync();
    closeSync(fd);
  });

  it("discards on ENOSPC by default, tells its owner, and rejects flush", async () => {
    const fd = openSync("/dev/full", "w");
    const failures: [string | undefined, number][] = [];
    const writer = new FdWriter({
      fd,
      onWriteError: (error, events) => {
        failures.push([error.code, events]);
        return "discard";
      },
    });
    writer.write("a\n");
    writer.write("b\n");
    await expect(writer.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(failures).toEqual([["ENOSPC", 2]]);
    expect(writer.pendingEvents).toBe(0);
    closeSync(fd);
  });

  it("keeps text written from inside onWriteError and writes it after the failed text", async () => {
    const good = openSync(join(directory, "after-failure.log"), "a");
    const full = openSync("/dev/full", "w");
    const failures: number[] = [];
    const writer = new FdWriter({
      fd: full,
      onWriteError: (_error, events) => {
        failures.push(events);
        // An error callback that logs writes again before the failed text is discarded.
        writer.setFd(good);
        writer.write("reported\n");
        return "discard";
      },
    });
    writer.write("a\n");
    writer.write("b\n");
    await expect(writer.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    expect(failures).toEqual([2]);
    await writer.flush();
    expect(readFileSync(join(directory, "after-failure.log"), "utf8")).toBe("reported\n");
    expect(writer.pendingEvents).toBe(0);
    closeSync(full);
    closeSync(good);
  });

  it("stop() leaves a write waiting out a full pipe to finish, and idle() tells when it has", async () => {
    const [readEnd, writeEnd] = await openPipe();
    const writer = new FdWriter({ fd: writeEnd });
    const text = `${"x".repeat(1023)}\n`;
    // More than a pipe holds, so the write meets EAGAIN until the reader drains it.
    for (let index = 0; index < 256; index++) writer.write(text);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(writer.busy).toBe(true);
    writer.stop();
    let idle = false;
    const becameIdle = writer.idle().then(() => {
      idle = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(idle).toBe(false);
    const received = drain(readEnd);
    await becameIdle;
    expect(writer.pendingEvents).toBe(0);
    closeSync(writeEnd);
    expect(await received).toBe(256 * 1024);
  });

  it("retries with backoff when told to, and delivers once the fault clears", async () => {
    const good = openSync(join(directory, "recovered.log"), "a");
    const full = openSync("/dev/full", "w");
    const writer = new FdWriter({
      fd: full,
      retry: { initialMs: 5, maxMs: 20 },
      onWriteError: () => {
        writer.setFd(good);
        return "retry";
      },
    });
    writer.write("kept\n");
    await writer.flush();
    // The retry goes to the descriptor in use at that moment, so a reopen recovers held data.
    expect(readFileSync(join(directory, "recovered.log"), "utf8")).toBe("kept\n");
    closeSync(full);
    closeSync(good);
  }, 10_000);

  it("drains synchronously for exit paths", () => {
    const path = join(directory, "sync.log");
    const fd = openSync(path, "a");
    const writer = new FdWriter({ fd });
    writer.write("one\n");
    writer.write("two\n", 1);
    writer.flushSync();
    expect(readFileSync(path, "utf8")).toBe("one\ntwo\n");
    expect(writer.pendingEvents).toBe(0);
    closeSync(fd);
  });

  it("flushSync waits out an asynchronous write to a file, credits it once and writes the rest after it", async () => {
    const path = join(directory, "outstanding.log");
    const fd = openSync(path, "a");
    let events = 0;
    let bytes = 0;
    const writer = new FdWriter({
      fd,
      chunkBytes: 64 * 1024,
      onWritten: (written, size) => {
        events += written;
        bytes += size;
      },
    });
    const first = numberedLines("a", 2000);
    const second = numberedLines("b", 2000);
    for (const line of first) writer.write(line);
    // Issues the first chunk's asynchronous write now; its callback cannot run before the
    // synchronous drain below, as at a process exit, where it never runs.
    const flushed = writer.flush();
    expect(writer.busy).toBe(true);
    for (const line of second) writer.write(line);
    writer.flushSync();
    const expected = first.join("") + second.join("");
    expect(readFileSync(path, "utf8")).toBe(expected);
    expect(writer.pendingEvents).toBe(0);
    expect(events).toBe(4000);
    expect(bytes).toBe(expected.length);
    // The write's callback, when it comes, is ignored: nothing is counted twice, and the writer
    // goes on asynchronously afterwards.
    await flushed;
    await writer.idle();
    expect(events).toBe(4000);
    writer.write("after\n");
    await writer.flush();
    expect(readFileSync(path, "utf8")).toBe(`${expected}after\n`);
    expect(events).toBe(4001);
    closeSync(fd);
  });

  it("flushSync with a timeout waits that long for a full pipe, then keeps the rest for later", async () => {
    const fifo = join(directory, "fifo");
    execFileSync("mkfifo", [fifo]);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    const failures: unknown[] = [];
    const writer = new FdWriter({
      fd,
      onWriteError: (error) => {
        failures.push(error);
        return "discard";
      },
    });
    const lines = Array.from(
      { length: 2000 },
      (_, index) => `${String(index).padStart(99, "x")}\n`,
    );
    for (const line of lines) writer.write(line);
    const started = performance.now();
    writer.flushSync(30);
    // Without the bound it waited a whole second of EAGAIN and then dropped everything.
    expect(performance.now() - started).toBeLessThan(500);
    expect(writer.pendingEvents).toBeGreaterThan(0);
    expect(failures).toEqual([]);
    let received = "";
    const buffer = Buffer.alloc(1 << 16);
    for (let round = 0; round < 2000 && writer.pendingEvents > 0; round++) {
      try {
        for (let read = readSync(reader, buffer); read > 0; read = readSync(reader, buffer)) {
          received += buffer.toString("latin1", 0, read);
        }
      } catch {
        // EAGAIN: empty for now.
      }
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    try {
      for (let read = readSync(reader, buffer); read > 0; read = readSync(reader, buffer)) {
        received += buffer.toString("latin1", 0, read);
      }
    } catch {
      // EAGAIN: everything was read.
    }
    expect(writer.pendingEvents).toBe(0);
    expect(received).toBe(lines.join(""));
    closeSync(fd);
    closeSync(reader);
  });

  it("a write a full pipe cut inside a wide character goes on with exactly the bytes left", async () => {
    const [reader, fd] = await openPipe();
    const credited: [number, number][] = [];
    const writer = new FdWriter({
      fd,
      onWritten: (events, bytes) => credited.push([events, bytes]),
    });
    // Three-byte and four-byte characters, so the pipe's page-sized partial writes cut inside one.
    const lines = Array.from(
      { length: 3000 },
      (_, index) => `${index} 日本語 🙂 é ${"語".repeat(index % 13)}\n`,
    );
    let length = 0;
    for (const line of lines) {
      writer.write(line);
      length += line.length;
    }
    writer.flushSync(20);
    expect(writer.pendingEvents).toBeGreaterThan(0);
    expect(writer.pendingEvents).toBeLessThan(lines.length);
    expect(writer.pendingBytes).toBeGreaterThan(0);
    expect(writer.pendingBytes).toBeLessThan(length);
    // What the pipe took is credited as the whole lines in it (one written but for its newline
    // counts: the next write completes it), with their exact size in bytes.
    const received: Buffer[] = [];
    const took = readSync(reader, Buffer.alloc(1 << 20));
    let whole = 0;
    let wholeBytes = 0;
    for (;;) {
      const size = Buffer.byteLength(lines[whole] as string);
      if (wholeBytes + size > took + 1) break;
      wholeBytes += size;
      whole += 1;
    }
    expect(credited).toEqual([[whole, Math.min(wholeBytes, took)]]);
    expect(writer.pendingEvents).toBe(lines.length - whole);
    const buffer = Buffer.alloc(1 << 16);
    const readAll = (): void => {
      try {
        for (let read = readSync(reader, buffer); read > 0; read = readSync(reader, buffer)) {
          received.push(Buffer.from(buffer.subarray(0, read)));
        }
      } catch {
        // EAGAIN: empty for now.
      }
    };
    for (let round = 0; round < 2000 && writer.pendingEvents > 0; round++) {
      readAll();
      writer.flushSync(20);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    readAll();
    expect(writer.pendingEvents).toBe(0);
    expect(writer.pendingBytes).toBe(0);
    const rest = Buffer.concat(received);
    expect(Buffer.from(lines.join("")).subarray(took).equals(rest)).toBe(true);
    closeSync(fd);
    closeSync(reader);
  });

  it("flushSync never writes behind an asynchronous write in flight: lines stay whole and in order on a pipe", async () => {
    const [readEnd, writeEnd] = await openPipe();
    const out = join(directory, "received.log");
    const outFd = openSync(out, "w");
    // A reader in another process drains the pipe while this one is inside flushSync.
    const reader = spawn("cat", [], { stdio: [readEnd, outFd, "inherit"] });
    const exited = new Promise((resolve) => reader.on("exit", resolve));
    closeSync(readEnd);
    closeSync(outFd);
    const writer = new FdWriter({ fd: writeEnd });
    const first = numberedLines("a", 4000);
    const second = numberedLines("b", 100);
    for (const line of first) writer.write(line);
    // Starts the asynchronous write of 400 KB at once: more than a pipe holds, so it is still
    // in flight (and needs more system calls) when flushSync runs.
    const flushed = writer.flush();
    for (const line of second) writer.write(line);
    writer.flushSync(2000);
    // Nothing shows how much of it a pipe took: everything waits for the asynchronous writer.
    expect(writer.pendingEvents).toBe(first.length + second.length);
    await flushed;
    await writer.flush();
    expect(writer.pendingEvents).toBe(0);
    closeSync(writeEnd);
    await exited;
    expect(readFileSync(out, "utf8")).toBe(first.join("") + second.join(""));
  });

  it("flushSync takes over a write waiting out a full pipe and writes its rest first", async () => {
    const [readEnd, writeEnd] = await openPipe();
    const out = join(directory, "taken-over.log");
    const outFd = openSync(out, "w");
    const writer = new FdWriter({ fd: writeEnd });
    const first = numberedLines("a", 4000);
    const second = numberedLines("b", 100);
    for (const line of first) writer.write(line);
    // Nobody reads yet: the write fills the pipe and waits for EAGAIN to clear.
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(writer.busy).toBe(true);
    for (const line of second) writer.write(line);
    const reader = spawn("cat", [], { stdio: [readEnd, outFd, "inherit"] });
    const exited = new Promise((resolve) => reader.on("exit", resolve));
    closeSync(readEnd);
    closeSync(outFd);
    writer.flushSync(10_000);
    // flushSync writes nothing while a retry's own system call is outstanding (it could land
    // after text written beside it); on a loaded machine the call can fall in that window, and
    // the retry's callback must run before it can go on.
    for (let tries = 0; writer.pendingEvents > 0 && tries < 100; tries++) {
      await new Promise((resolve) => setImmediate(resolve));
      writer.flushSync(10_000);
    }
    expect(writer.pendingEvents).toBe(0);
    expect(writer.busy).toBe(false);
    closeSync(writeEnd);
    await exited;
    expect(readFileSync(out, "utf8")).toBe(first.join("") + second.join(""));
  });

  it("abandon gives up the buffer and a write in flight, settles waiters and reports nothing later", async () => {
    const [readEnd, writeEnd] = await openPipe();
    let reported = 0;
    const writer = new FdWriter({ fd: writeEnd, onWritten: (events) => (reported += events) });
    for (const line of numberedLines("a", 4000)) writer.write(line);
    // Nobody reads: the write fills the pipe and waits out EAGAIN, in flight.
    await new Promise((resolve) => setTimeout(resolve, 30));
    const batch = writer.flushBatch(10);
    const flushed = writer.flush().catch((error: unknown) => error);
    const heldBefore = writer.pendingEvents;
    const error = new Error("given up");
    expect(writer.abandon(error)).toBe(heldBefore);
    expect(writer.abandon(error)).toBe(0);
    expect(writer.pendingEvents).toBe(0);
    // At most a system call already made is still outstanding.
    await writer.idle();
    expect(await flushed).toBe(error);
    expect(await batch).toBe(0);
    const before = reported;
    const received = drain(readEnd);
    await new Promise((resolve) => setTimeout(resolve, 30));
    closeSync(writeEnd);
    await received;
    expect(reported).toBe(before);
    await expect(writer.flush()).resolves.toBeUndefined();
  });

  it("stops holding the process once a full pipe took nothing for holdOnStallMs, and holds it again after progress", async () => {
    const [readEnd, writeEnd] = await openPipe();
    // Every timer the writer makes, to see whether the latest one holds the process (this test's
    // own waits go through node:timers/promises, which does not call the global).
    const timers: NodeJS.Timeout[] = [];
    const original = globalThis.setTimeout;
    vi.spyOn(globalThis, "setTimeout").mockImplementation(((callback: () => void, ms?: number) => {
      const timer = original(callback, ms);
      timers.push(timer);
      return timer;
    }) as typeof setTimeout);
    const latestHolds = (): boolean | undefined => timers.at(-1)?.hasRef();
    /** Waits until `condition` holds, sampling every few ms; false after 10 s. */
    const until = async (condition: () => boolean): Promise<boolean> => {
      const started = performance.now();
      while (performance.now() - started < 10_000) {
        if (condition()) return true;
        await sleep(2);
      }
      return false;
    };
    let written = 0;
    const writer = new FdWriter({
      fd: writeEnd,
      holdOnStallMs: 300,
      onWritten: (events) => (written += events),
    });
    for (const line of numberedLines("a", 4000)) writer.write(line);
    // Stalled within the bound: the EAGAIN retry timer keeps the process alive.
    expect(await until(() => latestHolds() === true)).toBe(true);
    const stalledAt = performance.now();
    // Past the bound it is unref()ed: retrying goes on, but nothing holds the process.
    expect(await until(() => latestHolds() === false)).toBe(true);
    expect(performance.now() - stalledAt).toBeGreaterThan(100);
    const retries = timers.length;
    expect(await until(() => timers.length > retries + 2)).toBe(true);
    expect(timers.slice(retries).some((timer) => timer.hasRef())).toBe(false);
    expect(writer.busy).toBe(true);
    const before = written;
    // The reader takes a little: the write makes progress, and the process is held again.
    readSync(readEnd, Buffer.alloc(1 << 16));
    expect(await until(() => written > before && latestHolds() === true)).toBe(true);
    writer.abandon(new Error("done"));
    await writer.idle();
    closeSync(readEnd);
    closeSync(writeEnd);
  });

  it("credits the whole lines a full pipe took when the rest is given up, once", async () => {
    const [readEnd, writeEnd] = await openPipe();
    let reported = 0;
    const writer = new FdWriter({ fd: writeEnd, onWritten: (events) => (reported += events) });
    const lines = numberedLines("b", 4000);
    for (const line of lines) writer.write(line);
    for (let round = 0; round < 1000 && reported === 0; round++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const given = writer.abandon(new Error("given up"));
    expect(reported + given).toBe(4000);
    await writer.idle();
    let received = "";
    const buffer = Buffer.alloc(1 << 16);
    try {
      for (let read = readSync(readEnd, buffer); read > 0; read = readSync(readEnd, buffer)) {
        received += buffer.toString("latin1", 0, read);
      }
    } catch {
      // EAGAIN: the pipe is empty.
    }
    // The pipe holds exactly the credited lines, then the start of the next one.
    const whole = received.slice(0, received.lastIndexOf("\n") + 1);
    expect(whole).toBe(lines.slice(0, reported).join(""));
    expect(reported).toBeGreaterThan(0);
    closeSync(readEnd);
    closeSync(writeEnd);
  });

  it("validates its options", () => {
    expect(() => new FdWriter({ fd: -1 })).toThrow(/"fd"/);
    expect(() => new FdWriter({ fd: 1, chunkBytes: 0 })).toThrow(/"chunkBytes"/);
    for (const value of [-1, 1.5, Number.NaN, Number.NEGATIVE_INFINITY, "100", null]) {
      expect(() => new FdWriter({ fd: 1, holdOnStallMs: value as number })).toThrow(
        /"holdOnStallMs"/,
      );
    }
    for (const value of [0, 100, Number.POSITIVE_INFINITY]) {
      expect(() => new FdWriter({ fd: 1, holdOnStallMs: value })).not.toThrow();
    }
  });
});
