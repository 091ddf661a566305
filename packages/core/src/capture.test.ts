import { inspect } from "node:util";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  captureProperties,
  captureRecord,
  captureValue,
  defaultCaptureOptions,
  estimateEventBytes,
  estimateValueBytes,
  lastCapture,
  resolveCaptureOptions,
} from "./capture.ts";
import { captureError } from "./capture-error.ts";
import { createLogEvent } from "./create-log-event.ts";
import { LoggingError } from "./errors.ts";
import { CapturedError, type CapturedValue } from "./log-event.ts";
import { parseTemplate } from "./template-parser.ts";

const options = defaultCaptureOptions;

/** A captured record inherits no member at all, so every key in it is data. */
function expectInheritsNothing(record: object): void {
  const prototype = Object.getPrototypeOf(record) as object | null;
  if (prototype === null) return;
  expect(Object.getPrototypeOf(prototype)).toBeNull();
  expect(Object.getOwnPropertyNames(prototype)).toEqual([]);
  expect(Object.isFrozen(prototype)).toBe(true);
  expect("toString" in record || "hasOwnProperty" in record).toBe(false);
}

describe("captured records", () => {
  it("inspect as the plain data they hold", () => {
    const captured = captureValue({ A: 1, B: { c: "x" }, ["__proto__"]: 2 }, options);
    expect(inspect(captured)).toBe(inspect({ A: 1, B: { c: "x" }, ["__proto__"]: 2 }));
    expect(inspect(captured, { depth: 0 })).toBe("{ A: 1, B: [Object], ['__proto__']: 2 }");
  });
});

describe("resolveCaptureOptions", () => {
  it("returns frozen defaults and validates", () => {
    const resolved = resolveCaptureOptions({ maxDepth: 3 });
    expect(resolved.maxDepth).toBe(3);
    expect(resolved.maxStringLength).toBe(16_384);
    expect(resolved.maxCollectionLength).toBe(256);
    expect(resolved.maxEventBytes).toBe(262_144);
    expect(Object.isFrozen(resolved)).toBe(true);
    for (const bad of [0, -1, 1.5, Number.NaN, "3"]) {
      expect(() => resolveCaptureOptions({ maxDepth: bad as number })).toThrow(/maxDepth/);
    }
    try {
      resolveCaptureOptions({ maxStringLength: 0 });
      expect.unreachable();
    } catch (error) {
      expect(LoggingError.is(error) && error.code).toBe("invalid_option");
    }
    expect(() => resolveCaptureOptions({ redact: { paths: ["a..b"] } })).toThrow(/redact.paths/);
    expect(() => resolveCaptureOptions({ redact: { censor: 3 as never } })).toThrow(/censor/);
  });
});

describe("captureValue: scalars", () => {
  it("keeps primitives and converts symbols and functions", () => {
    expect(captureValue(42, options)).toBe(42);
    expect(captureValue(12n, options)).toBe(12n);
    expect(captureValue(true, options)).toBe(true);
    expect(captureValue(null, options)).toBeNull();
    expect(captureValue(undefined, options)).toBeUndefined();
    expect(captureValue(Symbol("x"), options)).toBe("Symbol(x)");
    expect(captureValue(function named() {}, options)).toBe("[Function named]");
    expect(captureValue(() => {}, options)).toBe("[Function (anonymous)]");
  });

  it("copies dates and marks invalid ones", () => {
    const date = new Date(1000);
    const captured = captureValue(date, options) as Date;
    expect(captured).not.toBe(date);
    expect(captured.getTime()).toBe(1000);
    date.setTime(5);
    expect(captured.getTime()).toBe(1000);
    expect(captureValue(new Date(Number.NaN), options)).toBe("Invalid Date");
  });

  it("truncates long strings saying by how much", () => {
    const small = resolveCaptureOptions({ maxStringLength: 5 });
    expect(captureValue("abcdefgh", small)).toBe("abcde…[truncated 3 chars]");
    expect(captureValue("abcde", small)).toBe("abcde");
  });
});

