import { CapturedError, createLogger, type LogEvent, withContext } from "@sluice/core";
import { estimateEventBytes, toJson } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { describe, expect, it } from "vitest";

const eventLimit = 262_144;

function only(events: readonly LogEvent[]): LogEvent {
  expect(events).toHaveLength(1);
  return events[0] as LogEvent;
}

function propertyCount(event: LogEvent): number {
  return Object.keys(event.properties).length;
}

describe("capture limits bound the whole event, whatever the source", () => {
  it("keeps an event within maxEventBytes when the ambient context alone exceeds it", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const context: Record<string, string> = {};
    for (let index = 0; index < 64; index++) context[`Value${index}`] = "c".repeat(16_000);
    withContext(context, () => log.info("Request {Id}", { Id: 7 }));
    const event = only(sink.events);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(eventLimit);
    expect(event.properties.Id).toBe(7);
    expect(Object.values(event.properties)).toContain("c".repeat(16_000));
    expect(Object.values(event.properties)).toContainEqual(expect.stringMatching(/^\[Too large/));
  });

  it("bounds bound properties, children and the call's properties together", () => {
    const sink = createMemorySink();
    const big = (prefix: string): Record<string, string> => {
      const properties: Record<string, string> = {};
      for (let index = 0; index < 14; index++) properties[`${prefix}${index}`] = "b".repeat(16_000);
      return properties;
    };
    const log = createLogger({ sinks: [sink], properties: big("Root") })
      .child(big("First"))
      .child(big("Second"))
      .child(big("Third"));
    log.info("Done {Call0}", big("Call") as { Call0: string });
    const event = only(sink.events);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(eventLimit);
    expect(toJson(event.properties).length).toBeLessThan(eventLimit);
    // The call's properties win the space: they are the most specific.
    expect(event.properties.Call0).toBe("b".repeat(16_000));
  });

  it("builds 3,000 chained children as cheaply as 3,000 siblings, within maxCollectionLength", () => {
    const sink = createMemorySink();
    const root = createLogger({ sinks: [sink] });
    // The best of three tries each: a collection or a busy machine only ever adds time.
    const time = (build: () => void): number => {
      let best = Number.POSITIVE_INFINITY;
      for (let attempt = 0; attempt < 3; attempt++) {
        const start = performance.now();
        build();
        best = Math.min(best, performance.now() - start);
      }
      return best;
    };
    const siblings = time(() => {
      for (let index = 0; index < 3000; index++) root.child({ [`Key${index}`]: index });
    });
    let log = root;
    const chained = time(() => {
      log = root;
      for (let index = 0; index < 3000; index++) log = log.child({ [`Key${index}`]: index });
      log.info("Deep {Key2999}", { Key2999: 2999 });
    });
    expect(sink.events).toHaveLength(3);
    const event = sink.events[2] as LogEvent;
    expect(propertyCount(event)).toBeLessThanOrEqual(256 + 1);
    // The nearest bindings win over the oldest ones.
    expect(event.properties.Key2998).toBe(2998);
    expect(event.properties.Key2744).toBe(2744);
    expect(event.properties.Key2743).toBeUndefined();
    expect(event.properties["…"]).toBe("[2744 more keys]");
    // Copying every bound key into each child made the chain quadratic: about 1.8 s against a
    // few milliseconds for the siblings. The margin absorbs a loaded machine's noise.
    expect(chained).toBeLessThan(5 * siblings + 300);
  });

  it("keeps bound keys in the order they were bound, the nearest value winning", () => {
    const sink = createMemorySink();
    let log = createLogger({ sinks: [sink], properties: { App: "shop", Layer: "root" } });
    for (let index = 0; index < 40; index++) log = log.child({ [`Step${index}`]: index });
    log.child({ Layer: "leaf" }).info("Done");
    const event = only(sink.events);
    const keys = Object.keys(event.properties);
    expect(keys.slice(0, 3)).toEqual(["App", "Layer", "Step0"]);
    expect(keys).toHaveLength(42);
    expect(event.properties.Layer).toBe("leaf");
    expect(event.properties.Step39).toBe(39);
  });

  it("keeps the event's property count within maxCollectionLength across sources", () => {
    const sink = createMemorySink();
    const many = (prefix: string, count: number): Record<string, number> => {
      const properties: Record<string, number> = {};
      for (let index = 0; index < count; index++) properties[`${prefix}${index}`] = index;
      return properties;
    };
    const log = createLogger({
      sinks: [sink],
      capture: { maxCollectionLength: 10 },
      properties: many("Bound", 8),
      enrichers: [() => many("Enriched", 8)],
    });
    withContext(many("Context", 8), () => log.info("Call", many("Call", 8)));
    const event = only(sink.events);
    expect(propertyCount(event)).toBeLessThanOrEqual(11);
    expect(event.properties.Call7).toBe(7);
    expect(event.properties.Bound1).toBe(1);
    expect(event.properties.Context0).toBeUndefined();
    expect(event.properties["…"]).toBe("[22 more keys]");
  });

  it("bounds what enrichers add by the same event budget", () => {
    const sink = createMemorySink();
    const log = createLogger({
      sinks: [sink],
      capture: { maxEventBytes: 4096 },
      enrichers: [() => ({ Big: "e".repeat(3000), Bigger: "e".repeat(4000) })],
    });
    log.info("Enriched {Id}", { Id: 1 });
    const event = only(sink.events);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(4096);
    expect(event.properties.Id).toBe(1);
  });

  it("cuts a dynamic message used as the template, in bounded time", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const message = `Start ${"m".repeat(10_000_000)}`;
    const start = performance.now();
    log.info(message);
    const elapsed = performance.now() - start;
    const event = only(sink.events);
    expect(event.template.text.startsWith("Start mmm")).toBe(true);
    expect(event.template.text).toMatch(/…\[truncated \d+ chars\]$/);
    expect(event.template.text.length).toBeLessThan(16_500);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(eventLimit);
    // About 1.5 s to parse ten million characters before; the cut text parses in milliseconds.
    expect(elapsed).toBeLessThan(500);
  });

  it("counts the template toward maxEventBytes", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], capture: { maxEventBytes: 2000 } });
    log.info("t".repeat(900), { Text: "p".repeat(900) });
    const event = only(sink.events);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(2000);
    expect(event.properties.Text).toMatch(/^\[Too large: \d+ bytes\]$/);
  });
});

