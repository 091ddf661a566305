import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { checkConservation } from "@sluice/core/sink";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/fault-writer.mjs", import.meta.url));
const packagesDirectory = fileURLToPath(new URL("../../", import.meta.url));
const isRoot = process.getuid?.() === 0;
const hasSetpriv = existsSync("/usr/bin/setpriv");

interface Outcome {
  readonly first: string;
  readonly second: string;
  readonly errors: string[];
  readonly stats: SinkStats;
}

function run(command: string[]): { outcome: Outcome; status: number | null; stderr: string } {
  const child = spawnSync(command[0] as string, command.slice(1), {
    encoding: "utf8",
    timeout: 60_000,
  });
  return {
    outcome: JSON.parse(child.stdout.trim().split("\n").at(-1) ?? "{}") as Outcome,
    status: child.status,
    stderr: child.stderr,
  };
}

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-faults-"));
  chmodSync(directory, 0o755);
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/**
 * Copies the fault writer and the built packages it imports into `directory`, readable by every
 * user, and returns the copied writer's path. A child that runs as `nobody` cannot load them from
 * the checkout when the checkout lives in a private folder (a clone under `mktemp -d`, a home
 * mode 700), so it loads them from here, with the same relative layout the fixture expects.
 */
function stageWriterForAnyUser(directory: string): string {
  const sluice = join(directory, "node_modules", "@sluice");
  for (const name of ["core", "sink-file"]) {
    for (const entry of ["package.json", "dist"]) {
      cpSync(join(packagesDirectory, name, entry), join(sluice, name, entry), { recursive: true });
    }
  }
  const staged = join(sluice, "sink-file", "test", "fixtures", "fault-writer.mjs");
  cpSync(fixture, staged);
  execFileSync("chmod", ["-R", "a+rX", directory]);
  return staged;
}

