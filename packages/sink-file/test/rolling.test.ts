import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogEvent } from "@sluice/core";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { numberedEvent } from "./fixtures/numbered-event.ts";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-rolling-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const event = (n: number): LogEvent => numberedEvent(n, 100);

function numbersIn(names: readonly string[]): number[] {
  return names
    .flatMap((name) => readFileSync(join(directory, name), "utf8").split("\n"))
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { N: number }).N)
    .sort((a, b) => a - b);
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("size rolling", () => {
  it("rolls as soon as the startup retention finishes when a burst lands while it runs", async () => {
    // Many rolled files from earlier runs make the startup retention task take a while.
    for (let sequence = 1; sequence <= 400; sequence++) {
      const name = `app.2026-11-28T09-15-00Z.${String(sequence).padStart(6, "0")}.log`;
      writeFileSync(join(directory, name), "");
    }
    const path = join(directory, "app.log");
    const sink = createFileSink({ path, rolling: { maxSize: 2000, maxFiles: 500 } });
    for (let n = 0; n < 150; n++) sink.write(event(n)); // about 20 KB
    await sink.flush();
    // No further write: the roll must not wait for one.
    await until(() => sink.stats().rolls === 1);
    await sink.close();
    expect(existsSync(path)).toBe(true);
    const rolled = readdirSync(directory).filter((name) => name.endsWith(".000401.log"));
    expect(rolled).toHaveLength(1);
    expect(numbersIn(rolled)).toEqual(Array.from({ length: 150 }, (_, index) => index));
  });
});

describe("rolling with a clock that fails", () => {
  const clocks: ReadonlyArray<readonly [string, () => number]> = [
    ["NaN", () => Number.NaN],
    ["Infinity", () => Number.POSITIVE_INFINITY],
    ["past the range of Date", () => 9e15],
    [
      "a clock that throws",
      () => {
        throw new Error("no clock");
      },
    ],
  ];
  for (const [description, now] of clocks) {
    it(`rolls by size whatever the clock gives (${description})`, async () => {
      const path = join(directory, "app.log");
      const errors: unknown[] = [];
      const sink = createFileSink({
        path,
        now,
        onError: (error) => errors.push(error),
        rolling: { maxSize: 3000, maxFiles: 3, interval: "minute" },
      });
      for (let round = 0; round < 10; round++) {
        for (let n = 0; n < 25; n++) sink.write(event(round * 25 + n));
        await sink.flush();
        await until(() => sink.stats().rolls >= round);
      }
      await sink.close();
      expect(errors).toEqual([]);
      expect(sink.stats().rolls).toBeGreaterThanOrEqual(9);
      const names = readdirSync(directory);
      expect(names.filter((name) => name !== "app.log")).toHaveLength(3);
      expect(readFileSync(path).length).toBeLessThan(3000 + 25 * 200);
    });
  }

  it("keeps maxFiles rolled files in the year 10000 and later", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({
      path,
      now: () => Date.UTC(10000, 0, 1),
      rolling: { maxSize: 2000, maxFiles: 2 },
    });
    for (let round = 0; round < 10; round++) {
      for (let n = 0; n < 20; n++) sink.write(event(round * 20 + n));
      await sink.flush();
      await until(() => sink.stats().rolls >= round);
    }
    await sink.close();
    const rolled = readdirSync(directory).filter((name) => name !== "app.log");
    expect(sink.stats().rolls).toBeGreaterThanOrEqual(9);
    expect(rolled).toHaveLength(2);
    for (const name of rolled) expect(name).toMatch(/^app\.\+010000-01-01T00-00-00Z\.\d{6}\.log$/);
  });
});
