import { describe, expect, it } from "vitest";
import { checkLines, produce } from "./measure.ts";

const pinoLine = (elapsed: number): string =>
  `${JSON.stringify({ level: 30, msg: "Request took ms", Path: "/api", Elapsed: elapsed })}\n`;
const logtapeLine = (elapsed: number): string =>
  `${JSON.stringify({ level: "INFO", message: "Request took ms", properties: { Path: "/api", Elapsed: elapsed } })}\n`;
const logtape = { messageKeys: ["message"], properties: "properties" };

describe("checkLines", () => {
  it("accepts the events in order, with the properties at the top level by default", () => {
    expect(checkLines(pinoLine(5) + pinoLine(6), "/api", 5)).toEqual({
      lines: 2,
      problem: undefined,
    });
  });

  it("reads the properties and the message where the shape says", () => {
    expect(checkLines(logtapeLine(0) + logtapeLine(1), "/api", 0, logtape)).toEqual({
      lines: 2,
      problem: undefined,
    });
    // The same lines, read as pino's, have neither the message key nor top-level properties.
    expect(checkLines(logtapeLine(0), "/api", 0).problem).toMatch(/not event 0/);
    expect(checkLines(pinoLine(0), "/api", 0, logtape).problem).toMatch(/not event 0/);
  });

  it("reports a line out of order, a line that is not JSON and a missing last newline", () => {
    expect(checkLines(logtapeLine(0) + logtapeLine(2), "/api", 0, logtape)).toMatchObject({
      lines: 1,
      problem: expect.stringMatching(/line 2 is not event 1/),
    });
    expect(checkLines(`${pinoLine(0)}{"level"\n`, "/api", 0).problem).toMatch(/line 2 is not JSON/);
    expect(checkLines(pinoLine(0).trimEnd(), "/api", 0).problem).toMatch(/no newline/);
    expect(
      checkLines(`${JSON.stringify({ message: "x", properties: null })}\n`, "/api", 0, logtape)
        .problem,
    ).toMatch(/not event 0/);
  });
});

describe("produce", () => {
  it("calls every index once, in order, and samples every sampleEvery-th call", async () => {
    const seen: number[] = [];
    const cost = await produce((index) => seen.push(index), 2500, 100);
    expect(seen).toEqual(Array.from({ length: 2500 }, (_, index) => index));
    expect(cost.sortedLatencies.length).toBe(25);
    expect(cost.totalNs).toBeGreaterThan(0);
  });

  it("takes no samples and measures no timer with sampleEvery Infinity", async () => {
    const seen: number[] = [];
    const cost = await produce((index) => seen.push(index), 1500, Number.POSITIVE_INFINITY);
    expect(seen).toHaveLength(1500);
    expect(cost.sortedLatencies.length).toBe(0);
    expect(cost.timerNs).toBe(0);
  });
});
