import { type LogEvent, LogEventRecord } from "./log-event.ts";

/**
 * Turns an event into text. Formatters are values made once (`createClefFormatter()`,
 * `createTextFormatter(...)`) and shared by every sink that writes the same format; their output
 * for one event is computed once and reused, see {@link formatEvent}.
 */
export interface Formatter {
  /** A short name for diagnostics, e.g. `"clef"`. */
  readonly name: string;
  /**
   * Formats one event. The result ends with the formatter's record separator (a newline for
   * line formats). Never throws: a value that cannot be rendered is replaced by a marker.
   *
   * @param event the event.
   * @returns the event's text.
   */
  format(event: LogEvent): string;
}

const foreignEventCache = new WeakMap<LogEvent, Map<Formatter, string>>();

/**
 * Formats an event with a formatter, computing the text at most once per (event, formatter)
 * pair. Sinks call this rather than `formatter.format` so that several sinks sharing a format
 * share the work.
 *
 * @param event the event.
 * @param formatter the formatter.
 * @returns the formatted text.
 */
export function formatEvent(event: LogEvent, formatter: Formatter): string {
  if (event instanceof LogEventRecord) {
    if (event.formattedBy === formatter) return event.formattedText as string;
    if (event.formattedBy === undefined) {
      const text = formatter.format(event);
      event.formattedBy = formatter;
      event.formattedText = text;
      return text;
    }
    let more = event.moreFormats;
    if (more === undefined) {
      more = new Map();
      event.moreFormats = more;
    }
    let text = more.get(formatter);
    if (text === undefined) {
      text = formatter.format(event);
      more.set(formatter, text);
    }
    return text;
  }
  let cache = foreignEventCache.get(event);
  if (cache === undefined) {
    cache = new Map();
    foreignEventCache.set(event, cache);
  }
  let text = cache.get(formatter);
  if (text === undefined) {
    text = formatter.format(event);
    cache.set(formatter, text);
  }
  return text;
}
