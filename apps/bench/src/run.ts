// Runs every benchmark scenario in its own child process, prints one table with ratios against
// pino, and with --write-readme regenerates the table in apps/bench/README.md, its chart and the
// summary table of the root README.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import { markdownTable, replaceSection } from "./markdown-table.ts";
import type { Measurement } from "./measure.ts";
import { ratioChart } from "./ratio-chart.ts";
import { fileSubjectNames } from "./scenarios/file-subject-names.ts";
import { summaryTable } from "./summary-table.ts";

interface Job {
  readonly script: string;
  readonly args: readonly string[];
  readonly nodeArgs?: readonly string[];
}

const quick = process.argv.includes("--quick");
const scale = quick ? 0.1 : 1;

const jobs: Job[] = [];
// Every scenario's subjects run in interleaved rounds (one child process each), and each row is
// that subject's median run: a shared machine drifts over the seconds a scenario takes.
const rounds = quick ? 1 : 5;
const coreSubjects: Record<string, readonly string[]> = {
  disabled: ["sluice", "pino", "winston", "logtape"],
  memory: ["sluice", "pino", "winston", "logtape"],
  child: ["sluice", "pino", "winston", "logtape"],
  json: ["sluice", "pino", "pino-async"],
};
for (let round = 0; round < rounds; round++) {
  for (const [scenario, subjects] of Object.entries(coreSubjects)) {
    for (const subject of subjects) {
      const iterations = (scenario === "disabled" ? 5e6 : 5e5) * scale;
      jobs.push({
        script: "scenarios/core.js",
        args: [`--case=${scenario}`, `--subject=${subject}`, `--iterations=${iterations}`],
      });
    }
  }
}

// The in-memory cases again with Sluice and pino taking turns in one process
// (core-interleaved.ts): the speed a process happens to run at on this host falls on both alike.
for (const scenario of ["memory", "child"]) {
  jobs.push({
    script: "scenarios/core-interleaved.js",
    args: [`--case=${scenario}`, `--pairs=${quick ? 20 : 400}`],
  });
}

for (let round = 0; round < rounds; round++) {
  for (const subject of fileSubjectNames) {
    jobs.push({
      script: "scenarios/file.js",
      args: [`--subject=${subject}`, `--events=${Math.round(1e6 * scale)}`],
    });
  }
}

// The file scenario's Sluice and pino subjects again, taking turns in one process
// (file-interleaved.ts), as the in-memory cases do above.
jobs.push({
  script: "scenarios/file-interleaved.js",
  args: [`--rounds=${quick ? 6 : 60}`, `--block=${quick ? 10000 : 50000}`],
});

// Ten runs of the queued burst with default queue options: none may drop (the line check) and
// the slowest run's wall time is compared with the median's, which shows bistable collection.
// pino's worker transport takes turns with it, the same ten bursts: its own spread in the same
// minutes is how far this host moves a process's speed from one run to the next.
for (let run = 0; run < (quick ? 2 : 10); run++) {
  for (const subject of ["sluice-queue", "pino-transport"]) {
    jobs.push({
      script: "scenarios/file.js",
      args: [`--subject=${subject}`, `--events=${Math.round(1e6 * scale)}`, "--scenario=burst"],
    });
  }
}

for (let round = 0; round < rounds; round++) {
  for (const subject of ["fast", "slow"]) {
    jobs.push({
      script: "scenarios/slow-consumer.js",
      args: [`--subject=${subject}`, `--events=${Math.round(3e5 * scale)}`],
    });
  }
}

for (let round = 0; round < rounds; round++) {
  for (const subject of ["queue", "queue-metrics"]) {
    jobs.push({
      script: "scenarios/metrics.js",
      args: [`--subject=${subject}`, `--events=${Math.round(1e6 * scale)}`],
    });
  }
}

// Metering's share of the pipeline's CPU time, both pipelines in one process taking turns: one
// child, its pairs of blocks interleaved within it.
jobs.push({
  script: "scenarios/metrics-interleaved.js",
  args: [`--pairs=${quick ? 20 : 300}`],
});

for (let round = 0; round < rounds; round++) {
  for (const subject of ["idle", "queued"]) {
    jobs.push({
      script: "scenarios/shutdown.js",
      args: [`--subject=${subject}`, `--events=${Math.round(1e6 * scale)}`],
    });
  }
}

