import { runInNewContext } from "node:vm";
import { createLogger, createPinoFormatter, type LogEvent } from "@sluice/core";
import {
  captureProperties,
  captureValue,
  estimateEventBytes,
  resolveCaptureOptions,
  retainedEventBytes,
} from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { describe, expect, it } from "vitest";

function only(events: readonly LogEvent[]): LogEvent {
  expect(events).toHaveLength(1);
  return events[0] as LogEvent;
}

// Counts what capture asks of an array: listing its keys costs time in proportion to its length.
function countingArray(length: number): {
  proxy: unknown[];
  ownKeys: () => number;
  gets: () => number;
} {
  const target = new Array<number>(length).fill(1);
  let ownKeys = 0;
  let gets = 0;
  const proxy = new Proxy(target, {
    ownKeys(inner) {
      ownKeys += 1;
      return Reflect.ownKeys(inner);
    },
    get(inner, key, receiver) {
      gets += 1;
      return Reflect.get(inner, key, receiver);
    },
  });
  return { proxy, ownKeys: () => ownKeys, gets: () => gets };
}

describe("an array or typed array as the properties argument", () => {
  it("reads at most maxCollectionLength indices of a long array, without listing its keys", () => {
    const options = resolveCaptureOptions({ maxCollectionLength: 8 });
    const array = countingArray(100_000);
    const result = captureProperties(array.proxy, undefined, options);
    expect(array.ownKeys()).toBe(0);
    expect(array.gets()).toBeLessThanOrEqual(8 + 2);
    expect(Object.keys(result)).toEqual(["0", "1", "2", "3", "4", "5", "6", "7", "…"]);
    expect(result["0"]).toBe(1);
    expect(result["…"]).toBe("[99992 more keys]");
  });

  it("keeps positional holes working for a long array", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const items = new Array<number>(1_000_000).fill(7) as [number, number, ...number[]];
    log.info("Got {0} and {1}", items);
    const event = only(sink.events);
    expect(event.properties["0"]).toBe(7);
    expect(event.properties["1"]).toBe(7);
    expect(event.properties["…"]).toBe(`[${1_000_000 - 256} more keys]`);
    expect(Object.keys(event.properties)).toHaveLength(257);
  });

  it("bounds a sparse array of the greatest length", () => {
    const options = resolveCaptureOptions({ maxCollectionLength: 4 });
    const sparse: unknown[] = [];
    sparse[2] = "two";
    sparse[4_294_967_294] = "last";
    const result = captureProperties(sparse, undefined, options);
    expect(result["2"]).toBe("two");
    expect(Object.hasOwn(result, "4294967294")).toBe(false);
    expect(result["…"]).toBe(`[${4_294_967_295 - 4} more keys]`);
  });

  it("keeps a short array as before: its present indices and other keys", () => {
    const array: unknown[] = ["a"];
    array[2] = "c";
    (array as unknown as Record<string, unknown>).extra = true;
    const result = captureProperties(array, undefined, resolveCaptureOptions({}));
    expect({ ...result }).toEqual({ 0: "a", 2: "c", extra: true });
  });

  it("captures a typed array, Buffer or DataView as a nested one is, under @properties", () => {
    const options = resolveCaptureOptions({ maxCollectionLength: 4 });
    const buffer = Buffer.alloc(1_000_000, 3);
    expect({ ...captureProperties(buffer, undefined, options) }).toEqual({
      "@properties": [3, 3, 3, 3, `[… ${1_000_000 - 4} more items]`],
    });
    expect(captureProperties(buffer, undefined, options)["@properties"]).toEqual(
      captureProperties({ Data: buffer }, undefined, options).Data,
    );
    const view = new DataView(new Uint8Array([1, 2]).buffer);
    expect({ ...captureProperties(view, undefined, options) }).toEqual({ "@properties": [1, 2] });
  });
});

