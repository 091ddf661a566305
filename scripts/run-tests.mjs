// Runs the whole suite once from the root and closes with one plain summary line, summed from
// vitest's JSON report, so CI can read the result without parsing vitest's own output.
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, relative } from "node:path";

const reportDirectory = join(process.cwd(), ".test-results");
const reportFile = join(reportDirectory, "vitest.json");
rmSync(reportDirectory, { recursive: true, force: true });
mkdirSync(reportDirectory, { recursive: true });

const result = spawnSync(
  process.execPath,
  [
    "node_modules/vitest/vitest.mjs",
    "run",
    "--reporter=default",
    "--reporter=json",
    `--outputFile.json=${reportFile}`,
    ...process.argv.slice(2),
  ],
  { stdio: "inherit", env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" } },
);

let passed = 0;
let failed = 0;
let skipped = 0;
try {
  const report = JSON.parse(readFileSync(reportFile, "utf8"));
  // Each skipped test names what it needs in its title; list them (once, though the suite runs
  // against src and dist) so that a skip is never silent.
  const skippedTitles = new Set(
    (report.testResults ?? []).flatMap((file) =>
      (file.assertionResults ?? [])
        .filter((test) => ["skipped", "pending", "todo"].includes(test.status))
        .map((test) => `${relative(process.cwd(), file.name)}: ${test.fullName}`),
    ),
  );
  if (skippedTitles.size > 0) {
    console.log(`\nskipped:\n${[...skippedTitles].map((title) => `  ${title}`).join("\n")}`);
  }
  passed = report.numPassedTests ?? 0;
  failed = report.numFailedTests ?? 0;
  // A file that fails to load has no failed test of its own; count it so it cannot pass.
  if (failed === 0) failed = report.numFailedTestSuites ?? 0;
  skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
} catch (error) {
  console.error(`could not read the vitest report: ${error.message}`);
  failed += 1;
}

const ranNothing = passed + failed === 0;
if (ranNothing) console.error("no test ran");
console.log(`vitest: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(result.status === 0 && failed === 0 && !ranNothing ? 0 : 1);
