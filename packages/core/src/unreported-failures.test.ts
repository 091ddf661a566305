import { describe, expect, test } from "vitest";
import { UnreportedFailures } from "./unreported-failures.ts";

describe("UnreportedFailures", () => {
  test("a failure before a flush is reported by that flush and by no later one", () => {
    const failures = new UnreportedFailures();
    failures.record(new Error("first"));
    const mark = failures.mark();
    expect(() => failures.throwIfFailedSince(mark)).toThrow("first");
    const next = failures.mark();
    expect(() => failures.throwIfFailedSince(next)).not.toThrow();
    expect(failures.count).toBe(1);
  });

  test("concurrent flushes both report a failure found while they waited", () => {
    const failures = new UnreportedFailures();
    const first = failures.mark();
    const second = failures.mark();
    failures.record(new Error("while waiting"));
    expect(() => failures.throwIfFailedSince(first)).toThrow("while waiting");
    expect(() => failures.throwIfFailedSince(second)).toThrow("while waiting");
    expect(() => failures.throwIfFailedSince(failures.mark())).not.toThrow();
  });

  test("rejects with the most recent failure", () => {
    const failures = new UnreportedFailures();
    const mark = failures.mark();
    failures.record(new Error("older"));
    failures.record(new Error("newer"));
    expect(() => failures.throwIfFailedSince(mark)).toThrow("newer");
    expect(failures.lastError).toMatchObject({ message: "newer" });
  });
});
