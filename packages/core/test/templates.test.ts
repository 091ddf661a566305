import { createLogger, type PropertiesArgument, type PropertyToken } from "@sluice/core";
import {
  parseTemplate,
  type RenderOptions,
  renderMessage,
  renderPropertyValue,
} from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

describe("message templates through the public API", () => {
  it("parses holes with hints, formats, alignments and positions", () => {
    const template = parseTemplate("{{Id}} {@Order} took {Elapsed,-8:0.00} ms for {0}");
    expect(template.text).toBe("{{Id}} {@Order} took {Elapsed,-8:0.00} ms for {0}");
    expect(template.id).toMatch(/^[0-9a-f]{8}$/);
    expect(
      template.tokens.map((token) => (token.kind === "text" ? token.text : token.raw)),
    ).toEqual(["{Id} ", "{@Order}", " took ", "{Elapsed,-8:0.00}", " ms for ", "{0}"]);
    expect(
      template.properties.map(({ name, capture, format, alignment, position }) => ({
        name,
        capture,
        format,
        alignment,
        position,
      })),
    ).toEqual([
      {
        name: "Order",
        capture: "destructure",
        format: undefined,
        alignment: undefined,
        position: undefined,
      },
      {
        name: "Elapsed",
        capture: "default",
        format: "0.00",
        alignment: { direction: "left", width: 8 },
        position: undefined,
      },
      { name: "0", capture: "default", format: undefined, alignment: undefined, position: 0 },
    ]);
    expect(parseTemplate(template.text)).toBe(template);
    expect(Object.isFrozen(template.properties[0])).toBe(true);
  });

  it("gives Serilog's @i for a template (Jenkins one-at-a-time over UTF-16 units)", () => {
    // The one-at-a-time hash of "a" is the published vector 0xca2e9442.
    expect(parseTemplate("a").id).toBe("ca2e9442");
    expect(parseTemplate("").id).toBe("00000000");
  });

  it("renders messages the way Serilog does", () => {
    const template = parseTemplate("{Name} paid {Amount:N2} for {@Items} [{Code,4}] {Missing}");
    const properties = { Name: "Ann", Amount: 1234.5, Items: ["a", 2], Code: 7 };
    expect(renderMessage(template, properties)).toBe(
      '"Ann" paid 1,234.50 for ["a", 2] [   7] {Missing}',
    );
    const bare: RenderOptions = { quoteStrings: false, json: true };
    expect(renderMessage(template, properties, bare)).toBe(
      'Ann paid 1,234.50 for ["a",2] [   7] {Missing}',
    );
    const token = parseTemplate("{Who,-6:l}").properties[0] as PropertyToken;
    expect(renderPropertyValue("Bo", token)).toBe("Bo    ");
  });

  it("renders a logger's event with its typed properties", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    log.info("User {UserId} in {@Place} at {When:yyyy}", {
      UserId: 42,
      Place: { City: "Oslo" },
      When: new Date(Date.UTC(2026, 5, 1, 12)),
    });
    expect(sink.messages()).toEqual(['User 42 in { City: "Oslo" } at 2026']);
  });

  it("never throws, whatever the template or the values", () => {
    fc.assert(
      fc.property(
        fc.string({ unit: "binary" }),
        fc.dictionary(fc.constantFrom("A", "B", "0", "Name"), fc.anything()),
        (text, properties) => {
          const template = parseTemplate(text);
          expect(typeof renderMessage(template, properties as never)).toBe("string");
        },
      ),
      { numRuns: 500 },
    );
  });

  it("types the properties from the template", () => {
    function check<const Template extends string>(
      template: Template,
      ...properties: PropertiesArgument<Template>
    ): number {
      return parseTemplate(template).properties.length + properties.length;
    }
    expect(check("{A} and {B}", { A: 1, B: 2 })).toBe(3);
    expect(check("none")).toBe(0);
    // @ts-expect-error B is missing
    expect(check("{A} and {B}", { A: 1 })).toBe(3);
  });
});

