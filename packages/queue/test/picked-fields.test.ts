import { describe, expect, it } from "vitest";
import { runHeldHeap } from "./held-heap.ts";

// The first 4,096 places in V8's tree of hidden classes (and names) a process meets are priced as
// shared, whatever they are: under 2 MiB here.
const slack = 3 * 1024 * 1024;

// Each nested record whose names come in an order no record had makes a hidden class of its own:
// a queue of such events held 2.6 and 4.4 times what it counted when only the names were priced.
describe("withQueue with objects whose fields are picked per event (child process)", () => {
  for (const shape of ["items", "nested"] as const) {
    it(`holds the heap it counts (${shape})`, () => {
      const maxBytes = 16 * 1024 * 1024;
      const { grown, depthBytes, depth } = runHeldHeap("picked-fields.mjs", [
        60_000,
        maxBytes,
        shape,
      ]);
      expect(depthBytes).toBeLessThanOrEqual(maxBytes);
      expect(depthBytes).toBeGreaterThan(maxBytes - 16 * 1024);
      expect(depth).toBeGreaterThan(2_000);
      expect(grown).toBeLessThan(depthBytes + slack);
    }, 90_000);
  }
});
