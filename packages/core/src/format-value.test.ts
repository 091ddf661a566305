import { describe, expect, it } from "vitest";
import { alignText, formatDate, formatNumber } from "./format-value.ts";

describe("formatNumber", () => {
  it.each<[number | bigint, string, string]>([
    [1234.5, "N2", "1,234.50"],
    [-1234.5, "N0", "-1,235"],
    [3.14259, "F3", "3.143"],
    [42, "D5", "00042"],
    [-42, "D5", "-00042"],
    [255, "X", "FF"],
    [255, "x4", "00ff"],
    [0.125, "P1", "12.5 %"],
    [1234.5678, "E2", "1.23E+003"],
    [3.14259, "0.00", "3.14"],
    [1234567.891, "#,##0.##", "1,234,567.89"],
    [5, "000", "005"],
    [0.5, "#.##", ".5"],
    [0.256, "0%", "26%"],
    [7, "0.0#", "7.0"],
    [2n ** 70n, "N0", "1,180,591,620,717,411,303,424"],
    [255n, "X", "FF"],
    [1.5, "nonsense", "1.5"],
    [Number.NaN, "N2", "NaN"],
  ])("formats %s with %j as %j", (value, format, expected) => {
    expect(formatNumber(value, format)).toBe(expected);
  });
});

describe("formatDate", () => {
  const moment = Date.UTC(2026, 10, 28, 5, 52, 37, 123);
  it.each<[string, string]>([
    ["HH:mm:ss.fff", "05:52:37.123"],
    ["yyyy-MM-dd", "2026-11-28"],
    ["dddd d MMMM yy", "Saturday 28 November 26"],
    ["hh:mm tt", "05:52 AM"],
    ["o", "2026-11-28T05:52:37.1230000Z"],
    ["s", "2026-11-28T05:52:37"],
    ["u", "2026-11-28 05:52:37Z"],
    ["'at' HH\\h", "at 05h"],
    ["zzz", "+00:00"],
  ])("formats with %j in UTC", (format, expected) => {
    expect(formatDate(moment, format, true)).toBe(expected);
  });

  it("renders invalid times without throwing", () => {
    expect(formatDate(Number.NaN, "yyyy")).toBe("Invalid Date");
  });
});

describe("alignText", () => {
  it("pads on the side opposite to the direction and never truncates", () => {
    expect(alignText("ab", { direction: "right", width: 4 })).toBe("  ab");
    expect(alignText("ab", { direction: "left", width: 4 })).toBe("ab  ");
    expect(alignText("abcdef", { direction: "left", width: 4 })).toBe("abcdef");
    expect(alignText("ab", undefined)).toBe("ab");
  });
});
