import { describe, expect, it } from "vitest";
import { coreBuilt, runMemoryFixture } from "./support/memory-fixture.ts";

describe("the JSON formatters' key fragments (child process, --expose-gc)", () => {
  for (const format of ["clef", "pino"]) {
    it.skipIf(!coreBuilt)(
      `${format}: long distinct property names keep a bounded cache (needs \`pnpm build\`)`,
      () => {
        const count = 2000;
        const length = 16_000;
        const result = runMemoryFixture<{ written: number; retained: number }>(
          "retained-key-fragments.mjs",
          [format, String(count), String(length)],
        );
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