describe("redaction applies to every source", () => {
  const capture = { redact: { keys: ["password", "token"] } };

  it("redacts the ambient context, at the top and nested", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], capture });
    withContext({ token: "t-secret", user: { name: "ann", password: "p-secret" } }, () =>
      log.info("In context"),
    );
    const event = only(sink.events);
    const line = toJson(event.properties);
    expect(line).not.toContain("t-secret");
    expect(line).not.toContain("p-secret");
    expect(event.properties.token).toBe("[Redacted]");
    expect({ ...(event.properties.user as object) }).toEqual({
      name: "ann",
      password: "[Redacted]",
    });
  });

  it("redacts what enrichers add, at the top and nested", () => {
    const sink = createMemorySink();
    const log = createLogger({
      sinks: [sink],
      capture: { redact: { keys: ["password", "token"], paths: ["session.id"] } },
      enrichers: [
        () => ({ Token: "t-secret", session: { id: "s-secret", password: "p-secret", ok: 1 } }),
      ],
    });
    log.info("Enriched");
    const event = only(sink.events);
    const line = toJson(event.properties);
    expect(line).not.toContain("secret");
    expect(event.properties.Token).toBe("[Redacted]");
    expect({ ...(event.properties.session as object) }).toEqual({
      id: "[Redacted]",
      password: "[Redacted]",
      ok: 1,
    });
  });

  it("redacts context paths from the event's properties root", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], capture: { redact: { paths: ["user.card"] } } });
    withContext({ user: { card: "4111", name: "ann" } }, () => log.info("Paid"));
    const event = only(sink.events);
    expect({ ...(event.properties.user as object) }).toEqual({ card: "[Redacted]", name: "ann" });
  });

  it("keeps an error in the context an error when redacting it", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], capture });
    const failure = Object.assign(new Error("lost"), { token: "t-secret", code: "E1" });
    withContext({ Failure: failure }, () => log.info("After"));
    const event = only(sink.events);
    const captured = event.properties.Failure as CapturedError;
    expect(captured).toBeInstanceOf(CapturedError);
    expect(captured.message).toBe("lost");
    expect({ ...captured.fields }).toEqual({ token: "[Redacted]", code: "E1" });
  });
});

describe("a property name longer than the event's limit", () => {
  const name = "k".repeat(1_000_000);

  it("is bounded with the value that holds it", () => {
    const sink = createMemorySink();
    createLogger({ sinks: [sink] }).info("Query {Query}", { Query: { [name]: 1 } });
    const event = only(sink.events);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(eventLimit);
    expect(event.properties.Query).toMatch(/^\[Too large/);
  });

  // A top-level name made from data (a query's parameter name spread into the properties) is cut
  // like a string value; kept whole, it made the event and its JSON line four times the limit.
  it("is bounded with the event at the top of the properties", () => {
    const sink = createMemorySink();
    const properties: Record<string, number> = { [name]: 1 };
    createLogger({ sinks: [sink] }).info("Query received", properties);
    const event = only(sink.events);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(eventLimit);
    expect(JSON.stringify(event.properties).length).toBeLessThanOrEqual(2 * eventLimit);
    expect(Object.values(event.properties)).toEqual([1]);
  });

  it("is bounded when many long names each fit maxStringLength but not the event together", () => {
    const sink = createMemorySink();
    const properties: Record<string, number> = {};
    for (let index = 0; index < 100; index++) properties[`${index}:${"n".repeat(10_000)}`] = index;
    createLogger({ sinks: [sink] }).info("Query received", properties);
    const event = only(sink.events);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(eventLimit);
    const more = /^\[(\d+) more keys\]$/.exec(String(event.properties["…"]));
    // Every name is either kept or counted.
    expect(Object.keys(event.properties).length - 1 + Number(more?.[1])).toBe(100);
  });
});
