import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { checkConservation, type SinkStats } from "@sluice/core/sink";
import { describe, expect, test } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/lost-below-queue.mjs", import.meta.url));

interface ExitReport {
  readonly totals: { readonly accepted: number; readonly abandoned: number };
  readonly resources: readonly { readonly events: Record<string, unknown> }[];
}

describe("process.exit() with events lost below a queue that dropped part of a burst", () => {
  test("the exit report and its stderr line count the events the wrapped sink gave up", () => {
    const count = 500;
    const maxEvents = 100;
    const child = spawnSync(process.execPath, [fixture, String(count), String(maxEvents)], {
      encoding: "utf8",
    });
    expect(child.status).toBe(0);
    const { report, queue, remote } = JSON.parse(child.stdout) as {
      report: ExitReport;
      queue: SinkStats;
      remote: SinkStats;
    };
    for (const stats of [queue, remote]) expect(checkConservation(stats)).toBeUndefined();
    // The queue kept what fit, dropped the rest, and at exit handed what it held to the sink's
    // write (counted delivered there); the sink, whose peer never answered, gave it all up.
    expect(queue.dropped.queue_full).toBeGreaterThan(0);
    expect(queue.accepted).toBeGreaterThan(remote.accepted);
    const lost = remote.dropped.process_exit;
    expect(lost).toBe(remote.accepted);
    expect(lost).toBeGreaterThan(0);
    expect(report.totals.abandoned).toBe(lost);
    const events = report.resources[0]?.events as {
      accepted: number;
      delivered: number;
      failed: number;
      abandoned: number;
      dropped: Record<string, number>;
    };
    const dropped = Object.values(events.dropped).reduce((sum, value) => sum + value, 0);
    expect(events.accepted).toBe(count);
    expect(events.delivered + events.failed + dropped + events.abandoned).toBe(events.accepted);
    expect(events.delivered).toBe(0);
    expect(child.stderr).toContain(
      `the process exited with ${lost} log events still held by logger`,
    );
  });
});
