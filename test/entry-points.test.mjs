// Core has one entry per audience: `@sluice/core` for application code, `@sluice/core/sink` for
// sink and wrapper authors, `@sluice/core/testing` for tests. Runs against the built package.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const coreDirectory = fileURLToPath(new URL("../packages/core/", import.meta.url));
const manifest = JSON.parse(readFileSync(join(coreDirectory, "package.json"), "utf8"));
const require = createRequire(join(coreDirectory, "package.json"));

describe("@sluice/core entry points", () => {
  it("are the application, sink author and testing entries", () => {
    expect(Object.keys(manifest.exports)).toEqual([".", "./sink", "./testing", "./package.json"]);
  });

  it("keep the sink authors' helpers out of the application entry", async () => {
    const application = await import(require.resolve("@sluice/core"));
    const sink = await import(require.resolve("@sluice/core/sink"));
    for (const name of ["createSink", "FdWriter", "formatEvent", "SinkCounters", "invalidOption"]) {
      expect(sink[name], name).toBeTypeOf("function");
      expect(application[name], name).toBeUndefined();
    }
  });
});
