import { describe, expect, it } from "vitest";
import type { Measurement } from "./measure.ts";
import { longestRatio, ratioChart } from "./ratio-chart.ts";

const run: Measurement[] = [
  { scenario: "file", subject: "sluice", nsPerOp: 100 },
  { scenario: "file", subject: "pino", nsPerOp: 400 },
  { scenario: "file", subject: "winston", nsPerOp: 800 },
  { scenario: "slow", subject: "fast", nsPerOp: 50 },
  { scenario: "slow", subject: "slow", nsPerOp: 75 },
  { scenario: "orphan", subject: "sluice", nsPerOp: 5 },
];

/** The bars' widths, in document order. */
function barWidths(svg: string): number[] {
  return [...svg.matchAll(/<rect x="160" y="[\d.]+" width="([\d.]+)"/g)].map((match) =>
    Number(match[1]),
  );
}

describe("ratioChart", () => {
  const svg = ratioChart(run, {
    titles: { file: "1M events to a `file` <disk>" },
    baselines: { slow: "fast" },
    caption: "Node v20, 2 cpus",
  });

  it("draws one bar per subject, as long as its ratio to the scenario's baseline", () => {
    // The largest ratio (winston, 2) spans the whole bar space of 500 px.
    expect(barWidths(svg)).toEqual([62.5, 250, 500, 250, 375]);
    for (const label of ["0.25×", "1.00×", "2.00×", "1.50×"]) expect(svg).toContain(`>${label}<`);
  });

  it("leaves out a scenario without its baseline and names the baseline of each group", () => {
    expect(svg).not.toContain("orphan");
    expect(svg).toContain(">1M events to a file &#60;disk&#62; (1 = pino)<");
    expect(svg).toContain(">slow (1 = fast)<");
  });

  it("is a well-formed SVG document with the caption and a line at ratio 1", () => {
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    expect(svg).toContain(">Node v20, 2 cpus<");
    expect(svg).toContain(
      "<title>Benchmark: time per call relative to the baseline. Node v20, 2 cpus</title>",
    );
    expect(svg).toMatch(/<line x1="410.0" /);
  });

  it("keeps the scale from 0 to at least 1 when every subject is faster than the baseline", () => {
    const fast = ratioChart([
      { scenario: "null", subject: "sluice", nsPerOp: 1 },
      { scenario: "null", subject: "pino", nsPerOp: 4 },
    ]);
    expect(barWidths(fast)).toEqual([125, 500]);
  });

  it("cuts bars beyond the longest ratio at the end of the scale and still labels their ratio", () => {
    const svg = ratioChart([
      { scenario: "disabled", subject: "sluice", nsPerOp: 5 },
      { scenario: "disabled", subject: "pino", nsPerOp: 10 },
      { scenario: "disabled", subject: "winston", nsPerOp: 2000 },
      { scenario: "disabled", subject: "logtape", nsPerOp: 30 },
    ]);
    // The scale ends at longestRatio (4): winston's 200 is cut there, LogTape's 3 is not.
    expect(longestRatio).toBe(4);
    expect(barWidths(svg)).toEqual([62.5, 125, 500, 375]);
    expect(svg).toContain(">200.00×<");
    expect(svg.match(/<path /g)).toHaveLength(1);
    expect(svg).toMatch(/<line x1="285.0" /);
  });

  it("gives winston and LogTape their own colours, named in the legend", () => {
    const svg = ratioChart([
      { scenario: "memory", subject: "pino", nsPerOp: 10 },
      { scenario: "memory", subject: "winston", nsPerOp: 20 },
      { scenario: "memory", subject: "logtape", nsPerOp: 30 },
      { scenario: "memory", subject: "pino-async", nsPerOp: 15 },
    ]);
    const fills = [...svg.matchAll(/<rect x="160" [^>]* fill="(#[0-9a-f]+)"/g)].map(
      (match) => match[1],
    );
    expect(new Set(fills).size).toBe(4);
    for (const name of ["Sluice", "baseline", "winston", "LogTape", "other"]) {
      expect(svg).toContain(`>${name}</text>`);
    }
  });
});
