import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { LogEvent, SinkStats } from "@sluice/core";
import { checkConservation, createLogEvent } from "@sluice/core/sink";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventNumbers, readAvailable } from "../../../tests/support/fifo.ts";

const writer = fileURLToPath(new URL("./fixtures/stall-writer.mjs", import.meta.url));
const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0;

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-file-stall-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function event(n: number): LogEvent {
  return createLogEvent({
    level: "info",
    template: "Event {N} {Pad}",
    properties: { N: n, Pad: "p".repeat(200) },
  });
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = performance.now();
  while (!condition() && performance.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * A file sink on a FIFO whose reader (the returned descriptor) holds it open without reading,
 * given 4000 events: the writes fill the pipe, the last part-way through a line, and wait for it.
 * Returned once the pipe has taken nothing for 300 ms: a write still landing in the pipe then would
 * be one whose outcome a synchronous flush cannot hear: its completion runs on the event loop,
 * which `flushSync` holds, so it would be counted dropped though the pipe took it.
 */
async function stalledSink(): Promise<{ reader: number; sink: ReturnType<typeof createFileSink> }> {
  const fifo = join(directory, "pipe");
  execFileSync("mkfifo", [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const sink = createFileSink({ path: fifo, onError: () => {} });
  for (let n = 0; n < 4000; n++) sink.write(event(n));
  let delivered = -1;
  let changedAt = performance.now();
  await until(() => {
    const now = sink.stats().delivered;
    if (now !== delivered) {
      delivered = now;
      changedAt = performance.now();
    }
    return delivered > 0 && performance.now() - changedAt >= 300;
  });
  return { reader, sink };
}

describe.skipIf(!hasMkfifo)(
  "createFileSink on a FIFO whose reader stops reading (needs mkfifo)",
  () => {
    it("lets the process exit once the pipe took nothing for holdOnStallMs, and counts every event once", () => {
      const fifo = join(directory, "pipe");
      execFileSync("mkfifo", [fifo]);
      // This process holds the FIFO open (so the child's open succeeds) and reads nothing until
      // the child is gone.
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const child = spawnSync(process.execPath, [writer, fifo, "20000", "300"], {
          encoding: "utf8",
          timeout: 30_000,
        });
        // Killed by the timeout (null) when the stalled write holds the process for ever.
        expect(child.status).toBe(0);
        const report = JSON.parse(child.stderr.trim().split("\n").at(-1) ?? "null") as {
          beforeExit: boolean;
          stats: SinkStats;
        };
        expect(report.beforeExit).toBe(true);
        const { stats } = report;
        expect(checkConservation(stats)).toBeUndefined();
        expect(stats.accepted).toBe(20000);
        expect(stats.pending).toBe(0);
        expect(stats.failed).toBe(0);
        expect(stats.dropped.process_exit).toBe(20000 - stats.delivered);
        // What the pipe holds is exactly what was counted delivered: nothing more, nothing twice.
        const numbers = eventNumbers(readAvailable(reader));
        expect(numbers.length).toBeGreaterThan(0);
        expect(numbers).toEqual(Array.from({ length: stats.delivered }, (_, index) => index));
      } finally {
        closeSync(reader);
      }
    }, 60_000);

    it("holds the process while a slow reader keeps reading, and the reader gets every line", async () => {
      const fifo = join(directory, "pipe");
      const output = join(directory, "read");
      execFileSync("mkfifo", [fifo]);
      // Reads 16 KiB every 20 ms: always progress within the 300 ms bound, but the whole takes
      // many times the bound, so a bound that counted from the first full pipe would let go.
      const reader = spawn(
        "bash",
        [
          "-c",
          `exec 3<> "${fifo}"; echo open; while dd bs=16384 count=1 <&3 >> "${output}" 2>/dev/null; do sleep 0.02; done`,
        ],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      await new Promise<void>((resolve) => reader.stdout.once("data", () => resolve()));
      try {
        const count = 8000;
        const child = spawnSync(process.execPath, [writer, fifo, String(count), "300"], {
          encoding: "utf8",
          timeout: 60_000,
        });
        expect(child.status).toBe(0);
        const { stats } = JSON.parse(child.stderr.trim().split("\n").at(-1) ?? "null") as {
          stats: SinkStats;
        };
        expect(stats).toMatchObject({ accepted: count, delivered: count, failed: 0, pending: 0 });
        const read = (): string => readFileSync(output, "utf8");
        await until(() => read().split("\n").length > count);
        expect(eventNumbers(read())).toEqual(Array.from({ length: count }, (_, index) => index));
      } finally {
        reader.kill();
      }
    }, 90_000);

    it("abandon counts the whole lines already in the pipe as delivered, once", async () => {
      const { reader, sink } = await stalledSink();
      try {
        sink.abandon("shutdown_timeout");
        sink.abandon("shutdown_timeout");
        const stats = sink.stats();
        expect(checkConservation(stats)).toBeUndefined();
        expect(stats.pending).toBe(0);
        expect(stats.delivered).toBeGreaterThan(0);
        expect(stats.dropped.shutdown_timeout).toBe(4000 - stats.delivered);
        const numbers = eventNumbers(readAvailable(reader));
        expect(numbers).toEqual(Array.from({ length: stats.delivered }, (_, index) => index));
        await sink.close().catch(() => {});
        expect(sink.stats()).toMatchObject({ delivered: stats.delivered, failed: 0 });
      } finally {
        closeSync(reader);
      }
    });

    // A stalled reader is not a failed write, whichever path drains at exit: what the pipe did
    // not take stays pending after flushSync, with or without a timeout, and the abandon that
    // follows counts it under the exit's reason.
    it.each([
      { flush: "flushSync()", timeoutMs: undefined },
      { flush: "flushSync(300)", timeoutMs: 300 },
    ])(
      "$flush leaves what a stalled pipe did not take pending, for abandon to count",
      async ({ timeoutMs }) => {
        const { reader, sink } = await stalledSink();
        try {
          sink.flushSync(timeoutMs);
          const flushed = sink.stats();
          expect(flushed.failed).toBe(0);
          expect(flushed.pending).toBeGreaterThan(0);
          expect(checkConservation(flushed)).toBeUndefined();
          sink.abandon("process_exit");
          const stats = sink.stats();
          expect(checkConservation(stats)).toBeUndefined();
          expect(stats.failed).toBe(0);
          expect(stats.pending).toBe(0);
          expect(stats.dropped.process_exit).toBe(4000 - stats.delivered);
          const numbers = eventNumbers(readAvailable(reader));
          expect(numbers).toEqual(Array.from({ length: stats.delivered }, (_, index) => index));
        } finally {
          closeSync(reader);
        }
      },
    );

    it("refuses a holdOnStallMs that is not a whole number of milliseconds or Infinity", () => {
      for (const value of [-1, 1.5, Number.NaN, "5000", null]) {
        expect(() =>
          createFileSink({ path: join(directory, "x.log"), holdOnStallMs: value as number }),
        ).toThrow(/holdOnStallMs/);
      }
      for (const value of [0, 1, Number.POSITIVE_INFINITY]) {
        const sink = createFileSink({
          path: join(directory, `${value}.log`),
          holdOnStallMs: value,
        });
        void sink.close();
      }
    });
  },
);
