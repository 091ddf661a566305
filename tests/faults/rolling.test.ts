// Rolling with gzip under faults (a disk that fills during a gzip, SIGKILL in the middle of one,
// then a restart), and two processes rolling one path: every event counted delivered is in
// exactly one file, plain or a complete archive, once and in order; nothing is lost silently.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { gunzipSync } from "node:zlib";
import { describe, test } from "vitest";
import {
  addFigures,
  conclude,
  conservationViolations,
  figures,
  heard,
  mountTmpfs,
  type OutputEvents,
  outputViolations,
  parseEvents,
  runScenario,
  scale,
  skipScenario,
  startScenario,
  workDirectory,
} from "./harness.ts";

const group = "rolling";

/** What a rolling sink left in its folder, read in roll order (then the active file). */
interface Archive {
  readonly texts: string[];
  readonly compressed: number;
  readonly plain: number;
  /** `.gz.partial` leftovers, and plain files beside their own `.gz`. */
  readonly leftovers: string[];
  /** Archives that do not decompress whole. */
  readonly broken: string[];
}

function readArchive(directory: string, name = "app.log"): Archive {
  const stem = name.slice(0, -".log".length);
  const names = readdirSync(directory);
  const rolled = names
    .map((entry) => ({ entry, match: /\.(\d{6,})\.log(\.gz)?$/.exec(entry) }))
    .filter(({ entry, match }) => match !== null && entry.startsWith(`${stem}.`))
    .sort((a, b) => Number(a.match?.[1]) - Number(b.match?.[1]));
  const texts: string[] = [];
  const broken: string[] = [];
  let compressed = 0;
  for (const { entry } of rolled) {
    const bytes = readFileSync(join(directory, entry));
    if (!entry.endsWith(".gz")) {
      texts.push(bytes.toString("utf8"));
      continue;
    }
    compressed++;
    try {
      texts.push(gunzipSync(bytes).toString("utf8"));
    } catch (error) {
      broken.push(`${entry}: ${(error as Error).message}`);
    }
  }
  if (names.includes(name)) texts.push(readFileSync(join(directory, name), "utf8"));
  const leftovers = names.filter(
    (entry) => entry.endsWith(".gz.partial") || names.includes(`${entry}.gz`),
  );
  return { texts, compressed, plain: rolled.length - compressed, leftovers, broken };
}

function archiveViolations(archive: Archive): string[] {
  const violations: string[] = [];
  if (archive.broken.length > 0) violations.push(`broken archives: ${archive.broken.join(", ")}`);
  if (archive.leftovers.length > 0) violations.push(`left behind: ${archive.leftovers.join(", ")}`);
  return violations;
}

/** The events of one writer (N in [from, to)), as if they were alone in the output. */
/** The events numbered in [from, to); unreadable lines are judged by the caller, not here. */
function only(found: OutputEvents, from: number, to: number): OutputEvents {
  return {
    numbers: found.numbers.filter((n) => n >= from && n < to),
    others: 0,
    invalid: [],
    tornEnd: false,
  };
}

const second = 1_000_000_000;

