import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/shared-exit-writer.mjs", import.meta.url));
const truncating = fileURLToPath(new URL("./fixtures/truncated-exit-writer.mjs", import.meta.url));

describe("createFileSink on process.exit() while another process appends to the same file", () => {
  // flushSync sees an outstanding write complete when the file has grown by its length; another
  // process's lines make it grow although the write still waits in the threadpool's queue. The
  // exit hook then writes the later events first, and the first chunk lands after them (or,
  // should the process be killed before the threadpool runs it, never, while counted delivered).
  it("keeps this process's lines in order and whole", () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-shared-exit-"));
    try {
      const path = join(directory, "app.log");
      const count = 50_000;
      const child = spawnSync(process.execPath, [fixture, path, String(count)], {
        encoding: "utf8",
        env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
      });
      expect(child.stderr).toBe("");
      expect(child.status).toBe(3);
      const stats = JSON.parse(child.stdout) as SinkStats & { conservation: string };
      expect(stats.conservation).toBe("ok");
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      expect(lines.filter((line) => line === "other")).toHaveLength(300_000);
      const numbers = lines
        .filter((line) => line !== "other")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      // Whatever the sink counts delivered is in the file, in the order it was logged.
      expect(numbers.slice(0, stats.delivered)).toEqual(
        Array.from({ length: stats.delivered }, (_, index) => index),
      );
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});

describe("createFileSink on process.exit() after the file was truncated under a write (copytruncate)", () => {
  it("finds the write at the file's new start and writes every later line after it", () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-truncated-exit-"));
    try {
      const path = join(directory, "app.log");
      const first = 1000;
      const count = 50_000;
      const child = spawnSync(process.execPath, [truncating, path, String(first), String(count)], {
        encoding: "utf8",
        env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
      });
      expect(child.stderr).toBe("");
      expect(child.status).toBe(3);
      const stats = JSON.parse(child.stdout) as SinkStats & { conservation: string };
      expect(stats.conservation).toBe("ok");
      // The truncation took the first lines (copied, for logrotate) before the next write landed:
      // every later line is in the file, in order.
      expect(stats.delivered).toBe(first + count);
      const numbers = readFileSync(path, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      expect(numbers).toEqual(Array.from({ length: count }, (_, index) => first + index));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
