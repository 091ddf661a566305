import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkConservation, createLogEvent } from "@sluice/core";
import { createFileSink } from "@sluice/sink-file";
import { describe, expect, it } from "vitest";

function tryMountTmpfs(directory: string): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", directory], {
      stdio: "ignore",
    });
    return true;
  } catch {
    return false;
  }
}

const probe = mkdtempSync(join(tmpdir(), "sluice-tmpfs-probe-"));
const canMount = tryMountTmpfs(probe);
if (canMount) execFileSync("umount", [probe]);
rmSync(probe, { recursive: true, force: true });

describe("createFileSink on a full disk (a real 64 KiB tmpfs)", () => {
  it.skipIf(!canMount)(
    "counts what could not be written, then resumes by itself when space is freed (needs root to mount a tmpfs)",
    async () => {
      const directory = mkdtempSync(join(tmpdir(), "sluice-tmpfs-"));
      tryMountTmpfs(directory);
      const filler = join(directory, "filler");
      // Leave a few KiB free so the log fills the disk part-way through the run.
      writeFileSync(filler, Buffer.alloc(56 * 1024));
      const path = join(directory, "app.log");
      const sink = createFileSink({ path, maxRetryDelayMs: 50, onError: () => {} });
      try {
        const write = (from: number, to: number): void => {
          for (let n = from; n < to; n++) {
            sink.write(
              createLogEvent({
                level: "info",
                template: "Event {N} {Pad}",
                properties: { N: n, Pad: "x".repeat(60) },
              }),
            );
          }
        };
        for (let round = 0; round < 20; round++) {
          write(round * 20, round * 20 + 20);
          await sink.flush().catch(() => {});
        }
        const full = sink.stats();
        expect(full.failed).toBeGreaterThan(0);
        expect(full.lastError).toMatchObject({ code: "ENOSPC" });

        unlinkSync(filler);
        await new Promise((resolve) => setTimeout(resolve, 200));
        write(1000, 1010);
        await sink.flush();
        const stats = sink.stats();
        expect(stats.delivered).toBe(full.delivered + 10);
        expect(checkConservation(stats)).toBeUndefined();
        expect(stats.accepted).toBe(410);
        expect(stats.accepted).toBe(stats.delivered + stats.failed + stats.dropped.buffer_full);

        // Every delivered event is a whole JSON line; a line torn by ENOSPC part-way through a
        // write is ended by a newline, so it never corrupts the line after it.
        const parsed = readFileSync(path, "utf8")
          .split("\n")
          .flatMap((line) => {
            try {
              return [JSON.parse(line) as { N: number }];
            } catch {
              return [];
            }
          });
        expect(parsed).toHaveLength(stats.delivered);
        expect(parsed.slice(-10).map((line) => line.N)).toEqual(
          Array.from({ length: 10 }, (_, index) => 1000 + index),
        );
      } finally {
        await sink.close().catch(() => {});
        execFileSync("umount", [directory]);
        rmSync(directory, { recursive: true, force: true });
      }
    },
  );
});
