import { alignText, formatDate, formatNumber } from "./format-value.ts";
import { toJson } from "./json-writer.ts";
import { CapturedError, type CapturedProperties, type CapturedValue } from "./log-event.ts";
import type { MessageTemplate, PropertyToken } from "./message-template.ts";

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
 * renders as written, e.g. `{UserId}`. Never throws.
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
  let message = "";
  for (const token of template.tokens) {
    if (token.kind === "text") {
      message += token.text;
    } else if (token.name in properties) {
      message += renderPropertyValue(properties[token.name], token, options);
    } else {
      message += token.raw;
    }
  }
  return message;
}

/**
 * Renders one hole's value with the hole's format and alignment, as it appears in a message.
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
  const format = token.format;
  let quoteStrings = options?.quoteStrings ?? true;
  let json = options?.json ?? false;
  let valueFormat = format;
  if (format !== undefined && /^[lj]{1,2}$/.test(format)) {
    if (format.includes("l")) quoteStrings = false;
    if (format.includes("j")) json = true;
    valueFormat = undefined;
  }
  let text: string;
  try {
    text = renderValue(value, valueFormat, quoteStrings, json);
  } catch {
    text = "[Unrenderable]";
  }
  return alignText(text, token.alignment);
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
