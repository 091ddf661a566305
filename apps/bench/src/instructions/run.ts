// The cost of metering in instructions, which a shared, noisy machine does not change the way it
// changes wall time: each workload runs under valgrind's callgrind, which counts every
// instruction of every thread. Rounds interleave five pipeline runs (see `pipeline.ts`):
//   startup             withQueue(createFileSink(...)), no events: loading, setup and close
//   queue, N/2 and N    the same with half of `--events` and with all of them
//   queue-metrics, both withMetrics(withQueue(createFileSink(...)), { metrics, name })
// The difference between the two sizes is what an event costs once the code is compiled (the
// startup, parsing and compiling of the metering code fall out of it); the counts at both sizes
// also project the overhead for one million events, startup excluded. Garbage collection is the
// part of the count that varies most from run to run (its incremental steps are paced by the
// clock), so the count outside V8's collector is shown beside the total. Then the cost of one
// histogram record (see `record.ts`), in instructions and in nanoseconds on the clock. Every line
// a pipeline run writes is parsed and checked here, outside the count.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { argument, checkLines, fail } from "../measure.ts";
import {
  collector,
  type FunctionCount,
  functionCounts,
  type Part,
  parsePerfMap,
  partOf,
  partTotals,
} from "./attribution.ts";

const events = Number(argument("events", "200000"));
const half = Math.floor(events / 2);
const rounds = Number(argument("rounds", "3"));
const records = Number(argument("records", "20000000"));
const here = dirname(fileURLToPath(import.meta.url));

const version = spawnSync("valgrind", ["--version"], { encoding: "utf8" });
if (version.error !== undefined || version.status !== 0) {
  process.stdout.write(
    "skipped: counting instructions needs valgrind (apt-get install valgrind)\n",
  );
  process.exit(0);
}
const annotate = spawnSync("callgrind_annotate", ["--version"], { encoding: "utf8" });
const canSplit = annotate.error === undefined;

// V8's background threads do their work on the main thread (`--single-threaded`), and valgrind
// hands the lock between threads in turn (`--fair-sched=yes`): both make the counts repeat more
// closely. `--smc-check=all-non-file` lets valgrind see code V8 generates and patches.
const valgrindFlags = ["--tool=callgrind", "--smc-check=all-non-file", "--fair-sched=yes"];
const nodeFlags = ["--single-threaded"];

interface Count {
  readonly total: number;
  readonly collector: number | undefined;
  readonly stdout: string;
  /** Each function's own count, with `--attribute`. */
  readonly functions: readonly FunctionCount[];
}

const attribute = process.argv.includes("--attribute");

