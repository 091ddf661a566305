import { createLogEvent } from "@sluice/core/sink";
import { describe, expect, it } from "vitest";
import { retainedEventBytes } from "./retained-size.ts";

describe("retainedEventBytes", () => {
  it("prices the template's text, so a long dynamic message counts for what it holds", () => {
    const short = createLogEvent({ level: "info", template: "Request done" });
    const message = `Request ${"m".repeat(100_000)}`;
    const long = createLogEvent({ level: "info", template: message });
    // Cut at the default maxStringLength (16,384), held as source and as parsed text.
    expect(long.template.text.length).toBeGreaterThan(16_384);
    expect(retainedEventBytes(long)).toBeGreaterThanOrEqual(2 * long.template.text.length);
    expect(retainedEventBytes(short)).toBeLessThan(400);
  });
});
