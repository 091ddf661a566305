import { alignText, formatDate, formatNumber } from "./format-value.ts";
import { toJson } from "./json-writer.ts";
import { CapturedError, type CapturedProperties, type CapturedValue } from "./log-event.ts";
import { keptLength, maxMessageLength, truncationMarker } from "./message-length.ts";
import type { MessageTemplate, PropertyToken, TemplateToken } from "./message-template.ts";

/** Options for {@link renderMessage} and {@link renderPropertyValue}. */
export interface RenderOptions {
  /**
   * Quote string values (`"Alice"`), as Serilog does; `false` renders them as they are, as the
   * `:l` format does for one hole.
   * @default true
   */
  readonly quoteStrings?: boolean;
  /**
   * Render objects and arrays as JSON, as Serilog's `:j` format does; otherwise they render as
   * `{ Name: "x", Count: 2 }` and `[1, 2]`.
   * @default false
   */
  readonly json?: boolean;
}

/**
 * Renders an event's message: the template's text with each hole replaced by its property's
 * value (quoted strings, formatted numbers and dates, aligned). A hole whose property is missing
 * renders as written, e.g. `{UserId}`. A message is at most 65,536 characters: a longer one is cut
 * there and ends with `…[truncated N chars]`, and an alignment pads to at most that width. Never
 * throws.
 *
 * @param template the parsed template.
 * @param properties the event's captured properties.
 * @param options quoting and JSON rendering.
 * @returns the message.
 * @example
 * ```ts
 * renderMessage(parseTemplate("User {Name} paid {Amount:0.00}"), { Name: "Ann", Amount: 5 });
 * // 'User "Ann" paid 5.00'
 * ```
 */
export function renderMessage(
  template: MessageTemplate,
  properties: CapturedProperties,
  options?: RenderOptions,
): string {
  const tokens = template.tokens;
  let message = "";
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index] as TemplateToken;
    if (token.kind === "text") {
      message += token.text;
    } else if (token.name in properties) {
      message += renderPropertyValue(properties[token.name], token, options);
    } else {
      message += token.raw;
    }
    // Every piece is bounded, so the message passes the bound by at most one piece; what follows
    // is only counted, not rendered.
    if (message.length > maxMessageLength) {
      const cut = cutMessage(message, maxMessageLength, tokens, index + 1, properties, options);
      // `join` copies the kept part: a slice would keep the whole rendering alive.
      return [cut.kept, cut.marker].join("");
    }
  }
  return message;
}

/**
 * @internal the end of a message cut at its bound: the part of `text` (the message so far, or its
 * last piece) that fits in `limit` characters, and the marker counting what is left out, the rest
 * of `text` and what the tokens from `from` on would render to.
 */
export function cutMessage(
  text: string,
  limit: number,
  tokens: readonly TemplateToken[],
  from: number,
  properties: CapturedProperties,
  options: RenderOptions | undefined,
): { kept: string; marker: string } {
  const kept = keptLength(text, limit);
  const left = text.length - kept + renderedLength(tokens, from, properties, options);
  return { kept: text.slice(0, kept), marker: truncationMarker(left) };
}

/**
 * @internal the length the tokens from `from` on would render to, rendering only what cannot be
 * counted (a structure, a formatted value), and each distinct value once, so that counting what a
 * cut message leaves out costs no more than the event's own size, however many holes repeat it.
 */
export function renderedLength(
  tokens: readonly TemplateToken[],
  from: number,
  properties: CapturedProperties,
  options: RenderOptions | undefined,
): number {
  const lengthOf = holeLengths(properties, options);
  let total = 0;
  for (let index = from; index < tokens.length; index++) {
    const token = tokens[index] as TemplateToken;
    total += token.kind === "text" ? token.text.length : lengthOf(token);
  }
  return total;
}

/**
 * @internal a function giving the length a hole renders to (its text as written when the property
 * is missing), rendering each distinct value once per format.
 */
export function holeLengths(
  properties: CapturedProperties,
  options: RenderOptions | undefined,
): (token: PropertyToken) => number {
  const lengths = new Map<string | undefined, Map<CapturedValue, number>>();
  return (token) => {
    if (!(token.name in properties)) return token.raw.length;
    const value = properties[token.name];
    let byValue = lengths.get(token.format);
    if (byValue === undefined) {
      byValue = new Map();
      lengths.set(token.format, byValue);
    }
    let length = byValue.get(value);
    if (length === undefined) {
      length = renderUnaligned(value, token, options).length;
      byValue.set(value, length);
    }
    const alignment = token.alignment;
    return alignment === undefined
      ? length
      : Math.max(length, Math.min(alignment.width, maxMessageLength));
  };
}

/**
 * Renders one hole's value with the hole's format and alignment, as it appears in a message. An
 * alignment pads to at most 65,536 characters, the bound of a message.
 *
 * @param value the captured value.
 * @param token the hole.
 * @param options quoting and JSON rendering; the hole's own `l` / `j` format adds to them.
 * @returns the rendered text.
 */
export function renderPropertyValue(
  value: CapturedValue,
  token: PropertyToken,
  options?: RenderOptions,
): string {
  return alignText(renderUnaligned(value, token, options), token.alignment);
}

function renderUnaligned(
  value: CapturedValue,
  token: PropertyToken,
  options: RenderOptions | undefined,
): string {
  const format = token.format;
  let quoteStrings = options?.quoteStrings ?? true;
  let json = options?.json ?? false;
  let valueFormat = format;
  if (format !== undefined && /^[lj]{1,2}$/.test(format)) {
    if (format.includes("l")) quoteStrings = false;
    if (format.includes("j")) json = true;
    valueFormat = undefined;
  }
  try {
    return renderValue(value, valueFormat, quoteStrings, json);
  } catch {
    return "[Unrenderable]";
  }
}

function renderValue(
  value: CapturedValue,
  format: string | undefined,
  quoteStrings: boolean,
  json: boolean,
): string {
  switch (typeof value) {
    case "string":
      return quoteStrings ? quote(value) : value;
    case "number":
    case "bigint":
      return format === undefined ? String(value) : formatNumber(value, format);
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return "undefined";
    default:
      break;
  }
  if (value === null) return "null";
  if (value instanceof Date) {
    const time = value.getTime();
    if (Number.isNaN(time)) return "Invalid Date";
    return format === undefined ? value.toISOString() : formatDate(time, format, false);
  }
  if (value instanceof CapturedError) {
    return json ? toJson(value) : `${value.name}: ${value.message}`;
  }
  if (json) return toJson(value);
  return renderStructure(value);
}

function renderStructure(value: CapturedValue): string {
  if (typeof value === "string") return quote(value);
  if (
    typeof value !== "object" ||
    value === null ||
    value instanceof Date ||
    value instanceof CapturedError
  ) {
    return renderValue(value, undefined, true, false);
  }
  if (Array.isArray(value)) {
    return `[${(value as readonly CapturedValue[]).map(renderStructure).join(", ")}]`;
  }
  const entries = Object.keys(value).map(
    (key) => `${key}: ${renderStructure((value as Record<string, CapturedValue>)[key])}`,
  );
  return entries.length === 0 ? "{}" : `{ ${entries.join(", ")} }`;
}

function quote(text: string): string {
  return text.includes('"') || text.includes("\\")
    ? `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`
    : `"${text}"`;
}
