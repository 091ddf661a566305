import { describe, expect, it } from "vitest";
import { coreBuilt, runMemoryFixture } from "./support/memory-fixture.ts";

describe("cached templates cut out of large strings (child process, --expose-gc)", () => {
  it.skipIf(!coreBuilt)(
    "keep their own text, not the strings they were sliced from (needs `pnpm build`)",
    () => {
      const count = 100;
      const result = runMemoryFixture<{ count: number; holes: number; retained: number }>(
        "sliced-templates.mjs",
        [String(count), String(1_000_000)],
      );
      expect(result.count).toBe(count);
      expect(result.holes).toBe(1);
      // Holding the slices kept every 1 MB parent alive: some 100 MB.
      expect(result.retained).toBeLessThan(8 * 1024 * 1024);
    },
    90_000,
  );
});
