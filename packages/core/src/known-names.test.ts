import { describe, expect, it } from "vitest";
import { isKnownName } from "./known-names.ts";
import type { LogEventRecord } from "./log-event.ts";
import { createLogger } from "./logger.ts";
import { retainedEventBytes, walkRetainedEventBytes } from "./retained-size.ts";
import { createMemorySink } from "./testing/memory-sink.ts";

// The registry is the process's: this file runs in a module instance of its own, so filling it
// here affects no other suite.
describe("property names the process knows", () => {
  it("prices a name met after the first 4,096 as data, and a known one as shared, at any depth", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const priced = (
      properties: { Counts: Record<string, number> } & Record<string, unknown>,
    ): number => {
      log.info("Counts {Counts}", properties);
      const event = sink.events.at(-1) as LogEventRecord;
      expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
      return retainedEventBytes(event);
    };
    const known = priced({ Alpha: 1, Counts: { Gamma: 2 } });
    // Names made from data, as ids used as keys are: they fill the registry.
    let filled = 0;
    while (isKnownName(`id-${filled}`)) filled += 1;
    // Less the names the first event brought.
    expect(filled).toBeGreaterThan(4080);
    expect(filled).toBeLessThan(4096);
    expect(isKnownName(`id-${filled}`)).toBe(false);

    expect(priced({ Alpha: 1, Counts: { Gamma: 2 } })).toBe(known);
    // The same shapes keyed by names not met before: each brings its string and hidden class.
    const top = priced({ Omega: 1, Counts: { Gamma: 2 } });
    const nested = priced({ Alpha: 1, Counts: { Delta: 2 } });
    expect(top - known).toBeGreaterThanOrEqual(100);
    expect(nested - known).toBeGreaterThanOrEqual(100);
    // And keep being priced so: the answer for a name never changes.
    expect(priced({ Omega: 1, Counts: { Gamma: 2 } })).toBe(top);
    expect(isKnownName("Omega")).toBe(false);
    expect(isKnownName("Alpha")).toBe(true);
  });
});
