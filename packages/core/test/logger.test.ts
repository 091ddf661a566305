import {
  createLogger,
  type ErrorContext,
  LevelSwitch,
  type LogEvent,
  LoggingError,
  type Sink,
  withContext,
} from "@sluice/core";
import { createSink } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

function throwingSink(): Sink {
  return {
    name: "broken",
    write(): void {
      throw new Error("write exploded");
    },
    writeBatch: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

describe("createLogger", () => {
  it("delivers structured events with the captured properties", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], clock: () => 1_700_000_000_000 });
    log.info("User {UserId} logged in from {@Location}", {
      UserId: 42,
      Location: { City: "Oslo" },
    });
    expect(sink.events).toHaveLength(1);
    const event = sink.events[0] as LogEvent;
    expect(event.level).toBe("info");
    expect(event.timestamp).toBe(1_700_000_000_000);
    expect(event.template.text).toBe("User {UserId} logged in from {@Location}");
    expect(event.properties.UserId).toBe(42);
    expect({ ...(event.properties.Location as object) }).toEqual({ City: "Oslo" });
    expect(sink.messages()).toEqual(['User 42 logged in from { City: "Oslo" }']);
  });

  it("snapshots properties: mutating the caller's object later changes nothing", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const order = { id: 1, lines: [{ sku: "A", quantity: 1 }] };
    log.info("Order {@Order} placed", { Order: order });
    order.id = 2;
    (order.lines[0] as { quantity: number }).quantity = 99;
    order.lines.push({ sku: "B", quantity: 5 });
    expect(sink.messages()[0]).not.toContain("99");
    expect(sink.has({ properties: { Order: { id: 1, lines: [{ sku: "A", quantity: 1 }] } } })).toBe(
      true,
    );
  });

  it("applies the minimum level, and a LevelSwitch changes it at runtime for every logger", () => {
    const sink = createMemorySink();
    const verbosity = new LevelSwitch("warn");
    const log = createLogger({ levelSwitch: verbosity, sinks: [sink] });
    const child = log.child({ Component: "db" });
    log.info("hidden");
    child.debug("hidden too");
    log.warn("shown");
    verbosity.level = "debug";
    child.debug("now shown");
    log.trace("still hidden");
    expect(sink.events.map((event) => event.template.text)).toEqual(["shown", "now shown"]);
    expect(log.isEnabled("debug")).toBe(true);
    expect(log.isEnabled("trace")).toBe(false);
  });

  it("honours per-sink minimum levels, fixed or switched", () => {
    const everything = createMemorySink({ name: "all" });
    const errorsOnly = createMemorySink({ name: "errors" });
    const switched = createMemorySink({ name: "switched" });
    const sinkLevel = new LevelSwitch("fatal");
    const log = createLogger({
      level: "debug",
      sinks: [
        everything,
        { sink: errorsOnly, level: "error" },
        { sink: switched, level: sinkLevel },
      ],
    });
    log.debug("d");
    log.warn("w");
    log.error("e");
    sinkLevel.level = "warn";
    log.warn("w2");
    expect(everything.events.map((event) => event.template.text)).toEqual(["d", "w", "e", "w2"]);
    expect(errorsOnly.events.map((event) => event.template.text)).toEqual(["e"]);
    expect(switched.events.map((event) => event.template.text)).toEqual(["w2"]);
  });

  it("accepts an error first and captures its cause chain", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const cause = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
    log.error(new Error("payment failed", { cause }), "Payment {OrderId} failed", {
      OrderId: "A-17",
    });
    const event = sink.events[0] as LogEvent;
    expect(event.error?.message).toBe("payment failed");
    expect(event.error?.cause).toMatchObject({ message: "connection refused" });
    expect(event.properties.OrderId).toBe("A-17");
  });

  it("merges properties: the call's over bound ones (child, logger) over the context's", async () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], properties: { App: "shop", Layer: "logger" } });
    const child = log.child({ Layer: "child", Component: "cart" });
    await withContext({ Layer: "context", RequestId: "r-1" }, async () => {
      await Promise.resolve();
      child.info("Added {Sku}", { Sku: "A", Layer: "call" });
      child.info("Added {Sku}", { Sku: "B" });
      log.info("Plain");
    });
    const [first, second, third] = sink.events as LogEvent[];
    expect(first?.properties).toMatchObject({ App: "shop", Layer: "call", RequestId: "r-1" });
    expect(second?.properties).toMatchObject({ Layer: "child", Component: "cart" });
    expect(third?.properties).toMatchObject({ Layer: "logger", App: "shop", RequestId: "r-1" });
  });

  it("merges bound properties by name, whatever names look alike", () => {
    // Names of one length and first letter share the bit that spares most events a set lookup;
    // a sample of such names, and of unlike ones, must merge as names, not as look-alikes.
    const names = ["Sa", "Sb", "Sc", "Ta", "Service", "Serving", "Region", "Realm", "", "é", "x"];
    const name = fc.constantFrom(...names);
    fc.assert(
      fc.property(
        fc.uniqueArray(name, { maxLength: 5 }),
        fc.uniqueArray(name, { maxLength: 5 }),
        (boundNames, ownNames) => {
          const sink = createMemorySink();
          const log = createLogger({ sinks: [sink] });
          const child = log.child(
            Object.fromEntries(boundNames.map((key) => [key, `bound ${key}`])),
          );
          // Twice: the first event prepares the bound properties, the second uses them prepared.
          for (let round = 0; round < 2; round++) {
            child.info("Event", Object.fromEntries(ownNames.map((key) => [key, `own ${key}`])));
          }
          const expected: Record<string, string> = {};
          for (const key of ownNames) expected[key] = `own ${key}`;
          for (const key of boundNames) if (!(key in expected)) expected[key] = `bound ${key}`;
          for (const event of sink.events) {
            expect(Object.entries(event.properties)).toEqual(Object.entries(expected));
          }
        },
      ),
    );
  });

  it("keeps ambient context isolated between concurrent requests", async () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const request = (id: number, delays: number[]): Promise<void> =>
      withContext({ RequestId: id }, async () => {
        for (const delay of delays) {
          await new Promise((resolve) => setTimeout(resolve, delay));
          log.info("Step of {Request}", { Request: id });
        }
      });
    await Promise.all([request(1, [5, 1, 3]), request(2, [1, 4, 1]), request(3, [2, 2, 2])]);
    log.info("outside");
    expect(sink.events).toHaveLength(10);
    for (const event of sink.events.slice(0, 9)) {
      expect(event.properties.RequestId).toBe(event.properties.Request);
    }
    expect("RequestId" in (sink.events[9] as LogEvent).properties).toBe(false);
  });

  it("runs enrichers and filters, and isolates throwing ones", () => {
    const sink = createMemorySink();
    const failures: ErrorContext[] = [];
    const log = createLogger({
      sinks: [sink],
      enrichers: [
        () => ({ Host: "web-1", Sku: "overridden?" }),
        () => {
          throw new Error("enricher bug");
        },
      ],
      filters: [(event) => event.properties.Sku !== "secret"],
      onError: (_error, context) => failures.push(context),
    });
    log.info("Sold {Sku}", { Sku: "A" });
    log.info("Sold {Sku}", { Sku: "secret" });
    expect(sink.events).toHaveLength(1);
    expect(sink.events[0]?.properties).toMatchObject({ Sku: "A", Host: "web-1" });
    expect(log.stats()).toMatchObject({ emitted: 1, filtered: 1, pipelineErrors: 2 });
    expect(failures.map((context) => context.operation)).toEqual(["enricher", "enricher"]);
  });

  it("isolates a sink that throws: counted, reported, other sinks still served", () => {
    const healthy = createMemorySink();
    const reported: unknown[] = [];
    const log = createLogger({
      sinks: [throwingSink(), healthy],
      onError: (error) => reported.push(error),
    });
    expect(() => log.info("one")).not.toThrow();
    log.info("two");
    expect(healthy.events).toHaveLength(2);
    expect(log.stats().sinkWriteErrors).toEqual([2, 0]);
    expect(reported).toHaveLength(2);
    expect(LoggingError.is(reported[0])).toBe(true);
    expect((reported[0] as LoggingError).code).toBe("contract_violation");
  });

  it("never throws from a logging call, whatever it is given", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], onError: () => {} });
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("no keys for you");
        },
      },
    );
    const untyped = log.info as unknown as (...args: unknown[]) => void;
    expect(() => untyped(undefined)).not.toThrow();
    expect(() => untyped(42, 43, 44)).not.toThrow();
    expect(() => untyped("Hostile {X}", hostile)).not.toThrow();
    expect(() => log.write("loud" as never, "x")).not.toThrow();
  });

  it("validates options with messages that name the option", () => {
    expect(() => createLogger({ sinks: [], level: "loud" as never })).toThrow(/"level"/);
    expect(() => createLogger({ sinks: "console" as never })).toThrow(/"sinks"/);
    expect(() => createLogger({ sinks: [{}] as never })).toThrow(/"sinks\[0\]"/);
    expect(() =>
      createLogger({ sinks: [{ sink: createMemorySink(), level: "x" as never }] }),
    ).toThrow(/"sinks\[0\]\.level"/);
    expect(() => createLogger({ sinks: [], enrichers: [1] as never })).toThrow(/"enrichers"/);
  });

  it("flushes and closes every sink once, and reports flush failures", async () => {
    const failing = createMemorySink({ name: "failing" });
    const healthy = createMemorySink({ name: "healthy" });
    const log = createLogger({ sinks: [failing, healthy] });
    await expect(log.flush()).resolves.toBeUndefined();
    failing.failWith(new Error("disk gone"));
    log.info("lost");
    await expect(log.flush()).rejects.toThrow("disk gone");
    failing.failWith(undefined);
    const closing = log.close();
    expect(log.child({ A: 1 }).close()).toBe(closing);
    await closing;
    expect(failing.closed && healthy.closed).toBe(true);
    log.info("late");
    expect(healthy.stats().dropped.closed).toBe(1);
  });
});

