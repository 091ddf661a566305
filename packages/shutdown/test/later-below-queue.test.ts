import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { checkConservation, type SinkStats } from "@sluice/core/sink";
import { describe, expect, test } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/later-below-queue.mjs", import.meta.url));

interface ExitReport {
  readonly totals: {
    readonly accepted: number;
    readonly delivered: number;
    readonly abandoned: number;
  };
}

describe("process.exit() with a queue over a sink that settles only on a later turn", () => {
  test("what the exit drain handed over and the sink never settled counts as lost in both", () => {
    const count = 1000;
    const batchSize = 100;
    const child = spawnSync(process.execPath, [fixture, String(count), String(batchSize)], {
      encoding: "utf8",
    });
    expect(child.status).toBe(0);
    const { report, queue, later } = JSON.parse(child.stdout) as {
      report: ExitReport;
      queue: SinkStats;
      later: SinkStats;
    };
    for (const stats of [queue, later]) expect(checkConservation(stats)).toBeUndefined();
    // The exit drain handed the sink one batch, which it could not settle before the end: the
    // sink gave it up, and so did the queue, with everything still queued behind it.
    expect(later).toMatchObject({ accepted: batchSize, delivered: 0, pending: 0 });
    expect(later.dropped.process_exit).toBe(batchSize);
    expect(queue).toMatchObject({ accepted: count, delivered: 0, pending: 0 });
    expect(queue.dropped.process_exit).toBe(count);
    expect(report.totals).toMatchObject({ accepted: count, delivered: 0, abandoned: count });
    expect(child.stderr).toContain(
      `the process exited with ${count} log events still held by logger`,
    );
  });
});
