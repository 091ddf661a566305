import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { totalDropped } from "@sluice/core/sink";
import type { QueueStats } from "@sluice/queue";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/stalled-producer.mjs", import.meta.url));
const maxBytes = 16 * 1024 * 1024;
// Ten seconds at full speed fill the queue many times over (some fifteen million events against a
// 16 MiB bound).
const durationMs = 10_000;

describe("withQueue memory bound (child process, 64 MiB heap)", () => {
  it("holds a stalled sink's backlog under maxBytes and counts every event", () => {
    const child = spawnSync(
      process.execPath,
      ["--max-old-space-size=64", "--expose-gc", fixture, String(durationMs), String(maxBytes)],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const { written, peakHeap, stats } = JSON.parse(child.stdout) as {
      written: number;
      peakHeap: number;
      stats: QueueStats;
    };
    expect(written).toBeGreaterThan(100_000);
    expect(stats.accepted).toBe(written);
    expect(stats.depthBytes).toBeLessThanOrEqual(maxBytes);
    expect(stats.accepted).toBe(totalDropped(stats.dropped) + stats.depth + stats.inFlight);
    expect(peakHeap).toBeLessThan(maxBytes + 8 * 1024 * 1024);
  }, 90_000);
});
