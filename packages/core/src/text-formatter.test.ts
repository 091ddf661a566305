import { describe, expect, it } from "vitest";
import { event, record, time } from "../test/support/events.ts";
import type { LogLevel } from "./level.ts";
import { CapturedError, LogEventRecord } from "./log-event.ts";
import { parseTemplate } from "./template-parser.ts";
import {
  compileOutputTemplate,
  createTextFormatter,
  defaultOutputTemplate,
  type TextRole,
} from "./text-formatter.ts";

const error = new CapturedError({
  name: "Error",
  message: "boom",
  stack: "Error: boom\n    at f (f.js:1:1)",
  fields: record({}),
  cause: undefined,
  errors: undefined,
});

describe("createTextFormatter", () => {
  it("renders the default output template", () => {
    const text = createTextFormatter({ utc: true });
    expect(defaultOutputTemplate).toBe(
      "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}",
    );
    expect(
      text.format(event("info", "User {Name} has {Count} items", { Name: "ann", Count: 3 })),
    ).toBe("05:52:37.123 [INF] User ann has 3 items\n");
    expect(text.format(event("warn", "failed", {}, error))).toBe(
      "05:52:37.123 [WRN] failed\n  Error: boom\n      at f (f.js:1:1)\n",
    );
  });

  it("renders level formats as Serilog does", () => {
    const cases: [string, LogLevel, string][] = [
      ["{Level}", "info", "Information"],
      ["{Level:u3}", "trace", "VRB"],
      ["{Level:w3}", "debug", "dbg"],
      ["{Level:t3}", "fatal", "Ftl"],
      ["{Level:u}", "warn", "WARNING"],
      ["{Level:w}", "error", "error"],
      ["{Level:u4}", "error", "EROR"],
      ["{Level:u1}", "info", "I"],
      ["{Level,-6}|", "error", "Error |"],
      ["{Level,5:u3}|", "info", "  INF|"],
    ];
    for (const [outputTemplate, level, expected] of cases) {
      expect(createTextFormatter({ outputTemplate }).format(event(level, "x"))).toBe(expected);
    }
  });

  it("renders {Properties} without the message's and the output template's properties", () => {
    const sample = event("info", "Hello {Name}", {
      Name: "ann",
      Region: "eu",
      Count: 2,
      Shown: true,
    });
    const text = createTextFormatter({ outputTemplate: "{Message} {Shown} {Properties}" });
    expect(text.format(sample)).toBe('Hello "ann" true { Region: "eu", Count: 2 }');
    const json = createTextFormatter({ outputTemplate: "{Properties:j}" });
    expect(json.format(sample)).toBe('{"Region":"eu","Count":2,"Shown":true}');
    expect(
      createTextFormatter({ outputTemplate: "{Properties}" }).format(
        event("info", "{A}", { A: 1 }),
      ),
    ).toBe("{}");
  });

  it("renders other properties with their format and alignment, missing ones as nothing", () => {
    const text = createTextFormatter({
      outputTemplate: "[{Elapsed,8:0.00}][{Missing}][{Source,-6}]",
    });
    expect(text.format(event("info", "x", { Elapsed: 3.14659, Source: "db" }))).toBe(
      '[    3.15][]["db"  ]',
    );
  });

  it("renders the timestamp with a custom format in UTC", () => {
    const text = createTextFormatter({
      outputTemplate: "{Timestamp:yyyy-MM-dd HH:mm:ss}",
      utc: true,
    });
    expect(text.format(event("info", "x"))).toBe("2026-11-28 05:52:37");
  });

  it("renders each event's own timestamp", () => {
    const text = createTextFormatter({ outputTemplate: "{Timestamp:ss.fff}|", utc: true });
    const lines = [time, time, time + 1, time + 1000].map((at) =>
      text.format(new LogEventRecord(at, "info", parseTemplate("x"), record({}), undefined)),
    );
    expect(lines).toEqual(["37.123|", "37.123|", "37.124|", "38.123|"]);
  });

  it("rejects a template that is not a string and a utc that is not a boolean", () => {
    expect(() => createTextFormatter({ outputTemplate: 3 as never })).toThrow(/outputTemplate/);
    expect(() => createTextFormatter({ utc: "yes" as never })).toThrow(/utc/);
  });
});

describe("compileOutputTemplate", () => {
  it("writes role-tagged pieces that join to the formatter's text", () => {
    const outputTemplate =
      "{Timestamp:HH:mm:ss} [{Level:u3}] {Message:lj} {Properties}{NewLine}{Exception}";
    const sample = event(
      "error",
      "User {Name} has {Count} items",
      { Name: "ann", Count: 3, Region: "eu" },
      error,
    );
    const pieces: [string, TextRole][] = [];
    compileOutputTemplate(outputTemplate, { utc: true })(sample, {
      write: (text, role) => pieces.push([text, role]),
    });
    expect(pieces).toEqual([
      ["05:52:37", "timestamp"],
      [" [", "text"],
      ["ERR", "level"],
      ["] ", "text"],
      ["User ", "message-text"],
      ["ann", "string"],
      [" has ", "message-text"],
      ["3", "number"],
      [" items", "message-text"],
      [" ", "text"],
      ["{ ", "text"],
      ["Region", "property-name"],
      [": ", "text"],
      ['"eu"', "string"],
      [" }", "text"],
      ["\n", "newline"],
      ["  Error: boom\n      at f (f.js:1:1)\n", "error"],
    ]);
    const joined = pieces.map(([text]) => text).join("");
    expect(joined).toBe(createTextFormatter({ outputTemplate, utc: true }).format(sample));
  });
});
