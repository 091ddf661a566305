import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConservation, type SinkStats } from "@sluice/core/sink";
import { describe, expect, test } from "vitest";

const failing = fileURLToPath(new URL("./fixtures/failed-below-queue.mjs", import.meta.url));
const queuedFile = fileURLToPath(new URL("./fixtures/queued-file-exit.mjs", import.meta.url));

interface ResourceEvents {
  readonly accepted: number;
  readonly delivered: number;
  readonly failed: number;
  readonly abandoned: number;
  readonly dropped: Record<string, number>;
}

interface ExitReport {
  readonly totals: Omit<ResourceEvents, "dropped"> & { readonly dropped: number };
  readonly resources: readonly { readonly events: ResourceEvents }[];
}

function expectConserved(events: ResourceEvents): void {
  const dropped = Object.values(events.dropped).reduce((sum, value) => sum + value, 0);
  expect(events.delivered + events.failed + dropped + events.abandoned).toBe(events.accepted);
}

describe("process.exit() with events a queue handed on that its sink then failed", () => {
  test("the exit report counts them failed, not delivered", () => {
    const count = 1000;
    const child = spawnSync(process.execPath, [failing, String(count)], { encoding: "utf8" });
    expect(child.status).toBe(0);
    const { report, queue, disk } = JSON.parse(child.stdout) as {
      report: ExitReport;
      queue: SinkStats;
      disk: SinkStats;
    };
    for (const stats of [queue, disk]) expect(checkConservation(stats)).toBeUndefined();
    // The sink failed the batch the queue's exit drain handed it and said so: both count it
    // failed, and the drain stopped there (the rest is the queue's process_exit).
    expect(disk.failed).toBeGreaterThan(0);
    expect(queue.failed).toBe(disk.failed);
    expect(queue.delivered).toBe(0);
    expect(queue.dropped.process_exit).toBe(count - disk.failed);
    const events = report.resources[0]?.events as ResourceEvents;
    expectConserved(events);
    expect(events).toMatchObject({
      accepted: count,
      delivered: disk.delivered,
      failed: disk.failed,
      abandoned: count - disk.failed,
    });
    expect(report.totals).toMatchObject({ delivered: disk.delivered, failed: disk.failed });
  });

  test.skipIf(process.platform === "win32")(
    "a file sink past the file size limit (ulimit -f, needs a POSIX sh): the report matches the file",
    () => {
      const directory = mkdtempSync(join(tmpdir(), "sluice-efbig-exit-"));
      try {
        const file = join(directory, "app.log");
        const count = 100_000;
        // 2000 blocks of 512 bytes: about 13,000 of the events fit.
        const child = spawnSync(
          "sh",
          [
            "-c",
            'ulimit -f 2000 && exec "$0" "$@"',
            process.execPath,
            queuedFile,
            file,
            `${count}`,
          ],
          { encoding: "utf8" },
        );
        expect(child.status).toBe(0);
        const { report, file: sink } = JSON.parse(child.stdout) as {
          report: ExitReport;
          file: SinkStats;
        };
        const whole = readFileSync(file, "utf8")
          .split("\n")
          .filter((line) => line.endsWith("}")).length;
        expect(sink.failed).toBeGreaterThan(0);
        expect(sink.delivered).toBe(whole);
        const events = report.resources[0]?.events as ResourceEvents;
        expectConserved(events);
        expect(events.accepted).toBe(count);
        expect(events.delivered).toBe(whole);
        expect(events.failed).toBeGreaterThanOrEqual(sink.failed);
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    },
  );
});
