import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/short-write.mjs", import.meta.url));

describe("FdWriter.flushSync after an asynchronous write the OS cut short", () => {
  it("credits exactly the whole lines that reached the file and counts the rest as failed", () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-short-write-"));
    try {
      const path = join(directory, "limited.log");
      const blocks = 100;
      const count = 1000;
      // `ulimit -f` counts 512-byte blocks; past it a write is cut short, the next one fails
      // (EFBIG: Node ignores SIGXFSZ).
      const child = spawnSync(
        "sh",
        [
          "-c",
          `ulimit -f ${blocks} && exec "$0" "$@"`,
          process.execPath,
          fixture,
          path,
          `${count}`,
          "50",
        ],
        { encoding: "utf8" },
      );
      expect(child.stderr).toBe("");
      const result = JSON.parse(child.stdout) as {
        writtenEvents: number;
        writtenBytes: number;
        failedEvents: number;
        errors: string[];
        pendingEvents: number;
      };
      const limit = blocks * 512;
      const whole = Math.floor(limit / 99);
      const text = readFileSync(path, "latin1");
      expect(text.length).toBe(limit);
      expect(text.slice(0, whole * 99)).toBe(
        Array.from({ length: whole }, (_, n) => `${String(n).padStart(98, "-")}\n`).join(""),
      );
      expect(result).toEqual({
        writtenEvents: whole,
        writtenBytes: whole * 99,
        failedEvents: count - whole,
        errors: ["EFBIG"],
        pendingEvents: 0,
      });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });
});
