import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogEvent, type LogEvent } from "@sluice/core";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-rolling-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function event(n: number): LogEvent {
  return createLogEvent({
    level: "info",
    template: "Event {N} {Pad}",
    properties: { N: n, Pad: "x".repeat(100) },
  });
}

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
