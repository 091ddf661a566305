import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";

/** What a fixture built on `fixtures/stalled-sink.mjs` reports. */
export interface HeldHeap {
  /** The heap the queued events left grown, after forced collections. */
  readonly grown: number;
  /** The queue's estimate of the bytes it holds. */
  readonly depthBytes: number;
  /** The events it holds. */
  readonly depth: number;
}

/**
 * Runs a fixture of `fixtures/` (one built on `stalled-sink.mjs`) in a child process with
 * `--expose-gc`, checks it exited cleanly, and returns the heap its queued events held.
 *
 * @param name the fixture's file name.
 * @param args its arguments.
 */
export function runHeldHeap(name: string, args: readonly (string | number)[]): HeldHeap {
  const fixture = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const child = spawnSync(process.execPath, ["--expose-gc", fixture, ...args.map(String)], {
    encoding: "utf8",
    timeout: 60_000,
  });
  expect(child.stderr).toBe("");
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as HeldHeap;
}
