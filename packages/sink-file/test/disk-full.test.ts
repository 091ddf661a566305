import { readFileSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { LogEvent } from "@sluice/core";
import { checkConservation, createLogEvent, PartialDeliveryError } from "@sluice/core/sink";
import { createFileSink, type FileSink } from "@sluice/sink-file";
import { describe, expect, it } from "vitest";
import { canMountTmpfs, mountTmpfs, tmpfsSkipReason } from "./fixtures/tmpfs.ts";

describe("createFileSink on a full disk (a real 64 KiB tmpfs)", () => {
  it.skipIf(!canMountTmpfs)(
    `counts what could not be written, then resumes by itself when space is freed (${tmpfsSkipReason})`,
    async () => {
      const { directory, unmount } = mountTmpfs();
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
        unmount();
      }
    },
  );
});

const event = (n: number): LogEvent =>
  createLogEvent({
    level: "info",
    template: "Event {N} {Pad}",
    properties: { N: n, Pad: "x".repeat(120) },
  });

/** The lines of a file that parse as whole JSON events, and the lines that do not. */
function readLines(path: string): { whole: number[]; torn: string[] } {
  const whole: number[] = [];
  const torn: string[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (line === "") continue;
    try {
      whole.push((JSON.parse(line) as { N: number }).N);
    } catch {
      torn.push(line);
    }
  }
  return { whole, torn };
}

/** A 64 KiB tmpfs with 40 KiB taken, so a few hundred events fill it part-way. */
async function onSmallDisk(
  run: (sink: FileSink, path: string, freeSpace: () => void) => Promise<void>,
): Promise<void> {
  const { directory, unmount } = mountTmpfs();
  const filler = join(directory, "filler");
  writeFileSync(filler, Buffer.alloc(40 * 1024));
  const path = join(directory, "app.log");
  const sink = createFileSink({ path, maxRetryDelayMs: 20, onError: () => {} });
  try {
    await run(sink, path, () => unlinkSync(filler));
  } finally {
    await sink.close().catch(() => {});
    unmount();
  }
}

describe("a file sink that fails part-way (a real 64 KiB tmpfs)", () => {
  it.skipIf(!canMountTmpfs)(
    `flushSync counts whole lines written as delivered and never glues a later event on (${tmpfsSkipReason})`,
    async () => {
      await onSmallDisk(async (sink, path, freeSpace) => {
        for (let n = 0; n < 400; n++) sink.write(event(n));
        sink.flushSync();
        const full = sink.stats();
        const onDisk = readLines(path);
        expect(onDisk.whole.length).toBeGreaterThan(0);
        expect(onDisk.whole.length).toBeLessThan(400);
        expect(full).toMatchObject({ accepted: 400, delivered: onDisk.whole.length, pending: 0 });
        expect(full.failed).toBe(400 - onDisk.whole.length);
        expect(full.lastError).toMatchObject({ code: "ENOSPC" });

        freeSpace();
        sink.write(event(1000));
        sink.flushSync();
        const after = readLines(path);
        expect(after.whole.at(-1)).toBe(1000);
        expect(after.whole).toEqual([...onDisk.whole, 1000]);
        expect(after.torn.length).toBeLessThanOrEqual(1);
        expect(sink.stats().delivered).toBe(full.delivered + 1);
        expect(checkConservation(sink.stats())).toBeUndefined();
      });
    },
  );

  it.skipIf(!canMountTmpfs)(
    `writeBatch rejects with a PartialDeliveryError for the whole events written (${tmpfsSkipReason})`,
    async () => {
      await onSmallDisk(async (sink, path) => {
        const batch = Array.from({ length: 400 }, (_, n) => event(n));
        const failure = await sink.writeBatch(batch).catch((error: unknown) => error);
        const onDisk = readLines(path);
        expect(PartialDeliveryError.is(failure)).toBe(true);
        expect(failure).toMatchObject({ delivered: onDisk.whole.length, total: 400 });
        expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
        expect(sink.stats()).toMatchObject({
          delivered: onDisk.whole.length,
          failed: 400 - onDisk.whole.length,
        });
      });
    },
  );
});
