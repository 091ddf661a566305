import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import {
  captureRecord,
  captureValue,
  defaultCaptureOptions,
  resolveCaptureOptions,
} from "./capture.ts";
import { captureError } from "./capture-error.ts";
import { CapturedError } from "./log-event.ts";

const options = defaultCaptureOptions;

describe("captureError", () => {
  it("captures name, message, stack and own fields", () => {
    const error = Object.assign(new Error("open failed"), {
      code: "ENOENT",
      errno: -2,
      path: "/x",
    });
    const captured = captureError(error, options);
    expect(captured).toBeInstanceOf(CapturedError);
    expect(captured.name).toBe("Error");
    expect(captured.message).toBe("open failed");
    expect(captured.stack).toContain("open failed");
    expect({ ...captured.fields }).toEqual({ code: "ENOENT", errno: -2, path: "/x" });
    expect(captured.cause).toBeUndefined();
    expect(captured.errors).toBeUndefined();
  });

  it("captures the whole cause chain and AggregateError members", () => {
    const root = new RangeError("root");
    const middle = new TypeError("middle", { cause: root });
    const aggregate = new AggregateError([middle, "plain"], "many", { cause: { reason: "x" } });
    const captured = captureError(aggregate, options);
    expect(captured.name).toBe("AggregateError");
    expect(captured.cause).toEqual({ reason: "x" });
    const first = captured.errors?.[0] as CapturedError;
    expect(first.name).toBe("TypeError");
    expect((first.cause as CapturedError).message).toBe("root");
    expect(captured.errors?.[1]).toBe("plain");
  });

  it("survives cycles, frozen errors and throwing getters", () => {
    const first = new Error("first");
    const second = new Error("second", { cause: first });
    (first as { cause?: unknown }).cause = second;
    const captured = captureError(first, options);
    expect((captured.cause as CapturedError).message).toBe("second");
    expect((captured.cause as CapturedError).cause).toBe("[Circular]");

    const frozen = Object.freeze(new Error("frozen"));
    expect(captureError(frozen, options).message).toBe("frozen");

    const hostile = new Error("x");
    for (const key of ["stack", "name", "message"]) {
      Object.defineProperty(hostile, key, {
        get() {
          throw new Error(`${key} getter`);
        },
      });
    }
    const capturedHostile = captureError(hostile, options);
    expect(capturedHostile.message).toBe("[Throws: message getter]");
    expect(capturedHostile.stack).toBe("[Throws: stack getter]");
    expect(capturedHostile.name).toBe("[Throws: name getter]");
  });

  it("bounds a long cause chain by maxDepth", () => {
    let error = new Error("0");
    for (let index = 1; index < 20; index++) error = new Error(String(index), { cause: error });
    let captured: unknown = captureError(error, resolveCaptureOptions({ maxDepth: 3 }));
    let length = 0;
    while (captured instanceof CapturedError) {
      length++;
      captured = captured.cause;
    }
    expect(length).toBe(3);
    expect(captured).toBe("[Depth limit]");
  });

  it("captures non-Error throwables as NonError records", () => {
    expect(captureError("boom", options)).toMatchObject({
      name: "NonError",
      message: "boom",
      stack: undefined,
    });
    expect(captureError(null, options)).toMatchObject({ name: "NonError", message: "null" });
    expect(captureError(undefined, options)).toMatchObject({
      name: "NonError",
      message: "undefined",
    });
    const fromObject = captureError({ message: "bad", status: 500 }, options);
    expect(fromObject.name).toBe("NonError");
    expect(fromObject.message).toBe("bad");
    expect({ ...fromObject.fields }).toEqual({ message: "bad", status: 500 });
    expect(captureError({ a: 1 }, options).message).toBe("[object Object]");
  });

  it("captures errors nested in values", () => {
    const captured = captureValue({ failure: new Error("inner") }, options) as Record<
      string,
      CapturedError
    >;
    expect(captured.failure).toBeInstanceOf(CapturedError);
    expect(captured.failure?.message).toBe("inner");
  });

  it("knows errors of another realm, and objects of this one as objects", () => {
    const foreign = runInNewContext('new TypeError("from a vm context")') as object;
    expect(foreign instanceof Error).toBe(false);
    const captured = captureValue({ failure: foreign, plain: { message: "m" } }, options) as Record<
      string,
      unknown
    >;
    expect(captured.failure).toBeInstanceOf(CapturedError);
    expect(captured.failure).toMatchObject({ name: "TypeError", message: "from a vm context" });
    expect(captured.plain).not.toBeInstanceOf(CapturedError);
    expect(captured.plain).toEqual({ message: "m" });
    // As the properties argument itself: an error goes under one key, not spread into fields.
    const record = captureRecord(foreign, undefined, options, 0);
    expect(Object.values(record)[0]).toBeInstanceOf(CapturedError);
  });
});

describe("captureError with an array as the error", () => {
  it("names it instead of joining every element, and reads a bounded number of items", () => {
    let reads = 0;
    const claimed = new Proxy([] as unknown[], {
      get(target, key) {
        reads += 1;
        if (key === "length") return 1_000_000;
        return Reflect.get(target, key);
      },
    });
    const captured = captureError(claimed, resolveCaptureOptions({}));
    expect(captured.message).toBe("Array(1000000)");
    expect(reads).toBeLessThan(10_000);
  });
});
