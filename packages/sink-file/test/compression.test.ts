import { spawnSync } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, gzipSync } from "node:zlib";
import type { LogEvent } from "@sluice/core";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { numberedEvent } from "./fixtures/numbered-event.ts";
import { canMountTmpfs, mountTmpfs, tmpfsSkipReason } from "./fixtures/tmpfs.ts";

const gzipKillWriter = fileURLToPath(new URL("./fixtures/gzip-kill-writer.mjs", import.meta.url));

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-compression-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const event = (n: number): LogEvent => numberedEvent(n, 100);

function text(from: number, to: number): string {
  let lines = "";
  for (let n = from; n < to; n++) lines += `{"N":${n}}\n`;
  return lines;
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("compression of rolled files", () => {
  it("applies retention when every gzip fails on a full disk (a real 64 KiB tmpfs)", async (context) => {
    if (!canMountTmpfs) context.skip(tmpfsSkipReason);
    const disk = mountTmpfs();
    const errors: NodeJS.ErrnoException[] = [];
    const path = join(disk.directory, "app.log");
    const filler = join(disk.directory, "filler");
    const sink = createFileSink({
      path,
      onError: (error) => errors.push(error as NodeJS.ErrnoException),
      rolling: { maxSize: 6000, maxFiles: 1, compress: true },
    });
    try {
      let n = 0;
      for (let round = 1; round <= 4; round++) {
        // Fill the active file to just under maxSize while there is room ...
        let line = 0;
        while (!existsSync(path) || statSync(path).size + line + 4 < 6000) {
          const before = sink.stats().bytes;
          sink.write(event(n++));
          await sink.flush();
          line = sink.stats().bytes - before;
        }
        // ... then take every free page, so the next small write still fits in the file's last
        // page and rolls it, but the gzip that follows finds no space at all.
        try {
          for (;;) appendFileSync(filler, Buffer.alloc(4096));
        } catch {
          // ENOSPC: the disk is full.
        }
        const failures = errors.length;
        sink.write(event(n++));
        await sink.flush();
        // The roll's maintenance is over once its gzip failed or its archive is complete.
        const archive = `.${String(round - 1).padStart(6, "0")}.log.gz`;
        await until(
          () =>
            sink.stats().rolls === round &&
            (errors.length > failures ||
              readdirSync(disk.directory).some((name) => name.endsWith(archive))),
        );
        unlinkSync(filler);
      }
      await sink.close();
      // The first gzip found no space; retention runs whatever gzip does, and from then on it
      // frees the space the next gzip needs.
      expect(errors[0]?.code).toBe("ENOSPC");
      const rolled = readdirSync(disk.directory).filter(
        (name) => name !== "app.log" && name !== "filler",
      );
      expect(rolled).toEqual([expect.stringMatching(/^app\..*\.000003\.log(\.gz)?$/)]);
      expect(sink.stats()).toMatchObject({ delivered: n, failed: 0 });
    } finally {
      await sink.close().catch(() => {});
      disk.unmount();
    }
  });

  it("finishes at startup what a kill in the middle of a gzip left", async () => {
    const stamp = "app.2026-11-28T09-15-00Z";
    // An archive truncated by a kill, beside its original (as earlier versions left it) ...
    writeFileSync(join(directory, `${stamp}.000001.log`), text(0, 100));
    writeFileSync(
      join(directory, `${stamp}.000001.log.gz`),
      gzipSync(text(0, 100)).subarray(0, 20),
    );
    // ... a partial archive, as this version leaves it ...
    writeFileSync(join(directory, `${stamp}.000002.log`), text(100, 200));
    writeFileSync(
      join(directory, `${stamp}.000002.log.gz.partial`),
      gzipSync(text(100, 200)).subarray(0, 20),
    );
    // ... and a rolled file whose gzip failed (a full disk).
    writeFileSync(join(directory, `${stamp}.000003.log`), text(200, 300));
    const sink = createFileSink({
      path: join(directory, "app.log"),
      rolling: { maxSize: 1_000_000, compress: true },
    });
    const done = (): boolean =>
      readdirSync(directory).filter((name) => name.endsWith(".log.gz")).length === 3 &&
      readdirSync(directory).every(
        (name) => name === "app.log" || name === "app.log.lock" || name.endsWith(".log.gz"),
      );
    await until(done);
    await sink.close();
    for (const [sequence, from] of [
      [1, 0],
      [2, 100],
      [3, 200],
    ] as const) {
      const archive = readFileSync(join(directory, `${stamp}.00000${sequence}.log.gz`));
      expect(gunzipSync(archive).toString()).toBe(text(from, from + 100));
    }
  });

  it("after a real SIGKILL in the middle of a gzip, a restart completes the archive", async () => {
    const path = join(directory, "app.log");
    const maxSize = 4 * 1024 * 1024;
    const killed = spawnSync(process.execPath, [gzipKillWriter, path, String(maxSize)], {
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(killed.stderr).toBe("");
    expect(killed.signal).toBe("SIGKILL");
    const left = readdirSync(directory);
    const original = left.find((name) => /\.000000\.log$/.test(name));
    expect(original).toBeDefined();
    const content = readFileSync(join(directory, original as string));
    expect(content.length).toBeGreaterThanOrEqual(maxSize);
    expect(left.some((name) => name.startsWith(`${original}.gz`))).toBe(true);

    const sink = createFileSink({ path, rolling: { maxSize, compress: true } });
    await until(() =>
      readdirSync(directory).every((name) =>
        ["app.log", "app.log.lock", `${original}.gz`].includes(name),
      ),
    );
    await sink.close();
    // The killed writer's lock was taken over, and this one's released.
    expect(readdirSync(directory).sort()).toEqual(["app.log", `${original}.gz`].sort());
    expect(gunzipSync(readFileSync(join(directory, `${original}.gz`))).equals(content)).toBe(true);
  });
});
