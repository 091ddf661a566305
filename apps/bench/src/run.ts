// Runs every benchmark scenario in its own child process, prints one table with ratios against
// pino, and with --write-readme regenerates the table in apps/bench/README.md.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { fileURLToPath } from "node:url";
import type { Measurement } from "./measure.ts";
import { ratioChart } from "./ratio-chart.ts";

interface Job {
  readonly script: string;
  readonly args: readonly string[];
  readonly nodeArgs?: readonly string[];
}

const quick = process.argv.includes("--quick");
const scale = quick ? 0.1 : 1;

const jobs: Job[] = [];
for (const scenario of ["disabled", "null", "json"]) {
  const subjects = scenario === "json" ? ["sluice", "pino", "pino-async"] : ["sluice", "pino"];
  for (const subject of subjects) {
    jobs.push({
      script: "scenarios/core.js",
      args: [
        `--case=${scenario}`,
        `--subject=${subject}`,
        `--iterations=${Math.round(1e6 * scale)}`,
      ],
    });
  }
}

// One run of the file and slow-consumer scenarios takes seconds and a shared machine drifts over
// that time, so their subjects run in interleaved rounds and each keeps its median run.
const rounds = quick ? 1 : 5;
for (let round = 0; round < rounds; round++) {
  for (const subject of ["sluice", "sluice-queue", "pino", "floor"]) {
    jobs.push({
      script: "scenarios/file.js",
      args: [`--subject=${subject}`, `--events=${Math.round(1e6 * scale)}`],
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

/** Each subject's median run (by ns per operation), in the order of their first runs. */
function medianRuns(all: readonly Measurement[]): Measurement[] {
  const groups = new Map<string, Measurement[]>();
  for (const run of all) {
    const key = `${run.scenario}\u0000${run.subject}`;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, [run]);
    else group.push(run);
  }
  return [...groups.values()].map((group) => {
    const sorted = [...group].sort((a, b) => a.nsPerOp - b.nsPerOp);
    return sorted[(sorted.length - 1) >> 1] as Measurement;
  });
}
const results = medianRuns(runs);

/** A Markdown table with padded columns, laid out as the repository's formatter lays it out. */
function markdownTable(
  head: readonly string[],
  right: readonly boolean[],
  body: readonly (readonly string[])[],
): string {
  const widths = head.map((title, column) =>
    Math.max(3, title.length, ...body.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells
      .map((cell, column) => {
        const width = widths[column] as number;
        return right[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(" | ")} |`;
  const rule = `| ${widths
    .map((width, column) => (right[column] ? `${"-".repeat(width - 1)}:` : "-".repeat(width)))
    .join(" | ")} |`;
  return [line(head), rule, ...body.map(line)].join("\n");
}

const titles: Record<string, string> = {
  disabled: "disabled level (`debug` at `info`)",
  null: "`info`, 2 properties, null sink (pino: to /dev/null)",
  json: "`info`, 2 properties, JSON line to /dev/null",
  file: "1M `info` events to a file, until all are on disk (ns per event, wall)",
  "slow-consumer": "caller cost of `withQueue(createFileSink)`: a file, then a pipe read at 5 MB/s",
  metrics: "1M `info` events to `withQueue(createFileSink)`, without and with `withMetrics` (wall)",
  shutdown:
    "SIGTERM to exit on tmpfs, `installProcessHooks` (idle: ns in all; queued: ns per event)",
  recovery: "back to the primary after a fault clears, resetTimeoutMs 50 (ns: median recovery)",
};
const baselines: Record<string, string> = { "slow-consumer": "fast", metrics: "queue" };

const header = ["scenario", "subject", "ns per call", "ratio to pino", "notes"];
const rightAligned = [false, false, true, true, false];
const rows: string[][] = [];
for (const scenario of [...new Set(results.map((result) => result.scenario))]) {
  const group = results.filter((result) => result.scenario === scenario);
  const baseline = group.find((result) => result.subject === (baselines[scenario] ?? "pino"));
  for (const result of group) {
    const ratio = baseline === undefined ? "" : (result.nsPerOp / baseline.nsPerOp).toFixed(2);
    const ratios: Record<string, string> = {};
    for (const [figure, label] of [
      ["caller ns/call", "caller ratio"],
      ["caller p99 ns", "caller p99 ratio"],
    ] as const) {
      const own = result.extra?.[figure];
      const base = baseline?.extra?.[figure];
      if (own !== undefined && base !== undefined) {
        ratios[`${label} to ${baseline?.subject}`] = (Number(own) / Number(base)).toFixed(2);
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
      notes,
    ]);
  }
}
const table = markdownTable(header, rightAligned, rows);
const machine = `Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}`;
console.log(`${machine}\n\n${table}`);

if (process.argv.includes("--write-readme")) {
  const readme = fileURLToPath(new URL("../README.md", import.meta.url));
  const text = readFileSync(readme, "utf8");
  const start = "<!-- results:start -->";
  const end = "<!-- results:end -->";
  const before = text.slice(0, text.indexOf(start) + start.length);
  const after = text.slice(text.indexOf(end));
  writeFileSync(readme, `${before}\n${machine}\n\n${table}\n${after}`);
  const chart = ratioChart(results, { titles, baselines, caption: machine });
  writeFileSync(fileURLToPath(new URL("../results.svg", import.meta.url)), chart);
}
