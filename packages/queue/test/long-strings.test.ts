import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/long-errors.mjs", import.meta.url));
const maxBytes = 8 * 1024 * 1024;

describe("withQueue with long error messages (child process, 96 MiB heap)", () => {
  it("holds what it reports: cut messages do not keep their 200,000-character source", () => {
    const child = spawnSync(
      process.execPath,
      ["--max-old-space-size=96", "--expose-gc", fixture, "1000", String(maxBytes)],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(child.stderr).toBe("");
    expect(child.status).toBe(0);
    const { grown, depthBytes } = JSON.parse(child.stdout) as {
      grown: number;
      depthBytes: number;
    };
    expect(depthBytes).toBeLessThanOrEqual(maxBytes);
    expect(depthBytes).toBeGreaterThan(maxBytes / 2);
    // The queue's estimate is an upper bound of what its events hold; the rest is slack.
    expect(grown).toBeLessThan(maxBytes + 8 * 1024 * 1024);
  }, 90_000);
});
