import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConservation, type SinkStats } from "@sluice/core/sink";
import { describe, expect, test } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/queued-file-exit.mjs", import.meta.url));

describe("process.exit() while a queue's batches are in flight to a file sink", () => {
  test("batches the file sink wrote in the exit hook count as delivered, not as process_exit", () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-queued-exit-"));
    try {
      const file = join(directory, "app.log");
      const count = 100_000;
      const child = spawnSync(process.execPath, [fixture, file, String(count)], {
        encoding: "utf8",
      });
      expect(child.status).toBe(0);
      expect(child.stderr).toBe("");
      const { queue, file: sink } = JSON.parse(child.stdout) as {
        queue: SinkStats;
        file: SinkStats;
      };
      const numbers = readFileSync(file, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      expect(numbers).toEqual(Array.from({ length: count }, (_, index) => index));
      for (const stats of [queue, sink]) {
        expect(checkConservation(stats)).toBeUndefined();
        expect(stats).toMatchObject({ accepted: count, delivered: count, failed: 0, pending: 0 });
        expect(stats.dropped.process_exit).toBe(0);
      }
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
