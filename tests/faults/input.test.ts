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

  test("one cyclic object shared by the context, a child's bindings and the call; 1 MB and 100,000-hole templates: no call throws, every line valid, bounded", () => {
    const count = scale(5, 50);
    const scenario = `shared cyclic references (context, child, call) and enormous templates (1 MB; 100,000 holes), ${count} rounds, default and raised maxStringLength`;
    const path = join(workDirectory(), "app.log");
    const result = runScenario({
      fixture: "reference-writer.mjs",
      args: { path, count },
      timeoutMs: 300_000,
    });
    const calls = result.final?.calls as number | undefined;
    const violations = [...conservationViolations(result.final), ...loggerViolations(result.final)];
    if (result.final?.threw !== 0) violations.push(`${result.final?.threw} logging calls threw`);
    const longest: number[] = [];
    for (const [index, file] of [path, `${path}.raised`].entries()) {
      const delivered = result.final?.chains[index]?.[0]?.stats.delivered ?? -1;
      const found = parseEvents(...readText(file));
      violations.push(...outputViolations(found, delivered).map((text) => `${file}: ${text}`));
      if (delivered * 2 !== calls) {
        violations.push(`${file}: ${delivered} of ${(calls ?? 0) / 2} calls delivered`);
      }
      longest.push(
        Math.max(
          ...readFileSync(file, "utf8")
            .split("\n")
            .map((line) => Buffer.byteLength(line)),
        ),
      );
    }
    // The default limits: a template is cut at 16,384 characters and an event's estimated size
    // at 262,144 bytes; a line may exceed the estimate by its escaping, not by multiples.
    if ((longest[0] ?? 0) > 2 * 262_144) {
      violations.push(`a line of ${longest[0]} bytes under the default limits`);
    }
    conclude(
      {
        group,
        scenario,
        ...figures(result.final),
        notes: [
          `longest line ${longest[0]} bytes (default limits), ${longest[1]} (maxStringLength 2,000,000)`,
          `slowest call ${Math.round(Number(result.final?.slowestMs))} ms`,
          heard(result.final),
        ]
          .filter(Boolean)
          .join("; "),
      },
      violations,
    );
  });
});