describe("rolling and gzip", () => {
  test("the disk fills in the middle of a gzip, then is freed: no broken or partial archive, every event counted delivered found once", (context) => {
    const scenario = "gzip on a 4 MiB tmpfs that fills during a gzip, then freed";
    const disk = mountTmpfs(4096);
    if (disk === undefined) skipScenario(context, group, scenario, "needs root to mount a tmpfs");
    try {
      const path = join(disk.directory, "app.log");
      const result = runScenario({
        fixture: "gzip-writer.mjs",
        args: { path, count: scale(10_000, 100_000), fill: join(disk.directory, "filler") },
      });
      const file = figures(result.final);
      const archive = readArchive(disk.directory);
      const violations = [
        ...conservationViolations(result.final),
        ...archiveViolations(archive),
        // A write the full disk tore is ended by the sink and its events counted failed.
        ...outputViolations(parseEvents(...archive.texts), file.delivered ?? -1, {
          allowInvalid: true,
        }),
      ];
      if (result.final?.filled !== true) violations.push("no gzip ran into the full disk");
      const errors = (result.final?.errors as string[] | undefined) ?? [];
      if (!errors.includes("ENOSPC")) violations.push(`no ENOSPC reported (${errors.join(", ")})`);
      conclude(
        {
          group,
          scenario,
          ...file,
          notes: `${archive.compressed} archives, ${archive.plain} rolled files left plain; ${heard(result.final)}`,
        },
        violations,
      );
    } finally {
      disk?.unmount();
    }
  });

  test("SIGKILL in the middle of a gzip, then a restart: the archive is made again whole, nothing counted delivered is lost", async () => {
    const kills = scale(2, 10);
    const scenario = `SIGKILL in the middle of a gzip (${kills} times), then a restart on the same path`;
    const violations: string[] = [];
    const runs = [];
    const notes: string[] = [];
    for (let kill = 0; kill < kills; kill++) {
      const directory = workDirectory();
      const path = join(directory, "app.log");
      const maxSize = 1024 * 1024;
      const running = startScenario({ fixture: "gzip-writer.mjs", args: { path, maxSize } });
      // Kill it the moment an archive being written has data in it.
      const deadline = Date.now() + 30_000;
      let caught = "";
      while (caught === "" && Date.now() < deadline) {
        for (const name of readdirSync(directory)) {
          if (!name.endsWith(".gz.partial")) continue;
          try {
            if (statSync(join(directory, name)).size > 0) caught = name;
          } catch {
            // Renamed between readdir and stat: the gzip just ended.
          }
        }
        if (caught === "") await sleep(1);
      }
      running.child.kill("SIGKILL");
      const killed = await running.done;
      const prefix = `kill ${kill}`;
      if (caught === "") violations.push(`${prefix}: no gzip seen in 30 s`);
      // What the kill left: any complete-looking `.gz` must really be complete.
      const before = readArchive(directory);
      if (before.broken.length > 0)
        violations.push(`${prefix}: broken archives after the kill: ${before.broken.join(", ")}`);
      const restarted = runScenario({
        fixture: "gzip-writer.mjs",
        args: { path, maxSize, offset: second, count: 2_000 },
      });
      const archive = readArchive(directory);
      const found = parseEvents(...archive.texts);
      violations.push(
        ...conservationViolations(restarted.final).map((text) => `${prefix}: ${text}`),
        ...archiveViolations(archive).map((text) => `${prefix}: ${text}`),
        ...outputViolations(
          only(found, second, 2 * second),
          figures(restarted.final).delivered ?? -1,
        ).map((text) => `${prefix}, restart: ${text}`),
      );
      // The killed run: what it last reported delivered is there, once, in order; at most the
      // line the kill tore is unreadable (and it is not glued to the restart's first line).
      const last = killed.reports.at(-1)?.chains[0]?.[0]?.stats;
      const mine = only(found, 0, second).numbers;
      if (last === undefined) violations.push(`${prefix}: the killed run reported nothing`);
      else if (mine.length < last.delivered) {
        violations.push(`${prefix}: ${mine.length} lines, ${last.delivered} reported delivered`);
      }
      if (!mine.every((n, index) => index === 0 || n > (mine[index - 1] as number))) {
        violations.push(`${prefix}: events out of order or repeated`);
      }
      if (found.invalid.length > 1)
        violations.push(`${prefix}: ${found.invalid.length} invalid lines`);
      runs.push({
        accepted: mine.length + (figures(restarted.final).accepted ?? 0),
        delivered: mine.length + (figures(restarted.final).delivered ?? 0),
        failed: figures(restarted.final).failed ?? 0,
        dropped: figures(restarted.final).dropped ?? {},
      });
      notes.push(
        `${caught.replace(/^app\..*\.(\d+)\.log\.gz\.partial$/, "roll $1")}: ${before.compressed} archives before the restart, ${archive.compressed} after; torn lines ${found.invalid.length}`,
      );
    }
    conclude(
      {
        group,
        scenario,
        ...addFigures(runs),
        notes: `accepted/delivered = lines of the killed runs found + the restarts' counts; ${notes.join("; ")}`,
      },
      violations,
    );
  });

  test("two processes rolling one path: one holds the lock, the other is refused (counted failed) and takes over; no torn line", async () => {
    const scenario = "two processes with size rolling (64 KiB) on one path";
    const directory = workDirectory();
    const path = join(directory, "app.log");
    const count = scale(500, 5_000);
    const offsets = [0, second];
    // The second starts once the first holds the lock, and logs twice as long (about 1 s against 2 s): it is refused
    // while the first runs, and must take over once the first has closed.
    const run = (offset: number, phases: number) =>
      startScenario({
        fixture: "file-writer.mjs",
        args: { path, count, offset, phases, phasePauseMs: 20, rolling: { maxSize: 64 * 1024 } },
      }).done;
    const first = run(offsets[0] as number, 40);
    const deadline = Date.now() + 20_000;
    while (!existsSync(`${path}.lock`) && Date.now() < deadline) await sleep(1);
    const results = await Promise.all([first, run(offsets[1] as number, 80)]);
    const archive = readArchive(directory);
    const found = parseEvents(...archive.texts);
    const violations = [...archiveViolations(archive)];
    for (const [index, offset] of offsets.entries()) {
      const result = results[index];
      violations.push(
        ...conservationViolations(result?.final).map((text) => `process ${index}: ${text}`),
        ...outputViolations(
          only(found, offset, offset + second),
          figures(result?.final).delivered ?? -1,
        ).map((text) => `process ${index}: ${text}`),
      );
    }
    if (found.invalid.length > 0)
      violations.push(`${found.invalid.length} torn or interleaved lines`);
    const [owner, refused] = results.map((result) => figures(result.final));
    if ((owner?.failed ?? 0) > 0) violations.push(`the first owner had ${owner?.failed} failed`);
    if (!((refused?.failed ?? 0) > 0 && (refused?.delivered ?? 0) > 0)) {
      violations.push(
        `the second: ${refused?.failed} failed while refused, ${refused?.delivered} delivered after taking over`,
      );
    }
    if (existsSync(`${path}.lock`)) violations.push("the lock file was left behind");
    const all = addFigures(results.map((result) => figures(result.final)));
    conclude(
      {
        group,
        scenario,
        ...all,
        notes: `first (owner): delivered ${owner?.delivered}; second: failed ${refused?.failed} while refused (${heard(results[1]?.final)}), delivered ${refused?.delivered} after taking over; ${archive.texts.length - 1} rolled files`,
      },
      violations,
    );
  });
});
