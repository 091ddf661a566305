import { describe, expect, it } from "vitest";
import { runHeldHeap } from "./held-heap.ts";

const slack = 8 * 1024 * 1024;

// V8 keeps a key that is an array index in an object's elements, sized to the largest index plus
// half: a record holding "1000" alone took some 12 KB, which the estimate did not see, and an
// 8 MiB queue of such events held some 300 MB.
describe("withQueue with array-index property names (child process)", () => {
  for (const where of ["nested", "top"] as const) {
    it(`holds { "1000": n } events (${where}) within maxBytes`, () => {
      const maxBytes = 8 * 1024 * 1024;
      const { grown, depthBytes, depth } = runHeldHeap("index-keys.mjs", [
        100_000,
        maxBytes,
        where,
      ]);
      expect(depthBytes).toBeLessThanOrEqual(maxBytes);
      expect(depth).toBeGreaterThan(10_000);
      expect(grown).toBeLessThan(maxBytes + slack);
    }, 90_000);
  }
});
