import { readdir, stat, unlink } from "node:fs/promises";
import { basename, dirname, extname, join } from "node:path";

/** A rolled file found next to the active one. */
export interface RolledFile {
  readonly path: string;
  /** The roll sequence number: strictly increasing across rolls, restarts and clock jumps. */
  readonly sequence: number;
  /** Last modification time, in milliseconds since the epoch. */
  readonly modifiedAt: number;
  /** Whether this is a gzip archive (`.gz`). */
  readonly compressed: boolean;
}

/**
 * The naming scheme of rolled files: `app.log` rolls to `app.2026-11-28T09-15-00Z.000042.log`.
 * Years outside 0000-9999 take ISO 8601's expanded form (`+010000`, `-000001`), so every date a
 * `Date` can hold gives a name the pattern recognises.
 */
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
      `^${escapeRegExp(stem)}\\.(?:\\d{4}|[+-]\\d{6})-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}Z\\.(\\d{6,})${escapeRegExp(extension)}(\\.gz)?$`,
    ),
  };
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

/** @internal the roll time as it appears in a name: `2026-11-28T09-15-00Z`, in UTC. */
export function rolledStamp(time: number): string {
  const date = new Date(time);
  const year = date.getUTCFullYear();
  const yearText =
    year >= 0 && year <= 9999 ? pad(year, 4) : `${year < 0 ? "-" : "+"}${pad(Math.abs(year), 6)}`;
  return `${yearText}-${pad(date.getUTCMonth() + 1, 2)}-${pad(date.getUTCDate(), 2)}T${pad(
    date.getUTCHours(),
    2,
  )}-${pad(date.getUTCMinutes(), 2)}-${pad(date.getUTCSeconds(), 2)}Z`;
}

/**
 * @internal the path for the next rolled file. `time` must be a representable date (see
 * `readClock`); the caller substitutes the system clock when the configured one gives none.
 */
export function rolledPath(naming: RolledNaming, sequence: number, time: number): string {
  const name = `${naming.stem}.${rolledStamp(time)}.${pad(sequence, 6)}${naming.extension}`;
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
      files.push({
        path,
        sequence: Number(match[1]),
        modifiedAt: info.mtimeMs,
        compressed: match[2] !== undefined,
      });
    } catch {
      // Deleted between readdir and stat: nothing to keep or remove.
    }
  }
  return files.sort((a, b) => a.sequence - b.sequence);
}

/**
 * @internal deletes rolled files past `maxFiles` (oldest first) or older than `maxAgeMs` at `now`. The
 * active file never matches the rolled pattern, so it is never deleted.
 */
export async function applyRetention(
  files: readonly RolledFile[],
  maxFiles: number | undefined,
  maxAgeMs: number | undefined,
  now: number | undefined,
): Promise<string[]> {
  const doomed = new Set<string>();
  if (maxFiles !== undefined && files.length > maxFiles) {
    for (const file of files.slice(0, files.length - maxFiles)) doomed.add(file.path);
  }
  // Without a clock reading, age is unknown: nothing is deleted for its age.
  if (maxAgeMs !== undefined && now !== undefined) {
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

/** @internal the start of the UTC calendar period containing `time`. */
export function periodStart(
  time: number,
  interval: "minute" | "hour" | "day" | "week" | "month",
): number {
  const floorTo = (unit: number): number => Math.floor(time / unit) * unit;
  switch (interval) {
    case "minute":
      return floorTo(60_000);
    case "hour":
      return floorTo(3_600_000);
    case "day":
      return floorTo(86_400_000);
    case "week": {
      const day = floorTo(86_400_000);
      // Weeks start on Monday; getUTCDay() is 0 for Sunday.
      return day - ((new Date(day).getUTCDay() + 6) % 7) * 86_400_000;
    }
    case "month": {
      // setUTC* rather than Date.UTC, which maps years 0-99 to 1900-1999.
      const start = new Date(floorTo(86_400_000));
      start.setUTCDate(1);
      return start.getTime();
    }
  }
}
