// semver, the one the changesets CLI decides versions with, for the repository-level tests.
import { createRequire } from "node:module";

const rootRequire = createRequire(new URL("../package.json", import.meta.url));
export const semver = createRequire(rootRequire.resolve("@changesets/cli"))("semver");
