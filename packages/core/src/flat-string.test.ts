import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { flatten } from "./flat-string.ts";

describe("flatten", () => {
  it("returns the same text, joined from pieces or not, numeric or not", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string(), fc.constantFrom("1", " 2 ", "0x1f", "1e400"))),
        (pieces) => {
          let joined = "";
          for (const piece of pieces) joined += piece;
          const expected = pieces.join("");
          expect(flatten(joined)).toBe(expected);
          expect(joined).toBe(expected);
        },
      ),
    );
  });
});