// Serilog's rendering cases (test/Serilog.Tests/Core/MessageTemplateTests.cs and
// Rendering/MessageTemplateRendererTests.cs) that apply to JavaScript, through a logger: the
// positional arguments of .NET become named properties, and the culture is the invariant one.
describe("rendering by Serilog's cases", () => {
  function render(template: string, properties: Record<string, unknown> | unknown[]): string {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    log.info(template as string, properties);
    const event = sink.events[0];
    if (event === undefined) throw new Error("no event");
    return renderMessage(event.template, event.properties);
  }

  it.each<[string, Record<string, unknown> | unknown[], string]>([
    // AnAnonymousObjectIsRenderedInSimpleNotationWithoutType
    [
      "I sat at {@Chair}",
      { Chair: { Back: "straight", Legs: [1, 2, 3, 4] } },
      'I sat at { Back: "straight", Legs: [1, 2, 3, 4] }',
    ],
    // AnObjectWithStringifyDestructuringIsRenderedAsAString
    ["I sat at {$Chair}", { Chair: { toString: () => "a chair" } }, 'I sat at "a chair"'],
    // MultiplePropertiesAreRenderedInOrder
    [
      "Just biting {Fruit} number {Count}",
      { Fruit: "Apple", Count: 12 },
      'Just biting "Apple" number 12',
    ],
    // FormatStringsArePropagated
    ["Welcome, customer {CustomerId:0000}", { CustomerId: 12 }, "Welcome, customer 0012"],
    // AlignmentStringsArePropagated
    [
      "Welcome, customer #{CustomerId,-10}, pleasure to see you",
      { CustomerId: 1234 },
      "Welcome, customer #1234      , pleasure to see you",
    ],
    [
      "Welcome, customer #{CustomerId,-10:000000}, pleasure to see you",
      { CustomerId: 1234 },
      "Welcome, customer #001234    , pleasure to see you",
    ],
    [
      "Welcome, customer #{CustomerId,10}, pleasure to see you",
      { CustomerId: 1234 },
      "Welcome, customer #      1234, pleasure to see you",
    ],
    [
      "Welcome, customer #{CustomerId,10:000000}, pleasure to see you",
      { CustomerId: 1234 },
      "Welcome, customer #    001234, pleasure to see you",
    ],
    [
      "Welcome, customer #{CustomerId,10:0,0}, pleasure to see you",
      { CustomerId: 1234 },
      "Welcome, customer #     1,234, pleasure to see you",
    ],
    [
      "Welcome, customer #{CustomerId:0,0}, pleasure to see you",
      { CustomerId: 1234 },
      "Welcome, customer #1,234, pleasure to see you",
    ],
    // ATemplateWithOnlyPositionalPropertiesIsAnalyzedAndRenderedPositionally
    ["{1}, {0}", ["world", "Hello"], '"Hello", "world"'],
    // MissingPositionalParametersRenderAsTextLikeStandardFormats
    ["{1}, {0}", ["world"], '{1}, "world"'],
    // PropertyTokenFormatsAreApplied
    ["{Number}", { Number: 16 }, "16"],
    ["{Number:X8}", { Number: 16 }, "00000010"],
    // The Serilog 4 parsing rules, end to end.
    ["Hi {User.Id}", { "User.Id": 7 }, "Hi 7"],
    ["[{Lvl,0}] [{Lvl,0:l}] [{Lvl,-0:l}]", { Lvl: "x" }, '["x"] [x] [x]'],
    ["{N:+##.0} {0a} {a..b}", { N: 3.14, "0a": 1 }, "+3.1 {0a} {a..b}"],
  ])("renders %j", (template, properties, expected) => {
    expect(render(template, properties)).toBe(expected);
  });

  it("applies a hole's format when the message is rendered as JSON (the `j` format)", () => {
    const template = parseTemplate("{Number} {Number:X8}");
    expect(renderMessage(template, { Number: 16 }, { json: true })).toBe("16 00000010");
  });
});
