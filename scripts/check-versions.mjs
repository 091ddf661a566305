// Versions and peer ranges must agree now and after every release, and each package must be
// versioned on its own. Changesets turns a peer's minor bump into a major one for every dependent
// whose peer range the new version leaves (and, without `onlyUpdatePeerDependentsWhenOutOfRange`,
// for every dependent at all), which on 0.x would make a core feature release publish 1.0.0 of
// every sink. This script runs `changeset version` on throwaway copies of the workspace's manifests
// and changesets and checks:
//   1. every range on a workspace package is satisfied by that package's current version;
//   2. with the pending changesets, no package is bumped further than its own changesets ask, and
//      every range still accepts the new versions;
//   3. after that release, a lone minor changeset for a package that others depend on bumps that
//      package alone.
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";

const root = process.cwd();
const require = createRequire(join(root, "package.json"));
const changesetsCli = require.resolve("@changesets/cli/bin.js");
// semver is changesets' own dependency: the same range logic that decides the bumps checks them.
const semver = createRequire(require.resolve("@changesets/cli/package.json"))("semver");

const dependencyFields = ["dependencies", "peerDependencies", "optionalDependencies"];
const bumpOrder = ["none", "patch", "minor", "major"];

/** The workspace's package directories, relative to the root, with their manifests. */
function workspacePackages(directory) {
  return ["packages", "apps"].flatMap((group) =>
    readdirSync(join(directory, group), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => join(group, entry.name))
      .filter((path) => existsSync(join(directory, path, "package.json")))
      .map((path) => ({
        path,
        manifest: JSON.parse(readFileSync(join(directory, path, "package.json"), "utf8")),
      })),
  );
}

/** Every range one workspace package declares on another, outside the `workspace:` protocol. */
function internalRanges(packages) {
  const names = new Set(packages.map(({ manifest }) => manifest.name));
  return packages.flatMap(({ manifest }) =>
    dependencyFields.flatMap((field) =>
      Object.entries(manifest[field] ?? {})
        .filter(([name, range]) => names.has(name) && !range.startsWith("workspace:"))
        .map(([name, range]) => ({ dependent: manifest.name, field, name, range })),
    ),
  );
}

/** Ranges that do not accept the version the workspace holds. */
function disagreements(packages) {
  const versions = new Map(packages.map(({ manifest }) => [manifest.name, manifest.version]));
  return internalRanges(packages)
    .filter(({ name, range }) => !semver.satisfies(versions.get(name), range))
    .map(
      ({ dependent, field, name, range }) =>
        `${dependent} ${field} "${name}": "${range}" does not accept ${name}@${versions.get(name)}`,
    );
}

/** The bump each public package asks for in the given changeset files (highest wins). */
function requestedBumps(files) {
  const bumps = new Map();
  for (const text of files.values()) {
    const header = /^---\n([\s\S]*?)\n---/.exec(text)?.[1] ?? "";
    for (const [, name, type] of header.matchAll(/^\s*["']?([^"':]+)["']?\s*:\s*(\w+)\s*$/gm)) {
      if (bumpOrder.indexOf(type) > bumpOrder.indexOf(bumps.get(name) ?? "none")) {
        bumps.set(name, type);
      }
    }
  }
  return bumps;
}

function bumpBetween(from, to) {
  if (from === to) return "none";
  return semver.diff(from, to) ?? "none";
}

/**
 * Runs `changeset version` on a copy holding only the manifests, the changesets config and the
 * given changeset files; returns the versioned packages.
 */
function versionCopy(label, packages, changesetFiles) {
  const copy = mkdtempSync(join(tmpdir(), "sluice-versions-"));
  try {
    for (const file of ["package.json", "pnpm-workspace.yaml"]) {
      cpSync(join(root, file), join(copy, file));
    }
    mkdirSync(join(copy, ".changeset"));
    cpSync(join(root, ".changeset", "config.json"), join(copy, ".changeset", "config.json"));
    for (const [name, text] of changesetFiles) {
      writeFileSync(join(copy, ".changeset", name), text);
    }
    for (const { path, manifest } of packages) {
      mkdirSync(join(copy, path), { recursive: true });
      writeFileSync(join(copy, path, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
    }
    const result = spawnSync(process.execPath, [changesetsCli, "version"], {
      cwd: copy,
      encoding: "utf8",
      env: { ...process.env, NO_COLOR: "1" },
    });
    if (result.status !== 0) {
      throw new Error(`changeset version failed:\n${result.stdout}${result.stderr}`);
    }
    // Changesets reports a range that rejects the current version as a warning and then ignores
    // the dependency; that is a failure here.
    const warnings = `${result.stdout}${result.stderr}`
      .split("\n")
      .filter((line) => /must depend on the current version/.test(line));
    failures.push(...new Set(warnings.map((line) => `${label}: changesets: ${line.trim()}`)));
    return workspacePackages(copy);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
}

const failures = [];
const packages = workspacePackages(root);
const publicPackages = packages.filter(({ manifest }) => manifest.private !== true);

failures.push(...disagreements(packages).map((message) => `now: ${message}`));

const pending = new Map(
  readdirSync(join(root, ".changeset"))
    .filter((name) => name.endsWith(".md") && name !== "README.md")
    .map((name) => [name, readFileSync(join(root, ".changeset", name), "utf8")]),
);

/** Versions `start` with the given changesets and checks the bumps and ranges; returns the result. */
function checkRelease(label, start, changesetFiles) {
  const requested = requestedBumps(changesetFiles);
  const before = new Map(start.map(({ manifest }) => [manifest.name, manifest.version]));
  const after = versionCopy(label, start, changesetFiles);
  const lines = [];
  for (const { manifest } of after) {
    if (manifest.private === true) continue;
    const bump = bumpBetween(before.get(manifest.name), manifest.version);
    const asked = requested.get(manifest.name) ?? "none";
    lines.push(`  ${manifest.name} ${before.get(manifest.name)} -> ${manifest.version} (${bump})`);
    if (bumpOrder.indexOf(bump) > bumpOrder.indexOf(asked)) {
      failures.push(
        `${label}: ${manifest.name} gets a ${bump} bump (${before.get(manifest.name)} -> ${manifest.version}) but its changesets ask for ${asked}`,
      );
    }
  }
  failures.push(...disagreements(after).map((message) => `${label}: ${message}`));
  console.log(`${label}:\n${lines.join("\n")}`);
  return after;
}

const released = checkRelease("pending changesets", packages, pending);

const depended = new Set(internalRanges(publicPackages).map(({ name }) => name));
for (const name of depended) {
  checkRelease(
    `then a lone minor of ${name}`,
    released,
    new Map([["lone-minor.md", `---\n"${name}": minor\n---\n\nA feature.\n`]]),
  );
}

if (failures.length > 0) {
  console.error(`\nversion check failed:\n${failures.map((line) => `- ${line}`).join("\n")}`);
  process.exit(1);
}
console.log("\nversions and ranges agree, and every package is versioned on its own");
