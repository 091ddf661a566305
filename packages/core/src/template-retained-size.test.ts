import { describe, expect, it } from "vitest";
import { createLogEvent } from "./create-log-event.ts";
import { retainedEventBytes, walkRetainedEventBytes } from "./retained-size.ts";

function priced(template: string, properties?: Record<string, unknown>): number {
  const event = createLogEvent({ level: "info", template, properties });
  expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
  return retainedEventBytes(event);
}

// The registry of templates taken as literals is the process's: this file runs in a module
// instance of its own, so filling it here affects no other suite.
describe("retainedEventBytes of a message built from data", () => {
  it("prices a template met after the first 2,048 with its parse: object, tokens and strings", () => {
    const literal = priced("User {UserId} logged in", { UserId: 7 });
    const plain = priced("Cache warmed");
    // Messages built from data, as `User ${id} logged in` is: they fill the registry.
    for (let index = 0; index < 2048; index++) priced(`Filler ${index}`);

    // The same literals keep their price: the answer for a text never changes.
    expect(priced("User {UserId} logged in", { UserId: 7 })).toBe(literal);
    expect(priced("Cache warmed")).toBe(plain);
    // A text of the same length not met before holds a template of its own.
    const built = priced("Cache 12345u");
    expect(built - plain).toBeGreaterThanOrEqual(400);
    // Each hole is a token object with its strings.
    const oneHole = priced("User 12345 did {Action}", { Action: "x" });
    const threeHoles = priced("User 12345 did {Action} on {Target} at {When}", {
      Action: "x",
      Target: "y",
      When: 1,
    });
    expect(threeHoles - oneHole).toBeGreaterThanOrEqual(2 * 96);
    // And a format and an alignment add theirs.
    expect(priced("User 12345 took {Elapsed,8:0.00}", { Elapsed: 1 })).toBeGreaterThan(
      priced("User 12345 took {Elapsed}", { Elapsed: 1 }),
    );
  });

  it("prices a text of more than 256 characters with its parse, however few texts came before", () => {
    const text = `Report ${"r".repeat(300)}`;
    expect(priced(text)).toBeGreaterThanOrEqual(2 * text.length + 352);
  });
});
