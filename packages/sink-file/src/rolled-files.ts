import { createReadStream, createWriteStream } from "node:fs";
import { readdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

/** A rolled file found next to the active one. */
export interface RolledFile {
  readonly path: string;
  /** The roll sequence number: strictly increasing across rolls, restarts and clock jumps. */
  readonly sequence: number;
  /** Last modification time, in milliseconds since the epoch. */
  readonly modifiedAt: number;
}

/** The naming scheme of rolled files: `app.log` rolls to `app.2026-11-28T09-15-00Z.000042.log`. */
export interface RolledNaming {
  readonly directory: string;
  readonly stem: string;
  readonly extension: string;
  readonly pattern: RegExp;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** @internal the naming scheme for an active file's path. */
export function rolledNaming(activePath: string): RolledNaming {
  const extension = extname(activePath);
  const stem = basename(activePath, extension);
  return {
    directory: dirname(activePath),
    stem,
    extension,
    pattern: new RegExp(
      `^${escapeRegExp(stem)}\\.\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z\\.(\\d{6,})${escapeRegExp(extension)}(\\.gz)?$`,
    ),
  };
}

/** @internal the path for the next rolled file. */
export function rolledPath(naming: RolledNaming, sequence: number, now: number): string {
  const stamp = new Date(now).toISOString().slice(0, 19).replace(/:/g, "-");
  const name = `${naming.stem}.${stamp}Z.${String(sequence).padStart(6, "0")}${naming.extension}`;
  return join(naming.directory, name);
}

/** @internal lists rolled files, oldest (lowest sequence) first. */
export async function listRolledFiles(naming: RolledNaming): Promise<RolledFile[]> {
  let names: string[];
  try {
    names = await readdir(naming.directory);
  } catch {
    return [];
  }
  const files: RolledFile[] = [];
  for (const name of names) {
    const match = naming.pattern.exec(name);
    if (match === null) continue;
    const path = join(naming.directory, name);
    try {
      const info = await stat(path);
      files.push({ path, sequence: Number(match[1]), modifiedAt: info.mtimeMs });
    } catch {
      // Deleted between readdir and stat: nothing to keep or remove.
    }
  }
  return files.sort((a, b) => a.sequence - b.sequence);
}

/**
 * @internal deletes rolled files past `maxFiles` (oldest first) or older than `maxAgeMs`. The
 * active file never matches the rolled pattern, so it is never deleted.
 */
export async function applyRetention(
  files: readonly RolledFile[],
  maxFiles: number | undefined,
  maxAgeMs: number | undefined,
  now: number,
): Promise<string[]> {
  const doomed = new Set<string>();
  if (maxFiles !== undefined && files.length > maxFiles) {
    for (const file of files.slice(0, files.length - maxFiles)) doomed.add(file.path);
  }
  if (maxAgeMs !== undefined) {
    for (const file of files) if (now - file.modifiedAt > maxAgeMs) doomed.add(file.path);
  }
  const deleted: string[] = [];
  for (const path of doomed) {
    try {
      await unlink(path);
      deleted.push(path);
    } catch {
      // Already gone.
    }
  }
  return deleted;
}

/** @internal the start of the UTC calendar period containing `now`. */
export function periodStart(
  now: number,
  interval: "minute" | "hour" | "day" | "week" | "month",
): number {
  const date = new Date(now);
  switch (interval) {
    case "minute":
      return now - (now % 60_000);
    case "hour":
      return now - (now % 3_600_000);
    case "day":
      return now - (now % 86_400_000);
    case "week": {
      const day = now - (now % 86_400_000);
      // Weeks start on Monday; getUTCDay() is 0 for Sunday.
      return day - ((date.getUTCDay() + 6) % 7) * 86_400_000;
    }
    case "month":
      return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
  }
}

/**
 * @internal compresses a rolled file to `<path>.gz` with the given mode, then removes the
 * original. On failure the partial `.gz` is removed and the original kept.
 */
export async function compressRolledFile(path: string, mode: number): Promise<void> {
  const target = `${path}.gz`;
  try {
    await pipeline(
      createReadStream(path),
      createGzip(),
      createWriteStream(target, { mode, flags: "wx" }),
    );
  } catch (error) {
    await unlink(target).catch(() => {});
    throw error;
  }
  await unlink(path);
}
