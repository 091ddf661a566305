import { describe, expect, it } from "vitest";
import { runHeldHeap } from "./held-heap.ts";

// A date holds its fields' cache beside its time value (some 86 bytes, priced at 40 before), and a
// record just turned to a dictionary has room for three times its keys: a queue of either held
// 1.2-1.5 times what it counted.
describe("withQueue with dates and records of 22 keys (child process)", () => {
  for (const shape of ["dates", "wide"] as const) {
    it(`holds the heap it counts (${shape})`, () => {
      const maxBytes = 16 * 1024 * 1024;
      const { grown, depthBytes, depth } = runHeldHeap("dates-and-wide.mjs", [
        100_000,
        maxBytes,
        shape,
      ]);
      expect(depthBytes).toBeLessThanOrEqual(maxBytes);
      expect(depthBytes).toBeGreaterThan(maxBytes - 16 * 1024);
      expect(depth).toBeGreaterThan(2_000);
      expect(grown).toBeLessThan(depthBytes + 1024 * 1024);
    }, 90_000);
  }
});
