import type { AsyncLocalStorage } from "node:async_hooks";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CaptureOptions } from "./capture.ts";
import { withContext } from "./context.ts";
import { createLogEvent } from "./create-log-event.ts";
import { LogEventRecord } from "./log-event.ts";
import { createLogger } from "./logger.ts";
import { retainedEventBytes, walkRetainedEventBytes } from "./retained-size.ts";
import { createMemorySink } from "./testing/memory-sink.ts";

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

  it("prices a long property name, at any depth, as the string it is", () => {
    const name = `user:${"n".repeat(10_000)}`;
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    log.info("Counts {Counts}", { [name]: 1, Counts: { [name]: 2 } });
    const event = sink.events[0] as LogEventRecord;
    expect(Object.keys(event.properties)[0]).toBe(name);
    expect(retainedEventBytes(event)).toBeGreaterThan(2 * name.length);
    expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
  });

  it("prices a captured array at the room V8 gives it, not its length (17 slots for two items)", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    log.info("Pair {P}", { P: 1 });
    log.info("Pair {P}", { P: [1, 2] });
    const [scalar, pair] = sink.events as LogEventRecord[];
    // A JS array's header and a store of 17 eight-byte slots (measured 184 bytes on Node 20).
    expect(
      retainedEventBytes(pair as LogEventRecord) - retainedEventBytes(scalar as LogEventRecord),
    ).toBeGreaterThanOrEqual(32 + 16 + 17 * 8);
    expect(retainedEventBytes(pair as LogEventRecord)).toBe(
      walkRetainedEventBytes(pair as LogEventRecord),
    );
  });

  it("prices a child's bound record with each of its events, which a child made per request leaves to them", () => {
    const sink = createMemorySink();
    const root = createLogger({ sinks: [sink] });
    root.info("Handled {Path}", { Path: "/api", RequestId: "req-1" });
    root.child({ RequestId: "req-1" }).info("Handled {Path}", { Path: "/api" });
    const [own, bound] = sink.events as LogEventRecord[];
    expect(Object.keys((bound as LogEventRecord).properties)).toEqual(["Path", "RequestId"]);
    expect((bound as LogEventRecord).bound).toBeDefined();
    expect(retainedEventBytes(bound as LogEventRecord)).toBe(
      walkRetainedEventBytes(bound as LogEventRecord),
    );
    // A frozen record of one key: its object and its slot.
    expect(
      retainedEventBytes(bound as LogEventRecord) - retainedEventBytes(own as LogEventRecord),
    ).toBeGreaterThanOrEqual(64);
  });

  it("walks an event no logger priced, every time it is asked", () => {
    const event = createLogEvent({
      level: "info",
      template: "Order {Id}",
      properties: { Id: "A-17", Lines: [1, 2.5, "x"] },
    });
    expect(event instanceof LogEventRecord && event.retainedContentBytes).toBe(-1);
    expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
  });
});

// Values of every kind capture treats apart: scalars priced in its loop, long and wide strings,
// strings past maxStringLength, structures it walks, errors, hostile getters.
const value = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constantFrom(null, undefined, -0, 2 ** 31, Number.NaN),
  fc.bigInt(),
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "binary", maxLength: 80 }),
  fc.nat({ max: 3000 }).map((length) => "é".repeat(length)),
  fc.nat({ max: 3000 }).map((length) => "a".repeat(length)),
  fc.constant(new Date(0)),
  fc.array(fc.oneof(fc.integer(), fc.string(), fc.double()), { maxLength: 12 }),
  fc.dictionary(
    fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.nat({ max: 300 }).map((n) => "k".repeat(n)),
    ),
    fc.oneof(fc.integer(), fc.string()),
    {
      maxKeys: 20,
    },
  ),
  fc.string().map((message) => new RangeError(message)),
  fc.constant({
    get boom(): never {
      throw new Error("getter");
    },
  }),
);

