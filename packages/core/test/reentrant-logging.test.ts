import {
  configureSelfLog,
  createLogger,
  type Logger,
  type LoggerStats,
  type Sink,
} from "@sluice/core";
import { createSink, totalDropped } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let selfLogLines: string[];
let now: number;
beforeEach(() => {
  selfLogLines = [];
  now = 1_000_000;
  configureSelfLog({ write: (line) => selfLogLines.push(line), now: () => now });
});
afterEach(() => configureSelfLog());

function expectBalanced(stats: LoggerStats): void {
  expect(stats.accepted).toBe(
    stats.emitted + stats.filtered + totalDropped(stats.dropped) + stats.failed,
  );
}

const settledEither = [() => "settled", () => "settled"] as const;

function reentrantLines(): string[] {
  return selfLogLines.filter((line) => line.includes("from inside the logging pipeline"));
}

describe("logging from inside the logging pipeline", () => {
  it("a getter that logs the same object: the nested event once, the next level dropped", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const payload = {
      get Loud() {
        log.info("Reading {Payload}", { Payload: payload });
        return 1;
      },
    };
    log.info("Outer {Payload}", { Payload: payload });
    expect(sink.events.map((event) => event.template.text)).toEqual([
      "Reading {Payload}",
      "Outer {Payload}",
    ]);
    const stats = log.stats();
    expect(stats).toMatchObject({ accepted: 3, emitted: 2, failed: 0 });
    expect(stats.dropped.reentrant).toBe(1);
    expectBalanced(stats);
    expect(reentrantLines()).toHaveLength(1);
  });

  it("a toJSON that logs, called on every capture: bounded, and reported once however often", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const value = {
      toJSON() {
        log.warn("Serialising {Value}", { Value: value });
        return "v";
      },
    };
    for (let call = 0; call < 100; call++) log.info("Value {Value}", { Value: value });
    const stats = log.stats();
    expect(stats.emitted).toBe(200);
    expect(stats.dropped.reentrant).toBe(100);
    expectBalanced(stats);
    expect(reentrantLines()).toHaveLength(1);
  });

  it("an enricher that logs: each event enriched once, no recursion", () => {
    const sink = createMemorySink();
    let log: Logger | undefined;
    log = createLogger({
      sinks: [sink],
      enrichers: [
        () => {
          log?.debug("Enriching");
          log?.info("Enriching");
          return { Host: "web-1" };
        },
      ],
    });
    log.info("Outer");
    // The nested "Enriching" event is taken; the ones its own enrichment logs are dropped, and
    // debug stays below the level.
    expect(sink.events.map((event) => event.template.text)).toEqual(["Enriching", "Outer"]);
    expect(sink.events.every((event) => event.properties.Host === "web-1")).toBe(true);
    expect(log.stats().dropped.reentrant).toBe(1);
    expectBalanced(log.stats());
  });

  it("a filter that logs is handled like an enricher", () => {
    const sink = createMemorySink();
    let log: Logger | undefined;
    log = createLogger({
      sinks: [sink],
      filters: [
        (event) => {
          log?.info("Filtering {Text}", { Text: event.template.text });
          return true;
        },
      ],
    });
    log.info("Outer");
    expect(sink.events.map((event) => event.template.text)).toEqual(["Filtering {Text}", "Outer"]);
    expect(log.stats()).toMatchObject({ accepted: 3, emitted: 2 });
    expectBalanced(log.stats());
  });

  it("an onError that logs while a sink's write throws: cheap, bounded, other sinks served", () => {
    const healthy = createMemorySink();
    let log: Logger | undefined;
    const broken: Sink = {
      name: "broken",
      write(): void {
        throw new Error("write exploded");
      },
      writeBatch: () => Promise.resolve(),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    log = createLogger({
      sinks: [broken, healthy],
      onError: (error) => log?.error(error, "Logging failed"),
    });
    const started = performance.now();
    for (let call = 0; call < 1000; call++) log.info("Call {N}", { N: call });
    const perCallMs = (performance.now() - started) / 1000;
    // Recursing until the stack overflowed cost some 170 ms a call.
    expect(perCallMs).toBeLessThan(5);
    const stats = log.stats();
    // The first failure's report is logged once (to both sinks); every later one falls in the
    // same self-log interval and is dropped, as is the report of the report.
    expect(stats.emitted).toBe(1001);
    expect(stats.dropped.reentrant).toBe(1000);
    expect(stats.sinkWriteErrors).toEqual([1001, 0]);
    expectBalanced(stats);
    expect(healthy.events.map((event) => event.template.text).slice(0, 2)).toEqual([
      "Logging failed",
      "Call {N}",
    ]);
    expect(healthy.events).toHaveLength(1001);
    // Once the interval has passed, the next failure is logged again.
    now += 5000;
    log.info("Later");
    expect(healthy.events.at(-2)?.template.text).toBe("Logging failed");
    expect(reentrantLines()).toHaveLength(1);
  });

  it("a sink whose write logs is never re-entered", () => {
    let log: Logger | undefined;
    const seen: string[] = [];
    let active = 0;
    let maxActive = 0;
    const chatty: Sink = {
      name: "chatty",
      write(event): void {
        active += 1;
        maxActive = Math.max(maxActive, active);
        seen.push(event.template.text);
        log?.info("Sink saw {Text}", { Text: event.template.text });
        active -= 1;
      },
      writeBatch: () => Promise.resolve(),
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
    };
    log = createLogger({ sinks: [chatty] });
    log.info("one");
    log.info("two");
    expect(seen).toEqual(["one", "two"]);
    expect(maxActive).toBe(1);
    expect(log.stats().dropped.reentrant).toBe(2);
    expectBalanced(log.stats());
  });

  it("a createSink whose deliver fails, with an onError logging into it: bounded, close settles", async () => {
    let log: Logger | undefined;
    let deliveries = 0;
    const failing = createSink({
      name: "failing",
      deliver: () => {
        deliveries += 1;
        throw new Error("peer down");
      },
      onError: (error) => log?.error(error, "Delivery failed"),
    });
    log = createLogger({ sinks: [failing] });
    for (let n = 0; n < 10; n++) log.info("Event {N}", { N: n });
    await expect(failing.flush()).rejects.toThrow("peer down");
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(deliveries).toBeLessThanOrEqual(3);
    // Whether close() resolves or rejects here is the flush contract's business; it settles.
    await expect(log.close().then(...settledEither)).resolves.toBe("settled");
    const stats = failing.stats();
    expect(stats).toMatchObject({ accepted: 11, delivered: 0, failed: 11, pending: 0 });
    expect(log.stats()).toMatchObject({ accepted: 12, emitted: 11 });
    expect(log.stats().dropped.reentrant).toBe(1);
    expectBalanced(log.stats());
  });
});
