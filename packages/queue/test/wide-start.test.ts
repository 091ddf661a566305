import { describe, expect, it } from "vitest";
import { runHeldHeap } from "./held-heap.ts";

function heldPerEvent(start: "wide" | "narrow"): number {
  const { grown, depthBytes, depth } = runHeldHeap("wide-start.mjs", [
    100_000,
    16 * 1024 * 1024,
    start,
  ]);
  expect(grown).toBeLessThan(depthBytes);
  return grown / depth;
}

// V8 sizes the objects one constructor makes by the widest of its first few: a wide first event
// gave every later captured record ten slots instead of two, 22% more heap an ordinary event than
// the queue had been calibrated on.
describe("withQueue after a wide first event (child process)", () => {
  it("holds ordinary events in the same heap as a process that started narrow", () => {
    const narrow = heldPerEvent("narrow");
    const wide = heldPerEvent("wide");
    expect(Math.abs(wide - narrow) / narrow).toBeLessThan(0.05);
  }, 90_000);
});
