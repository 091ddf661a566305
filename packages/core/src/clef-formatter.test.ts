import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { event, record, time } from "../test/support/events.ts";
import { createClefFormatter, errorToText } from "./clef-formatter.ts";
import type { LogLevel } from "./level.ts";
import { CapturedError, type CapturedValue, LogEventRecord } from "./log-event.ts";
import { parseTemplate } from "./template-parser.ts";

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

  it("writes every property under its own key, event after event, whatever the names", () => {
    const name = fc.oneof(fc.constantFrom("", "@t", "@@mt", "Path", "Elapsed", "0"), fc.string());
    fc.assert(
      fc.property(
        fc.array(fc.uniqueArray(name, { maxLength: 12 }), { minLength: 1, maxLength: 6 }),
        (lists) => {
          // One formatter for the whole sequence, so names cached from one event meet the next.
          const formatter = createClefFormatter();
          for (const names of lists) {
            const properties = Object.fromEntries(names.map((key, index) => [key, index]));
            const parsed = JSON.parse(formatter.format(event("info", "m", properties)));
            expect(Object.keys(parsed)).toHaveLength(3 + names.length);
            for (const [index, key] of names.entries()) {
              expect(parsed[key.startsWith("@") ? `@${key}` : key]).toBe(index);
            }
          }
        },
      ),
    );
  });

  it("writes each event's own time, template and level when consecutive events share some", () => {
    const formatter = createClefFormatter({ includeEventId: false });
    const at = (level: LogLevel, text: string, timestamp: number) =>
      JSON.parse(
        formatter.format(
          new LogEventRecord(timestamp, level, parseTemplate(text), record({}), undefined),
        ),
      );
    const written = [
      at("info", "a", 1000),
      at("info", "a", 1000),
      at("warn", "a", 1000),
      at("warn", "b", 1000),
      at("warn", "b", 1001),
      at("info", "a", 1001),
      at("info", "a", Number.NaN),
      at("info", "a", Number.NaN),
      at("info", "a", 1001),
    ];
    expect(written.map((line) => [line["@t"], line["@mt"], line["@l"]])).toEqual([
      ["1970-01-01T00:00:01.000Z", "a", undefined],
      ["1970-01-01T00:00:01.000Z", "a", undefined],
      ["1970-01-01T00:00:01.000Z", "a", "Warning"],
      ["1970-01-01T00:00:01.000Z", "b", "Warning"],
      ["1970-01-01T00:00:01.001Z", "b", "Warning"],
      ["1970-01-01T00:00:01.001Z", "a", undefined],
      ["NaN", "a", undefined],
      ["NaN", "a", undefined],
      ["1970-01-01T00:00:01.001Z", "a", undefined],
    ]);
  });

  it("writes the rendered message of each event when consecutive events share the rest", () => {
    const formatter = createClefFormatter({ includeMessage: true });
    const messages = [1, 2, 2, 3].map(
      (value) => JSON.parse(formatter.format(event("info", "N {N}", { N: value })))["@m"],
    );
    expect(messages).toEqual(["N 1", "N 2", "N 2", "N 3"]);
  });

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

// The cases of Serilog.Formatting.Compact's CompactJsonFormatterTests and
// RenderedCompactJsonFormatterTests: every line is valid JSON, and the rendered formatter's `@m`
// is the message as Serilog renders it (strings quoted, formats applied).
describe("createClefFormatter: Serilog.Formatting.Compact cases", () => {
  const compact = createClefFormatter();
  const rendered = createClefFormatter({ includeMessage: true });
  const failure = capturedError("RangeError", "Attempted to divide by zero.", {
    stack: "RangeError: Attempted to divide by zero.\n    at divide (d.js:1:1)",
  });
  const cases: [string, ReturnType<typeof event>, string][] = [
    ["AnEmptyEventIsValidJson", event("info", "No properties"), "No properties"],
    ["AMinimalEventIsValidJson", event("info", "One {Property}", { Property: 42 }), "One 42"],
    [
      "MultiplePropertiesAreDelimited",
      event("info", "Property {First} and {Second}", { First: "One", Second: "Two" }),
      'Property "One" and "Two"',
    ],
    [
      "ExceptionsAreFormattedToValidJson",
      event("info", "With exception", {}, failure),
      "With exception",
    ],
    [
      "ExceptionAndPropertiesAreValidJson",
      event("info", "With exception and {Property}", { Property: 42 }, failure),
      "With exception and 42",
    ],
    [
      "RenderingsAreValidJson",
      event("info", "One {Rendering:x8}", { Rendering: 42 }),
      "One 0000002a",
    ],
    [
      "MultipleRenderingsAreDelimited",
      event("info", "Rendering {First:x8} and {Second:x8}", { First: 1, Second: 2 }),
      "Rendering 00000001 and 00000002",
    ],
  ];

  it.each(cases)("%s", (_, sample, message) => {
    const plain = JSON.parse(compact.format(sample));
    expect(plain["@m"]).toBeUndefined();
    expect(plain["@mt"]).toBe(sample.template.text);
    expect(plain["@t"]).toMatch(/Z$/);
    const withMessage = JSON.parse(rendered.format(sample));
    expect(withMessage["@m"]).toBe(message);
    expect(withMessage["@i"]).toBe(sample.template.id);
    expect({ ...withMessage, "@m": undefined }).toEqual({ ...plain, "@m": undefined });
    if (sample.error !== undefined) expect(withMessage["@x"]).toBe(errorToText(sample.error));
  });

  it("AtPrefixedPropertyNamesAreEscaped, with @m too", () => {
    const line = rendered.format(event("info", "Hello", { "@Mistake": 42 }));
    expect(JSON.parse(line)).toMatchObject({ "@m": "Hello", "@@Mistake": 42 });
  });

  it("writes @m right after @t, and only when asked", () => {
    const sample = event("warn", "User {UserId} from {Place}", { UserId: 7, Place: "Oslo" });
    expect(rendered.format(sample)).toBe(
      `{"@t":"2026-11-28T05:52:37.123Z","@m":"User 7 from \\"Oslo\\"","@mt":"User {UserId} from {Place}","@i":"${sample.template.id}","@l":"Warning","UserId":7,"Place":"Oslo"}\n`,
    );
    expect(compact.format(sample)).not.toContain('"@m"');
  });

  it("renders Serilog 4 holes in @m and @r", () => {
    const sample = event("info", "Hi {User.Id} [{Lvl,0}] [{Lvl,0:l}] {T:ss$fff} {N:+##.0} {0a}", {
      "User.Id": 7,
      Lvl: "x",
      T: new Date(time),
      N: 3.14,
    });
    const parsed = JSON.parse(rendered.format(sample));
    expect(parsed["@m"]).toBe('Hi 7 ["x"] [x] 37$123 +3.1 {0a}');
    expect(parsed["@r"]).toEqual(["x", "37$123", "+3.1"]);
    expect(parsed["User.Id"]).toBe(7);
  });

  it("rejects an includeMessage that is not a boolean", () => {
    expect(() => createClefFormatter({ includeMessage: 1 as never })).toThrow(/includeMessage/);
  });

  it("always writes valid JSON with @m", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" })),
        fc.dictionary(
          fc.string({ unit: "binary" }),
          fc.oneof(fc.string({ unit: "binary" }), fc.double()),
        ),
        (text, properties) => {
          const line = rendered.format(event("info", text, properties));
          expect(line.indexOf("\n")).toBe(line.length - 1);
          expect(typeof JSON.parse(line)["@m"]).toBe("string");
        },
      ),
    );
  });
});
