import { execFileSync, spawn, spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { checkConservation } from "@sluice/core/sink";
import { createConsoleSink } from "@sluice/sink-console";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { eventNumbers, readAvailable } from "../../../tests/support/fifo.ts";

const writer = fileURLToPath(new URL("./fixtures/stall-writer.mjs", import.meta.url));
const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0;

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-console-stall-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function report(stderr: string): SinkStats {
  return (JSON.parse(stderr.trim().split("\n").at(-1) ?? "null") as { stats: SinkStats }).stats;
}

describe.skipIf(!hasMkfifo)(
  "createConsoleSink writing to a pipe whose reader stops reading (needs mkfifo)",
  () => {
    it("with holdOnStallMs, lets the process exit and counts every event once", () => {
      const fifo = join(directory, "pipe");
      execFileSync("mkfifo", [fifo]);
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const child = spawnSync(process.execPath, [writer, fifo, "10000", "300"], {
          encoding: "utf8",
          timeout: 30_000,
        });
        expect(child.status).toBe(0);
        const stats = report(child.stderr);
        expect(checkConservation(stats)).toBeUndefined();
        expect(stats).toMatchObject({ accepted: 10000, failed: 0, pending: 0 });
        expect(stats.dropped.process_exit).toBe(10000 - stats.delivered);
        const numbers = eventNumbers(readAvailable(reader));
        expect(numbers.length).toBeGreaterThan(0);
        expect(numbers).toEqual(Array.from({ length: stats.delivered }, (_, index) => index));
      } finally {
        closeSync(reader);
      }
    }, 60_000);

    it("by default waits for the reader however long it pauses, then delivers everything", async () => {
      const fifo = join(directory, "pipe");
      execFileSync("mkfifo", [fifo]);
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const child = spawn(process.execPath, [writer, fifo, "3000", "default"], {
          stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
        });
        let status: number | null | undefined;
        const exited = new Promise<void>((resolve) =>
          child.on("exit", (code) => {
            status = code;
            resolve();
          }),
        );
        // Well past the file sink's bound, the pipe still holds the process.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(status).toBeUndefined();
        let received = "";
        while (status === undefined) {
          received += readAvailable(reader);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await exited;
        received += readAvailable(reader);
        expect(status).toBe(0);
        expect(report(stderr)).toMatchObject({ accepted: 3000, delivered: 3000, pending: 0 });
        expect(eventNumbers(received)).toEqual(Array.from({ length: 3000 }, (_, index) => index));
      } finally {
        closeSync(reader);
      }
    }, 60_000);

    it("refuses a holdOnStallMs that is not a whole number of milliseconds or Infinity", () => {
      for (const value of [-1, 1.5, Number.NaN, "300", null]) {
        expect(() => createConsoleSink({ holdOnStallMs: value as number })).toThrow(
          /"holdOnStallMs"/,
        );
      }
      for (const value of [0, 300, Number.POSITIVE_INFINITY]) {
        expect(() => createConsoleSink({ holdOnStallMs: value })).not.toThrow();
      }
    });
  },
);
