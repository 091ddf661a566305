import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { captureProperties, resolveCaptureOptions } from "./capture.ts";
import { renderMessage } from "./render-message.ts";
import { parseTemplate } from "./template-parser.ts";

const options = resolveCaptureOptions();

function render(template: string, properties: Record<string, unknown>, json = false): string {
  const parsed = parseTemplate(template);
  return renderMessage(parsed, captureProperties(properties, parsed, options), { json });
}

describe("renderMessage", () => {
  it("quotes strings as Serilog does, and :l leaves them bare", () => {
    expect(render("Hello, {Name}!", { Name: "Ann" })).toBe('Hello, "Ann"!');
    expect(render("Hello, {Name:l}!", { Name: "Ann" })).toBe("Hello, Ann!");
    expect(render("Say {Text}", { Text: 'a "quote" \\ here' })).toBe(
      'Say "a \\"quote\\" \\\\ here"',
    );
  });

  it("renders scalars, structures and errors", () => {
    expect(
      render("{N} {B} {Nothing} {Big}", { N: 1.5, B: true, Nothing: null, Big: 10n ** 20n }),
    ).toBe("1.5 true null 100000000000000000000");
    expect(render("{@Order}", { Order: { Id: 7, Lines: ["a", "b"] } })).toBe(
      '{ Id: 7, Lines: ["a", "b"] }',
    );
    expect(render("{@Order}", { Order: { Id: 7, Lines: ["a"] } }, true)).toBe(
      '{"Id":7,"Lines":["a"]}',
    );
    expect(render("{Failure}", { Failure: new TypeError("bad input") })).toBe(
      "TypeError: bad input",
    );
    expect(render("{$Id}", { Id: { toString: () => "custom" } })).toBe('"custom"');
  });

  it("applies number and date formats and alignment", () => {
    expect(render("{Amount:0.00}", { Amount: 3.14259 })).toBe("3.14");
    expect(render("{Amount:N2}", { Amount: 1234567.891 })).toBe("1,234,567.89");
    expect(render("[{Code,5}]", { Code: 42 })).toBe("[   42]");
    expect(render("[{Name,-6:l}]", { Name: "Al" })).toBe("[Al    ]");
    expect(render("{When:yyyy-MM-dd}", { When: new Date(2026, 10, 28, 12) })).toBe("2026-11-28");
  });

  it("renders a missing property as the hole as written", () => {
    expect(render("User {UserId} {@Missing:l}", {})).toBe("User {UserId} {@Missing:l}");
  });

  it("binds positional holes to an array of properties", () => {
    const parsed = parseTemplate("{0} then {1}");
    expect(renderMessage(parsed, captureProperties(["first", 2], parsed, options))).toBe(
      '"first" then 2',
    );
  });

  it("never throws for arbitrary templates and values", () => {
    fc.assert(
      fc.property(
        fc.string(),
        fc.dictionary(fc.string(), fc.anything()),
        (template, properties) => {
          expect(typeof render(template, properties)).toBe("string");
          expect(typeof render(template, properties, true)).toBe("string");
        },
      ),
      { numRuns: 300 },
    );
  });
});