describe("createFileSink under real faults (child processes)", () => {
  it("EACCES: a directory the process may not write", (context) => {
    // Root ignores permissions, so the writer runs as nobody.
    if (!isRoot) context.skip("needs root to run the writer as another user");
    if (!hasSetpriv) context.skip("needs setpriv (util-linux) to run the writer as nobody");
    const locked = join(directory, "locked");
    mkdirSync(locked, { mode: 0o755 });
    const { outcome, status, stderr } = run([
      "setpriv",
      "--reuid=65534",
      "--regid=65534",
      "--clear-groups",
      process.execPath,
      stageWriterForAnyUser(join(directory, "child")),
      join(locked, "app.log"),
      "50",
    ]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(outcome.first).toBe("EACCES");
    expect(outcome.errors).toContain("EACCES");
    expect(outcome.stats).toMatchObject({ accepted: 50, delivered: 0, failed: 50, pending: 0 });
  });

  it.skipIf(!isRoot)("EROFS: a read-only mount (needs root and bind mounts)", (context) => {
    const source = join(directory, "source");
    const readOnly = join(directory, "read-only");
    mkdirSync(source);
    mkdirSync(readOnly);
    try {
      execFileSync("mount", ["--bind", "-o", "ro", source, readOnly], { stdio: "ignore" });
    } catch {
      // A container may forbid mounts even to root: report a skip, never a silent pass.
      context.skip("bind mounts are not permitted here");
    }
    try {
      const { outcome, status } = run([process.execPath, fixture, join(readOnly, "app.log"), "20"]);
      expect(status).toBe(0);
      expect(outcome.first).toBe("EROFS");
      expect(outcome.stats).toMatchObject({ accepted: 20, failed: 20, pending: 0 });
    } finally {
      execFileSync("umount", [readOnly]);
    }
  });

  it("EMFILE: no descriptor left at startup, then recovery once one is free", () => {
    const path = join(directory, "app.log");
    const { outcome, status, stderr } = run([
      "bash",
      "-c",
      `ulimit -n 64; exec "${process.execPath}" "${fixture}" "${path}" 30 hold-fds`,
    ]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(outcome.first).toBe("EMFILE");
    expect(outcome.second).toBe("ok");
    expect(outcome.stats).toMatchObject({ accepted: 60, delivered: 30, failed: 30, pending: 0 });
    expect(checkConservation(outcome.stats)).toBeUndefined();
    const numbers = readFileSync(path, "utf8")
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { N: number }).N);
    expect(numbers).toEqual(Array.from({ length: 30 }, (_, index) => 30 + index));
  });

  it("EFBIG: a file size limit (ulimit -f) is counted, not fatal", () => {
    const path = join(directory, "app.log");
    const { outcome, status, stderr } = run([
      "bash",
      "-c",
      `ulimit -f 8; exec "${process.execPath}" "${fixture}" "${path}" 200000`,
    ]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(outcome.first).toBe("EFBIG");
    expect(outcome.stats.delivered).toBeGreaterThan(0);
    expect(outcome.stats.failed).toBeGreaterThan(0);
    expect(checkConservation(outcome.stats)).toBeUndefined();
  });

  it("a FIFO: no reader fails the open without blocking; a reader that leaves gives counted EPIPE", async () => {
    const fifo = join(directory, "pipe");
    execFileSync("mkfifo", [fifo]);
    const alone = run([process.execPath, fixture, fifo, "10"]);
    expect(alone.status).toBe(0);
    expect(alone.outcome.first).toBe("ENXIO");
    expect(alone.outcome.stats).toMatchObject({ accepted: 10, failed: 10, pending: 0 });

    // A reader that takes one line and leaves while the writer is still writing. It opens the
    // FIFO read-write (which does not wait for a writer) and says so before reading, so the
    // writer starts only once a reader is there, however loaded the machine.
    const reader = spawn(
      "bash",
      ["-c", `exec 3<> "${fifo}"; echo open; head -n 1 <&3 > /dev/null`],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    await new Promise<void>((resolve) => reader.stdout.once("data", () => resolve()));
    const left = run([process.execPath, fixture, fifo, "100000"]);
    reader.kill();
    expect(left.stderr).toBe("");
    expect(left.status).toBe(0);
    expect(left.outcome.errors).toContain("EPIPE");
    expect(left.outcome.stats.failed).toBeGreaterThan(0);
    expect(checkConservation(left.outcome.stats)).toBeUndefined();
  });
});

describe("createFileSink on a FIFO whose reader pauses (child processes)", () => {
  const writer = fileURLToPath(new URL("./fixtures/fifo-writer.mjs", import.meta.url));

  for (const mode of ["flush", "reopen"] as const) {
    it(`${mode} meets a full pipe: settles once the reader resumes, every line once, in order`, async () => {
      const fifo = join(directory, "pipe");
      const output = join(directory, "read");
      execFileSync("mkfifo", [fifo]);
      // The reader opens the FIFO at once (so the sink's open succeeds) but reads nothing for 1 s.
      const reader = spawn("bash", ["-c", `exec 3< "${fifo}"; sleep 1; cat <&3 > "${output}"`]);
      const readerDone = new Promise((resolve) => reader.on("exit", resolve));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const child = spawnSync(process.execPath, [writer, fifo, "3000", mode], {
        encoding: "utf8",
        timeout: 30_000,
      });
      await readerDone;
      expect(child.status).toBe(0);
      const report = JSON.parse(child.stderr.trim().split("\n").at(-1) ?? "null") as {
        reopen?: string;
        flush: string;
        close: string;
        stats: SinkStats;
      };
      expect(report).toMatchObject({ flush: "resolved", close: "resolved" });
      if (mode === "reopen") expect(report.reopen).toBe("resolved");
      expect(report.stats).toMatchObject({
        accepted: 3000,
        delivered: 3000,
        failed: 0,
        pending: 0,
      });
      const numbers = readFileSync(output, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      expect(numbers).toEqual(Array.from({ length: 3000 }, (_, index) => index));
    }, 60_000);
  }
});
