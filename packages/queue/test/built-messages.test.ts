import { describe, expect, it } from "vitest";
import { runHeldHeap } from "./held-heap.ts";

// The first templates and names a process meets are priced as shared literals (well under 2 MiB
// here, whatever they are); everything past them is priced as what it holds.
const slack = 3 * 1024 * 1024;

// An event whose message is built from data holds a parsed template of its own (some 400 bytes
// beside the text, more for each hole), and one from a child made per request holds the child's
// bound record: a queue of them held up to 3.4 and 1.1 times what it counted.
describe("withQueue with messages and children made per event (child process)", () => {
  for (const [shape, maxBytes] of [
    ["message", 16 * 1024 * 1024],
    ["holes", 16 * 1024 * 1024],
    ["child", 32 * 1024 * 1024],
  ] as const) {
    it(`holds the heap it counts (${shape}, ${maxBytes / 1024 / 1024} MiB)`, () => {
      const { grown, depthBytes, depth } = runHeldHeap("built-messages.mjs", [
        150_000,
        maxBytes,
        shape,
      ]);
      expect(depthBytes).toBeLessThanOrEqual(maxBytes);
      expect(depthBytes).toBeGreaterThan(maxBytes - 4096);
      expect(depth).toBeGreaterThan(10_000);
      expect(grown).toBeLessThan(depthBytes + slack);
    }, 90_000);
  }
});
