import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { createTextFormatter, type LogEvent } from "@sluice/core";
import { checkConservation, createLogEvent } from "@sluice/core/sink";
import { checkSinkContract } from "@sluice/core/testing";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-file-sink-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function event(n: number): LogEvent {
  return createLogEvent({
    level: "info",
    template: "Event {N} of {Total}",
    properties: { N: n, Total: "many" },
  });
}

function lines(path: string): string[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0);
}

function allLines(): string[] {
  return readdirSync(directory)
    .sort()
    .flatMap((name) => lines(join(directory, name)));
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("createFileSink", () => {
  it("ends a line a killed process left torn before appending, so no event is glued onto it", async () => {
    const path = join(directory, "app.log");
    const whole = '{"N":1}\n';
    writeFileSync(path, `${whole}{"N":2,"torn`);
    const sink = createFileSink({ path });
    sink.write(event(3));
    await sink.close();
    const [first, torn, appended, ...rest] = readFileSync(path, "utf8").split("\n");
    expect(first).toBe('{"N":1}');
    expect(torn).toBe('{"N":2,"torn');
    expect(JSON.parse(appended as string)).toMatchObject({ N: 3 });
    expect(rest).toEqual([""]);
    expect(sink.stats()).toMatchObject({
      delivered: 1,
      bytes: Buffer.byteLength(appended as string) + 1,
    });

    // A file that ends with a whole line is appended to as it is.
    const clean = join(directory, "clean.log");
    writeFileSync(clean, whole);
    const again = createFileSink({ path: clean });
    again.write(event(4));
    await again.close();
    expect(lines(clean)).toHaveLength(2);
    expect(readFileSync(clean, "utf8").startsWith(`${whole}{`)).toBe(true);
  });

  it("honours the sink contract, every event once and in order", async () => {
    let path = "";
    let count = 0;
    const violations = await checkSinkContract(
      () => {
        path = join(directory, `contract-${count++}.log`);
        return createFileSink({ path });
      },
      {
        readDelivered: () => lines(path),
        failingFactory: () => createFileSink({ path: "/dev/full", onError: () => {} }),
      },
    );
    expect(violations).toEqual([]);
  });

  it("writes one CLEF line per event, or any core formatter's output", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({ path });
    for (let n = 0; n < 1000; n++) sink.write(event(n));
    await sink.flush();
    const written = lines(path);
    expect(written).toHaveLength(1000);
    expect(JSON.parse(written[999] as string)).toMatchObject({
      "@mt": "Event {N} of {Total}",
      N: 999,
    });
    expect(sink.stats()).toMatchObject({ accepted: 1000, delivered: 1000, pending: 0, failed: 0 });
    expect(sink.stats().bytes).toBe(statSync(path).size);
    await sink.close();

    const textPath = join(directory, "app.txt");
    const text = createFileSink({
      path: textPath,
      formatter: createTextFormatter({ outputTemplate: "{Level:u3} {Message:lj}{NewLine}" }),
    });
    text.write(event(1));
    await text.close();
    expect(readFileSync(textPath, "utf8")).toBe("INF Event 1 of many\n");
  });

  it("creates files 0o640 and directories 0o750 by default", async () => {
    const path = join(directory, "nested", "deeper", "app.log");
    const sink = createFileSink({ path });
    await sink.close();
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(statSync(join(directory, "nested")).mode & 0o777).toBe(0o750);
  });

  it("survives ENOSPC on /dev/full: counts failures, rejects flush, never throws", async () => {
    const errors: unknown[] = [];
    const sink = createFileSink({ path: "/dev/full", onError: (error) => errors.push(error) });
    for (let n = 0; n < 10; n++) expect(() => sink.write(event(n))).not.toThrow();
    await expect(sink.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    const stats = sink.stats();
    expect(stats).toMatchObject({ accepted: 10, delivered: 0, failed: 10, pending: 0 });
    expect(stats.lastError).toMatchObject({ code: "ENOSPC" });
    expect(checkConservation(stats)).toBeUndefined();
    expect(errors.length).toBeGreaterThan(0);
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it("reopens a file deleted from outside, and loses no line written after the reopen", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({ path, checkIntervalMs: 20 });
    for (let n = 0; n < 100; n++) sink.write(event(n));
    await sink.flush();
    unlinkSync(path);
    await until(() => sink.stats().reopens === 1);
    for (let n = 100; n < 200; n++) sink.write(event(n));
    await sink.flush();
    const after = lines(path).map((line) => (JSON.parse(line) as { N: number }).N);
    expect(after).toEqual(Array.from({ length: 100 }, (_, index) => 100 + index));
    await sink.close();
  });

  it("recreates a removed directory", async () => {
    const logs = join(directory, "logs");
    const path = join(logs, "app.log");
    const sink = createFileSink({ path, checkIntervalMs: 20 });
    sink.write(event(0));
    await sink.flush();
    rmSync(logs, { recursive: true });
    await until(() => sink.stats().reopens === 1);
    sink.write(event(1));
    await sink.flush();
    expect(lines(path)).toHaveLength(1);
    await sink.close();
  });

  it("reopen() follows an external rename (logrotate's create mode)", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({ path, checkIntervalMs: 60_000 });
    sink.write(event(0));
    await sink.flush();
    const { renameSync } = await import("node:fs");
    renameSync(path, `${path}.1`);
    await sink.reopen();
    sink.write(event(1));
    await sink.flush();
    expect(lines(`${path}.1`)).toHaveLength(1);
    expect(lines(path)).toHaveLength(1);
    expect(sink.stats().reopens).toBe(1);
    await sink.close();
  });

  it("rolls by size with collision-free names and keeps maxFiles rolled files", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({ path, rolling: { maxSize: 2000, maxFiles: 3 } });
    for (let round = 0; round < 10; round++) {
      for (let n = 0; n < 20; n++) sink.write(event(round * 20 + n));
      await sink.flush();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await sink.close();
    const rolled = readdirSync(directory).filter((name) => name !== "app.log");
    expect(sink.stats().rolls).toBeGreaterThan(3);
    expect(rolled).toHaveLength(3);
    for (const name of rolled)
      expect(name).toMatch(/^app\.\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}Z\.\d{6}\.log$/);
    expect(existsSync(path)).toBe(true);
  });

  it("compresses rolled files with gzip, keeping every line", async () => {
    const path = join(directory, "app.log");
    const errors: unknown[] = [];
    const sink = createFileSink({
      path,
      rolling: { maxSize: 3000, compress: true },
      onError: (error) => errors.push(error),
    });
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n < 30; n++) sink.write(event(round * 30 + n));
      await sink.flush();
      await until(() =>
        readdirSync(directory).every((name) => !name.endsWith(".log") || name === "app.log"),
      );
    }
    await sink.close();
    expect(errors).toEqual([]);
    const names = readdirSync(directory);
    const compressed = names.filter((name) => name.endsWith(".log.gz"));
    expect(
      compressed.length,
      `rolls ${sink.stats().rolls}; files ${names.join(", ")}`,
    ).toBeGreaterThan(0);
    const numbers = [
      ...compressed.flatMap((name) =>
        gunzipSync(readFileSync(join(directory, name)))
          .toString()
          .split("\n"),
      ),
      ...lines(path),
    ]
      .filter((line) => line.length > 0)
      .map((line) => (JSON.parse(line) as { N: number }).N)
      .sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: 150 }, (_, index) => index));
    expect(statSync(join(directory, compressed[0] as string)).mode & 0o777).toBe(0o640);
  });

  it("rolls by calendar period with an injected clock, across clock jumps and restarts", async () => {
    const path = join(directory, "app.log");
    let now = Date.UTC(2026, 10, 28, 10, 30);
    const options = {
      path,
      checkIntervalMs: 10,
      now: () => now,
      rolling: { interval: "hour" as const },
    };
    const sink = createFileSink(options);
    sink.write(event(0));
    await sink.flush();
    now += 3_600_000; // next hour
    await until(() => sink.stats().rolls === 1);
    sink.write(event(1));
    await sink.flush();
    now -= 3_600_000; // the clock jumps back an hour
    await until(() => sink.stats().rolls === 2);
    sink.write(event(2));
    await sink.flush();
    now += 25 * 3_600_000; // and forward 25 hours
    await until(() => sink.stats().rolls === 3);
    sink.write(event(3));
    await sink.close();

    const restarted = createFileSink(options);
    now += 3_600_000;
    await until(() => restarted.stats().rolls === 1);
    restarted.write(event(4));
    await restarted.close();

    const rolled = readdirSync(directory)
      .filter((name) => name !== "app.log")
      .sort();
    expect(rolled).toHaveLength(4);
    const sequences = rolled.map((name) => Number(/\.(\d{6})\.log$/.exec(name)?.[1]));
    expect(new Set(sequences).size).toBe(4);
    const numbers = allLines().map((line) => (JSON.parse(line) as { N: number }).N);
    expect(numbers.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("applies retention by age at startup, never touching the active file", async () => {
    const path = join(directory, "app.log");
    writeFileSync(path, "active\n");
    const old = join(directory, "app.2026-01-01T00-00-00Z.000001.log");
    const recent = join(directory, "app.2026-11-27T00-00-00Z.000002.log");
    writeFileSync(old, "old\n");
    writeFileSync(recent, "recent\n");
    const tenDaysAgo = (Date.now() - 10 * 86_400_000) / 1000;
    utimesSync(old, tenDaysAgo, tenDaysAgo);
    utimesSync(path, tenDaysAgo, tenDaysAgo);
    const sink = createFileSink({ path, rolling: { maxAgeMs: 7 * 86_400_000 } });
    await until(() => !existsSync(old));
    expect(existsSync(recent)).toBe(true);
    expect(readFileSync(path, "utf8")).toBe("active\n");
    await sink.close();
  });

  it("bounds its buffer and counts what does not fit", async () => {
    const sink = createFileSink({ path: join(directory, "small.log"), maxBufferBytes: 500 });
    for (let n = 0; n < 50; n++) sink.write(event(n));
    const stats = sink.stats();
    expect(stats.dropped.buffer_full).toBeGreaterThan(0);
    expect(stats.accepted).toBe(50);
    await sink.close();
    expect(checkConservation(sink.stats())).toBeUndefined();
  });

  it("validates options with messages that name them", () => {
    expect(() => createFileSink({ path: "" })).toThrow(/"path"/);
    expect(() => createFileSink({ path: "x.log", durability: "always" as never })).toThrow(
      /"durability"/,
    );
    expect(() =>
      createFileSink({ path: "x.log", rolling: { interval: "fortnight" as never } }),
    ).toThrow(/"rolling.interval"/);
    expect(() => createFileSink({ path: "x.log", rolling: { maxSize: 0 } })).toThrow(
      /"rolling.maxSize"/,
    );
  });
});
