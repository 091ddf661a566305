import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { acquireWriterLock } from "./writer-lock.ts";

let directory: string;
let path: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-writer-lock-"));
  path = join(directory, "app.log");
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function writeLock(pid: number, token: string, host = hostname(), staleAfterMs = 30_000): void {
  writeFileSync(`${path}.lock`, JSON.stringify({ pid, host, token, staleAfterMs }));
}

function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
    encoding: "utf8",
  });
  return Number(child.stdout);
}

describe("acquireWriterLock", () => {
  it("is held by one owner at a time, and free again once released", () => {
    const first = acquireWriterLock(path, 0o640, 30_000);
    expect(() => acquireWriterLock(path, 0o640, 30_000)).toThrow(
      new RegExp(`already written by process ${process.pid} on host`),
    );
    expect(first.refresh()).toBe(true);
    first.release();
    expect(existsSync(`${path}.lock`)).toBe(false);
    const second = acquireWriterLock(path, 0o640, 30_000);
    second.release();
    // Nothing left behind but what was asked for.
    expect(readdirSync(directory)).toEqual([]);
  });

  it("refuses a lock held by another live process of this host", () => {
    writeLock(process.ppid, "other");
    expect(() => acquireWriterLock(path, 0o640, 30_000)).toThrow(
      /is already written by process \d+ on host .*give each process its own path/,
    );
    expect(JSON.parse(readFileSync(`${path}.lock`, "utf8"))).toMatchObject({ token: "other" });
  });

  it("takes over the lock of a process that no longer exists (a crash, SIGKILL)", () => {
    writeLock(deadPid(), "dead");
    const lock = acquireWriterLock(path, 0o640, 30_000);
    expect(JSON.parse(readFileSync(`${path}.lock`, "utf8"))).toMatchObject({ pid: process.pid });
    lock.release();
  });

  it("takes over a leftover naming this process but none of its locks (a reused process id)", () => {
    writeLock(process.pid, "earlier-run");
    const lock = acquireWriterLock(path, 0o640, 30_000);
    lock.release();
  });

  it("judges another host's lock by its heartbeat alone", () => {
    writeLock(process.ppid, "remote", "another-host", 60_000);
    expect(() => acquireWriterLock(path, 0o640, 30_000)).toThrow(/on host "another-host"/);
    const old = (Date.now() - 61_000) / 1000;
    utimesSync(`${path}.lock`, old, old);
    const lock = acquireWriterLock(path, 0o640, 30_000);
    lock.release();
  });

  it("tells its owner when the lock was removed or taken over, and never removes another's", () => {
    const lock = acquireWriterLock(path, 0o640, 30_000);
    writeLock(process.ppid, "usurper");
    expect(lock.refresh()).toBe(false);
    lock.release();
    expect(JSON.parse(readFileSync(`${path}.lock`, "utf8"))).toMatchObject({ token: "usurper" });
  });
});
