// Bad input: values built to break a logger. No logging call throws, every line written is valid
// JSON carrying its event, and one call's work is bounded by the capture limits.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "vitest";
import {
  conclude,
  conservationViolations,
  figures,
  heard,
  loggerViolations,
  outputViolations,
  parseEvents,
  readText,
  runScenario,
  scale,
  workDirectory,
} from "./harness.ts";

const group = "bad input";

describe("hostile values", () => {
  test("fast-check hostile values, traps, 10 MB strings and 10,000-deep nesting: no call throws, every line valid", () => {
    const count = scale(3_000, 100_000);
    const seed = Math.floor(Math.random() * 2 ** 31);
    const scenario = `${count} generated hostile values (+2 of 10 MB)`;
    const path = join(workDirectory(), "app.log");
    const result = runScenario({
      fixture: "hostile-writer.mjs",
      args: { path, count, seed },
      timeoutMs: 600_000,
    });
    const calls = result.final?.calls as number | undefined;
    const violations = [...conservationViolations(result.final), ...loggerViolations(result.final)];
    if (result.final?.threw !== 0) violations.push(`${result.final?.threw} logging calls threw`);
    for (const [index, file] of [path, `${path}.pino`].entries()) {
      const delivered = result.final?.chains[index]?.[0]?.stats.delivered ?? -1;
      violations.push(...outputViolations(parseEvents(...readText(file)), delivered));
      if (delivered !== calls) violations.push(`${file}: ${delivered} of ${calls} calls delivered`);
    }
    const longest = Math.max(
      ...readFileSync(path, "utf8")
        .split("\n")
        .map((line) => line.length),
    );
    conclude(
      {
        group,
        scenario,
        ...figures(result.final),
        notes: [`seed ${seed}`, `longest line ${longest} characters`, heard(result.final)]
          .filter(Boolean)
          .join("; "),
      },
      violations,
    );
  });

  test("a non-Error logged as the error is read a bounded number of times, whatever length it claims", () => {
    const scenario = "log.error(array Proxy claiming 1,000,000 items)";
    const path = join(workDirectory(), "app.log");
    const length = 1_000_000;
    const result = runScenario({ fixture: "error-proxy.mjs", args: { path, length } });
    const reads = result.final?.reads as number | undefined;
    const file = result.final?.chains[0]?.[0]?.stats;
    const violations = [
      ...conservationViolations(result.final),
      ...loggerViolations(result.final),
      ...outputViolations(parseEvents(...readText(path)), file?.delivered ?? -1),
    ];
    if (result.final?.threw !== 0) violations.push("the logging call threw");
    // Capture reads at most 256 items of a collection by default; the bound is generous.
    if (reads === undefined || reads > 10_000) {
      violations.push(
        `one logging call read the value ${reads} times (${Math.round(Number(result.final?.callMs))} ms on the caller's stack)`,
      );
    }
    conclude({ group, scenario, ...figures(result.final) }, violations);
  });
});
