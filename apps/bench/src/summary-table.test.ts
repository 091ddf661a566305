import { describe, expect, it } from "vitest";
import type { Measurement } from "./measure.ts";
import { summaryTable } from "./summary-table.ts";

const run: Measurement[] = [
  { scenario: "memory", subject: "sluice", nsPerOp: 300 },
  { scenario: "memory", subject: "pino", nsPerOp: 500 },
  { scenario: "memory", subject: "winston", nsPerOp: 2000 },
  { scenario: "memory", subject: "logtape", nsPerOp: 4500.4 },
  { scenario: "file", subject: "sluice", nsPerOp: 800 },
  { scenario: "file", subject: "pino", nsPerOp: 2000 },
  { scenario: "file", subject: "pino-transport", nsPerOp: 1600 },
  { scenario: "file", subject: "winston", nsPerOp: 4000 },
  { scenario: "disabled", subject: "sluice", nsPerOp: 9.14 },
  { scenario: "disabled", subject: "pino", nsPerOp: 10.2 },
];

const options = {
  baselines: { memory: "pino", file: "pino-transport", disabled: "pino" },
  pinoBest: { file: ["pino", "pino-transport"] },
  peers: [
    { title: "winston", subject: "winston" },
    { title: "LogTape", subject: "logtape" },
  ],
};

/** The table's body rows, as arrays of trimmed cells. */
function cells(markdown: string): string[][] {
  return markdown
    .split("\n")
    .filter((line) => line.startsWith("|"))
    .slice(2)
    .map((line) =>
      line
        .slice(1, -1)
        .split("|")
        .map((cell) => cell.trim()),
    );
}

describe("summaryTable", () => {
  it("shows each row's figures and their ratios to the scenario's pino best", () => {
    const table = summaryTable(
      run,
      [{ scenario: "memory", subject: "sluice", label: "in memory", unit: "ns" }],
      options,
    );
    expect(cells(table)).toEqual([
      ["in memory (ns)", "300", "500", "2000", "4500", "0.60", "4.00", "9.00"],
    ]);
    expect(table.split("\n")[0]).toContain(
      "| Sluice | pino best | winston | LogTape | Sluice / pino best | winston / pino best | LogTape / pino best |",
    );
    expect(table).not.toContain("—");
  });

  it("names pino best where a scenario has two pino subjects, and dashes what did not run", () => {
    const table = summaryTable(
      run,
      [
        { scenario: "file", subject: "sluice", label: "to a file", unit: "ns per event" },
        { scenario: "disabled", subject: "sluice", label: "disabled", unit: "ns" },
      ],
      options,
    );
    expect(cells(table)).toEqual([
      ["to a file (ns per event; pino-transport)", "800", "1600", "4000", "—", "0.50", "2.50", "—"],
      ["disabled (ns)", "9.1", "10.2", "—", "—", "0.90", "—", "—"],
    ]);
    expect(table.endsWith("\n\n—: no such subject in this run.")).toBe(true);
  });

  it("lays the table out as the formatter does: every line of a column equally wide", () => {
    const table = summaryTable(
      run,
      [{ scenario: "memory", subject: "sluice", label: "in memory", unit: "ns" }],
      options,
    );
    const lengths = new Set(table.split("\n").map((line) => line.length));
    expect(lengths.size).toBe(1);
  });
});
