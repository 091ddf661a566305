import { spawnSync } from "node:child_process";
import { closeSync, constants, existsSync, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConservation, type SinkStats } from "@sluice/core/sink";
import { describe, expect, test } from "vitest";
import { eventNumbers, readAvailable } from "../../../tests/support/fifo.ts";

const fixture = fileURLToPath(new URL("./fixtures/stalled-fifo-exit.mjs", import.meta.url));
const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0;

const cases = [
  { how: "natural", status: 0, reason: "shutdown_timeout" },
  { how: "sigterm", status: 143, reason: "shutdown_timeout" },
  { how: "exit", status: 0, reason: "process_exit" },
] as const;

describe.skipIf(!hasMkfifo)(
  "a queue over a file sink on a FIFO whose reader stopped reading, with the shutdown hooks (needs mkfifo)",
  () => {
    test.each(cases)(
      "$how: the queue and the file sink count the same lines delivered as the reader got, and the rest as $reason",
      ({ how, status, reason }) => {
        const directory = mkdtempSync(join(tmpdir(), "sluice-stalled-exit-"));
        try {
          const fifo = join(directory, "pipe");
          expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
          // Holds the pipe open (writes meet EAGAIN, not EPIPE) and reads only once the child ended.
          const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
          let text: string;
          let child: ReturnType<typeof spawnSync>;
          const count = 5000;
          try {
            child = spawnSync(process.execPath, [fixture, fifo, String(count), how], {
              encoding: "utf8",
              timeout: 60_000,
            });
            text = readAvailable(reader);
          } finally {
            closeSync(reader);
          }
          expect(child.status).toBe(status);
          const { queue, file } = JSON.parse(String(child.stdout)) as {
            queue: SinkStats;
            file: SinkStats;
          };
          const numbers = eventNumbers(text);
          expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, index) => index));
          const got = numbers.length;
          // The pipe took some lines and then stalled with most of them still held.
          expect(got).toBeGreaterThan(0);
          expect(got).toBeLessThan(count);
          for (const stats of [queue, file]) {
            expect(checkConservation(stats)).toBeUndefined();
            expect(stats.delivered).toBe(got);
            // A reader that stopped is not a failed write: what it did not take is given up.
            expect(stats.failed).toBe(0);
            expect(stats.pending).toBe(0);
          }
          expect(queue.accepted).toBe(count);
          expect(queue.dropped[reason]).toBe(count - got);
          expect(file.dropped[reason]).toBe(file.accepted - got);
          // The exit hooks' line names the stall, not a missing flushSync.
          if (how === "exit") {
            expect(child.stderr).toMatch(/still held by logger, which could not write them/);
            expect(child.stderr).toMatch(/took no data for \d+ ms \(EAGAIN/);
            expect(child.stderr).not.toMatch(/no flushSync/);
          }
        } finally {
          rmSync(directory, { recursive: true, force: true });
        }
      },
      90_000,
    );
  },
);

describe.skipIf(!existsSync("/dev/full"))(
  "process.exit() with a queue over a file sink on a full disk (needs /dev/full)",
  () => {
    test("the exit hooks' line names the write error, not a missing flushSync", () => {
      const child = spawnSync(
        process.execPath,
        [fixture, "/dev/full", "50000", "exit-after-failure"],
        {
          encoding: "utf8",
          timeout: 60_000,
        },
      );
      expect(child.status).toBe(0);
      const { queue } = JSON.parse(child.stdout) as { queue: SinkStats };
      expect(checkConservation(queue)).toBeUndefined();
      expect(queue.delivered).toBe(0);
      expect(queue.failed).toBeGreaterThan(0);
      expect(queue.dropped.process_exit).toBeGreaterThan(0);
      expect(child.stderr).toMatch(
        /still held by logger, which could not write them \(logger: ENOSPC/,
      );
      expect(child.stderr).not.toMatch(/no flushSync/);
    });
  },
);
