import { describe, expect, test } from "vitest";
import { LoggingError } from "./errors.ts";
import { deliveredCount, PartialDeliveryError } from "./partial-delivery.ts";

describe("PartialDeliveryError", () => {
  test("carries the delivered prefix, the batch size and the cause", () => {
    const cause = new Error("503 Service Unavailable");
    const error = new PartialDeliveryError(1000, 5000, { cause });
    expect(error.delivered).toBe(1000);
    expect(error.total).toBe(5000);
    expect(error.cause).toBe(cause);
    expect(error.code).toBe("sink_failure");
    expect(error.message).toBe(
      "Delivered 1000 of 5000 events, then failed: 503 Service Unavailable",
    );
    expect(LoggingError.is(error)).toBe(true);
    expect(PartialDeliveryError.is(error)).toBe(true);
  });

  test("is recognised by its marker, as from another copy of core", () => {
    const foreign = Object.assign(new Error("x"), { delivered: 3 });
    Object.defineProperty(foreign, Symbol.for("sluice.PartialDeliveryError"), { value: true });
    expect(PartialDeliveryError.is(foreign)).toBe(true);
    expect(PartialDeliveryError.is(new Error("x"))).toBe(false);
    expect(PartialDeliveryError.is(new LoggingError("sink_failure", "x"))).toBe(false);
    expect(PartialDeliveryError.is(null)).toBe(false);
  });
});

describe("deliveredCount", () => {
  test("an ordinary rejection delivered nothing", () => {
    expect(deliveredCount(new Error("EIO"), 10)).toBe(0);
    expect(deliveredCount(undefined, 10)).toBe(0);
    expect(deliveredCount("failed", 10)).toBe(0);
  });

  test("a partial delivery reports its prefix", () => {
    expect(deliveredCount(new PartialDeliveryError(4, 10), 10)).toBe(4);
    expect(deliveredCount(new PartialDeliveryError(0, 10), 10)).toBe(0);
  });

  test("a misreported count never exceeds the batch nor goes below zero", () => {
    expect(deliveredCount(new PartialDeliveryError(50, 50), 10)).toBe(10);
    expect(deliveredCount(new PartialDeliveryError(-3, 10), 10)).toBe(0);
    expect(deliveredCount(new PartialDeliveryError(Number.NaN, 10), 10)).toBe(0);
    expect(deliveredCount(new PartialDeliveryError(2.7, 10), 10)).toBe(2);
  });
});
