import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { checkConservation } from "@sluice/core/sink";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/durable-retry-exit.mjs", import.meta.url));

describe("withRetry over a file sink with durability flush on process.exit()", () => {
  it("writes every batch waiting behind the one in the file sink, in order, in the exit drain", () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-durable-retry-exit-"));
    try {
      const path = join(directory, "app.log");
      const batches = 400;
      const child = spawnSync(process.execPath, [fixture, path, String(batches)], {
        encoding: "utf8",
      });
      expect(child.stderr).toBe("");
      expect(child.status).toBe(7);
      const { retry, file } = JSON.parse(child.stdout) as { retry: SinkStats; file: SinkStats };
      expect(checkConservation(retry)).toBeUndefined();
      expect(checkConservation(file)).toBeUndefined();
      const numbers = readFileSync(path, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      expect(numbers).toEqual(Array.from({ length: batches * 100 }, (_, index) => index));
      expect(retry).toMatchObject({
        accepted: batches * 100,
        delivered: batches * 100,
        pending: 0,
      });
      expect(file).toMatchObject({ accepted: batches * 100, delivered: batches * 100, pending: 0 });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
