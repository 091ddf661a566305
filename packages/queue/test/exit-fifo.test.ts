import { spawnSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { checkConservation } from "@sluice/core/sink";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/fifo-exit.mjs", import.meta.url));
const hasMkfifo = spawnSync("mkfifo", ["--version"]).status === 0;

describe("withQueue over a file sink on a FIFO whose reader stopped reading, at process.exit()", () => {
  // The file sink's flushSync gives a pipe that stays full about a second; a queue that called it
  // once per batch of what it holds took about a second per batch (about 12 s for 15,000 events).
  it.skipIf(!hasMkfifo)(
    "ends the exit drain within a bound that does not grow with the events queued",
    () => {
      const directory = mkdtempSync(join(tmpdir(), "sluice-fifo-exit-"));
      const fifo = join(directory, "app.fifo");
      expect(spawnSync("mkfifo", [fifo]).status).toBe(0);
      // The reader that never reads: it keeps the pipe open, so writes meet EAGAIN, not EPIPE.
      const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
      try {
        const child = spawnSync(process.execPath, [fixture, fifo, "15000"], {
          encoding: "utf8",
          timeout: 120_000,
        });
        expect(child.status).toBe(5);
        const { drainMs, queue, file } = JSON.parse(child.stdout) as {
          drainMs: number;
          queue: SinkStats;
          file: SinkStats;
        };
        expect(checkConservation(queue)).toBeUndefined();
        expect(checkConservation(file)).toBeUndefined();
        // About a second is documented; five leave room for a loaded machine.
        expect(drainMs).toBeLessThan(5_000);
      } finally {
        closeSync(reader);
        rmSync(directory, { recursive: true, force: true });
      }
    },
    150_000,
  );
});
