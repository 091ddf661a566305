import { randomBytes } from "node:crypto";
import {
  linkSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { hostname } from "node:os";
import { LoggingError } from "@sluice/core";

/**
 * The lock a rolling file sink holds on its path, so that one sink at a time renames, deletes and
 * compresses its files. It is a lock file, `<path>.lock`, holding the owner's process id, host and
 * a random token; Node has no `flock`, and a lock file also works across hosts sharing a network
 * file system. The owner refreshes its modification time as a heartbeat. A lock is stale, and
 * taken over, when its owner is a process of this host that no longer exists (at once, after a
 * crash or SIGKILL), or when its heartbeat is older than the owner declared (any host; the only
 * test for another host, or another PID namespace of this one).
 */
export interface WriterLock {
  /** The lock file's path. */
  readonly path: string;
  /**
   * Refreshes the heartbeat. Returns `false` when the lock is no longer this owner's (removed
   * from outside, or taken over): the owner must stop writing and acquire it again.
   */
  refresh(): boolean;
  /** Removes the lock file if it is still this owner's. Never throws. */
  release(): void;
}

interface LockRecord {
  readonly pid: number;
  readonly host: string;
  readonly token: string;
  readonly staleAfterMs: number;
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockRecord>;
    if (
      typeof value.pid === "number" &&
      typeof value.host === "string" &&
      typeof value.token === "string" &&
      typeof value.staleAfterMs === "number"
    ) {
      return value as LockRecord;
    }
  } catch {
    // Unreadable: judged by its age alone.
  }
  return undefined;
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

// The tokens of the locks this process holds: a lock naming this process but none of these is a
// leftover of an earlier process that had the same id (a restarted container's PID 1).
const heldTokens = new Set<string>();

/** Whether the lock whose file holds `text` (modified at `modifiedAt`) has no live owner. */
function isStale(text: string, modifiedAt: number, host: string): boolean {
  const record = parseRecord(text);
  // A heartbeat older than its owner declared means no owner, whatever else says (the owner's
  // process id may have been reused). An unreadable lock file is judged by its age alone.
  if (Date.now() - modifiedAt > (record?.staleAfterMs ?? 30_000)) return true;
  if (record === undefined || record.host !== host) return false;
  if (record.pid === process.pid) return !heldTokens.has(record.token);
  return !processExists(record.pid);
}

function heldError(activePath: string, lockPath: string, text: string | undefined): LoggingError {
  const record = text === undefined ? undefined : parseRecord(text);
  const owner =
    record === undefined ? "another sink" : `process ${record.pid} on host "${record.host}"`;
  return new LoggingError(
    "sink_failure",
    `File sink "${activePath}" is already written by ${owner} (lock file "${lockPath}"). ` +
      "A rolling file has one writer: give each process its own path. This sink retries, and " +
      "takes over when the other one closes or its process ends.",
  );
}

/**
 * @internal takes the writer lock of `activePath`, taking over a stale one.
 *
 * @param activePath the sink's path; the lock file is `<activePath>.lock`.
 * @param mode the lock file's mode.
 * @param staleAfterMs how old this owner's heartbeat may get before others may take the lock.
 * @returns the lock.
 * @throws {LoggingError} `sink_failure` naming the owner, when another live sink holds the lock;
 *   or the file system's error when the lock file cannot be written.
 */
export function acquireWriterLock(
  activePath: string,
  mode: number,
  staleAfterMs: number,
): WriterLock {
  const lockPath = `${activePath}.lock`;
  const host = hostname();
  const token = randomBytes(12).toString("hex");
  const text = JSON.stringify({ pid: process.pid, host, token, staleAfterMs });
  // Written in full under a private name, then linked into place: link() fails if the lock
  // exists, atomically, and nobody ever reads a half-written lock of ours.
  const candidate = `${lockPath}.${token}`;
  writeFileSync(candidate, text, { mode, flag: "wx" });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(candidate, lockPath);
        return createLock(lockPath, text, token);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
      const held = readText(lockPath);
      let modifiedAt: number;
      try {
        modifiedAt = statSync(lockPath).mtimeMs;
      } catch {
        continue; // released meanwhile: try again
      }
      if (held === undefined || !isStale(held, modifiedAt, host)) {
        throw heldError(activePath, lockPath, held);
      }
      takeOver(lockPath, held, token);
    }
    throw heldError(activePath, lockPath, readText(lockPath));
  } finally {
    try {
      unlinkSync(candidate);
    } catch {
      // Nothing to clean.
    }
  }
}

/**
 * Removes a stale lock. It is first renamed to a private name, so that of several processes
 * taking over at once only one removes it; if what was renamed is not the stale lock that was
 * read (a new owner's lock, created in between), it is put back.
 */
function takeOver(lockPath: string, staleText: string, token: string): void {
  const moved = `${lockPath}.stale.${token}`;
  try {
    renameSync(lockPath, moved);
  } catch {
    return; // someone else moved it first
  }
  try {
    if (readText(moved) !== staleText) linkSync(moved, lockPath);
  } catch {
    // Another owner linked a lock in between: the one moved aside lost its race.
  }
  try {
    unlinkSync(moved);
  } catch {
    // Already gone.
  }
}

function createLock(lockPath: string, text: string, token: string): WriterLock {
  heldTokens.add(token);
  let owned = true;
  const lose = (): void => {
    owned = false;
    heldTokens.delete(token);
  };
  return {
    path: lockPath,
    refresh() {
      if (!owned) return false;
      if (readText(lockPath) !== text) {
        lose();
        return false;
      }
      try {
        const now = new Date();
        utimesSync(lockPath, now, now);
      } catch {
        // Removed between the read and the touch: the next refresh says so.
      }
      return true;
    },
    release() {
      if (!owned) return;
      lose();
      if (readText(lockPath) !== text) return;
      try {
        unlinkSync(lockPath);
      } catch {
        // Already gone.
      }
    },
  };
}
