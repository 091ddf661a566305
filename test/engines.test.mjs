// `engines` claims every Node it names can use every package, from `import` and from `require()`
// (Node 20.19+ and 22.12+ load ES modules synchronously; 22.0-22.11 cannot, so `engines` leaves
// them out). This suite runs under each Node that CI runs, against the built packages.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { semver } from "./semver.mjs";

const root = fileURLToPath(new URL("..", import.meta.url));
const packagesDirectory = join(root, "packages");

const packages = readdirSync(packagesDirectory, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => {
    const directory = join(packagesDirectory, entry.name);
    const manifest = JSON.parse(readFileSync(join(directory, "package.json"), "utf8"));
    return { directory, manifest };
  });

const rootManifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

describe("engines", () => {
  const supported = semver.satisfies(process.versions.node, rootManifest.engines.node);
  for (const { directory, manifest } of packages) {
    const entries = Object.keys(manifest.exports ?? {}).filter((entry) => !entry.endsWith(".json"));
    for (const entry of entries) {
      const specifier = entry === "." ? manifest.name : `${manifest.name}${entry.slice(1)}`;
      it.skipIf(!supported)(
        `${specifier} loads with require() and import() alike (needs Node ${rootManifest.engines.node}; this is ${process.version})`,
        async () => {
          // A package can load itself by name through its own `exports`, as a user's code would.
          const require = createRequire(join(directory, "package.json"));
          const required = require(specifier);
          const imported = await import(require.resolve(specifier));
          expect(Object.keys(required).sort()).toEqual(Object.keys(imported).sort());
          expect(Object.keys(required).length).toBeGreaterThan(0);
        },
      );
    }
  }
});