describe("String, Number and Boolean wrapper objects", () => {
  it("are captured as their primitive value, a string cut like any other", () => {
    const options = resolveCaptureOptions({ maxStringLength: 10 });
    const result = captureProperties(
      {
        S: new String("a".repeat(100_000)),
        N: new Number(4.5),
        B: new Boolean(false),
        Nested: [new String("xy")],
      },
      undefined,
      options,
    );
    expect(result.S).toBe(`${"a".repeat(10)}…[truncated 99990 chars]`);
    expect(result.N).toBe(4.5);
    expect(result.B).toBe(false);
    expect(result.Nested).toEqual(["xy"]);
    expect(captureValue(new String("abc"), options)).toBe("abc");
  });

  it("as the properties argument, are kept under @properties", () => {
    const options = resolveCaptureOptions({ maxStringLength: 10 });
    expect({ ...captureProperties(new String("b".repeat(50_000)), undefined, options) }).toEqual({
      "@properties": `${"b".repeat(10)}…[truncated 49990 chars]`,
    });
    expect({ ...captureProperties(new Number(3), undefined, options) }).toEqual({
      "@properties": 3,
    });
  });

  it("from another realm, too", () => {
    const options = resolveCaptureOptions({ maxStringLength: 10 });
    const foreign = runInNewContext('new String("c".repeat(1000))') as object;
    expect(captureProperties({ S: foreign }, undefined, options).S).toBe(
      `${"c".repeat(10)}…[truncated 990 chars]`,
    );
    expect({ ...captureProperties(foreign, undefined, options) }).toEqual({
      "@properties": `${"c".repeat(10)}…[truncated 990 chars]`,
    });
  });

  it("not an object that only inherits from String.prototype", () => {
    const impostor = Object.assign(Object.create(String.prototype) as object, { Id: 1 });
    const result = captureProperties({ S: impostor }, undefined, resolveCaptureOptions({}));
    expect({ ...(result.S as object) }).toEqual({ Id: 1 });
  });
});

describe("a bigint beyond a thousand digits", () => {
  const huge = 10n ** 100_000n - 1n;

  it("is captured as a short marker that says its size", () => {
    const options = resolveCaptureOptions({});
    const result = captureProperties(
      { B: huge, N: -huge, Nested: { B: huge } },
      undefined,
      options,
    );
    expect(result.B).toMatch(/^\[BigInt of about \d+ digits\]$/);
    const digits = Number(/\d+/.exec(result.B as string)?.[0]);
    expect(Math.abs(digits - 100_000)).toBeLessThan(10);
    expect(result.N).toMatch(/^\[BigInt of about \d+ digits\]$/);
    expect((result.Nested as Record<string, unknown>).B).toBe(result.B);
    expect(captureValue(huge, options)).toBe(result.B);
  });

  it("past 2^20 bits, says only that it is longer, without counting its digits", () => {
    const options = resolveCaptureOptions({});
    const enormous = 2n ** 1_048_576n;
    expect(captureValue(enormous, options)).toBe("[BigInt of more than 315652 digits]");
    expect(captureValue(-enormous - 1n, options)).toBe("[BigInt of more than 315652 digits]");
    expect(captureValue(enormous - 1n, options)).toMatch(/^\[BigInt of about 31565\d digits\]$/);
  });

  it("leaves smaller bigints as they are", () => {
    const options = resolveCaptureOptions({});
    const largestKept = 10n ** 1000n - 1n;
    const result = captureProperties(
      { A: 42n, B: largestKept, C: -largestKept },
      undefined,
      options,
    );
    expect(result.A).toBe(42n);
    expect(result.B).toBe(largestKept);
    expect(result.C).toBe(-largestKept);
    expect(captureValue(10n ** 1000n, options)).toMatch(/^\[BigInt of about/);
  });

  it("keeps the written event within maxEventBytes and priced for what it holds", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    log.info("Got {B}", { B: huge });
    const event = only(sink.events);
    const line = createPinoFormatter({ includeHostname: false }).format(event);
    expect(line.length).toBeLessThan(1_000);
    expect(estimateEventBytes(event)).toBeLessThan(1_000);
    expect(retainedEventBytes(event)).toBeLessThan(10_000);
  });
});
