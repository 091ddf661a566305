import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { PropertyKeys } from "./property-keys.ts";

describe("PropertyKeys", () => {
  it("gives each name its own fragment, whatever the names and their positions", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.oneof(fc.constantFrom("", "a", "b"), fc.string()), { maxLength: 12 }),
          {
            maxLength: 8,
          },
        ),
        (lists) => {
          const keys = new PropertyKeys((name) => `<${name}>`);
          for (const names of lists) {
            for (const [position, name] of names.entries()) {
              expect(keys.at(name, position)).toBe(`<${name}>`);
              expect(keys.of(name)).toBe(`<${name}>`);
            }
          }
        },
      ),
    );
  });

  it("makes each name's fragment once, and stays bounded for names built from data", () => {
    let made = 0;
    const keys = new PropertyKeys((name) => {
      made += 1;
      return name;
    });
    for (let round = 0; round < 3; round++) keys.at("Path", 0);
    expect(made).toBe(1);
    // Past the bound, fragments are made again rather than kept.
    for (let index = 0; index < 10_001; index++) keys.of(`name${index}`);
    made = 0;
    keys.of("name10000");
    expect(made).toBe(1);
    keys.of("name0");
    expect(made).toBe(1);
  });
});