describe("captureValue: structures", () => {
  it("captures arrays, sets, maps, typed arrays and buffers", () => {
    expect(captureValue([1, "a", [2]], options)).toEqual([1, "a", [2]]);
    expect(captureValue(new Set([1, 2]), options)).toEqual([1, 2]);
    const map = captureValue(
      new Map<unknown, unknown>([
        ["a", 1],
        [2, { b: 3 }],
      ]),
      options,
    ) as Record<string, unknown>;
    expectInheritsNothing(map);
    expect({ ...map }).toEqual({ a: 1, "2": { b: 3 } });
    expect(captureValue(new Uint8Array([1, 2, 3]), options)).toEqual([1, 2, 3]);
    expect(captureValue(Buffer.from("hi"), options)).toEqual([104, 105]);
    expect(captureValue(new BigInt64Array([5n]), options)).toEqual([5n]);
    expect(captureValue(new DataView(new Uint8Array([7, 8]).buffer), options)).toEqual([7, 8]);
    expect(captureValue(new ArrayBuffer(16), options)).toBe("[ArrayBuffer 16 bytes]");
  });

  it("captures class objects by own enumerable keys, and toJSON results", () => {
    class Point {
      x = 1;
      y = 2;
      get sum(): number {
        return this.x + this.y;
      }
    }
    expect({ ...(captureValue(new Point(), options) as object) }).toEqual({ x: 1, y: 2 });
    expect(captureValue({ toJSON: () => ({ id: 7 }) }, options)).toEqual({ id: 7 });
    expect(
      captureValue(
        {
          toJSON() {
            throw new Error("nope");
          },
        },
        options,
      ),
    ).toBe("[Throws: nope]");
  });

  it("treats __proto__, constructor and prototype as data", () => {
    const input = JSON.parse('{"__proto__": {"polluted": 1}, "constructor": 2, "prototype": 3}');
    const captured = captureValue(input, options) as Record<string, unknown>;
    expectInheritsNothing(captured);
    expect(Object.keys(captured)).toEqual(["__proto__", "constructor", "prototype"]);
    expect(Object.getOwnPropertyDescriptor(captured, "__proto__")?.value).toEqual({ polluted: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("marks cycles but captures shared references twice", () => {
    const node: Record<string, unknown> = { name: "a" };
    node.self = node;
    const shared = { v: 1 };
    const captured = captureValue({ node, left: shared, right: shared }, options) as Record<
      string,
      Record<string, unknown>
    >;
    expect(captured.node?.self).toBe("[Circular]");
    expect(captured.left).toEqual({ v: 1 });
    expect(captured.right).toEqual({ v: 1 });
    const list: unknown[] = [1];
    list.push(list);
    expect(captureValue(list, options)).toEqual([1, "[Circular]"]);
  });

  it("stops at maxDepth", () => {
    const shallow = resolveCaptureOptions({ maxDepth: 2 });
    expect(captureValue({ a: { b: { c: 1 } } }, shallow)).toEqual({ a: { b: "[Depth limit]" } });
    expect(captureValue([[[1]]], shallow)).toEqual([["[Depth limit]"]]);
  });

  it("summarises long collections", () => {
    const small = resolveCaptureOptions({ maxCollectionLength: 2 });
    expect(captureValue([1, 2, 3, 4], small)).toEqual([1, 2, "[… 2 more items]"]);
    expect(captureValue(new Set([1, 2, 3]), small)).toEqual([1, 2, "[… 1 more items]"]);
    expect(captureValue(new Uint8Array(5), small)).toEqual([0, 0, "[… 3 more items]"]);
    expect({ ...(captureValue({ a: 1, b: 2, c: 3 }, small) as object) }).toEqual({
      a: 1,
      b: 2,
      "…": "[1 more keys]",
    });
  });

  it("gives a marker for throwing getters and hostile proxies", () => {
    const object = {
      ok: 1,
      get bad(): number {
        throw new Error("getter failed");
      },
    };
    expect({ ...(captureValue(object, options) as object) }).toEqual({
      ok: 1,
      bad: "[Throws: getter failed]",
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error("no keys");
        },
      },
    );
    expect(captureValue(proxy, options)).toBe("[Throws: no keys]");
    const { proxy: revoked, revoke } = Proxy.revocable({}, {});
    revoke();
    expect(captureValue(revoked, options)).toMatch(/^\[Throws: /);
    expect(captureValue({ inner: revoked }, options)).toEqual({
      inner: expect.stringMatching(/^\[Throws: /),
    });
  });
});

describe("captureProperties", () => {
  it("snapshots deeply: later mutation does not reach the capture", () => {
    const properties = { user: { name: "ann", tags: ["a"], seen: new Date(0) }, count: 1 };
    const captured = captureProperties(properties, undefined, options);
    properties.user.name = "bob";
    properties.user.tags.push("b");
    properties.user.seen.setTime(99);
    properties.count = 2;
    expect(captured).toEqual({ user: { name: "ann", tags: ["a"], seen: new Date(0) }, count: 1 });
    expectInheritsNothing(captured);
  });

  it("stringifies {$Name} holes and structures {@Name} and default holes", () => {
    const template = parseTemplate("{$A} {@B} {C}");
    const value = { toString: () => "custom", x: 1 };
    const captured = captureProperties({ A: value, B: { x: 1 }, C: { x: 2 } }, template, options);
    expect(captured.A).toBe("custom");
    expect(captured.B).toEqual({ x: 1 });
    expect(captured.C).toEqual({ x: 2 });
    const hostile = {
      toString() {
        throw new Error("no string");
      },
    };
    expect(captureProperties({ A: hostile }, template, options).A).toBe("[Throws: no string]");
    expect(captureProperties({ A: [1, 2] }, template, options).A).toBe("1,2");
  });

  it("binds positional holes to array properties and handles non-objects", () => {
    expect(captureProperties(["x", "y"], parseTemplate("{0} {1}"), options)).toEqual({
      "0": "x",
      "1": "y",
    });
    expect(captureProperties(undefined, undefined, options)).toEqual({});
    expect(captureProperties(null, undefined, options)).toEqual({});
    expect(captureProperties("text", undefined, options)).toEqual({ "@properties": "text" });
    expect(captureProperties(5, undefined, options)).toEqual({ "@properties": 5 });
    const fromError = captureProperties(new Error("e"), undefined, options)["@properties"];
    expect(fromError).toBeInstanceOf(CapturedError);
  });

  it("marks a property that refers back to the properties object", () => {
    const properties: Record<string, unknown> = { a: 1 };
    properties.me = properties;
    expect(captureProperties(properties, undefined, options)).toEqual({ a: 1, me: "[Circular]" });
  });

  it("replaces the largest properties when the event is too large", () => {
    const bounded = resolveCaptureOptions({ maxEventBytes: 2000 });
    const captured = captureProperties(
      { big: "x".repeat(5000), mid: "y".repeat(500), small: 1 },
      undefined,
      bounded,
    );
    expect(captured.big).toMatch(/^\[Too large: \d+ bytes\]$/);
    expect(captured.mid).toBe("y".repeat(500));
    expect(captured.small).toBe(1);
    const event = createLogEvent({ level: "info", template: "t", properties: captured }, bounded);
    expect(estimateEventBytes(event)).toBeLessThanOrEqual(2000);
  });
});

describe("redaction", () => {
  const redacting = resolveCaptureOptions({
    redact: { keys: ["Password", "authorization"], paths: ["user.card.number", "users.*.ssn"] },
  });

  it("hides keys at any depth regardless of case, and paths with wildcards", () => {
    const captured = captureProperties(
      {
        password: "p",
        headers: { Authorization: "Bearer x", accept: "json" },
        user: { card: { number: "4111", expiry: "12/30" }, number: 5 },
        users: [
          { ssn: "1", name: "a" },
          { ssn: "2", name: "b" },
        ],
        ssn: "kept",
      },
      undefined,
      redacting,
    );
    expect(captured).toEqual({
      password: "[Redacted]",
      headers: { Authorization: "[Redacted]", accept: "json" },
      user: { card: { number: "[Redacted]", expiry: "12/30" }, number: 5 },
      users: [
        { ssn: "[Redacted]", name: "a" },
        { ssn: "[Redacted]", name: "b" },
      ],
      ssn: "kept",
    });
  });

  it("uses a censor function, falling back when it throws", () => {
    const masked = resolveCaptureOptions({
      redact: {
        keys: ["token"],
        censor: (value, path) => `${String(value).slice(0, 2)}** at ${path.join(".")}`,
      },
    });
    expect(captureProperties({ a: { token: "abcdef" } }, undefined, masked)).toEqual({
      a: { token: "ab** at a.token" },
    });
    const throwing = resolveCaptureOptions({
      redact: {
        keys: ["token"],
        censor: () => {
          throw new Error("x");
        },
      },
    });
    expect(captureProperties({ token: "abc" }, undefined, throwing)).toEqual({
      token: "[Redacted]",
    });
  });

  it("keeps a redacted {$Name} hole redacted", () => {
    expect(captureProperties({ password: "p" }, parseTemplate("{$password}"), redacting)).toEqual({
      password: "[Redacted]",
    });
  });
});

describe("estimateEventBytes", () => {
  it("grows with the content and is consistent", () => {
    const small = createLogEvent({
      level: "info",
      template: "x",
      properties: { a: "b" },
      timestamp: 0,
    });
    const large = createLogEvent({
      level: "info",
      template: "x",
      properties: { a: "b".repeat(1000) },
      timestamp: 0,
    });
    expect(estimateEventBytes(large) - estimateEventBytes(small)).toBe(999);
    expect(estimateEventBytes(small)).toBe(estimateEventBytes(small));
  });
});

function depthOf(value: CapturedValue): number {
  if (value instanceof CapturedError) return 0;
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === "object" && value !== null && !(value instanceof Date)) {
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  }
  return 0;
}

function maxCollection(value: CapturedValue): number {
  if (value instanceof CapturedError) return 0;
  if (Array.isArray(value)) return Math.max(value.length, ...value.map(maxCollection));
  if (typeof value === "object" && value !== null && !(value instanceof Date)) {
    return Math.max(Object.keys(value).length, ...Object.values(value).map(maxCollection));
  }
  return 0;
}

const hostileValue = fc.oneof(
  fc.anything(),
  fc.bigInt(),
  fc.string().map((description) => Symbol(description)),
  fc.date(),
  fc.array(fc.tuple(fc.anything(), fc.anything())).map((entries) => new Map(entries)),
  fc.array(fc.anything()).map((items) => new Set(items)),
  fc.array(fc.integer({ min: 0, max: 255 })).map((bytes) => Uint8Array.from(bytes)),
  fc.string().map((message) => new Error(message, { cause: new TypeError(message) })),
  fc.anything().map((inner) => {
    const cyclic: Record<string, unknown> = { inner };
    cyclic.self = { back: cyclic };
    return cyclic;
  }),
  fc.string().map(
    (message) =>
      new Proxy(
        {},
        {
          get() {
            throw new Error(message);
          },
          ownKeys() {
            return ["a"];
          },
          getOwnPropertyDescriptor() {
            return { enumerable: true, configurable: true, value: 1 };
          },
        },
      ),
  ),
);

describe("capture properties (fast-check)", () => {
  it("never throws, respects limits and stays JSON-serializable", () => {
    const limits = resolveCaptureOptions({
      maxDepth: 3,
      maxCollectionLength: 4,
      maxStringLength: 20,
    });
    fc.assert(
      fc.property(fc.array(hostileValue, { maxLength: 5 }), fc.anything(), (values, extra) => {
        const value = [...values, { deep: { deeper: { deepest: { bottom: extra } } } }];
        const captured = captureValue(value, limits);
        expect(depthOf(captured)).toBeLessThanOrEqual(3);
        expect(maxCollection(captured)).toBeLessThanOrEqual(5);
        const json = JSON.stringify(captured, (_key, item) =>
          typeof item === "bigint" ? item.toString() : item,
        );
        expect(typeof json).toBe("string");
        const properties = captureProperties({ values, extra }, undefined, limits);
        expect(depthOf(properties)).toBeLessThanOrEqual(4);
      }),
      { numRuns: 200 },
    );
  });
});

describe("bounded capture", () => {
  it("prices a capture as it walks: the same size estimateValueBytes gives, or more", () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.anything()), (properties) => {
        const captured = captureRecord(properties, undefined, defaultCaptureOptions, 0);
        expect(lastCapture.bytes).toBeGreaterThanOrEqual(estimateValueBytes(captured));
      }),
      { numRuns: 300 },
    );
    const nested = { a: { b: [1, "two", null, new Date(0)], c: new Map([["k", true]]) } };
    const captured = captureRecord(nested, undefined, defaultCaptureOptions, 0);
    expect(lastCapture.bytes).toBe(estimateValueBytes(captured));
  });

  it("stops walking a value that shares references once it passes maxEventBytes", () => {
    let value: unknown = "leaf";
    for (let depth = 0; depth < 4; depth++) value = Array(256).fill(value);
    const options = resolveCaptureOptions({ maxEventBytes: 10_000 });
    expect(captureValue(value, options)).toBe("[Too large: more than 10000 bytes]");
    const captured = captureProperties({ Small: { ok: 1 }, Shared: value }, undefined, options);
    expect(captured.Shared).toMatch(/^\[Too large: more than \d+ bytes\]$/);
    expect({ ...(captured.Small as object) }).toEqual({ ok: 1 });
  });

  it("bounds the walking done for one call's properties at twice maxEventBytes", () => {
    const options = resolveCaptureOptions({ maxEventBytes: 10_000 });
    const big = { list: Array.from({ length: 250 }, (_, index) => `item ${index} `.repeat(8)) };
    const properties: Record<string, unknown> = {};
    for (let index = 0; index < 10; index++) properties[`Big${index}`] = big;
    properties.Last = { small: true };
    const captured = captureProperties(properties, undefined, options);
    // Two big values use up the walking budget; the rest cannot be walked at all.
    for (let index = 0; index < 10; index++) {
      expect(captured[`Big${index}`]).toMatch(/^\[Too large: more than \d+ bytes\]$/);
    }
    expect(captured.Last).toMatch(/^\[Too large/);
  });

  it("summarises an error's fields past maxEventBytes and keeps the error", () => {
    const error = Object.assign(new Error("boom"), {
      rows: Array.from({ length: 200 }, (_, index) => ({ index, text: "r".repeat(100) })),
    });
    const captured = captureError(error, resolveCaptureOptions({ maxEventBytes: 4000 }));
    expect(captured).toBeInstanceOf(CapturedError);
    expect(captured.message).toBe("boom");
    expect(estimateValueBytes(captured)).toBeLessThan(4000 + 400);
    expect(captured.fields.rows).toContainEqual(expect.stringMatching(/^\[… \d+ more items\]$/));
  });

  it("cuts the description of a thrown value in its marker", () => {
    const hostile = {
      get value(): never {
        throw new Error("e".repeat(100_000));
      },
    };
    const captured = captureProperties(hostile, undefined, defaultCaptureOptions);
    expect(captured.value).toMatch(/^\[Throws: e+…\[truncated 98976 chars\]\]$/);
  });
});
