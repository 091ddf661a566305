import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/picked-fields.mjs", import.meta.url));
// The first 4,096 places in V8's tree of hidden classes (and names) a process meets are priced as
// shared, whatever they are: under 2 MiB here.
const slack = 3 * 1024 * 1024;

function run(events: number, maxBytes: number, shape: "items" | "nested") {
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", fixture, String(events), String(maxBytes), shape],
    { encoding: "utf8", timeout: 60_000 },
  );
  expect(child.stderr).toBe("");
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as { grown: number; depthBytes: number; depth: number };
}

// Each nested record whose names come in an order no record had makes a hidden class of its own:
// a queue of such events held 2.6 and 4.4 times what it counted when only the names were priced.
describe("withQueue with objects whose fields are picked per event (child process)", () => {
  for (const shape of ["items", "nested"] as const) {
    it(`holds the heap it counts (${shape})`, () => {
      const maxBytes = 16 * 1024 * 1024;
      const { grown, depthBytes, depth } = run(60_000, maxBytes, shape);
      expect(depthBytes).toBeLessThanOrEqual(maxBytes);
      expect(depthBytes).toBeGreaterThan(maxBytes - 16 * 1024);
      expect(depth).toBeGreaterThan(2_000);
      expect(grown).toBeLessThan(depthBytes + slack);
    }, 90_000);
  }
});
