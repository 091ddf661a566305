import { describe, expect, it } from "vitest";
import { createLogEvent } from "./create-log-event.ts";
import { emptyShape, knownShapeAfter } from "./known-shapes.ts";
import type { LogEventRecord } from "./log-event.ts";
import { createLogger } from "./logger.ts";
import { retainedEventBytes, walkRetainedEventBytes } from "./retained-size.ts";
import { createMemorySink } from "./testing/memory-sink.ts";

function priced(properties: Record<string, unknown>): number {
  const event = createLogEvent({ level: "info", template: "Body {Body}", properties });
  expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
  return retainedEventBytes(event);
}

/** Fills the process's registry of places with names made from data; how many it took. */
function fillShapes(): number {
  let filled = 0;
  while (knownShapeAfter(emptyShape, `field${filled}`) !== undefined) filled += 1;
  return filled;
}

// The registry of record shapes is the process's: this file runs in a module instance of its
// own, so filling it here affects no other suite.
describe("the hidden classes of nested records", () => {
  it("prices a nested record whose names come in an order met after the first 4,096 places", () => {
    const known = priced({ Body: { user: "ann", page: 2, sort: "asc" } });
    // Objects logged whole with fields picked per event: each new order is a new hidden class.
    const filled = fillShapes();
    expect(filled).toBeGreaterThan(4080);
    expect(filled).toBeLessThan(4096);

    // Known names in a known order: shared, as before.
    expect(priced({ Body: { user: "ann", page: 2, sort: "asc" } })).toBe(known);
    // The same names in a new order: three places of their own, the later ones copying more.
    const reordered = priced({ Body: { sort: "asc", page: 2, user: "ann" } });
    expect(reordered - known).toBeGreaterThanOrEqual(3 * 112 + 24 + 48);
    // A new order past a known start: only the places after it.
    const tail = priced({ Body: { user: "ann", sort: "asc", page: 2 } });
    expect(tail - known).toBeGreaterThanOrEqual(112 + 24 + 112 + 48);
    expect(tail).toBeLessThan(reordered);
    // And keep being priced so.
    expect(priced({ Body: { sort: "asc", page: 2, user: "ann" } })).toBe(reordered);
  });

  it("prices a child's bound record for its order, but leaves an event's own record to its names", () => {
    fillShapes();
    // An event's own record: its order is left to the names' pricing.
    expect(priced({ sort: "asc", page: 2, user: "ann" })).toBe(
      priced({ user: "ann", page: 2, sort: "asc" }),
    );
    const sink = createMemorySink();
    const root = createLogger({ sinks: [sink] });
    const logged = (bound: Record<string, unknown>): number => {
      root.child(bound).info("Handled");
      const event = sink.events.at(-1) as LogEventRecord;
      expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
      return retainedEventBytes(event);
    };
    // The order the nested records above made known, and a new one.
    const known = logged({ user: "ann", page: 2, sort: "asc" });
    expect(logged({ sort: "asc", page: 2, user: "ann" }) - known).toBeGreaterThanOrEqual(3 * 160);
  });

  it("leaves array indices and records in dictionary mode to their names' pricing", () => {
    fillShapes();
    // Index names live in the elements, not in the hidden class.
    const counts = priced({ Body: { 200: 1, 404: 2 } });
    expect(priced({ Body: { 404: 2, 200: 1 } })).toBe(counts);
    // Past 21 names a record is a dictionary: priced by the key, whatever the order.
    const empty = priced({ Body: {} });
    const names = (count: number) =>
      Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, index]));
    expect(priced({ Body: names(22) }) - empty).toBe(36 + 22 * 80 - 72);
    // Up to 21 it has hidden classes, here all of them new.
    expect(priced({ Body: names(21) }) - empty).toBeGreaterThan(21 * 112);
  });
});
