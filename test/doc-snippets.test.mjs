// A code block opened with ```ts check in a README or guide is a whole program that a newcomer
// copies as it is: each must compile under the repository's strict settings against the built
// packages, resolved the way an installed copy resolves them (through each entry's declarations).
import { spawnSync } from "node:child_process";
import {
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const root = fileURLToPath(new URL("../", import.meta.url));

const documents = [
  "README.md",
  ...readdirSync(join(root, "packages")).map((name) => `packages/${name}/README.md`),
  ...readdirSync(join(root, "docs"))
    .filter((name) => name.endsWith(".md"))
    .map((name) => `docs/${name}`),
];

/** Every block marked `ts check`, with the document and line it starts on. */
function checkedSnippets() {
  const snippets = [];
  for (const document of documents) {
    const lines = readFileSync(join(root, document), "utf8").split("\n");
    let start = -1;
    for (let index = 0; index < lines.length; index++) {
      const line = lines[index];
      if (start < 0 && /^```ts check\s*$/.test(line)) start = index + 1;
      else if (start >= 0 && line.startsWith("```")) {
        snippets.push({ document, line: start + 1, code: lines.slice(start, index).join("\n") });
        start = -1;
      }
    }
  }
  return snippets;
}

it("every ```ts check block of the documentation compiles against the built packages (needs `pnpm build`)", () => {
  const snippets = checkedSnippets();
  // The quick start and each package's first example at least: a marker lost in an edit shows here.
  expect(snippets.length).toBeGreaterThanOrEqual(8);
  const directory = mkdtempSync(join(tmpdir(), "sluice-doc-snippets-"));
  try {
    // apps/examples depends on every package, as a user's project would.
    symlinkSync(join(root, "apps/examples/node_modules"), join(directory, "node_modules"), "dir");
    // An ES module project, as the quick start's imports and top-level await need.
    writeFileSync(join(directory, "package.json"), '{ "private": true, "type": "module" }\n');
    const names = snippets.map((snippet, index) => {
      const name = `snippet-${index}.ts`;
      // `export {}` makes each file a module, so top-level await works and names do not clash.
      writeFileSync(join(directory, name), `${snippet.code}\nexport {};\n`);
      return name;
    });
    const base = JSON.parse(readFileSync(join(root, "tsconfig.base.json"), "utf8"));
    const compilerOptions = {
      ...base.compilerOptions,
      noEmit: true,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
      isolatedDeclarations: false,
      typeRoots: [join(root, "node_modules/@types")],
    };
    writeFileSync(
      join(directory, "tsconfig.json"),
      JSON.stringify({ compilerOptions, files: names }),
    );
    const result = spawnSync(
      process.execPath,
      [join(root, "node_modules/typescript/bin/tsc"), "-p", directory, "--pretty", "false"],
      { encoding: "utf8", timeout: 120_000 },
    );
    // Name each failing block by its document and line rather than by the scratch file.
    const output = `${result.stdout}${result.stderr}`.replace(
      /\S*snippet-(\d+)\.ts\((\d+),(\d+)\)/g,
      (_match, index, line, column) => {
        const snippet = snippets[Number(index)];
        return `${snippet.document}:${snippet.line + Number(line) - 1}:${column}`;
      },
    );
    expect(output).toBe("");
    expect(result.status).toBe(0);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}, 120_000);
