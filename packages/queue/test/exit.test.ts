import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { checkConservation } from "@sluice/core/sink";
import type { QueueStats } from "@sluice/queue";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/wedged-sink.mjs", import.meta.url));

describe("withQueue when the process runs out of work (child process)", () => {
  for (const batchSize of [100, 4]) {
    it(`exits without spinning around a sink that never settles, counting what it leaves (batchSize ${batchSize})`, () => {
      const started = Date.now();
      const child = spawnSync(process.execPath, [fixture, "10", String(batchSize)], {
        encoding: "utf8",
        timeout: 30_000,
      });
      const wallMs = Date.now() - started;
      // Killed by the timeout (status null) when the drain spins instead of giving up.
      expect(child.status).toBe(0);
      expect(wallMs).toBeLessThan(20_000);
      const report = JSON.parse(child.stdout) as {
        stats: QueueStats;
        flushed: string;
        cpuMs: number;
        wallMs: number;
      };
      // About a second of grace, spent idle: the CPU time is the runtime's start-up, not a loop.
      expect(report.wallMs).toBeGreaterThanOrEqual(900);
      expect(report.cpuMs).toBeLessThan(Math.max(750, report.wallMs / 2));
      expect(report.stats).toMatchObject({
        accepted: 10,
        delivered: 0,
        failed: 0,
        pending: 0,
        depth: 0,
        inFlight: 0,
      });
      expect(report.stats.dropped.shutdown_timeout).toBe(10);
      expect(checkConservation(report.stats)).toBeUndefined();
      expect(report.flushed).toBe("rejected: timeout");
      const lines = child.stderr.split("\n").filter((line) => line.length > 0);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        /^\[sluice\] queue: queue\(wedged\) exit failed: .*"wedged".* 10 events/,
      );
    }, 60_000);
  }

  it("lets a batch that waits on an unref()ed timer finish within the grace period", () => {
    const child = spawnSync(process.execPath, [fixture, "10", "4", "200"], {
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(child.status).toBe(0);
    expect(child.stderr).toBe("");
    const report = JSON.parse(child.stdout) as { stats: QueueStats; flushed: string };
    expect(report.stats).toMatchObject({ accepted: 10, delivered: 10, pending: 0 });
    expect(report.stats.dropped.shutdown_timeout).toBe(0);
    expect(report.flushed).toBe("resolved");
  }, 60_000);
});