function callgrind(
  script: string,
  args: readonly string[],
  label: string,
  extraNodeFlags: readonly string[] = [],
): Count {
  const directory = mkdtempSync(join(tmpdir(), "sluice-callgrind-"));
  const out = join(directory, "callgrind.out");
  try {
    const run = spawnSync(
      "valgrind",
      [
        ...valgrindFlags,
        `--callgrind-out-file=${out}`,
        process.execPath,
        ...nodeFlags,
        ...extraNodeFlags,
        join(here, script),
        ...args,
      ],
      // In the run's own directory: with `--perf-basic-prof` V8 may also write an isolate log
      // to the working directory, removed here with the rest.
      { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, cwd: directory },
    );
    // `--perf-basic-prof` makes V8 write where it put each compiled function, by process id.
    const perfMap = `/tmp/perf-${run.pid}.map`;
    try {
      if (run.status !== 0) fail(`${label}: exit ${run.status}\n${run.stderr.slice(-2000)}`);
      const totals = /^(?:totals|summary): (\d+)/m.exec(readFileSync(out, "utf8"));
      if (totals === null) fail(`${label}: no total in the callgrind output`);
      const listing = canSplit ? annotateListing(out) : undefined;
      const functions =
        listing !== undefined && extraNodeFlags.includes("--perf-basic-prof")
          ? functionCounts(listing, parsePerfMap(readFileSync(perfMap, "utf8")))
          : [];
      return {
        total: Number(totals[1]),
        collector: listing === undefined ? undefined : collectorCount(listing),
        stdout: run.stdout,
        functions,
      };
    } finally {
      rmSync(perfMap, { force: true });
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

/** Each function's own count, every function listed. */
function annotateListing(out: string): string {
  return spawnSync("callgrind_annotate", ["--inclusive=no", "--threshold=100", out], {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
  }).stdout;
}

function collectorCount(listing: string): number {
  let sum = 0;
  for (const line of listing.split("\n")) {
    const match = /^\s*([\d,]+)\s+\([^)]*\)\s+(.*)$/.exec(line);
    if (match !== null && collector.test(match[2] as string))
      sum += Number((match[1] as string).replaceAll(",", ""));
  }
  return sum;
}

function pipeline(
  subject: string,
  count: number,
  round: number,
  extraNodeFlags: readonly string[] = [],
): Count {
  const directory = mkdtempSync(join(tmpdir(), "sluice-bench-instructions-"));
  const path = join(directory, "bench.log");
  const label = `${subject} round ${round}`;
  try {
    const result = callgrind(
      "pipeline.js",
      [`--subject=${subject}`, `--events=${count}`, `--path=${path}`],
      label,
      extraNodeFlags,
    );
    const check = checkLines(count === 0 ? "" : readFileSync(path, "utf8"), "/api/items", 0);
    if (check.problem !== undefined) fail(`${label}: ${check.problem}`);
    if (check.lines !== count) fail(`${label}: ${check.lines} of ${count} lines`);
    if (subject === "queue-metrics") {
      const metered = JSON.parse(result.stdout) as Record<string, number>;
      for (const key of ["events", "delivered", "observed"]) {
        if (metered[key] !== count) fail(`${label}: metrics ${key} ${metered[key]}, not ${count}`);
      }
    }
    return result;
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}

const median = (values: readonly number[]): number =>
  [...values].sort((a, b) => a - b)[values.length >> 1] as number;
const millions = (value: number): string => (value / 1e6).toFixed(1);
const percent = (value: number): string => `${(value * 100).toFixed(2)}%`;

if (attribute) {
  attributeByFunction();
  process.exit(0);
}
process.stdout.write(
  `${version.stdout.trim()}, node ${process.version} ${nodeFlags.join(" ")}; ${half} and ${events} events, ${rounds} rounds\n`,
);
const subjects = [
  { name: "startup", subject: "queue", count: 0 },
  { name: "queue N/2", subject: "queue", count: half },
  { name: "queue N", subject: "queue", count: events },
  { name: "queue-metrics N/2", subject: "queue-metrics", count: half },
  { name: "queue-metrics N", subject: "queue-metrics", count: events },
] as const;
const counts = new Map<string, Count[]>(subjects.map(({ name }) => [name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const { name, subject, count } of subjects) {
    const result = pipeline(subject, count, round);
    counts.get(name)?.push(result);
    const outside =
      result.collector === undefined
        ? ""
        : `, outside the collector ${millions(result.total - result.collector)} M`;
    process.stdout.write(
      `round ${round} ${name}: ${millions(result.total)} M instructions${outside}\n`,
    );
  }
}

function overhead(pick: (count: Count) => number, what: string): void {
  const runs = (name: string): number[] => (counts.get(name) ?? []).map(pick);
  const startup = median(runs("startup"));
  const [queueHalf, queueAll, meteredHalf, meteredAll] = [
    runs("queue N/2"),
    runs("queue N"),
    runs("queue-metrics N/2"),
    runs("queue-metrics N"),
  ] as [number[], number[], number[], number[]];
  const span = events - half;
  const queuePerEvent = (median(queueAll) - median(queueHalf)) / span;
  const meteredPerEvent = (median(meteredAll) - median(meteredHalf)) / span;
  // The least favourable pairing of the runs: the most metered against the least unmetered work.
  const worstMetered = (Math.max(...meteredAll) - Math.min(...meteredHalf)) / span;
  const worstQueue = (Math.min(...queueAll) - Math.max(...queueHalf)) / span;
  // Each subject's count as fixed + per event * events, from its medians at both sizes.
  const queueFixed = median(queueAll) - queuePerEvent * events;
  const meteredFixed = median(meteredAll) - meteredPerEvent * events;
  const million = 1_000_000;
  const projected =
    (meteredFixed - queueFixed + (meteredPerEvent - queuePerEvent) * million) /
    (queueFixed - startup + queuePerEvent * million);
  const range = (values: readonly number[]): string =>
    `${millions(Math.min(...values))}-${millions(Math.max(...values))} M`;
  process.stdout.write(
    `${what}: an event costs ${queuePerEvent.toFixed(0)} instructions unmetered, ` +
      `${meteredPerEvent.toFixed(0)} metered: overhead ${percent(meteredPerEvent / queuePerEvent - 1)} ` +
      `(at worst ${percent(worstMetered / worstQueue - 1)} from the ranges: queue ${range(queueHalf)} and ${range(queueAll)}, ` +
      `queue-metrics ${range(meteredHalf)} and ${range(meteredAll)}); ` +
      `metering's fixed cost ${millions(meteredFixed - queueFixed)} M; projected for one million events: ${percent(projected)}\n`,
  );
}
overhead((count) => count.total, "all instructions");
if (canSplit) overhead((count) => count.total - (count.collector ?? 0), "outside the collector");

const recordCount = (mode: string): number =>
  callgrind("record.js", [`--mode=${mode}`, `--records=${records}`], `record ${mode}`).total;
const recordInstructions = (recordCount("record") - recordCount("empty")) / records;
const timed = spawnSync(process.execPath, [join(here, "record.js"), "--mode=time"], {
  encoding: "utf8",
});
if (timed.status !== 0) fail(`record time: exit ${timed.status}\n${timed.stderr}`);
const { recordNs, emptyNs } = JSON.parse(timed.stdout) as { recordNs: number; emptyNs: number };
process.stdout.write(
  `histogram record: ${recordInstructions.toFixed(1)} instructions (${records} records under callgrind); ` +
    `${(recordNs - emptyNs).toFixed(1)} ns on the clock (${recordNs.toFixed(1)} ns a call against ${emptyNs.toFixed(1)} ns empty, medians of 9 rounds)\n`,
);

/**
 * `--attribute`: `rounds` rounds of four runs, each profiled by function (see `attribution.ts`):
 * both pipelines with half of `--events` and with all of them. A function's cost an event on one
 * side is the difference of its counts at the two sizes over the events between them, so
 * loading, setting up, warming up and closing (the metering package's among them) fall out;
 * metering's cost is the metered side's less the unmetered side's. Its share is of what an
 * unmetered event costs outside the collector and the compilers: the smaller base, so the larger
 * share.
 */
function attributeByFunction(): void {
  if (!canSplit) fail("--attribute needs callgrind_annotate");
  const flags = ["--perf-basic-prof"];
  type Side = "queue" | "queue-metrics";
  type Run = `${Side} ${"N/2" | "N"}`;
  const sides = [
    { name: "queue N/2", subject: "queue", count: half },
    { name: "queue-metrics N/2", subject: "queue-metrics", count: half },
    { name: "queue N", subject: "queue", count: events },
    { name: "queue-metrics N", subject: "queue-metrics", count: events },
  ] as const;
  // `--from=<file>` reports the runs a `--save=<file>` kept instead of running them again.
  const from = argument("from", "");
  const saved =
    from === ""
      ? undefined
      : (JSON.parse(readFileSync(from, "utf8")) as {
          half: number;
          events: number;
          runs: Record<Run, { total: number; functions: FunctionCount[] }>[];
        });
  const size = saved?.events ?? events;
  const halfSize = saved?.half ?? half;
  const rows: Record<Run, Count>[] = [];
  if (saved !== undefined) {
    for (const run of saved.runs) {
      const row: Partial<Record<Run, Count>> = {};
      for (const { name } of sides) {
        const kept = run[name];
        row[name] = {
          total: kept.total,
          collector: undefined,
          stdout: "",
          functions: kept.functions,
        };
      }
      rows.push(row as Record<Run, Count>);
    }
  } else {
    for (let round = 1; round <= rounds; round++) {
      const row: Partial<Record<Run, Count>> = {};
      for (const { name, subject, count } of sides)
        row[name] = pipeline(subject, count, round, flags);
      rows.push(row as Record<Run, Count>);
    }
  }
  process.stdout.write(
    `attribution by function: ${saved === undefined ? version.stdout.trim() : `runs from ${from}`}, node ${process.version} ${[...nodeFlags, ...flags].join(" ")}; ${halfSize} and ${size} events, ${rows.length} rounds\n`,
  );
  rows.forEach((row, index) => {
    for (const { name } of sides) {
      const parts = partTotals(row[name].functions);
      process.stdout.write(
        `round ${index + 1} ${name}: ${millions(row[name].total)} M in all; ` +
          `metering ${millions(parts.metering)} M, collector ${millions(parts.collector)} M, ` +
          `compilers ${millions(parts.compiler)} M, other ${millions(parts.other)} M\n`,
      );
    }
  });
  // Every run's functions, for a closer look than the summary below.
  const save = argument("save", "");
  if (save !== "") {
    const runs = rows.map((row) =>
      Object.fromEntries(
        Object.entries(row).map(([name, count]) => [
          name,
          { total: count.total, functions: count.functions },
        ]),
      ),
    );
    writeFileSync(save, `${JSON.stringify({ half: halfSize, events: size, runs })}\n`);
  }

  const outside = (count: Count): number => {
    const parts = partTotals(count.functions);
    return parts.metering + parts.other;
  };
  const perEvent = (row: Record<Run, Count>, side: Side, pick: (count: Count) => number): number =>
    (pick(row[`${side} N`]) - pick(row[`${side} N/2`])) / (size - halfSize);
  // What an unmetered event costs outside the collector and the compilers, round by round.
  const bases = rows.map((row) => perEvent(row, "queue", outside));
  const differences = (pick: (count: Count) => number): number[] =>
    rows.map((row) => perEvent(row, "queue-metrics", pick) - perEvent(row, "queue", pick));
  const signed = (value: number, digits = 0): string =>
    `${value >= 0 ? "+" : ""}${value.toFixed(digits)}`;
  const summary = (what: string, values: readonly number[]): void => {
    const shares = values.map((value, index) => value / (bases[index] as number));
    process.stdout.write(
      `${what}: ${values.map((value, index) => `${signed(value)} (${percent(shares[index] as number)})`).join(", ")}; ` +
        `median ${percent(median(shares))}, range ${percent(Math.min(...shares))} to ${percent(Math.max(...shares))}\n`,
    );
  };
  const part =
    (which: Part) =>
    (count: Count): number =>
      partTotals(count.functions)[which];
  process.stdout.write(
    `an unmetered event outside the collector and the compilers: ${bases.map((value) => value.toFixed(0)).join(", ")} instructions\n` +
      "metered minus unmetered, instructions an event by round (share of that cost):\n",
  );
  summary("  metering functions", differences(part("metering")));
  summary("  other functions", differences(part("other")));
  summary("  outside the collector and the compilers", differences(outside));
  summary("  collector", differences(part("collector")));
  summary(
    "  in all",
    differences((count) => count.total),
  );

  // Per function: own instructions an event on each side, round by round.
  const byName = new Map<Count, Map<string, number>>(
    rows.flatMap((row) =>
      Object.values(row).map((run) => [
        run,
        new Map(run.functions.map(({ name, count }) => [name, count])),
      ]),
    ),
  );
  const functionPerEvent = (row: Record<Run, Count>, side: Side, name: string): number =>
    perEvent(row, side, (run) => byName.get(run)?.get(name) ?? 0);
  const names = new Set(
    rows.flatMap((row) =>
      Object.values(row).flatMap((run) => run.functions.map(({ name }) => name)),
    ),
  );
  const moved = [...names].map((name) => {
    const plain = rows.map((row) => functionPerEvent(row, "queue", name));
    const metered = rows.map((row) => functionPerEvent(row, "queue-metrics", name));
    return {
      name,
      part: partOf(name) as Part,
      plain: median(plain),
      metered: median(metered),
      rounds: metered.map((value, index) => value - (plain[index] as number)),
    };
  });
  const line = (entry: (typeof moved)[number]): string =>
    `  ${entry.plain.toFixed(1).padStart(7)} ${entry.metered.toFixed(1).padStart(7)}  ${entry.rounds.map((value) => signed(value, 1).padStart(6)).join(" ")}  ${entry.name.slice(0, 100)}\n`;
  const sum = (entry: (typeof moved)[number]): number =>
    entry.rounds.reduce((total, value) => total + value, 0);
  process.stdout.write(
    "own instructions an event: unmetered and metered (medians), then the difference round by round\n" +
      "metering functions:\n",
  );
  for (const entry of moved
    .filter(
      (candidate) =>
        candidate.part === "metering" && candidate.rounds.some((value) => Math.abs(value) >= 0.05),
    )
    .sort((a, b) => sum(b) - sum(a)))
    process.stdout.write(line(entry));
  process.stdout.write("other functions that moved most (either way):\n");
  for (const entry of moved
    .filter((candidate) => candidate.part === "other")
    .sort((a, b) => Math.abs(sum(b)) - Math.abs(sum(a)))
    .slice(0, 15))
    process.stdout.write(line(entry));
}
