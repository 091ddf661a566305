import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/sliced-templates.mjs", import.meta.url));
// The child imports `@sluice/core` by its own name, which resolves to the build.
const built = existsSync(fileURLToPath(new URL("../dist/index.js", import.meta.url)));

describe("cached templates cut out of large strings (child process, --expose-gc)", () => {
  it.skipIf(!built)(
    "keep their own text, not the strings they were sliced from (needs `pnpm build`)",
    () => {
      const count = 100;
      const child = spawnSync(
        process.execPath,
        ["--expose-gc", fixture, String(count), String(1_000_000)],
        { encoding: "utf8", timeout: 60_000 },
      );
      expect(child.stderr).toBe("");
      expect(child.status).toBe(0);
      const result = JSON.parse(child.stdout) as { count: number; holes: number; retained: number };
      expect(result.count).toBe(count);
      expect(result.holes).toBe(1);
      // Holding the slices kept every 1 MB parent alive: some 100 MB.
      expect(result.retained).toBeLessThan(8 * 1024 * 1024);
    },
    90_000,
  );
});
