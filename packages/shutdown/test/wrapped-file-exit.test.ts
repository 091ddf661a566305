import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { checkConservation, type SinkStats } from "@sluice/core/sink";
import { describe, expect, test } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/wrapped-file-exit.mjs", import.meta.url));

describe("process.exit() while a queue's batches are in flight through a resilience wrapper to a file sink", () => {
  for (const wrapper of ["retry", "breaker", "fallback"]) {
    test(`${wrapper}: batches the file sink wrote in the exit hook count as delivered everywhere`, () => {
      const directory = mkdtempSync(join(tmpdir(), "sluice-wrapped-exit-"));
      try {
        const file = join(directory, "app.log");
        const count = 100_000;
        const child = spawnSync(process.execPath, [fixture, file, String(count), wrapper], {
          encoding: "utf8",
        });
        expect(child.stderr).toBe("");
        expect(child.status).toBe(0);
        const components = JSON.parse(child.stdout) as Record<string, SinkStats>;
        const numbers = readFileSync(file, "utf8")
          .trimEnd()
          .split("\n")
          .map((line) => (JSON.parse(line) as { N: number }).N);
        expect(numbers).toEqual(Array.from({ length: count }, (_, index) => index));
        expect(
          existsSync(`${file}.spare`) && readFileSync(`${file}.spare`, "utf8"),
        ).not.toBeTruthy();
        for (const [name, stats] of Object.entries(components)) {
          expect(checkConservation(stats), name).toBeUndefined();
          expect(stats, name).toMatchObject({
            accepted: count,
            delivered: count,
            failed: 0,
            pending: 0,
          });
          expect(stats.dropped.process_exit, name).toBe(0);
        }
      } finally {
        rmSync(directory, { recursive: true, force: true });
      }
    });
  }
});
