import { afterEach, describe, expect, test, vi } from "vitest";
import { claimExitDrains, registerExitDrain } from "./exit-drains.ts";

const beforeExitListeners = () => process.listeners("beforeExit");

describe("exit drains", () => {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  test("one beforeExit listener serves every drain, and leaves with the last", () => {
    const before = beforeExitListeners();
    const first = vi.fn();
    const second = vi.fn();
    const unregisterFirst = registerExitDrain(first);
    const unregisterSecond = registerExitDrain(second);
    const added = beforeExitListeners().filter((listener) => !before.includes(listener));
    expect(added).toHaveLength(1);
    (added[0] as () => void)();
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(1);
    unregisterFirst();
    expect(beforeExitListeners()).toHaveLength(before.length + 1);
    unregisterSecond();
    expect(beforeExitListeners()).toEqual(before);
  });

  test("a claim takes the drains over until it is released", () => {
    const before = beforeExitListeners();
    const drain = vi.fn();
    cleanups.push(registerExitDrain(drain));
    const claim = claimExitDrains();
    expect(beforeExitListeners()).toEqual(before);
    claim.run();
    expect(drain).toHaveBeenCalledTimes(1);
    claim.release();
    claim.release();
    expect(beforeExitListeners()).toHaveLength(before.length + 1);
  });

  test("a drain asking for grace keeps the process alive that long, once", () => {
    vi.useFakeTimers();
    try {
      cleanups.push(registerExitDrain(() => 250));
      cleanups.push(registerExitDrain(() => 1000));
      cleanups.push(registerExitDrain(() => undefined));
      const claim = claimExitDrains();
      cleanups.push(claim.release);
      claim.run();
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(999);
      expect(vi.getTimerCount()).toBe(1);
      vi.advanceTimersByTime(1);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a drain that throws is reported and the others still run", () => {
    const lines: string[] = [];
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation((chunk) => {
      lines.push(String(chunk));
      return true;
    });
    const after = vi.fn();
    cleanups.push(
      registerExitDrain(() => {
        throw new Error("drain broke");
      }),
    );
    cleanups.push(registerExitDrain(after));
    const claim = claimExitDrains();
    cleanups.push(claim.release);
    claim.run();
    stderr.mockRestore();
    expect(after).toHaveBeenCalledTimes(1);
    expect(lines.join("")).toContain("drain broke");
  });
});
