import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/exit-writer.mjs", import.meta.url));

/** Runs the writer, returning the numbers of the lines in the file and the sink's stats at exit. */
function runWriter(count: number, mode?: "outstanding"): { numbers: number[]; stats: SinkStats } {
  const directory = mkdtempSync(join(tmpdir(), "sluice-exit-"));
  try {
    const path = join(directory, "app.log");
    const args = [fixture, path, String(count), ...(mode === undefined ? [] : [mode])];
    const child = spawnSync(process.execPath, args, { encoding: "utf8" });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(3);
    const stats = JSON.parse(child.stdout) as SinkStats & { conservation: string };
    expect(stats.conservation).toBe("ok");
    const numbers = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { N: number }).N);
    return { numbers, stats };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe("createFileSink on process.exit()", () => {
  it("delivers every event through flushSync in the exit hook, and leaves the exit code alone", () => {
    const { numbers, stats } = runWriter(20_000);
    expect(numbers).toEqual(Array.from({ length: 20_000 }, (_, index) => index));
    expect(stats.delivered).toBe(20_000);
  });

  it("waits out an asynchronous write still outstanding at exit, then writes the rest after it", () => {
    // About 4 MB: the first 1 MiB chunk is being written by the threadpool when the process
    // exits, and its callback never runs.
    const count = 50_000;
    const { numbers, stats } = runWriter(count, "outstanding");
    expect(numbers).toEqual(Array.from({ length: count }, (_, index) => index));
    expect(stats.accepted).toBe(count);
    expect(stats.delivered).toBe(count);
    expect(stats.pending).toBe(0);
    expect(stats.failed).toBe(0);
    expect(Object.values(stats.dropped).every((dropped) => dropped === 0)).toBe(true);
  });
});
