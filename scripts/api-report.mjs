// API reports: the public type surface of every entry of every package, committed beside the
// package as `api/<entry>.api.md`, so that an export added, removed or changed by accident fails
// CI instead of reaching a release. (API Extractor needs TypeScript's JavaScript compiler API,
// which TypeScript 7 does not have; the built declarations hold the same surface.)
//
// For each `exports` entry with a `types` condition, the report holds every declaration file of
// the package reachable from it through relative imports, with comments and source-map lines
// removed and whitespace normalised: documentation edits do not change it, signatures do.
//
//   node scripts/api-report.mjs           compare with the committed reports (after `pnpm build`)
//   node scripts/api-report.mjs --update  rewrite them
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix, relative } from "node:path";

const root = process.cwd();
const update = process.argv.includes("--update");
const updateCommand = "pnpm build && pnpm check:api --update";

/** The text without comments; string and template literals are kept whole. */
function stripComments(text) {
  let output = "";
  let index = 0;
  while (index < text.length) {
    const character = text[index];
    const next = text[index + 1];
    if (character === "/" && next === "/") {
      while (index < text.length && text[index] !== "\n") index += 1;
    } else if (character === "/" && next === "*") {
      const end = text.indexOf("*/", index + 2);
      index = end === -1 ? text.length : end + 2;
    } else if (character === '"' || character === "'" || character === "`") {
      let end = index + 1;
      while (end < text.length && text[end] !== character) end += text[end] === "\\" ? 2 : 1;
      output += text.slice(index, end + 1);
      index = end + 1;
    } else {
      output += character;
      index += 1;
    }
  }
  return output;
}

/** One declaration per line as tsc wrote it, without comments, indentation or blank lines. */
function normalise(text) {
  return stripComments(text)
    .split("\n")
    .map((line) => line.trim().replace(/\s+/g, " "))
    .filter((line) => line.length > 0)
    .join("\n");
}

/** The relative module specifiers a declaration file imports or re-exports. */
function relativeImports(text) {
  const specifiers = [];
  for (const match of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
    specifiers.push(match[1]);
  }
  return specifiers;
}

/** The declaration file behind a relative specifier such as `./x.js` or `./x.ts`. */
function declarationFor(fromFile, specifier) {
  const target = join(dirname(fromFile), specifier);
  const candidates = [
    target.replace(/\.(m|c)?[jt]s$/, (_, kind = "") => `.d.${kind}ts`),
    `${target}.d.ts`,
    join(target, "index.d.ts"),
  ];
  const found = candidates.find((candidate) => existsSync(candidate));
  if (found === undefined) {
    throw new Error(`${relative(root, fromFile)}: no declaration file for "${specifier}"`);
  }
  return found;
}

/** The report for one entry point: every reachable declaration file, normalised. */
function report(packageDirectory, name, entry, typesFile) {
  const start = join(packageDirectory, typesFile);
  if (!existsSync(start)) {
    throw new Error(`${name}: ${typesFile} is missing; run \`pnpm build\` first`);
  }
  const seen = new Set([start]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const specifier of relativeImports(stripComments(readFileSync(file, "utf8")))) {
      const target = declarationFor(file, specifier);
      if (!seen.has(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  const files = [start, ...[...seen].filter((file) => file !== start).sort()];
  const specifier = entry === "." ? name : posix.join(name, entry);
  const sections = files.map((file) => {
    const path = relative(packageDirectory, file).split("\\").join("/");
    return `## ${path}\n\n\`\`\`ts\n${normalise(readFileSync(file, "utf8"))}\n\`\`\`\n`;
  });
  return `# API report: ${specifier}\n\nWritten by \`${updateCommand}\` from the built declarations; do not edit it by hand.\n\n${sections.join("\n")}`;
}

/** The types file of an `exports` entry, whatever shape the entry has. */
function typesOf(target) {
  if (typeof target === "string") return target.endsWith(".d.ts") ? target : undefined;
  if (target === null || typeof target !== "object") return undefined;
  if (typeof target.types === "string") return target.types;
  for (const value of Object.values(target)) {
    const found = typesOf(value);
    if (found !== undefined) return found;
  }
  return undefined;
}

function reportFileName(entry) {
  return `${entry === "." ? "index" : entry.replace(/^\.\//, "").replace(/[/*]/g, "-")}.api.md`;
}

/** Which lines one text has that the other lacks, for the failure message. */
function lineDifference(expected, actual) {
  const expectedLines = new Set(expected.split("\n"));
  const actualLines = new Set(actual.split("\n"));
  const removed = [...expectedLines].filter((line) => !actualLines.has(line));
  const added = [...actualLines].filter((line) => !expectedLines.has(line));
  return [...removed.map((line) => `    - ${line}`), ...added.map((line) => `    + ${line}`)]
    .slice(0, 20)
    .join("\n");
}

const problems = [];
const written = [];
const packagesDirectory = join(root, "packages");
for (const directoryName of readdirSync(packagesDirectory).sort()) {
  const packageDirectory = join(packagesDirectory, directoryName);
  const manifestPath = join(packageDirectory, "package.json");
  if (!existsSync(manifestPath)) continue;
  const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
  if (manifest.private === true) continue;
  const apiDirectory = join(packageDirectory, "api");
  const expectedFiles = new Set();
  for (const [entry, target] of Object.entries(manifest.exports ?? {})) {
    const typesFile = typesOf(target);
    if (typesFile === undefined) continue;
    const fileName = reportFileName(entry);
    expectedFiles.add(fileName);
    const reportPath = join(apiDirectory, fileName);
    const shown = relative(root, reportPath);
    let actual;
    try {
      actual = report(packageDirectory, manifest.name, entry, typesFile);
    } catch (error) {
      problems.push(error.message);
      continue;
    }
    const committed = existsSync(reportPath) ? readFileSync(reportPath, "utf8") : undefined;
    if (committed === actual) continue;
    if (update) {
      mkdirSync(apiDirectory, { recursive: true });
      writeFileSync(reportPath, actual);
      written.push(shown);
    } else if (committed === undefined) {
      problems.push(`${shown} is missing (a new entry point?)`);
    } else {
      problems.push(
        `${shown} differs from the built declarations:\n${lineDifference(committed, actual)}`,
      );
    }
  }
  if (existsSync(apiDirectory)) {
    for (const fileName of readdirSync(apiDirectory)) {
      if (!fileName.endsWith(".api.md") || expectedFiles.has(fileName)) continue;
      const shown = relative(root, join(apiDirectory, fileName));
      if (update) {
        rmSync(join(apiDirectory, fileName));
        written.push(`${shown} (removed)`);
      } else {
        problems.push(`${shown} reports an entry that package.json no longer exports`);
      }
    }
  }
}

if (update) {
  console.log(written.length === 0 ? "API reports already up to date" : written.join("\n"));
}
if (problems.length > 0) {
  console.error(`API reports do not match the packages' public surface:\n`);
  console.error(problems.map((problem) => `- ${problem}`).join("\n"));
  if (!update) {
    console.error(
      `\nIf the change is intended, run \`${updateCommand}\`, review the diff of packages/*/api/ and commit it (and add a changeset for each package whose API changed).`,
    );
  }
  process.exit(1);
}
if (!update)
  console.log("API reports match the built declarations of every entry of every package");
