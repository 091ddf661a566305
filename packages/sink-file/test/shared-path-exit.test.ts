import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/shared-exit-writer.mjs", import.meta.url));
const truncating = fileURLToPath(new URL("./fixtures/truncated-exit-writer.mjs", import.meta.url));

/**
 * Runs a fixture that logs to a file in a new directory and calls process.exit(3) while the
 * sink's write waits for the threadpool's only thread; returns the stats its exit hook printed
 * after flushSync, and the file's lines.
 */
function exitRun(script: string, args: readonly number[]) {
  const directory = mkdtempSync(join(tmpdir(), "sluice-exit-write-"));
  try {
    const path = join(directory, "app.log");
    const child = spawnSync(process.execPath, [script, path, ...args.map(String)], {
      encoding: "utf8",
      env: { ...process.env, UV_THREADPOOL_SIZE: "1" },
    });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(3);
    const stats = JSON.parse(child.stdout) as SinkStats & { conservation: string };
    expect(stats.conservation).toBe("ok");
    return { stats, lines: readFileSync(path, "utf8").trimEnd().split("\n") };
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

describe("createFileSink on process.exit() while another process appends to the same file", () => {
  // Another process's lines make the file grow while this one's write still waits in the
  // threadpool's queue: taking that growth for the write, the exit hook wrote the later events
  // first, and the first chunk landed after them (or, had the process been killed before the
  // threadpool ran it, never, while counted delivered).
  it("keeps this process's lines in order and whole", () => {
    const { stats, lines } = exitRun(fixture, [50_000]);
    expect(lines.filter((line) => line === "other")).toHaveLength(300_000);
    const numbers = lines
      .filter((line) => line !== "other")
      .map((line) => (JSON.parse(line) as { N: number }).N);
    // Whatever the sink counts delivered is in the file, in the order it was logged.
    expect(numbers.slice(0, stats.delivered)).toEqual(
      Array.from({ length: stats.delivered }, (_, index) => index),
    );
  });
});

describe("createFileSink on process.exit() after the file was truncated under a write (copytruncate)", () => {
  it("finds the write at the file's new start and writes every later line after it", () => {
    const first = 1000;
    const count = 50_000;
    const { stats, lines } = exitRun(truncating, [first, count]);
    // The truncation took the first lines (copied, for logrotate) before the next write landed:
    // every later line is in the file, in order.
    expect(stats.delivered).toBe(first + count);
    const numbers = lines.map((line) => (JSON.parse(line) as { N: number }).N);
    expect(numbers).toEqual(Array.from({ length: count }, (_, index) => first + index));
  });
});
