import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/wide-start.mjs", import.meta.url));

function heldPerEvent(start: "wide" | "narrow"): number {
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", fixture, "100000", String(16 * 1024 * 1024), start],
    { encoding: "utf8", timeout: 60_000 },
  );
  expect(child.stderr).toBe("");
  expect(child.status).toBe(0);
  const { grown, depthBytes, depth } = JSON.parse(child.stdout) as Record<string, number>;
  expect(grown).toBeLessThan(depthBytes as number);
  return (grown as number) / (depth as number);
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
