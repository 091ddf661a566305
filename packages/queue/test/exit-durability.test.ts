import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { checkConservation } from "@sluice/core/sink";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/durable-exit.mjs", import.meta.url));

describe("withQueue over a file sink with durability flush on process.exit()", () => {
  it("counts as delivered the batches that were written and wait for their fsync at exit", () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-durable-exit-"));
    try {
      const path = join(directory, "app.log");
      const exitAt = 40_000;
      const child = spawnSync(process.execPath, [fixture, path, String(exitAt)], {
        encoding: "utf8",
      });
      expect(child.stderr).toBe("");
      expect(child.status).toBe(7);
      const { queue, file } = JSON.parse(child.stdout) as { queue: SinkStats; file: SinkStats };
      expect(checkConservation(queue)).toBeUndefined();
      expect(checkConservation(file)).toBeUndefined();
      const numbers = readFileSync(path, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      expect(numbers).toEqual(Array.from({ length: exitAt }, (_, index) => index));
      expect(file.delivered).toBe(exitAt);
      // Every line on disk (and fsynced by the exit hook) is delivered for the queue too, not
      // counted lost as process_exit.
      expect(queue.delivered).toBe(exitAt);
      expect(queue.dropped.process_exit).toBe(0);
      expect(queue.pending).toBe(0);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
