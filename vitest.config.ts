import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const packagesDirectory = fileURLToPath(new URL("./packages/", import.meta.url));
const packageNames = readdirSync(packagesDirectory, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name);

// The "src" project points every `@sluice/*` import at the TypeScript sources; the "dist"
// project resolves them through node_modules to the built output, which is what users install.
const sourceAliases = [
  {
    find: /^@sluice\/core\/sink$/,
    replacement: `${packagesDirectory}core/src/sink/index.ts`,
  },
  {
    find: /^@sluice\/core\/testing$/,
    replacement: `${packagesDirectory}core/src/testing/index.ts`,
  },
  ...packageNames.map((name) => ({
    find: new RegExp(`^@sluice/${name}$`),
    replacement: `${packagesDirectory}${name}/src/index.ts`,
  })),
];

const shared = {
  testTimeout: 20_000,
  hookTimeout: 20_000,
  restoreMocks: true,
};

export default defineConfig({
  test: {
    projects: [
      {
        resolve: { alias: sourceAliases },
        test: {
          ...shared,
          name: "src",
          include: [
            "packages/*/src/**/*.test.ts",
            "packages/*/test/**/*.test.ts",
            "apps/*/src/**/*.test.ts",
          ],
        },
      },
      {
        test: {
          ...shared,
          name: "dist",
          include: ["packages/*/test/**/*.test.ts", "test/**/*.test.mjs"],
        },
      },
      {
        // The fault matrix: whole scenarios in child processes, against the built packages only,
        // so it runs once. `node tests/faults/report.mjs` runs it and writes docs/reliability.md.
        test: {
          ...shared,
          name: "faults",
          include: ["tests/faults/**/*.test.ts"],
          globalSetup: ["tests/faults/global-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
