// Core hot path, one subject per child process so no library's JIT state colours another's. Every
// subject is called in blocks of 1000 with a yield to the event loop between blocks (produce()).
// The cases and subjects are described in core-subjects.ts. Every line written is parsed and
// checked (the memory and child destinations count their lines while timed and keep the lines
// of a checked run of 1000 events after it); a short or wrong count fails the row.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { argument, checkLines, fail, produce, report } from "../measure.ts";
import { type CoreCase, checkInMemory, createSubject } from "./core-subjects.ts";

const scenario = argument("case", "disabled") as CoreCase;
const subject = argument("subject", "sluice");
const iterations = Number(argument("iterations", "500000"));
const warmup = Math.min(iterations, 100_000);

const root = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const directory = mkdtempSync(join(root, "sluice-core-"));
const chosen = await createSubject(scenario, subject, join(directory, "bench.log"));
await produce((index) => chosen.call(index), warmup, warmup);
const caller = await produce((index) => chosen.call(warmup + index), iterations, iterations);
const expected = scenario === "disabled" ? 0 : warmup + iterations;
let lines: number;
if (chosen.memory === undefined) {
  const check = checkLines(await chosen.finish(), "/api", 0, chosen.shape);
  if (check.problem !== undefined) fail(`${scenario} ${subject}: ${check.problem}`);
  lines = check.lines;
} else {
  lines = await checkInMemory(chosen, scenario, `${scenario} ${subject}`, warmup + iterations);
}
rmSync(directory, { recursive: true, force: true });
if (lines !== expected) fail(`${scenario} ${subject}: ${lines} of ${expected} lines`);
report({
  scenario,
  subject,
  nsPerOp: caller.totalNs / iterations,
  extra: { lines: scenario === "disabled" ? "0 (none expected)" : `${lines} (all checked)` },
});
