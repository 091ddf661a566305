import type { LogEvent } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";

const placeholderTemplate =
  "Event dropped: {Size} bytes is over the limit of {Limit} bytes (template {Template})";

/**
 * @internal the small event that stands in for one over `maxEventBytes`, so the stream says what
 * was cut instead of going silent. It keeps the original's level and timestamp.
 */
export function oversizePlaceholder(event: LogEvent, size: number, limit: number): LogEvent {
  const text = event.template.text;
  return createLogEvent({
    level: event.level,
    timestamp: event.timestamp,
    template: placeholderTemplate,
    properties: {
      Size: size,
      Limit: limit,
      // `slice` would share, and keep alive, the whole text of the event being dropped.
      Template: text.length > 200 ? [text.slice(0, 200), "…"].join("") : text,
    },
  });
}
