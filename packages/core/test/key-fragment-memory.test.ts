import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/retained-key-fragments.mjs", import.meta.url));
// The child imports `@sluice/core` by its own name, which resolves to the build.
const built = existsSync(fileURLToPath(new URL("../dist/index.js", import.meta.url)));

describe("the JSON formatters' key fragments (child process, --expose-gc)", () => {
  for (const format of ["clef", "pino"]) {
    it.skipIf(!built)(
      `${format}: long distinct property names keep a bounded cache (needs \`pnpm build\`)`,
      () => {
        const count = 2000;
        const length = 16_000;
        const child = spawnSync(
          process.execPath,
          ["--expose-gc", fixture, format, String(count), String(length)],
          { encoding: "utf8", timeout: 60_000 },
        );
        expect(child.stderr).toBe("");
        expect(child.status).toBe(0);
        const result = JSON.parse(child.stdout) as { written: number; retained: number };
        expect(result.written).toBe(count);
        // Cached by name alone, each name kept its text twice more (the fragment and the one
        // with an opening quote): some 64 MB here. The cache now stops at a budget of 2^20
        // characters a cache.
        expect(result.retained).toBeLessThan(12 * 1024 * 1024);
      },
      90_000,
    );
  }
});
