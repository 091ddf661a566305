import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import type { SinkStats } from "@sluice/core";
import { checkConservation, createLogEvent } from "@sluice/core/sink";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/shared-path-writer.mjs", import.meta.url));

interface Report {
  readonly stats: SinkStats;
  readonly errors: string[];
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-shared-path-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function start(path: string, tag: string, count: number) {
  const child: ChildProcessWithoutNullStreams = spawn(process.execPath, [
    fixture,
    path,
    tag,
    String(count),
  ]);
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => {
      if (stdout.startsWith("ready\n")) {
        clearInterval(poll);
        resolve();
      }
    }, 5);
    child.once("exit", () => {
      clearInterval(poll);
      reject(new Error(`writer ${tag} exited before it was ready: ${stderr}`));
    });
  });
  const report = new Promise<Report>((resolve, reject) => {
    child.once("close", (code) => {
      if (code !== 0 || stderr !== "")
        reject(new Error(`writer ${tag} failed (${code}): ${stderr}`));
      else resolve(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}") as Report);
    });
  });
  return { ready, report, go: () => child.stdin.end("go\n") };
}

/** The number of the events of each writer found on disk, in every file, plain or gzipped. */
function eventsOnDisk(): Map<string, number[]> {
  const found = new Map<string, number[]>();
  for (const name of readdirSync(directory)) {
    if (name.endsWith(".lock")) continue;
    const bytes = readFileSync(join(directory, name));
    const text = name.endsWith(".gz") ? gunzipSync(bytes).toString() : bytes.toString();
    for (const line of text.split("\n")) {
      if (line.length === 0) continue;
      const { W, N } = JSON.parse(line) as { W: string; N: number };
      const numbers = found.get(W) ?? [];
      numbers.push(N);
      found.set(W, numbers);
    }
  }
  return found;
}

describe("two processes logging to one rolling path (real child processes)", () => {
  it("refuses the second writer until the first is gone; every event counted delivered is on disk", async () => {
    const path = join(directory, "app.log");
    const count = 30_000;
    const writers = [start(path, "a", count), start(path, "b", count)];
    await Promise.all(writers.map((writer) => writer.ready));
    for (const writer of writers) writer.go();
    const reports = await Promise.all(writers.map((writer) => writer.report));

    const onDisk = eventsOnDisk();
    const refused = reports.filter((report) =>
      report.errors.some((error) => /is already written by process \d+/.test(error)),
    );
    expect(refused).toHaveLength(1);
    for (const [index, tag] of ["a", "b"].entries()) {
      const { stats } = reports[index] as Report;
      expect(checkConservation(stats)).toBeUndefined();
      expect(stats).toMatchObject({ accepted: count, pending: 0 });
      const numbers = onDisk.get(tag) ?? [];
      // Exactly what was counted delivered, each event once.
      expect(numbers.length).toBe(stats.delivered);
      expect(new Set(numbers).size).toBe(numbers.length);
    }
    // The writer that got the lock lost nothing; the other took over once it was gone.
    expect(reports.map((report) => report.stats.delivered).sort((x, y) => y - x)[0]).toBe(count);
    expect(readdirSync(directory)).not.toContain("app.log.lock");
  });

  it("stops writing when its lock is taken over, and resumes once it can take it again", async () => {
    const path = join(directory, "app.log");
    const lockPath = `${path}.lock`;
    const errors: unknown[] = [];
    const sink = createFileSink({
      path,
      checkIntervalMs: 20,
      maxRetryDelayMs: 20,
      onError: (error) => errors.push(error),
      rolling: { maxSize: 1_000_000 },
    });
    const write = (n: number): void =>
      sink.write(createLogEvent({ level: "info", template: "{N}", properties: { N: n } }));
    write(0);
    await sink.flush();
    // Another live process of this host now claims the path.
    writeFileSync(
      lockPath,
      JSON.stringify({ pid: process.ppid, host: hostname(), token: "other", staleAfterMs: 60_000 }),
    );
    await until(() => errors.some((error) => /was removed or taken over/.test(String(error))));
    // The sink reopens, which finds the lock taken: it stops writing.
    await until(() => errors.some((error) => /is already written by/.test(String(error))));
    write(1);
    await expect(sink.flush()).rejects.toThrow(/is already written by process/);
    unlinkSync(lockPath);
    await until(() => existsSync(lockPath));
    write(2);
    await sink.flush();
    await sink.close();
    const numbers = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { N: number }).N);
    expect(numbers).toEqual([0, 2]);
    expect(sink.stats()).toMatchObject({ accepted: 3, delivered: 2, failed: 1, pending: 0 });
  });

  it("refuses a second rolling sink in the same process; sinks that do not roll share a path", async () => {
    const path = join(directory, "app.log");
    const write = (sink: ReturnType<typeof createFileSink>, n: number): void =>
      sink.write(createLogEvent({ level: "info", template: "{N}", properties: { N: n } }));
    const first = createFileSink({ path, rolling: { maxFiles: 5 } });
    const second = createFileSink({ path, rolling: { maxFiles: 5 }, onError: () => {} });
    write(first, 1);
    write(second, 2);
    await first.flush();
    await expect(second.flush()).rejects.toThrow(
      new RegExp(`is already written by process ${process.pid}`),
    );
    await second.close().catch(() => {});
    await first.close();
    expect(readdirSync(directory)).toEqual(["app.log"]);

    // Without rolling, sinks only append and take no lock.
    const appenders = [createFileSink({ path }), createFileSink({ path })];
    for (const [index, sink] of appenders.entries()) write(sink, 10 + index);
    await Promise.all(appenders.map((sink) => sink.close()));
    const numbers = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { N: number }).N);
    expect(numbers.sort((a, b) => a - b)).toEqual([1, 10, 11]);
    expect(readdirSync(directory)).toEqual(["app.log"]);
  });
});
