// What every published package promises in its manifest, checked for each one in packages/*, so
// that a new package cannot ship without it: typed `exports`, the files it publishes, no side
// effects, the workspace's `engines`, no runtime dependencies, and core as a peer with the range
// the release process relies on (see .changeset/README.md).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { semver } from "./semver.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
const packages = readdirSync(join(root, "packages"))
  .map((name) => join(root, "packages", name, "package.json"))
  .filter((path) => existsSync(path))
  .map((path) => JSON.parse(readFileSync(path, "utf8")))
  .filter((manifest) => manifest.private !== true);
const core = packages.find((manifest) => manifest.name === "@sluice/core");

describe.each(packages.map((manifest) => [manifest.name, manifest]))("%s", (_, manifest) => {
  it("exports each entry with its types first, and package.json", () => {
    const entries = Object.entries(manifest.exports ?? {});
    expect(entries.length).toBeGreaterThan(1);
    expect(manifest.exports["./package.json"]).toBe("./package.json");
    for (const [entry, target] of entries) {
      if (entry === "./package.json") continue;
      expect(Object.keys(target), entry).toEqual(["types", "default"]);
      expect(target.types, entry).toMatch(/^\.\/dist\/.+\.d\.ts$/);
      expect(target.default, entry).toMatch(/^\.\/dist\/.+\.js$/);
    }
  });

  it("publishes dist and src without tests, has no side effects and ESM only", () => {
    expect(manifest.files).toEqual(expect.arrayContaining(["dist", "src", "!src/**/*.test.ts"]));
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.type).toBe("module");
    expect(manifest.license).toBe("MIT");
  });

  it("names the workspace's Node versions in engines", () => {
    expect(manifest.engines).toEqual({ node: rootManifest.engines.node });
  });

  it("has no runtime dependencies; a package other than core takes core as a peer", () => {
    expect(manifest.dependencies ?? {}).toEqual({});
    if (manifest.name === "@sluice/core") {
      expect(manifest.peerDependencies ?? {}).toEqual({});
      return;
    }
    expect(manifest.peerDependencies).toEqual({ "@sluice/core": expect.any(String) });
    // A floor, and below core's next major: the whole current major line.
    const range = manifest.peerDependencies["@sluice/core"];
    const [, floorMajor, upperMajor] = /^>=(\d+)\.\d+\.\d+ <(\d+)\.0\.0$/.exec(range) ?? [];
    expect(Number(upperMajor), range).toBe(Number(floorMajor) + 1);
    // The range accepts the core this package is built and tested with.
    expect(semver.satisfies(core.version, range)).toBe(true);
    expect(manifest.devDependencies?.["@sluice/core"]).toBe("workspace:^");
  });
});
