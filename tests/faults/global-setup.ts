// Runs once for the fault suite: stages the built packages and the child scripts in a folder every
// user can read (scenarios run children as `nobody`, and a checkout may live in a private folder),
// and at the end prints the table of what every scenario counted; with SLUICE_FAULTS_TABLE set, also
// writes it to that file with the command that reproduces it.
import { execFileSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { TestProject } from "vitest/node";
import { readRows, renderTable } from "./table.mjs";

declare module "vitest" {
  export interface ProvidedContext {
    faultStage: string;
    faultRows: string;
  }
}

const root = fileURLToPath(new URL("../../", import.meta.url));

export default function setup(project: TestProject): () => void {
  const stage = mkdtempSync(join(tmpdir(), "sluice-fault-stage-"));
  const scope = join(stage, "node_modules", "@sluice");
  for (const name of readdirSync(join(root, "packages"))) {
    // The suite runs against the built packages; one not built yet has nothing to stage.
    if (!existsSync(join(root, "packages", name, "dist"))) continue;
    for (const entry of ["package.json", "dist"]) {
      cpSync(join(root, "packages", name, entry), join(scope, name, entry), { recursive: true });
    }
  }
  // fast-check generates the hostile values; only children that run as root import it.
  symlinkSync(join(root, "node_modules", "fast-check"), join(stage, "node_modules", "fast-check"));
  cpSync(join(root, "tests", "faults", "fixtures"), join(stage, "fixtures"), { recursive: true });
  mkdirSync(join(stage, "runs"));
  execFileSync("chmod", ["-R", "a+rX", stage]);
  execFileSync("chmod", ["a+rwx", join(stage, "runs")]);
  const rows = join(stage, "rows.jsonl");
  project.provide("faultStage", stage);
  project.provide("faultRows", rows);
  return () => {
    const table = renderTable(readRows(rows));
    process.stdout.write(`\nFault matrix\n\n${table}\n`);
    const target = process.env.SLUICE_FAULTS_TABLE;
    if (target !== undefined && target !== "") writeFileSync(target, table);
    rmSync(stage, { recursive: true, force: true });
  };
}