// Names from a small pool, so that a call, a child's bindings and a context scope share some.
const properties = fc.dictionary(
  fc.oneof(
    fc.constantFrom("Id", "Path", "User", "0", "__proto__", "N".repeat(65), "Ж".repeat(90)),
    fc.string({ maxLength: 4 }),
  ),
  value,
  { maxKeys: 24 },
);

const captureOptions: fc.Arbitrary<CaptureOptions> = fc.record(
  {
    maxCollectionLength: fc.integer({ min: 1, max: 30 }),
    maxStringLength: fc.integer({ min: 1, max: 4000 }),
    maxEventBytes: fc.integer({ min: 64, max: 20_000 }),
    redact: fc.constant({ keys: ["User"] }),
  },
  { requiredKeys: [] },
);

describe("the figure a logger works out while capturing", () => {
  it("equals the walk of the event it made, or bounds it where names are shadowed", () => {
    fc.assert(
      fc.property(
        captureOptions,
        fc.option(properties, { nil: undefined }),
        fc.option(properties, { nil: undefined }),
        fc.option(properties, { nil: undefined }),
        properties,
        fc.boolean(),
        fc.constantFrom("Request {Path} took {Elapsed} ms", "Rendered {$Id}", "x".repeat(90)),
        (capture, parentBound, childBound, context, own, withError, template) => {
          const sink = createMemorySink();
          const root = createLogger({
            sinks: [sink],
            capture,
            ...(parentBound === undefined ? {} : { properties: parentBound }),
          });
          const log = childBound === undefined ? root : root.child(childBound);
          const emit = () => {
            if (withError) log.error(new TypeError("failed"), template, own);
            else log.info(template, own);
          };
          if (context === undefined) emit();
          else withContext(context, emit);
          const event = sink.events[0];
          expect(event).toBeInstanceOf(LogEventRecord);
          expect((event as LogEventRecord).retainedContentBytes).toBeGreaterThanOrEqual(0);
          const carried = retainedEventBytes(event as LogEventRecord);
          const walked = walkRetainedEventBytes(event as LogEventRecord);
          const names = [parentBound, childBound, context].flatMap((source) =>
            source === undefined ? [] : Object.keys(source),
          );
          // Names can also meet once cut to maxStringLength ("Id" and "I " both become "I…"): the
          // event then holds fewer keys than its sources gave.
          const given = names.length + Object.keys(own).length;
          const shadowed =
            new Set([...names, ...Object.keys(own)]).size < given ||
            Object.keys((event as LogEventRecord).properties).length < given;
          if (shadowed) expect(carried).toBeGreaterThanOrEqual(walked);
          else expect(carried).toBe(walked);
        },
      ),
      { numRuns: 500 },
    );
  });

  it("is left to the walk when a context scope was opened by a copy of core that did not price it", () => {
    const storage = (globalThis as unknown as Record<symbol, AsyncLocalStorage<object>>)[
      Symbol.for("sluice.context.storage")
    ] as AsyncLocalStorage<object>;
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const properties = Object.freeze({ Tenant: "t".repeat(500) });
    storage.run({ properties, size: 1, bytes: 510 }, () =>
      log.info("Request {Path}", { Path: "/" }),
    );
    const event = sink.events[0] as LogEventRecord;
    expect(event.properties.Tenant).toBe(properties.Tenant);
    expect(event.retainedContentBytes >= 0).toBe(false);
    expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
    expect(retainedEventBytes(event)).toBeGreaterThan(500);
  });

  it("is left to the walk when enrichers add properties after the event is made", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink], enrichers: [() => ({ Host: "a".repeat(1000) })] });
    log.info("Request {Path}", { Path: "/" });
    const event = sink.events[0] as LogEventRecord;
    expect(event.retainedContentBytes).toBe(-1);
    expect(retainedEventBytes(event)).toBe(walkRetainedEventBytes(event));
    expect(retainedEventBytes(event)).toBeGreaterThan(1000);
  });
});
