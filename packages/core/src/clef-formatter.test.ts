import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { event, record, time } from "../test/support/events.ts";
import { createClefFormatter, errorToText } from "./clef-formatter.ts";
import type { LogLevel } from "./level.ts";
import { CapturedError, type CapturedValue } from "./log-event.ts";

function capturedError(
  name: string,
  message: string,
  more: { stack?: string; cause?: CapturedValue; errors?: CapturedValue[] } = {},
): CapturedError {
  return new CapturedError({
    name,
    message,
    stack: more.stack,
    fields: record({}),
    cause: more.cause,
    errors: more.errors,
  });
}

describe("createClefFormatter", () => {
  const clef = createClefFormatter();

  it("writes @t, @mt, @i and the properties, and leaves @l out for info", () => {
    const sample = event("info", "User {UserId} logged in", { UserId: 42, Region: "eu" });
    const id = sample.template.id;
    expect(clef.format(sample)).toBe(
      `{"@t":"2026-11-28T05:52:37.123Z","@mt":"User {UserId} logged in","@i":"${id}","UserId":42,"Region":"eu"}\n`,
    );
  });

  it("names levels as Serilog does", () => {
    const levels: [LogLevel, string | undefined][] = [
      ["trace", "Verbose"],
      ["debug", "Debug"],
      ["info", undefined],
      ["warn", "Warning"],
      ["error", "Error"],
      ["fatal", "Fatal"],
    ];
    for (const [level, name] of levels) {
      const parsed = JSON.parse(clef.format(event(level, "x")));
      expect(parsed["@l"]).toBe(name);
    }
  });

  it("doubles a leading @ in property names", () => {
    const line = clef.format(event("info", "x", { "@t": "mine", "@@x": 1, "a@b": 2 }));
    expect(line).toContain(',"@@t":"mine","@@@x":1,"a@b":2}');
    expect(JSON.parse(line)["@t"]).toBe("2026-11-28T05:52:37.123Z");
  });

  it("writes @r for formatted holes only, in the order of the holes, missing ones as written", () => {
    const line = clef.format(
      event("info", "{A:0.00} {B} {C:000} {Missing:x} {A:0.0}", { A: 1.5, B: 2, C: 7 }),
    );
    expect(JSON.parse(line)["@r"]).toEqual(["1.50", "007", "{Missing:x}", "1.5"]);
    expect(clef.format(event("info", "{A} {B}", { A: 1, B: 2 }))).not.toContain("@r");
  });

  it("honours includeEventId and includeRenderings", () => {
    const plain = createClefFormatter({ includeEventId: false, includeRenderings: false });
    expect(plain.format(event("warn", "{A:0.00}", { A: 1 }))).toBe(
      '{"@t":"2026-11-28T05:52:37.123Z","@mt":"{A:0.00}","@l":"Warning","A":1}\n',
    );
  });

  it("rejects options that are not booleans", () => {
    expect(() => createClefFormatter({ includeEventId: "yes" as never })).toThrow(/includeEventId/);
  });

  it("writes @x with the cause chain and AggregateError members", () => {
    const root = capturedError("Error", "disk full", {
      stack: "Error: disk full\n    at write (f.js:1:1)",
    });
    const member = capturedError("TypeError", "bad", { cause: root });
    const aggregate = capturedError("AggregateError", "2 failed", {
      stack: "AggregateError: 2 failed\n    at main (m.js:2:2)",
      cause: "timeout",
      errors: [member, capturedError("RangeError", "")],
    });
    const expected = [
      "AggregateError: 2 failed",
      "    at main (m.js:2:2)",
      "[cause]: timeout",
      "[errors][0]: TypeError: bad",
      "[errors][0][cause]: Error: disk full",
      "    at write (f.js:1:1)",
      "[errors][1]: RangeError",
    ].join("\n");
    expect(errorToText(aggregate)).toBe(expected);
    const line = clef.format(event("error", "failed", {}, aggregate));
    expect(JSON.parse(line)["@x"]).toBe(expected);
    expect(line.indexOf("\n")).toBe(line.length - 1);
  });

  it("writes hostile values as valid JSON", () => {
    const line = clef.format(
      event("info", "{A}", {
        A: "\ud800\u2028\u0000",
        B: 2n ** 70n,
        C: Number.NaN,
        D: undefined,
        E: new Date(time),
        F: [record({ "\n": [null] })],
        G: capturedError("Error", "x"),
      }),
    );
    expect(line).toContain(`"B":${2n ** 70n}`);
    const parsed = JSON.parse(line);
    expect(parsed).toMatchObject({ C: "NaN", D: null, E: "2026-11-28T05:52:37.123Z" });
    expect(parsed.A).toBe("\ud800\u2028\u0000");
    expect(parsed.F).toEqual([{ "\n": [null] }]);
    expect(parsed.G).toEqual({ name: "Error", message: "x" });
  });

  it("always writes exactly one JSON object and one trailing newline", () => {
    const hostile = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.constantFrom("\ud800", "\udfff", "\u2028", "\u0000\u001f\u007f"),
      fc.bigInt(),
      fc.double(),
      fc.constant(undefined),
      fc.array(fc.string({ unit: "binary" })),
      fc.dictionary(fc.string({ unit: "binary" }), fc.string({ unit: "binary" })).map(record),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" })),
        fc.dictionary(fc.string({ unit: "binary" }), hostile),
        fc.constantFrom<LogLevel>("trace", "info", "fatal"),
        (text, properties, level) => {
          const line = clef.format(event(level, text, properties as Record<string, CapturedValue>));
          expect(line.endsWith("}\n")).toBe(true);
          expect(line.indexOf("\n")).toBe(line.length - 1);
          expect(line).not.toMatch(/[\r\u2028\u2029]/);
          const parsed = JSON.parse(line);
          expect(parsed["@mt"]).toBe(text);
        },
      ),
    );
  });
});
