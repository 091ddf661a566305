import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/pending-timers.mjs", import.meta.url));

describe("timers (child process)", () => {
  it("never keep the process alive: a retry pause and a probe timeout of a minute each", () => {
    const started = Date.now();
    const child = spawnSync(process.execPath, [fixture], { encoding: "utf8", timeout: 50_000 });
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    expect(JSON.parse(child.stdout)).toEqual({ breaker: "half-open", retries: 1 });
    // Far below the minute either timer would hold the process for.
    expect(Date.now() - started).toBeLessThan(45_000);
  });
});
