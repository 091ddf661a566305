import { describe, expect, it } from "vitest";
import { runHeldHeap } from "./held-heap.ts";

const slack = 8 * 1024 * 1024;

describe("withQueue with property names made from data (child process)", () => {
  it("counts a long name's string: 2,000 names of 20,000 characters stay within 1 MiB", () => {
    const maxBytes = 1024 * 1024;
    const { grown, depthBytes } = runHeldHeap("long-keys.mjs", [2000, maxBytes, 20_000, 1]);
    expect(depthBytes).toBeLessThanOrEqual(maxBytes);
    // Held uncounted, the names took some 40 MB.
    expect(grown).toBeLessThan(maxBytes + slack);
  }, 90_000);

  // Each distinct name costs V8 a string, a hidden class and descriptors (some 100 bytes): priced
  // as shared literals, events naming eight distinct short keys held about twice what the queue
  // counted (16 MiB of estimate was some 32 MiB of heap). Past the process's first names, a name
  // it has not met is priced as data.
  it("bounds events with many distinct short names within maxBytes", () => {
    const maxBytes = 16 * 1024 * 1024;
    const { grown, depthBytes } = runHeldHeap("long-keys.mjs", [60_000, maxBytes, 20, 8]);
    expect(depthBytes).toBeLessThanOrEqual(maxBytes);
    expect(grown).toBeLessThan(maxBytes + slack);
  }, 90_000);
});