describe("createSink", () => {
  it("delivers in order, in batches, one delivery at a time", async () => {
    const delivered: number[][] = [];
    let active = 0;
    let maxActive = 0;
    const sink = createSink({
      name: "slow",
      batchSize: 3,
      deliver: async (events) => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise((resolve) => setTimeout(resolve, 1));
        delivered.push(events.map((event) => event.properties.N as number));
        active -= 1;
      },
    });
    const log = createLogger({ sinks: [sink] });
    for (let n = 0; n < 8; n++) log.info("n {N}", { N: n });
    await sink.flush();
    expect(delivered).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7],
    ]);
    expect(maxActive).toBe(1);
    expect(sink.stats()).toMatchObject({ accepted: 8, delivered: 8, pending: 0, failed: 0 });
  });

  it("counts failed deliveries and makes flush reject", async () => {
    let fail = true;
    const sink = createSink({
      name: "flaky",
      onError: () => {},
      deliver: () => {
        if (fail) throw new Error("peer down");
      },
    });
    const log = createLogger({ sinks: [sink] });
    log.info("a");
    log.info("b");
    await expect(sink.flush()).rejects.toThrow("peer down");
    fail = false;
    log.info("c");
    await expect(sink.flush()).resolves.toBeUndefined();
    expect(sink.stats()).toMatchObject({ accepted: 3, delivered: 1, failed: 2, pending: 0 });
  });

  it("bounds what write holds and counts the excess", () => {
    const sink = createSink({ name: "bounded", maxPending: 2, deliver: () => {} });
    const log = createLogger({ sinks: [sink] });
    for (let n = 0; n < 5; n++) log.info("x");
    expect(sink.stats()).toMatchObject({ accepted: 5, pending: 2 });
    expect(sink.stats().dropped.buffer_full).toBe(3);
  });

  it("validates its options", () => {
    expect(() => createSink({ name: "x", deliver: "no" as never })).toThrow(/"deliver"/);
    expect(() => createSink({ name: "x", deliver: () => {}, maxPending: 0 })).toThrow(
      /"maxPending": expected a positive integer/,
    );
  });
});
