import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { templateId } from "./template-id.ts";

// An independent reference of Jenkins' one-at-a-time hash in unbounded integers, masked to 32
// bits at each step the way C#'s unchecked uint arithmetic wraps.
function referenceHash(text: string): string {
  const mask = 0xffffffffn;
  let hash = 0n;
  for (let index = 0; index < text.length; index++) {
    hash = (hash + BigInt(text.charCodeAt(index))) & mask;
    hash = (hash + (hash << 10n)) & mask;
    hash = (hash ^ (hash >> 6n)) & mask;
  }
  hash = (hash + (hash << 3n)) & mask;
  hash = (hash ^ (hash >> 11n)) & mask;
  hash = (hash + (hash << 15n)) & mask;
  return hash.toString(16).padStart(8, "0");
}

describe("templateId", () => {
  it("matches the reference hash", () => {
    expect(templateId("")).toBe("00000000");
    // Published test vector of the one-at-a-time hash.
    expect(templateId("a")).toBe("ca2e9442");
    expect(templateId("The quick brown fox jumps over the lazy dog")).toBe("519e91f5");
    fc.assert(
      fc.property(fc.string({ unit: "binary" }), (text) => {
        expect(templateId(text)).toBe(referenceHash(text));
      }),
    );
  });
});
