import { describe, expect, it } from "vitest";
import { LoggingError } from "./errors.ts";
import {
  compareLogLevels,
  isLevelEnabled,
  isLogLevel,
  LevelSwitch,
  levelOrdinal,
  logLevels,
  parseLogLevel,
  severityNumber,
} from "./level.ts";

describe("levels", () => {
  it("are ordered and map onto OpenTelemetry severity numbers", () => {
    expect(logLevels).toEqual(["trace", "debug", "info", "warn", "error", "fatal"]);
    expect(logLevels.map(levelOrdinal)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(logLevels.map(severityNumber)).toEqual([1, 5, 9, 13, 17, 21]);
    expect(compareLogLevels("warn", "info")).toBeGreaterThan(0);
    expect(compareLogLevels("info", "info")).toBe(0);
    expect(isLevelEnabled("error", "warn")).toBe(true);
    expect(isLevelEnabled("debug", "info")).toBe(false);
  });

  it("parse names and common aliases, and reject the rest with a clear error", () => {
    expect(parseLogLevel(" WARN ")).toBe("warn");
    expect(parseLogLevel("Information")).toBe("info");
    expect(parseLogLevel("verbose")).toBe("trace");
    expect(parseLogLevel("critical")).toBe("fatal");
    expect(isLogLevel("info")).toBe(true);
    expect(isLogLevel("toString")).toBe(false);
    expect(() => parseLogLevel("loud")).toThrow(
      'Invalid option "level": expected one of trace, debug, info, warn, error, fatal, received "loud".',
    );
    try {
      parseLogLevel("constructor");
    } catch (error) {
      expect(LoggingError.is(error)).toBe(true);
      expect((error as LoggingError).code).toBe("invalid_option");
    }
  });
});

describe("LevelSwitch", () => {
  it("changes its level at runtime and validates every value", () => {
    const verbosity = new LevelSwitch("info");
    expect(verbosity.isEnabled("debug")).toBe(false);
    verbosity.level = "debug";
    expect(verbosity.isEnabled("debug")).toBe(true);
    expect(verbosity.ordinal).toBe(1);
    expect(() => {
      verbosity.level = "chatty" as never;
    }).toThrow(/"level"/);
    expect(verbosity.level).toBe("debug");
    expect(() => new LevelSwitch("nope" as never)).toThrow(/"level"/);
  });
});
