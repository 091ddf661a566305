import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/exit-during-shutdown.mjs", import.meta.url));

function run(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [fixture, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => child.on("exit", (code) => resolve({ code, stderr })));
}

describe("process.exit() from a cleanup step while shutdown runs", () => {
  test("what cannot be drained is still said once on stderr, with its count", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-shutdown-"));
    try {
      const { code, stderr } = await run([join(directory, "unused.log"), "1000", "hung"]);
      expect(code).toBe(0);
      const lines = stderr.split("\n").filter((line) => line.startsWith("sluice:"));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/exited with 1000 log events still held by logger/);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  test("events queued for a file are drained to it", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-shutdown-"));
    try {
      const file = join(directory, "app.log");
      const { code } = await run([file, "100000"]);
      expect(code).toBe(0);
      const lines = readFileSync(file, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(100_000);
      expect(lines[99_999]).toContain('"N":99999');
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
