import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/exit-writer.mjs", import.meta.url));

describe("createFileSink on process.exit()", () => {
  it("delivers every event through flushSync in the exit hook, and leaves the exit code alone", () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-exit-"));
    try {
      const path = join(directory, "app.log");
      const child = spawnSync(process.execPath, [fixture, path, "20000"], { encoding: "utf8" });
      expect(child.stderr).toBe("");
      expect(child.status).toBe(3);
      const numbers = readFileSync(path, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      expect(numbers).toEqual(Array.from({ length: 20_000 }, (_, index) => index));
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
