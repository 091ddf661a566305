import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/hostile-values.mjs", import.meta.url));
const mebibyte = 1024 * 1024;

interface Outcome {
  readonly slowestMs: number;
  readonly retained: number;
  readonly kept: number;
}

// Each case runs in a child process with a small heap: a value that makes capture unbounded
// aborts it with out-of-memory instead of slowing the whole suite down.
function run(scenario: string): Outcome {
  const child = spawnSync(
    process.execPath,
    ["--max-old-space-size=128", "--expose-gc", fixture, scenario],
    { encoding: "utf8", timeout: 60_000 },
  );
  expect(child.stderr).toBe("");
  expect(child.status).toBe(0);
  return JSON.parse(child.stdout) as Outcome;
}

// The bounds leave room for a loaded two-core machine: a bounded call takes a few milliseconds
// (seen past 500 ms under load, hence 5 s), an unbounded one (four levels of 256 shared references
// walked in full) runs for minutes or out of the heap; a kept event holds well under a megabyte
// whatever it was made from.
describe("one call costs what the capture limits allow (child process, 128 MiB heap)", () => {
  it("captures four levels of 256 shared array references in bounded time and memory", () => {
    const outcome = run("shared-array");
    expect(outcome.kept).toBe(20);
    expect(outcome.slowestMs).toBeLessThan(5000);
    expect(outcome.retained).toBeLessThan(24 * mebibyte);
  }, 90_000);

  it("captures four levels of 64-key objects sharing their values in bounded time and memory", () => {
    const outcome = run("shared-object");
    expect(outcome.kept).toBe(20);
    expect(outcome.slowestMs).toBeLessThan(5000);
    expect(outcome.retained).toBeLessThan(24 * mebibyte);
  }, 90_000);

  it("keeps only the cut part of a long error message and stack, not the original", () => {
    const outcome = run("long-errors");
    expect(outcome.kept).toBe(100);
    expect(outcome.retained).toBeLessThan(16 * mebibyte);
  }, 90_000);

  it("keeps only the cut part of a long property, not the original", () => {
    const outcome = run("long-properties");
    expect(outcome.kept).toBe(100);
    expect(outcome.slowestMs).toBeLessThan(5000);
    expect(outcome.retained).toBeLessThan(8 * mebibyte);
  }, 90_000);

  it("cuts a long dynamic message used as the template, in bounded time and memory", () => {
    const outcome = run("long-messages");
    expect(outcome.kept).toBe(20);
    expect(outcome.slowestMs).toBeLessThan(5000);
    expect(outcome.retained).toBeLessThan(48 * mebibyte);
  }, 90_000);

  it("bounds the template cache in bytes when every message is distinct", () => {
    const outcome = run("distinct-messages");
    expect(outcome.kept).toBe(0);
    expect(outcome.retained).toBeLessThan(32 * mebibyte);
  }, 90_000);
});
