// One million `info` events with two properties to a file, until every line is on disk, one
// subject a process (the subjects: file-subjects.ts). Every subject yields to the event loop every
// 1000 events (see produce()), so asynchronous writers get to write. Caller time counts only the
// logging calls. Every line of the file is then parsed and checked (valid JSON, the right event,
// in order); a short or wrong count fails the row. The collector's work over the run is reported
// beside (V8's GCProfiler: pauses on the main thread, by kind), and so is the process's CPU time
// (every thread, a worker's too), which waiting for a busy host's cores does not add to: a slow run
// can be told apart as one that collected or worked more, or one that ran on a slower host.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GCProfiler } from "node:v8";
import { argument, checkLines, fail, produce, quantile, report } from "../measure.ts";
import { type FileSubjectName, fileSubjectNames } from "./file-subject-names.ts";
import { createFileSubject } from "./file-subjects.ts";

const subject = argument("subject", "sluice") as FileSubjectName;
if (!fileSubjectNames.includes(subject)) fail(`${subject}: one of ${fileSubjectNames.join(", ")}`);
const total = Number(argument("events", "1000000"));
const directory = mkdtempSync(join(tmpdir(), "sluice-bench-"));
const path = join(directory, "bench.log");

const chosen = await createFileSubject(subject, path);
const collector = new GCProfiler();
collector.start();
const cpuBefore = process.cpuUsage();
const start = process.hrtime.bigint();
const caller = await produce((index) => chosen.call(index), total, 100);
await chosen.finish();
const wallNs = Number(process.hrtime.bigint() - start);
const cpu = process.cpuUsage(cpuBefore);
const collections = collector.stop()?.statistics ?? [];
const pauseMs = collections.reduce((sum, collection) => sum + collection.cost, 0) / 1000;
const count = (kind: string): number =>
  collections.filter((collection) => collection.gcType === kind).length;
// Read before the file is read back, which would inflate it.
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
const text = readFileSync(path, "utf8");
rmSync(directory, { recursive: true, force: true });
const check = checkLines(text, "/api/items", 0, chosen.shape);
if (check.problem !== undefined) fail(`file ${subject}: ${check.problem}`);
if (check.lines !== total) fail(`file ${subject}: ${check.lines} of ${total} lines`);
report({
  scenario: argument("scenario", "file"),
  subject,
  nsPerOp: wallNs / total,
  extra: {
    "caller ns/call": (caller.totalNs / total).toFixed(0),
    "caller p50 ns": quantile(caller.sortedLatencies, 0.5),
    "caller p99 ns": quantile(caller.sortedLatencies, 0.99),
    "timer ns": caller.timerNs.toFixed(0),
    "process CPU ns/event": (((cpu.user + cpu.system) * 1000) / total).toFixed(0),
    "peak RSS MiB": peakRssMiB.toFixed(0),
    "GC pause ms": pauseMs.toFixed(0),
    "scavenges / mark-compacts": `${count("Scavenge")} / ${count("MarkSweepCompact")}`,
    lines: `${check.lines} (all checked)`,
  },
});
