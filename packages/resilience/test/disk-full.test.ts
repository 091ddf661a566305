import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { checkConservation } from "@sluice/core/sink";
import type { CircuitBreakerStats, FallbackStats } from "@sluice/resilience";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/disk-full-fallback.mjs", import.meta.url));
const resetTimeoutMs = 50;

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

const probe = mkdtempSync(join(tmpdir(), "sluice-resilience-probe-"));
const canMount = tryMountTmpfs(probe);
if (canMount) execFileSync("umount", [probe]);
rmSync(probe, { recursive: true, force: true });

interface Report {
  readonly healthyEnd: number;
  readonly fullEnd: number;
  readonly recoveredEnd: number;
  readonly total: number;
  readonly stateWhenFull: string;
  readonly freedAt: number;
  readonly transitions: { from: string; to: string; reason: string; at: number }[];
  readonly chain: FallbackStats;
  readonly breaker: CircuitBreakerStats;
  readonly primary: SinkStats;
  readonly spare: SinkStats;
}

function readNumbers(path: string): number[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { N: number }).N);
}

describe("file sink behind breaker and fallback on a real full disk (child process)", () => {
  it.skipIf(!canMount)(
    "sends events to the fallback file while the 64 KiB tmpfs is full and back to it once freed, each event in exactly one file (needs root to mount a tmpfs)",
    () => {
      const disk = mkdtempSync(join(tmpdir(), "sluice-resilience-tmpfs-"));
      const other = mkdtempSync(join(tmpdir(), "sluice-resilience-fallback-"));
      tryMountTmpfs(disk);
      try {
        const primaryPath = join(disk, "app.log");
        const fallbackPath = join(other, "fallback.log");
        const child = spawnSync(
          process.execPath,
          [fixture, primaryPath, fallbackPath, join(disk, "filler"), String(resetTimeoutMs)],
          { encoding: "utf8", timeout: 60_000 },
        );
        expect(child.stderr).toBe("");
        expect(child.status).toBe(0);
        const report = JSON.parse(child.stdout) as Report;

        // Every event in exactly one of the two files, each file in order.
        const inPrimary = readNumbers(primaryPath);
        const inFallback = readNumbers(fallbackPath);
        expect([...inPrimary, ...inFallback].sort((a, b) => a - b)).toEqual(
          Array.from({ length: report.total }, (_, index) => index),
        );
        expect(inPrimary).toEqual([...inPrimary].sort((a, b) => a - b));
        expect(inFallback).toEqual([...inFallback].sort((a, b) => a - b));

        // Healthy events in the primary; the full disk opened the circuit and sent events to the
        // fallback; after the free, the circuit closed and the last events are in the primary.
        expect(inPrimary.slice(0, report.healthyEnd)).toEqual(
          Array.from({ length: report.healthyEnd }, (_, index) => index),
        );
        expect(report.transitions[0]).toMatchObject({ from: "closed", to: "open" });
        expect(report.stateWhenFull).not.toBe("closed");
        expect(inFallback.length).toBeGreaterThan(0);
        expect(inFallback.every((n) => n >= report.healthyEnd && n < report.recoveredEnd)).toBe(
          true,
        );
        expect(inPrimary.slice(-100)).toEqual(
          Array.from({ length: 100 }, (_, index) => report.total - 100 + index),
        );
        const closed = report.transitions.findLast((transition) => transition.to === "closed");
        expect(closed?.reason).toBe("probe-succeeded");
        // The first probe after the free succeeds, within one open period and a write.
        const closedAfter = (closed?.at ?? Number.POSITIVE_INFINITY) - report.freedAt;
        expect(closedAfter).toBeLessThanOrEqual(resetTimeoutMs + 50);
        const failedProbesAfterFree = report.transitions.filter(
          (transition) => transition.reason === "probe-failed" && transition.at > report.freedAt,
        );
        expect(failedProbesAfterFree).toEqual([]);

        // Exact counts on every component.
        expect(report.chain).toMatchObject({ accepted: report.total, delivered: report.total });
        expect(report.chain.routes.map((route) => route.delivered)).toEqual([
          inPrimary.length,
          inFallback.length,
        ]);
        expect(report.breaker.delivered).toBe(inPrimary.length);
        expect(report.breaker.failed + report.breaker.dropped.circuit_open).toBe(inFallback.length);
        expect(report.breaker.dropped.circuit_open).toBeGreaterThan(0);
        expect(report.primary.delivered).toBe(inPrimary.length);
        expect(report.primary.failed).toBe(report.breaker.failed);
        expect(report.spare.delivered).toBe(inFallback.length);
        for (const stats of [report.chain, report.breaker, report.primary, report.spare]) {
          expect(checkConservation(stats)).toBeUndefined();
        }
      } finally {
        execFileSync("umount", [disk]);
        rmSync(disk, { recursive: true, force: true });
        rmSync(other, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
