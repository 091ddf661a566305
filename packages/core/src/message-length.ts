/**
 * The most characters a rendered message keeps, and the widest an alignment pads: 64 Ki, room
 * for four strings of the default `maxStringLength`. Formatters see no capture options, so the
 * bound is fixed: without it a template of many holes (`"{A}".repeat(5000)`), or one alignment
 * (`{A,536870000}`), renders hundreds of megabytes from an event capture kept small.
 */
export const maxMessageLength = 65_536;

/**
 * How many characters of `text` a cut at `max` keeps: `max`, one less when that would split a
 * surrogate pair.
 */
export function keptLength(text: string, max: number): number {
  if (max <= 0) return 0;
  if (max >= text.length) return text.length;
  const last = text.charCodeAt(max - 1);
  return last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
}

/** The marker that ends a cut message, the same as capture's for a cut string. */
export function truncationMarker(count: number): string {
  return `…[truncated ${count} chars]`;
}
