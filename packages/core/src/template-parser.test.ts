import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { Alignment, PropertyToken, TemplateToken } from "./message-template.ts";
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

function left(width: number): Alignment {
  return { direction: "left", width };
}

function right(width: number): Alignment {
  return { direction: "right", width };
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

// Every case of Serilog's MessageTemplateParserTests (serilog/serilog, test/Serilog.Tests/
// Parsing) that applies to JavaScript: the same input gives the same tokens. Serilog yields each
// malformed hole as a text token of its own and the empty template as one empty text token; here
// adjacent text is one token and the empty template has none, which renders the same.
describe("parseTemplate (Serilog parser parity)", () => {
  it.each<[string, Expected[]]>([
    // AnEmptyMessageIsASingleTextToken, AnEmptyPropertyIsIsParsedAsText
    ["", []],
    ["{}", ["{}"]],
    // AMessageWithoutPropertiesIsASingleTextToken, AMessageWithPropertyOnlyIsASinglePropertyToken
    ["Hello, world!", ["Hello, world!"]],
    ["{Hello}", [hole("Hello")]],
    // DoubledLeftBracketsAreParsedAsASingleBracket (and inside text)
    ["{{ Hi! }", ["{ Hi! }"]],
    ["Well, {{ Hi!", ["Well, { Hi!"]],
    ["Hello, {{worl@d}!", ["Hello, {worl@d}!"]],
    // DoubledRightBracketsAreParsedAsASingleBracket
    ["Nice }}-: mo", ["Nice }-: mo"]],
    // DoubledRightBracketsAfterOneLeftIsParsedAPropertyTokenAndATextToken
    ["{World}}!", [hole("World"), "}!"]],
    ["Hello, {World}}!", ["Hello, ", hole("World"), "}!"]],
    // DoubledBracketsAreParsedAsASingleBracket
    ["{{Hi}}", ["{Hi}"]],
    ["Hello, {{worl@d}}!", ["Hello, {worl@d}!"]],
    // DashedAndDottedNamesAreAccepted
    ["{test.name}", [hole("test.name")]],
    ["{te.st.na.me}", [hole("te.st.na.me")]],
    // AMalformedPropertyTagIsParsedAsText
    ["{0 space}", ["{0 space}"]],
    ["{0 space", ["{0 space"]],
    ["{0_space", ["{0_space"]],
    ["{0_{{space}", ["{0_{{space}"]],
    ["{0_{{space", ["{0_{{space"]],
    ["{.testname}", ["{.testname}"]],
    ["{testname.}", ["{testname.}"]],
    ["{.}", ["{.}"]],
    ["{..}", ["{..}"]],
    ["{test..name}", ["{test..name}"]],
    ["{10.name}", ["{10.name}"]],
    ["{0_}", ["{0_}"]],
    ["{0a}", ["{0a}"]],
    // ATrailingUnmatchedBracketIsParsedAsText
    ["{0}}space}", [hole("0"), "}space}"]],
    // AMessageWithAMalformedPropertyTagIsParsedAsManyTextTokens
    ["Hello, {w@rld}", ["Hello, {w@rld}"]],
    ["Hello, {w@rld", ["Hello, {w@rld"]],
    ["Hello, {w{{rld", ["Hello, {w{{rld"]],
    ["Hello{{, {w{{rld", ["Hello{, {w{{rld"]],
    ["Hello, {w@rld}, HI!", ["Hello, {w@rld}, HI!"]],
    ["{w@rld} Hi!", ["{w@rld} Hi!"]],
    ["{H&llo}, {w@rld}", ["{H&llo}, {w@rld}"]],
    // ManyIntegerPropertyNameIsParsedAsPositionalProperty
    ["{0}, {1}, {2}", [hole("0"), ", ", hole("1"), ", ", hole("2")]],
    // InvalidIntegerPropertyNameIsParsedAsText
    ["{-1}{-0}{0}{1}{3.1415}", ["{-1}{-0}", hole("0"), hole("1"), "{3.1415}"]],
    // FormatsCanContainColons, FormatsCanContainSymbolsAndOperators
    ["{Time:hh:mm}", [hole("Time", { format: "hh:mm", raw: "{Time:hh:mm}" })]],
    ["{Hello:HH$MM}", [hole("Hello", { format: "HH$MM", raw: "{Hello:HH$MM}" })]],
    ["{Hello:HH<MM}", [hole("Hello", { format: "HH<MM", raw: "{Hello:HH<MM}" })]],
    ["{Hello:HH#MM}", [hole("Hello", { format: "HH#MM", raw: "{Hello:HH#MM}" })]],
    ["{Hello:HH+MM}", [hole("Hello", { format: "HH+MM", raw: "{Hello:HH+MM}" })]],
    ["{Hello:HH`MM}", [hole("Hello", { format: "HH`MM", raw: "{Hello:HH`MM}" })]],
    // PropertiesCanHaveLeftAlignment, PropertiesCanHaveRightAlignment
    ["{Hello,-5}", [hole("Hello", { alignment: left(5), raw: "{Hello,-5}" })]],
    ["{Hello,-50}", [hole("Hello", { alignment: left(50), raw: "{Hello,-50}" })]],
    ["{Hello,5}", [hole("Hello", { alignment: right(5), raw: "{Hello,5}" })]],
    ["{Hello,50}", [hole("Hello", { alignment: right(50), raw: "{Hello,50}" })]],
    // PropertiesCanHaveAlignmentAndFormat
    [
      "{Hello,-5:000}",
      [hole("Hello", { alignment: left(5), format: "000", raw: "{Hello,-5:000}" })],
    ],
    [
      "{Hello,-50:000}",
      [hole("Hello", { alignment: left(50), format: "000", raw: "{Hello,-50:000}" })],
    ],
    [
      "{Hello,5:000}",
      [hole("Hello", { alignment: right(5), format: "000", raw: "{Hello,5:000}" })],
    ],
    [
      "{Hello,50:000}",
      [hole("Hello", { alignment: right(50), format: "000", raw: "{Hello,50:000}" })],
    ],
    // FormatInFrontOfAlignmentWillHaveTheAlignmentBeConsideredPartOfTheFormat
    ["{Hello:000,-5}", [hole("Hello", { format: "000,-5", raw: "{Hello:000,-5}" })]],
    ["{Hello:000,-50}", [hole("Hello", { format: "000,-50", raw: "{Hello:000,-50}" })]],
    ["{Hello:000,5}", [hole("Hello", { format: "000,5", raw: "{Hello:000,5}" })]],
    ["{Hello:000,50}", [hole("Hello", { format: "000,50", raw: "{Hello:000,50}" })]],
    // ZeroValuesAlignmentIsParsedAsProperty. Serilog's test expects the opposite directions, but
    // its `Alignment` equality cannot tell them apart at width zero; its parser gives `-0` left.
    ["{Hello,-0}", [hole("Hello", { alignment: left(0), raw: "{Hello,-0}" })]],
    ["{Hello,0}", [hole("Hello", { alignment: right(0), raw: "{Hello,0}" })]],
    // AlignmentWithPositiveSignParsedAsText, NonNumberAlignmentIsParsedAsText
    ["{Hello,+10}", ["{Hello,+10}"]],
    ["{Hello,-aa}", ["{Hello,-aa}"]],
    ["{Hello,aa}", ["{Hello,aa}"]],
    ["{Hello,-10-1}", ["{Hello,-10-1}"]],
    ["{Hello,10-1}", ["{Hello,10-1}"]],
    // EmptyAlignmentIsParsedAsText
    ["{Hello,}", ["{Hello,}"]],
    ["{Hello,:format}", ["{Hello,:format}"]],
    // MultipleTokensHasCorrectIndexes, MissingRightBracketIsParsedAsText
    ["{Greeting}, {Name}!", [hole("Greeting"), ", ", hole("Name"), "!"]],
    ["{Hello", ["{Hello"]],
    // DestructureHintIsParsedCorrectly, StringifyHintIsParsedCorrectly
    ["{@Hello}", [hole("Hello", { capture: "destructure", raw: "{@Hello}" })]],
    ["{$Hello}", [hole("Hello", { capture: "stringify", raw: "{$Hello}" })]],
    // DestructureWithInvalidHintsIsParsedAsText, DestructuringWithEmptyPropertyNameIsParsedAsText
    ["{@$}", ["{@$}"]],
    ["{$@}", ["{$@}"]],
    ["{@}", ["{@}"]],
    ["{$}", ["{$}"]],
    // UnderscoresAreValidInPropertyNames, IndexOutOfRangeExceptionBugHasNotRegressed
    ["{_123_Hello}", [hole("_123_Hello")]],
    ["{,,}", ["{,,}"]],
    // FormatCanContainMultipleSections, FormatCanContainPlusSign
    [
      "{Number:##.0;-##.0;zero}",
      [hole("Number", { format: "##.0;-##.0;zero", raw: "{Number:##.0;-##.0;zero}" })],
    ],
    ["{Number:+##.0}", [hole("Number", { format: "+##.0", raw: "{Number:+##.0}" })]],
  ])("parses %j as Serilog does", (text, expected) => {
    expect(shape(parseTemplate(text).tokens)).toEqual(expected);
  });

  it("marks all-digit names positional and nothing else", () => {
    const parsed = parseTemplate("{-1}{-0}{0}{1}{3.1415}{Name}{test.name}").properties;
    expect(parsed.map((token) => [token.name, token.position])).toEqual([
      ["0", 0],
      ["1", 1],
      ["Name", undefined],
      ["test.name", undefined],
    ]);
  });
});

describe("parseTemplate (further cases)", () => {
  it.each<[string, Expected[]]>([
    ["Hello, {Name}!", ["Hello, ", hole("Name"), "!"]],
    ["{Hello}{World}", [hole("Hello"), hole("World")]],
    ["{Hello:000}", [hole("Hello", { format: "000", raw: "{Hello:000}" })]],
    ["{Hello:}", [hole("Hello", { raw: "{Hello:}" })]],
    [
      "{Hello,10:x8}",
      [hole("Hello", { alignment: right(10), format: "x8", raw: "{Hello,10:x8}" })],
    ],
    ["{_}", [hole("_")]],
    ["{Größe}", [hole("Größe")]],
    ["{Straße.Nr}", [hole("Straße.Nr")]],
    ["{User.Id2._x}", [hole("User.Id2._x")]],
    ["{@User.Id}", [hole("User.Id", { capture: "destructure", raw: "{@User.Id}" })]],
    [
      "{T:HH$mm} {N:+##.0}",
      [
        hole("T", { format: "HH$mm", raw: "{T:HH$mm}" }),
        " ",
        hole("N", { format: "+##.0", raw: "{N:+##.0}" }),
      ],
    ],
    // Any text but `}` is a format, `{` included.
    ["{A:{x}", [hole("A", { format: "{x", raw: "{A:{x}" })]],
    ["{Lvl,0}", [hole("Lvl", { alignment: right(0), raw: "{Lvl,0}" })]],
    // A hole runs to the first `}`: the space makes the first name malformed, and the second
    // `{` is inside it.
    ["{Hello {Name}", ["{Hello {Name}"]],
    ["{a b} {c}", ["{a b} ", hole("c")]],
    ["{Hello:x}}", [hole("Hello", { format: "x", raw: "{Hello:x}" }), "}"]],
    ["}", ["}"]],
    ["{", ["{"]],
    ["{ }", ["{ }"]],
    ["{Hello World}", ["{Hello World}"]],
    ["{Hello-World}", ["{Hello-World}"]],
    ["{@@Hello}", ["{@@Hello}"]],
    ["{Hello,x}", ["{Hello,x}"]],
    ["{Hello, 10}", ["{Hello, 10}"]],
    ["{Hello,-}", ["{Hello,-}"]],
    // Serilog's `char` checks see one UTF-16 unit at a time, so an astral letter is no letter.
    ["{\u{1d49c}}", ["{\u{1d49c}}"]],
    ["{\u0663\u0664}", [hole("\u0663\u0664")]],
    ["{\u0663a}", ["{\u0663a}"]],
  ])("parses %j", (text, expected) => {
    expect(shape(parseTemplate(text).tokens)).toEqual(expected);
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

  it("gives holes only by Serilog's rules: names, alignments, one closing brace", () => {
    const name = /^(?:\p{Nd}+|[\p{L}_][\p{L}\p{Nd}_]*(?:\.[\p{L}_][\p{L}\p{Nd}_]*)*)$/u;
    const pieces = fc.oneof(
      fc.string({ unit: "binary", maxLength: 4 }),
      fc.constantFrom("{", "}", "{{", "}}", ".", ",", ":", "-", "+", "0", "a", "_", "@", "$", "é"),
    );
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 16 }), (parts) => {
        for (const token of parseTemplate(parts.join("")).properties) {
          expect(token.name).toMatch(name);
          expect(token.raw.indexOf("}")).toBe(token.raw.length - 1);
          if (token.alignment !== undefined) {
            expect(Number.isInteger(token.alignment.width)).toBe(true);
            expect(token.alignment.width).toBeLessThanOrEqual(2147483647);
          }
        }
      }),
      { numRuns: 3000 },
    );
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
