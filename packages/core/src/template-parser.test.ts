import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { PropertyToken, TemplateToken } from "./message-template.ts";
import { parseTemplate } from "./template-parser.ts";

type Expected = string | Partial<PropertyToken>;

function shape(tokens: readonly TemplateToken[]): Expected[] {
  return tokens.map((token) =>
    token.kind === "text"
      ? token.text
      : {
          name: token.name,
          capture: token.capture,
          format: token.format,
          alignment: token.alignment,
          raw: token.raw,
        },
  );
}

function hole(name: string, extra: Partial<PropertyToken> = {}): Partial<PropertyToken> {
  return {
    name,
    capture: "default",
    format: undefined,
    alignment: undefined,
    raw: `{${name}}`,
    ...extra,
  };
}

// Each case below mirrors a case of Serilog's MessageTemplateParser tests: the same input must
// give the same tokens.
describe("parseTemplate (Serilog parser parity)", () => {
  it.each<[string, Expected[]]>([
    ["", []],
    ["Hello, world!", ["Hello, world!"]],
    ["{Hello}", [hole("Hello")]],
    ["Hello, {Name}!", ["Hello, ", hole("Name"), "!"]],
    ["{Hello}{World}", [hole("Hello"), hole("World")]],
    ["{@Hello}", [hole("Hello", { capture: "destructure", raw: "{@Hello}" })]],
    ["{$Hello}", [hole("Hello", { capture: "stringify", raw: "{$Hello}" })]],
    ["{Hello:000}", [hole("Hello", { format: "000", raw: "{Hello:000}" })]],
    ["{Hello:HH:mm:ss}", [hole("Hello", { format: "HH:mm:ss", raw: "{Hello:HH:mm:ss}" })]],
    ["{Hello:}", [hole("Hello", { raw: "{Hello:}" })]],
    [
      "{Hello,-10}",
      [hole("Hello", { alignment: { direction: "left", width: 10 }, raw: "{Hello,-10}" })],
    ],
    [
      "{Hello,10:x8}",
      [
        hole("Hello", {
          alignment: { direction: "right", width: 10 },
          format: "x8",
          raw: "{Hello,10:x8}",
        }),
      ],
    ],
    ["{Hello:x,10}", [hole("Hello", { format: "x,10", raw: "{Hello:x,10}" })]],
    ["{0}", [hole("0")]],
    ["{_}", [hole("_")]],
    ["{Größe}", [hole("Größe")]],
  ])("parses %j", (text, expected) => {
    expect(shape(parseTemplate(text).tokens)).toEqual(expected);
  });

  it.each<[string, string]>([
    ["{{", "{"],
    ["}}", "}"],
    ["{{Hi}}", "{Hi}"],
    ["Hello {{Name}}", "Hello {Name}"],
    ["}", "}"],
    ["{", "{"],
    ["{ }", "{ }"],
    ["{}", "{}"],
    ["{@}", "{@}"],
    ["{$}", "{$}"],
    ["{Hello World}", "{Hello World}"],
    ["{Hello-World}", "{Hello-World}"],
    ["{Hello.World}", "{Hello.World}"],
    ["{@@Hello}", "{@@Hello}"],
    ["{Hello", "{Hello"],
    ["{Hello,}", "{Hello,}"],
    ["{Hello,:x}", "{Hello,:x}"],
    ["{Hello,x}", "{Hello,x}"],
    ["{Hello,1-0}", "{Hello,1-0}"],
    ["{Hello,0}", "{Hello,0}"],
    ["{Hello,-0}", "{Hello,-0}"],
    ["{Hello:x}}", "{Hello:x}}"],
    ["Hello {Name", "Hello {Name"],
  ])("keeps malformed or escaped %j as the text %j", (text, rendered) => {
    const template = parseTemplate(text);
    if (text === "{Hello:x}}") {
      // `}` ends the hole; the second `}` is a lone brace and stays text.
      expect(shape(template.tokens)).toEqual([
        hole("Hello", { format: "x", raw: "{Hello:x}" }),
        "}",
      ]);
      return;
    }
    expect(template.properties).toEqual([]);
    expect(template.tokens.map((token) => (token.kind === "text" ? token.text : "")).join("")).toBe(
      rendered,
    );
  });

  it("finds a hole after malformed text", () => {
    // `{` is punctuation, which a format may contain, so as in Serilog the first hole swallows the
    // second and both stay text.
    expect(shape(parseTemplate("{Hello {Name}").tokens)).toEqual(["{Hello {Name}"]);
    expect(shape(parseTemplate("{a b} {c}").tokens)).toEqual(["{a b} ", hole("c")]);
  });

  it("gives positional holes their index", () => {
    const [first, second] = parseTemplate("{0} then {1:x}").properties;
    expect(first?.position).toBe(0);
    expect(second?.position).toBe(1);
    expect(parseTemplate("{Name}").properties[0]?.position).toBeUndefined();
  });

  it("caches: the same text returns the same frozen template", () => {
    const first = parseTemplate("Cached {A}");
    expect(parseTemplate("Cached {A}")).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.tokens)).toBe(true);
  });

  it("keeps its cache bounded", () => {
    const first = parseTemplate("bounded-0");
    for (let index = 1; index <= 1500; index++) parseTemplate(`bounded-${index}`);
    expect(parseTemplate("bounded-0")).not.toBe(first);
  });

  it("derives the event id Serilog writes as @i", () => {
    expect(parseTemplate("Hello, {Name}!").id).toMatch(/^[0-9a-f]{8}$/);
    expect(parseTemplate("Hello, {Name}!").id).toBe(parseTemplate("Hello, {Name}!").id);
    expect(parseTemplate("Hello, {Name}!").id).not.toBe(parseTemplate("Hello, {Other}!").id);
  });

  it("never throws, and text plus raw holes rebuild an unescaped input", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        const template = parseTemplate(text);
        const rebuilt = template.tokens
          .map((token) => (token.kind === "text" ? token.text : token.raw))
          .join("");
        if (!text.includes("{{") && !text.includes("}}")) expect(rebuilt).toBe(text);
        for (const property of template.properties) expect(property.name.length).toBeGreaterThan(0);
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps widths and positions within 32 bits, as Serilog's integer parse does", () => {
    expect(parseTemplate("{A,2147483647}").properties[0]?.alignment?.width).toBe(2147483647);
    expect(parseTemplate("{A,2147483648}").properties).toEqual([]);
    expect(parseTemplate("{A,-99999999999}").properties).toEqual([]);
    expect(parseTemplate("{007}").properties[0]?.position).toBe(7);
    expect(parseTemplate("{2147483648}").properties[0]?.position).toBeUndefined();
    expect(parseTemplate("{2147483648}").properties[0]?.name).toBe("2147483648");
    // Non-ASCII digits are name characters but not positions.
    expect(parseTemplate("{\u0663}").properties[0]?.position).toBeUndefined();
  });

  it("writes back to a source that parses to the same tokens", () => {
    const escapeBraces = (text: string): string => text.replaceAll("{", "{{").replaceAll("}", "}}");
    const pieces = fc.oneof(
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.constantFrom("{", "}", "{{", "}}", "{A}", "{@B:x}", "{$C,-3}", "{0}", "{D,5:0.0}", "{ }"),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), (parts) => {
        const template = parseTemplate(parts.join(""));
        const source = template.tokens
          .map((token) => (token.kind === "text" ? escapeBraces(token.text) : token.raw))
          .join("");
        expect(parseTemplate(source).tokens).toEqual(template.tokens);
      }),
      { numRuns: 2000 },
    );
  });

  it("parses templates made mostly of braces and hole syntax", () => {
    const pieces = fc.constantFrom("{", "}", "@", "$", ":", ",", "-", "1", "a", " ", "_", "x");
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 40 }), (parts) => {
        const text = parts.join("");
        expect(() => parseTemplate(text)).not.toThrow();
      }),
      { numRuns: 3000 },
    );
  });
});
