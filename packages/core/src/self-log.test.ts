import { afterEach, describe, expect, it } from "vitest";
import { configureSelfLog, reportError, selfLog } from "./self-log.ts";

afterEach(() => configureSelfLog());

describe("selfLog", () => {
  it("writes at most one line per source per interval and counts the rest", () => {
    const lines: string[] = [];
    let now = 0;
    configureSelfLog({ write: (line) => lines.push(line), intervalMs: 1000, now: () => now });
    selfLog("file", "disk full");
    selfLog("file", "disk full");
    selfLog("file", "disk full");
    selfLog("queue", "overflow");
    now = 1000;
    selfLog("file", "disk still full");
    expect(lines).toEqual([
      "[sluice] file: disk full",
      "[sluice] queue: overflow",
      "[sluice] file: disk still full (2 similar messages suppressed)",
    ]);
  });

  it("can be silenced, and survives a throwing destination", () => {
    configureSelfLog({ write: false });
    expect(() => selfLog("x", "y")).not.toThrow();
    configureSelfLog({
      write: () => {
        throw new Error("stderr gone");
      },
    });
    expect(() => selfLog("x", "y")).not.toThrow();
  });
});

describe("reportError", () => {
  it("goes to onError when given, and to the self-log when onError throws or is absent", () => {
    const lines: string[] = [];
    configureSelfLog({ write: (line) => lines.push(line), intervalMs: 0 });
    const seen: unknown[] = [];
    const failure = Object.assign(new Error("no space"), { code: "ENOSPC" });
    reportError(failure, { source: "file", operation: "write" }, (error) => seen.push(error));
    expect(seen).toEqual([failure]);
    expect(lines).toEqual([]);
    reportError(failure, { source: "file", operation: "write", sink: "app.log" }, () => {
      throw new Error("callback bug");
    });
    reportError(failure, { source: "file", operation: "flush" }, undefined);
    expect(lines).toEqual([
      "[sluice] file: onError threw: callback bug",
      "[sluice] file: app.log write failed: no space (ENOSPC)",
      "[sluice] file: flush failed: no space (ENOSPC)",
    ]);
  });
});
