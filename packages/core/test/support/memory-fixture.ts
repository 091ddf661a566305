// Runs a fixture of `test/fixtures` in a child process of its own, for tests that measure what
// the heap retains (`--expose-gc`, and no other test's objects in the heap).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** Whether core is built: a fixture imports `@sluice/core` by its own name, which resolves to it. */
export const coreBuilt: boolean = existsSync(
  fileURLToPath(new URL("../../dist/index.js", import.meta.url)),
);

/**
 * Runs `fixtures/<name>` with `--expose-gc` and `args`, expects it to exit cleanly with nothing on
 * stderr, and returns the JSON it printed.
 */
export function runMemoryFixture<Result>(name: string, args: readonly (string | number)[]): Result {
  const fixture = fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
  const child = spawnSync(process.execPath, ["--expose-gc", fixture, ...args.map(String)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(child.stderr).toBe("");
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as Result;
}
