// Wall-clock jumps during time-based rolling, and clocks that give no date at all: rolled files
// never collide or lose a line, and every event lands once, in order, across the files.
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
  rolledFiles,
  runScenario,
  scale,
  workDirectory,
} from "./harness.ts";

const group = "time";
const start = Date.UTC(2026, 10, 30, 23, 30);
const hour = 3_600_000;
const day = 24 * hour;

const cases = [
  {
    scenario: "wall clock jumps forwards and backwards during hourly rolling",
    clocks: [
      start,
      start + 2 * hour,
      start - day,
      start + 400 * day,
      start + hour,
      start - 30 * day,
    ],
    expectRolls: true,
  },
  {
    scenario:
      "extreme clocks (NaN, Infinity, a throwing clock, past Date's range) during hourly rolling",
    clocks: [
      start,
      "NaN",
      start + hour,
      "Infinity",
      "throw",
      8.64e15 + 1,
      -8.64e15,
      start + 2 * hour,
    ],
    expectRolls: false,
  },
] as const;

describe("clocks", () => {
  for (const { scenario, clocks, expectRolls } of cases) {
    test(scenario, () => {
      const path = join(workDirectory(), "app.log");
      const count = scale(500, 5_000);
      const result = runScenario({ fixture: "clock-writer.mjs", args: { path, count, clocks } });
      const file = figures(result.final);
      const files = rolledFiles(path);
      const violations = [
        ...conservationViolations(result.final),
        ...loggerViolations(result.final),
        ...outputViolations(parseEvents(...readText(...files)), file.delivered ?? -1),
      ];
      // A clock that throws when the logger timestamps an event loses that event, counted
      // failed by the logger (its capture failed); every other event must be delivered.
      const loggerFailed = (result.final?.logger as { failed?: number } | undefined)?.failed ?? 0;
      if ((file.delivered ?? 0) + loggerFailed !== count * clocks.length) {
        violations.push(
          `${file.delivered} delivered + ${loggerFailed} failed by the logger of ${count * clocks.length}`,
        );
      }
      if (expectRolls && files.length < 3) violations.push(`only ${files.length - 1} rolls`);
      const errors = heard(result.final);
      conclude(
        {
          group,
          scenario,
          ...file,
          notes: [`${files.length} files`, `logger failed ${loggerFailed}`, errors]
            .filter(Boolean)
            .join("; "),
        },
        violations,
      );
    });
  }
});
