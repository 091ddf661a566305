import { createReadStream, createWriteStream } from "node:fs";
import { open, readdir, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { RolledNaming } from "./rolled-files.ts";

// An archive is written under this suffix and renamed to `.gz` only once complete, so a `.gz`
// the sink wrote is never truncated. The suffix keeps it outside the rolled-file pattern.
const partialSuffix = ".gz.partial";

/**
 * @internal compresses a rolled file to `<path>.gz` with the given mode, then removes the
 * original. The archive is written to `<path>.gz.partial`, forced to disk and renamed, so a kill
 * or a crash at any point leaves the original intact; a failure removes the partial archive.
 */
export async function compressRolledFile(path: string, mode: number): Promise<void> {
  const partial = path + partialSuffix;
  try {
    await pipeline(createReadStream(path), createGzip(), createWriteStream(partial, { mode }));
    // The original is about to go: the archive must survive a power loss first.
    const handle = await open(partial, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(partial, `${path}.gz`);
  } catch (error) {
    await unlink(partial).catch(() => {});
    throw error;
  }
  await unlink(path);
}

/**
 * @internal repairs what an interrupted compression left: partial archives are removed, and
 * where a rolled file exists both plain and as `.gz`, the archive is removed, because the plain
 * file is the authority (the archive may be a truncated one from an older version, or complete
 * from a kill between its rename and the original's removal; either way it is made again).
 */
export async function repairRolledFiles(naming: RolledNaming): Promise<void> {
  let names: string[];
  try {
    names = await readdir(naming.directory);
  } catch {
    return;
  }
  const present = new Set(names);
  for (const name of names) {
    const partial =
      name.endsWith(partialSuffix) && naming.pattern.test(name.slice(0, -partialSuffix.length));
    const shadowed =
      name.endsWith(".gz") && naming.pattern.test(name) && present.has(name.slice(0, -3));
    if (partial || shadowed) await unlink(join(naming.directory, name)).catch(() => {});
  }
}
