// Builds events from already-captured values at a fixed time, for formatter tests that need
// exact control over what a formatter sees (no capture in between).
import type { LogLevel } from "../../src/level.ts";
import { type CapturedError, type CapturedValue, LogEventRecord } from "../../src/log-event.ts";
import { parseTemplate } from "../../src/template-parser.ts";

/** The timestamp of every event built here: 2026-11-28T05:52:37.123Z. */
export const time: number = Date.UTC(2026, 10, 28, 5, 52, 37, 123);

/** A null-prototype record, as capture makes them. */
export function record(entries: Record<string, CapturedValue>): Record<string, CapturedValue> {
  return Object.assign(Object.create(null) as Record<string, CapturedValue>, entries);
}

/** An event at {@link time} with the given level, template and captured properties. */
export function event(
  level: LogLevel,
  text: string,
  properties: Record<string, CapturedValue> = {},
  error?: CapturedError,
): LogEventRecord {
  return new LogEventRecord(time, level, parseTemplate(text), record(properties), error);
}
