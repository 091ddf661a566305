import { basename } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { periodStart, rolledNaming, rolledPath } from "./rolled-files.ts";

const maxDate = 8.64e15;
const activePaths = fc.constantFrom(
  "/var/log/app.log",
  "logs/app.json",
  "plain",
  "a.b.c.txt",
  "x+(y)[z]$.log",
);

describe("rolled file names", () => {
  it("are recognised by the retention pattern for every representable date and sequence", () => {
    fc.assert(
      fc.property(
        activePaths,
        fc.integer({ min: -maxDate, max: maxDate }),
        fc.maxSafeNat(),
        fc.boolean(),
        (activePath, time, sequence, compressed) => {
          const naming = rolledNaming(activePath);
          const name = basename(rolledPath(naming, sequence, time)) + (compressed ? ".gz" : "");
          const match = naming.pattern.exec(name);
          expect(match?.[1]).toBeDefined();
          expect(Number(match?.[1])).toBe(sequence);
          expect(match?.[2] === ".gz").toBe(compressed);
          expect(naming.pattern.test(basename(activePath))).toBe(false);
        },
      ),
    );
  });

  it("carry the UTC time, with ISO 8601's expanded years outside 0000-9999", () => {
    const naming = rolledNaming("/logs/app.log");
    expect(basename(rolledPath(naming, 42, Date.UTC(2026, 10, 28, 9, 15, 7)))).toBe(
      "app.2026-11-28T09-15-07Z.000042.log",
    );
    expect(basename(rolledPath(naming, 1, Date.UTC(10000, 0, 1)))).toBe(
      "app.+010000-01-01T00-00-00Z.000001.log",
    );
    expect(basename(rolledPath(naming, 1, -maxDate))).toBe(
      "app.-271821-04-20T00-00-00Z.000001.log",
    );
    const yearZero = new Date(0);
    yearZero.setUTCFullYear(0, 0, 1);
    expect(basename(rolledPath(naming, 1, yearZero.getTime()))).toBe(
      "app.0000-01-01T00-00-00Z.000001.log",
    );
  });
});

describe("periodStart", () => {
  it("is the start of the UTC period containing the time, for every representable date", () => {
    const intervals = ["minute", "hour", "day", "week", "month"] as const;
    fc.assert(
      fc.property(
        fc.constantFrom(...intervals),
        // A margin of one month inside the range, so the period's start is itself a date.
        fc.integer({ min: -maxDate + 40 * 86_400_000, max: maxDate }),
        (interval, time) => {
          const start = periodStart(time, interval);
          expect(start).toBeLessThanOrEqual(time);
          const date = new Date(start);
          expect(date.getUTCSeconds() + date.getUTCMilliseconds()).toBe(0);
          if (interval === "week") expect(date.getUTCDay()).toBe(1);
          if (interval === "month") expect(date.getUTCDate()).toBe(1);
          // Every time from the start up to the given one is in the same period.
          expect(periodStart(start, interval)).toBe(start);
          expect(periodStart(Math.floor((start + time) / 2), interval)).toBe(start);
        },
      ),
    );
  });
});
