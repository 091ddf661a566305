import { describe, expect, it } from "vitest";
import { markdownTable, replaceSection } from "./markdown-table.ts";

describe("markdownTable", () => {
  it("pads every column to its widest cell and right-aligns the columns marked so", () => {
    expect(
      markdownTable(
        ["name", "ns"],
        [false, true],
        [
          ["sluice", "9.1"],
          ["pino", "10.2"],
        ],
      ),
    ).toBe(
      ["| name   |   ns |", "| ------ | ---: |", "| sluice |  9.1 |", "| pino   | 10.2 |"].join(
        "\n",
      ),
    );
  });
});

describe("replaceSection", () => {
  const document = "intro\n<!-- table:start -->\nold\nlines\n<!-- table:end -->\nrest\n";

  it("replaces only what lies between the markers, keeping both", () => {
    expect(replaceSection(document, "table", "new")).toBe(
      "intro\n<!-- table:start -->\nnew\n<!-- table:end -->\nrest\n",
    );
  });

  it("throws when a marker is missing or they are out of order", () => {
    expect(() => replaceSection(document, "chart", "new")).toThrow(/chart:start/);
    expect(() =>
      replaceSection("<!-- table:end -->\n<!-- table:start -->\n", "table", "new"),
    ).toThrow(/missing/);
  });
});
