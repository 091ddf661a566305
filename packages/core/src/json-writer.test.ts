import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { errorToJson, numberToJson, toJson, toJsonString } from "./json-writer.ts";
import { CapturedError, type CapturedValue } from "./log-event.ts";

function record(entries: Record<string, CapturedValue>): Record<string, CapturedValue> {
  return Object.assign(Object.create(null) as Record<string, CapturedValue>, entries);
}

describe("toJsonString", () => {
  it("quotes plain text as it is", () => {
    expect(toJsonString("hello world")).toBe('"hello world"');
    expect(toJsonString("")).toBe('""');
    expect(toJsonString("caf\u00e9 \u{1f600}")).toBe('"caf\u00e9 \u{1f600}"');
  });

  it("escapes quotes, backslashes, controls, line separators and lone surrogates", () => {
    expect(toJsonString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(toJsonString("\n\r\t\u0000\u001f")).toBe('"\\n\\r\\t\\u0000\\u001f"');
    expect(toJsonString("a\u2028b\u2029c")).toBe('"a\\u2028b\\u2029c"');
    expect(toJsonString("x\ud800y")).toBe('"x\\ud800y"');
    expect(toJsonString("\udfff")).toBe('"\\udfff"');
  });

  it("round-trips every string through JSON.parse on one line", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: "binary" }),
          fc.constantFrom("\ud800", "a\udc00b", "\udc00\ud800", "\u2028\u2029"),
        ),
        (text) => {
          const json = toJsonString(text);
          expect(json).not.toMatch(/[\n\r\u2028\u2029]/);
          expect(JSON.parse(json)).toBe(text);
        },
      ),
    );
  });
});

describe("toJson", () => {
  it("writes scalars", () => {
    expect(toJson(null)).toBe("null");
    expect(toJson(undefined)).toBe("null");
    expect(toJson(true)).toBe("true");
    expect(toJson(false)).toBe("false");
    expect(toJson(-1.5)).toBe("-1.5");
    expect(toJson(-0)).toBe("0");
    expect(toJson(1e21)).toBe("1e+21");
    expect(toJson(12345678901234567890n)).toBe("12345678901234567890");
    expect(toJson(-3n)).toBe("-3");
  });

  it("writes non-finite numbers as strings", () => {
    expect(numberToJson(Number.NaN)).toBe('"NaN"');
    expect(toJson(Number.POSITIVE_INFINITY)).toBe('"Infinity"');
    expect(toJson(Number.NEGATIVE_INFINITY)).toBe('"-Infinity"');
  });

  it("writes dates as ISO strings", () => {
    expect(toJson(new Date(Date.UTC(2026, 10, 28, 5, 52, 37, 123)))).toBe(
      '"2026-11-28T05:52:37.123Z"',
    );
    expect(toJson(new Date(Number.NaN))).toBe('"Invalid Date"');
  });

  it("writes arrays and null-prototype objects, keys escaped", () => {
    const value = record({ a: [1, "x", [], record({})], 'we"ird\n': null, ["__proto__"]: 1 });
    expect(toJson(value)).toBe('{"a":[1,"x",[],{}],"we\\"ird\\n":null,"__proto__":1}');
  });

  it("writes errors with fields, cause and members", () => {
    const inner = new CapturedError({
      name: "Error",
      message: "inner",
      stack: undefined,
      fields: record({}),
      cause: undefined,
      errors: undefined,
    });
    const outer = new CapturedError({
      name: "AggregateError",
      message: "all failed",
      stack: "AggregateError: all failed\n    at f (a.js:1:1)",
      fields: record({ code: "E_ALL" }),
      cause: "why",
      errors: [inner],
    });
    const expected =
      '{"name":"AggregateError","message":"all failed","stack":"AggregateError: all failed\\n    at f (a.js:1:1)",' +
      '"cause":"why","errors":[{"name":"Error","message":"inner"}],"code":"E_ALL"}';
    expect(toJson(outer)).toBe(expected);
    expect(errorToJson(inner, "type")).toBe('{"type":"Error","message":"inner"}');
  });

  it("writes valid JSON for arbitrary nested values", () => {
    const leaf = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.double(),
      fc.bigInt(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.date({ noInvalidDate: true }),
    );
    const tree = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: "small" }, leaf, fc.array(tie("value")), tie("object")),
      object: fc
        .dictionary(fc.string({ unit: "binary" }), tie("value"))
        .map((entries) => record(entries as Record<string, CapturedValue>)),
    }));
    fc.assert(
      fc.property(tree.value, (value) => {
        const json = toJson(value as CapturedValue);
        expect(json).not.toMatch(/[\n\r\u2028\u2029]/);
        expect(() => JSON.parse(json)).not.toThrow();
      }),
    );
  });
});
