import { describe, expect, it } from "vitest";
import { FailureWindow } from "./failure-window.ts";

describe("FailureWindow", () => {
  it("sums the outcomes of the last window, in buckets of a tenth of it", () => {
    const window = new FailureWindow(1000);
    window.record(0, true);
    window.record(50, false);
    window.record(950, true);
    expect(window.totals(999)).toEqual({ batches: 3, failures: 2 });
    // At 1000 the bucket [0, 100) has left the window; [900, 1000) is still in it.
    expect(window.totals(1000)).toEqual({ batches: 1, failures: 1 });
    expect(window.totals(1899)).toEqual({ batches: 1, failures: 1 });
    expect(window.totals(1900)).toEqual({ batches: 0, failures: 0 });
  });

  it("reuses a bucket's slot once its time has passed, without counting the old outcomes", () => {
    const window = new FailureWindow(1000);
    window.record(10, true);
    window.record(1010, false); // the same slot, one window later
    expect(window.totals(1010)).toEqual({ batches: 1, failures: 0 });
  });

  it("works with a clock that starts below zero, and forgets everything on clear", () => {
    const window = new FailureWindow(100);
    window.record(-35, true);
    window.record(-5, true);
    expect(window.totals(0)).toEqual({ batches: 2, failures: 2 });
    window.clear();
    expect(window.totals(0)).toEqual({ batches: 0, failures: 0 });
  });
});
