// Runs the pinned TypeScript compiler on a small program with wrong calls and checks that each
// error names the property the template needs, not a mismatch against another signature.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const require = createRequire(import.meta.url);
const repositoryRoot = fileURLToPath(new URL("../../../", import.meta.url));
const typescriptPackage = require.resolve("typescript/package.json");
const compiler = join(dirname(typescriptPackage), "bin", "tsc");
const pinned = (
  JSON.parse(readFileSync(join(repositoryRoot, "package.json"), "utf8")) as {
    devDependencies: Record<string, string>;
  }
).devDependencies.typescript;
const installed = (JSON.parse(readFileSync(typescriptPackage, "utf8")) as { version: string })
  .version;

const directory = mkdtempSync(join(tmpdir(), "sluice-template-types-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const coreEntry = relative(directory, fileURLToPath(new URL("./index.ts", import.meta.url)));

function compile(lines: readonly string[]): string[] {
  writeFileSync(
    join(directory, "fixture.ts"),
    [
      `import type { Logger } from ${JSON.stringify(coreEntry)};`,
      "declare const log: Logger;",
      ...lines,
      "",
    ].join("\n"),
  );
  writeFileSync(
    join(directory, "tsconfig.json"),
    JSON.stringify({
      extends: join(repositoryRoot, "tsconfig.base.json"),
      compilerOptions: { noEmit: true, typeRoots: [join(repositoryRoot, "node_modules/@types")] },
      files: ["fixture.ts"],
    }),
  );
  const result = spawnSync(
    process.execPath,
    [compiler, "-p", "tsconfig.json", "--pretty", "false"],
    { cwd: directory, encoding: "utf8", timeout: 60_000 },
  );
  expect(result.stderr).toBe("");
  // One diagnostic per line group: "fixture.ts(3,27): error TS2345: ..." and its indented lines.
  return result.stdout
    .split(/\n(?=\S)/)
    .map((diagnostic) => diagnostic.trim())
    .filter((diagnostic) => diagnostic.length > 0);
}

describe("compile errors of logging calls (pinned tsc)", () => {
  it("runs the pinned compiler", () => {
    expect(installed).toBe(pinned);
  });

  it("names a misspelled or missing hole property, with or without an error first", () => {
    const errors = compile([
      'log.info("User {UserId}", { UserID: 1 });',
      'log.error(new Error("boom"), "Payment {OrderId} failed", {});',
      'log.warn("Hi {User.Id} from {Place}", { "User.Id": 1 });',
      'log.info("fine {A}", { A: 1 });',
    ]);
    expect(errors).toHaveLength(3);
    expect(errors[0]).toBe(
      "fixture.ts(3,27): error TS2345: Argument of type '{ UserID: number; }' is not assignable to parameter of type '{ readonly UserId: unknown; } & Readonly<Record<string, unknown>>'.\n" +
        "  Property 'UserId' is missing in type '{ UserID: number; }' but required in type '{ readonly UserId: unknown; }'.",
    );
    expect(errors[1]).toBe(
      "fixture.ts(4,58): error TS2345: Argument of type '{}' is not assignable to parameter of type '{ readonly OrderId: unknown; } & Readonly<Record<string, unknown>>'.\n" +
        "  Property 'OrderId' is missing in type '{}' but required in type '{ readonly OrderId: unknown; }'.",
    );
    // The order of the two names in the type is the compiler's own.
    expect(errors[2]).toMatch(/^fixture\.ts\(5,39\): error TS2345: /);
    expect(errors[2]).toContain(
      "Property 'Place' is missing in type '{ \"User.Id\": number; }' but required in type",
    );
  }, 60_000);

  it("says which argument is missing", () => {
    const errors = compile(['log.info("User {UserId}");', 'log.error(new Error("boom"));']);
    expect(errors).toEqual([
      "fixture.ts(3,5): error TS2554: Expected 2 arguments, but got 1.",
      "fixture.ts(4,5): error TS2554: Expected 2-3 arguments, but got 1.",
    ]);
  }, 60_000);
});