for (const subject of ["sink", "tmpfs"]) {
  jobs.push({ script: "scenarios/recovery.js", args: [`--subject=${subject}`] });
}

const runs: Measurement[] = [];
for (const job of jobs) {
  const script = fileURLToPath(new URL(job.script, import.meta.url));
  const child = spawnSync(process.execPath, [...(job.nodeArgs ?? []), script, ...job.args], {
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.status !== 0) {
    process.stderr.write(`${job.script} ${job.args.join(" ")} failed:\n${child.stderr}\n`);
    process.exitCode = 1;
    continue;
  }
  for (const line of child.stdout.split("\n")) {
    if (line.startsWith("@@bench ")) runs.push(JSON.parse(line.slice(8)) as Measurement);
  }
}

/** Each subject's runs, in the order of their first runs. */
function groupRuns(all: readonly Measurement[]): Measurement[][] {
  const groups = new Map<string, Measurement[]>();
  for (const run of all) {
    const key = `${run.scenario}\u0000${run.subject}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [run]);
    else group.push(run);
  }
  return [...groups.values()].map((group) => [...group].sort((a, b) => a.nsPerOp - b.nsPerOp));
}

/** Each subject's median run, with the range and count of its runs in its notes. */
const results: Measurement[] = groupRuns(runs).map((sorted) => {
  const median = sorted[(sorted.length - 1) >> 1] as Measurement;
  if (sorted.length < 2) return median;
  const slowest = sorted[sorted.length - 1] as Measurement;
  const extra: Record<string, string | number> = {
    runs: sorted.length,
    range: `${(sorted[0] as Measurement).nsPerOp.toFixed(1)}-${slowest.nsPerOp.toFixed(1)}`,
    ...median.extra,
  };
  if (median.scenario === "burst") {
    extra["slowest / median"] = (slowest.nsPerOp / median.nsPerOp).toFixed(2);
    // The same on CPU time, which a busy host's wait for a core does not inflate.
    const cpu = sorted.map((run) => Number(run.extra?.["process CPU ns/event"]));
    extra["CPU ns/event, each run in wall order"] = cpu.join(" ");
    const cpuSorted = [...cpu].sort((a, b) => a - b);
    extra["CPU slowest / median"] = (
      (cpuSorted[cpuSorted.length - 1] as number) /
      (cpuSorted[(cpuSorted.length - 1) >> 1] as number)
    ).toFixed(2);
    // Whether a slow run collected more (bistable collection) or ran on a slower host.
    const pauses = sorted.map((run) => Number(run.extra?.["GC pause ms"]));
    extra["GC pause ms, each run in wall order"] = pauses.join(" ");
    extra["scavenges / mark-compacts, each run"] = sorted
      .map((run) => run.extra?.["scavenges / mark-compacts"])
      .join(", ");
  }
  return { ...median, extra };
});

const titles: Record<string, string> = {
  disabled: "disabled level (`debug` at `info`)",
  memory: "`info`, 2 properties, one JSON line to an in-memory destination",
  child: "child with 3 bound properties, `info`, 2 properties, one JSON line, in memory",
  "memory-interleaved":
    "the in-memory case, Sluice and pino taking turns in one process (ns per call, all blocks)",
  "child-interleaved":
    "the child case, Sluice and pino taking turns in one process (ns per call, all blocks)",
  json: "`info`, 2 properties, JSON line to a tmpfs file (caller ns per call)",
  file: "1M `info` events to a file, until all are on disk (ns per event, wall)",
  "file-interleaved":
    "the file case, the subjects taking turns in one process, blocks of 50,000 until on disk (ns per event, wall)",
  burst:
    "10 runs of the 1M burst into `withQueue(createFileSink)`, default options, taking turns with pino's worker transport (wall)",
  "slow-consumer": "caller cost of `withQueue(createFileSink)`: a file, then a pipe read at 5 MB/s",
  metrics: "1M `info` events to `withQueue(createFileSink)`, without and with `withMetrics` (wall)",
  "metrics-interleaved":
    "`withMetrics(withQueue(createFileSink))` beside the same unmetered, turns in one process (CPU ns per event)",
  shutdown:
    "SIGTERM to exit on tmpfs, `installProcessHooks` (idle: ns in all; queued: ns per event)",
  recovery: "back to the primary after a fault clears, resetTimeoutMs 50 (ns: median recovery)",
};
const baselines: Record<string, string> = {
  "slow-consumer": "fast",
  metrics: "queue",
  burst: "pino-transport",
};
// Scenarios with more than one pino subject compare with the faster one in the same run.
const pinoBest: Record<string, readonly string[]> = {
  json: ["pino", "pino-async"],
  file: ["pino", "pino-transport"],
  "file-interleaved": ["pino", "pino-transport"],
};

/** Each scenario's baseline subject in this run: the faster pino where there are two. */
const runBaselines: Record<string, string> = {};
for (const scenario of new Set(results.map((result) => result.scenario))) {
  const candidates = results.filter(
    (result) =>
      result.scenario === scenario &&
      (pinoBest[scenario] ?? [baselines[scenario] ?? "pino"]).includes(result.subject),
  );
  const fastest = candidates.sort((a, b) => a.nsPerOp - b.nsPerOp)[0];
  if (fastest !== undefined) runBaselines[scenario] = fastest.subject;
}

const header = ["scenario", "subject", "ns per call", "ratio", "against", "notes"];
const rightAligned = [false, false, true, true, false, false];
const rows: string[][] = [];
for (const scenario of [...new Set(results.map((result) => result.scenario))]) {
  const group = results.filter((result) => result.scenario === scenario);
  const baseline = group.find((result) => result.subject === runBaselines[scenario]);
  const against =
    baseline === undefined
      ? ""
      : pinoBest[scenario] === undefined
        ? baseline.subject
        : `pino best (${baseline.subject})`;
  for (const result of group) {
    const ratio = baseline === undefined ? "" : (result.nsPerOp / baseline.nsPerOp).toFixed(2);
    const ratios: Record<string, string> = {};
    for (const [figure, label] of [
      ["caller ns/call", "caller ratio"],
      ["caller p99 ns", "caller p99 ratio"],
      ["main-thread CPU ns/event", "main-thread CPU ratio"],
    ] as const) {
      const own = result.extra?.[figure];
      const base = baseline?.extra?.[figure];
      if (own !== undefined && base !== undefined) {
        ratios[`${label} to ${against}`] = (Number(own) / Number(base)).toFixed(2);
      }
    }
    const notes = Object.entries({ ...result.extra, ...ratios })
      .map(([name, value]) => `${name}: ${value}`)
      .join(", ");
    rows.push([
      titles[scenario] ?? scenario,
      result.subject,
      result.nsPerOp.toFixed(1),
      ratio,
      against,
      notes,
    ]);
  }
}
const table = markdownTable(header, rightAligned, rows);
const machine = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
console.log(`${machine}\n\n${table}`);

if (process.argv.includes("--write-readme")) {
  const readme = fileURLToPath(new URL("../README.md", import.meta.url));
  writeFileSync(
    readme,
    replaceSection(readFileSync(readme, "utf8"), "results", `${machine}\n\n${table}`),
  );
  const chart = ratioChart(results, { titles, baselines: runBaselines, caption: machine });
  writeFileSync(fileURLToPath(new URL("../results.svg", import.meta.url)), chart);
  const rootReadme = fileURLToPath(new URL("../../../README.md", import.meta.url));
  const summary = summaryTable(
    results,
    [
      {
        scenario: "disabled",
        subject: "sluice",
        label: "`debug` call below the minimum level",
        unit: "ns",
      },
      {
        scenario: "memory",
        subject: "sluice",
        label: "`info` with 2 properties, a JSON line in memory",
        unit: "ns",
      },
      {
        scenario: "child",
        subject: "sluice",
        label: "the same through a child logger with 3 bound properties",
        unit: "ns",
      },
      {
        scenario: "json",
        subject: "sluice",
        label: "`info` with 2 properties, a JSON line to a tmpfs file",
        unit: "caller ns",
      },
      {
        scenario: "file",
        subject: "sluice",
        label: "1M events to a file until all are on disk",
        unit: "ns per event, wall",
      },
      {
        scenario: "file",
        subject: "sluice-queue",
        label: "the same behind `withQueue`",
        unit: "ns per event, wall",
      },
    ],
    {
      baselines: runBaselines,
      pinoBest,
      peers: [
        { title: "winston", subject: "winston" },
        { title: "LogTape", subject: "logtape" },
      ],
    },
  );
  writeFileSync(rootReadme, replaceSection(readFileSync(rootReadme, "utf8"), "how-fast", summary));
}
