import {
  captureRecord,
  defaultCaptureOptions,
  estimateValueBytes,
  type ResolvedCaptureOptions,
  templateText,
} from "./capture.ts";
import { captureError } from "./capture-error.ts";
import type { LogLevel } from "./level.ts";
import { type LogEvent, LogEventRecord } from "./log-event.ts";
import type { MessageTemplate } from "./message-template.ts";
import { parseTemplate } from "./template-parser.ts";

/** What {@link createLogEvent} builds an event from. */
export interface LogEventInit {
  /** The event's level. */
  readonly level: LogLevel;
  /** The message template, as text (parsed here) or already parsed. */
  readonly template: string | MessageTemplate;
  /**
   * The properties, captured as a logging call captures them.
   * @default {}
   */
  readonly properties?: unknown;
  /**
   * The error, captured with its cause chain; any thrown value is accepted.
   * @default undefined
   */
  readonly error?: unknown;
  /**
   * Milliseconds since the Unix epoch.
   * @default Date.now()
   */
  readonly timestamp?: number;
}

/**
 * Builds a log event the way a logging call does: cuts and parses the template, captures the
 * error and the properties within the event's limits. For tests, sink authors and wrappers that must emit events of their own.
 *
 * @param init the event's parts.
 * @param options capture limits and redaction.
 * @returns the event.
 *
 * @example
 * ```ts
 * const event = createLogEvent({ level: "info", template: "User {UserId} logged in", properties: { UserId: 42 } });
 * ```
 */
export function createLogEvent(
  init: LogEventInit,
  options: ResolvedCaptureOptions = defaultCaptureOptions,
): LogEvent {
  const template =
    typeof init.template === "string"
      ? parseTemplate(templateText(init.template, options))
      : init.template;
  const error = init.error === undefined ? undefined : captureError(init.error, options);
  const errorBytes = error === undefined ? 0 : estimateValueBytes(error);
  return new LogEventRecord(
    init.timestamp ?? Date.now(),
    init.level,
    template,
    captureRecord(init.properties, template, options, errorBytes),
    error,
  );
}
