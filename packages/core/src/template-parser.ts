import type {
  Alignment,
  CaptureHint,
  MessageTemplate,
  PropertyToken,
  TemplateToken,
} from "./message-template.ts";
import { templateId } from "./template-id.ts";

// Templates are usually string literals, so a few hundred distinct texts cover a program; the
// bounds keep templates built from user data (a mistake, but a common one) from leaking memory:
// an entry holds its text several times over (source, text tokens), so the cache is bounded in
// characters as well as entries, and a text longer than that bound is parsed but not kept.
const cacheLimit = 1000;
const cacheTextLimit = 512 * 1024;
const cache = new Map<string, MessageTemplate>();
let cachedTextLength = 0;

/**
 * Parses a message template (Serilog syntax). Total: every string parses, and a malformed hole is
 * kept as literal text, exactly as Serilog's parser does. Results are cached (bounded), so the
 * same text returns the same frozen object.
 *
 * @param text the template.
 * @returns the parsed template.
 * @example
 * ```ts
 * parseTemplate("Took {Elapsed:0.00,8} ms").properties[0];
 * // { kind: "property", name: "Elapsed", format: "0.00", alignment: { direction: "right", width: 8 }, ... }
 * ```
 */
export function parseTemplate(text: string): MessageTemplate {
  const source = typeof text === "string" ? text : String(text);
  const cached = cache.get(source);
  if (cached !== undefined) return cached;
  const tokens = tokenize(source);
  const template: MessageTemplate = Object.freeze({
    text: source,
    tokens: Object.freeze(tokens),
    properties: Object.freeze(
      tokens.filter((token): token is PropertyToken => token.kind === "property"),
    ),
    id: templateId(source),
  });
  if (source.length > cacheTextLimit) return template;
  while (cache.size >= cacheLimit || cachedTextLength + source.length > cacheTextLimit) {
    const oldest = cache.keys().next().value as string;
    cache.delete(oldest);
    cachedTextLength -= oldest.length;
  }
  cache.set(source, template);
  cachedTextLength += source.length;
  return template;
}

function tokenize(template: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  let pendingText = "";
  const flushText = (): void => {
    if (pendingText.length > 0) {
      tokens.push(Object.freeze({ kind: "text", text: pendingText }));
      pendingText = "";
    }
  };
  let index = 0;
  const length = template.length;
  while (index < length) {
    // Text up to the next hole, resolving `{{` and `}}`; a lone `}` is text.
    let text = "";
    while (index < length) {
      const character = template.charCodeAt(index);
      if (character === 0x7b /* { */) {
        if (template.charCodeAt(index + 1) === 0x7b) {
          text += "{";
          index += 2;
          continue;
        }
        break;
      }
      if (character === 0x7d /* } */ && template.charCodeAt(index + 1) === 0x7d) {
        text += "}";
        index += 2;
        continue;
      }
      text += template[index];
      index += 1;
    }
    pendingText += text;
    if (index >= length) break;
    const hole = parseHole(template, index);
    if (hole.token === undefined) {
      pendingText += template.slice(index, hole.next);
    } else {
      flushText();
      tokens.push(hole.token);
    }
    index = hole.next;
  }
  flushText();
  return tokens;
}

interface HoleResult {
  readonly token: PropertyToken | undefined;
  readonly next: number;
}

function parseHole(template: string, start: number): HoleResult {
  let index = start + 1;
  while (index < template.length && isValidInHole(template, index)) index++;
  if (index >= template.length || template.charCodeAt(index) !== 0x7d) {
    return { token: undefined, next: index };
  }
  const next = index + 1;
  const raw = template.slice(start, next);
  const content = raw.slice(1, -1);
  return { token: toPropertyToken(raw, content), next };
}

function toPropertyToken(raw: string, content: string): PropertyToken | undefined {
  if (content.length === 0) return undefined;
  const formatAt = content.indexOf(":");
  const alignmentAt = content.indexOf(",");
  let nameWithHint = content;
  let format: string | undefined;
  let alignmentText: string | undefined;
  if (formatAt !== -1 || alignmentAt !== -1) {
    if (alignmentAt === -1 || (formatAt !== -1 && alignmentAt > formatAt)) {
      nameWithHint = content.slice(0, formatAt);
      format = formatAt === content.length - 1 ? undefined : content.slice(formatAt + 1);
    } else {
      nameWithHint = content.slice(0, alignmentAt);
      if (formatAt === -1) {
        if (alignmentAt === content.length - 1) return undefined;
        alignmentText = content.slice(alignmentAt + 1);
      } else {
        if (alignmentAt === formatAt - 1) return undefined;
        alignmentText = content.slice(alignmentAt + 1, formatAt);
        format = formatAt === content.length - 1 ? undefined : content.slice(formatAt + 1);
      }
    }
  }
  let capture: CaptureHint = "default";
  let name = nameWithHint;
  const hint = name.charCodeAt(0);
  if (hint === 0x40 /* @ */) capture = "destructure";
  else if (hint === 0x24 /* $ */) capture = "stringify";
  if (capture !== "default") name = name.slice(1);
  if (name.length === 0) return undefined;
  for (let index = 0; index < name.length; index++) {
    if (!isValidInName(name, index)) return undefined;
  }
  if (format !== undefined) {
    for (let index = 0; index < format.length; index++) {
      if (!isValidInFormat(format, index)) return undefined;
    }
  }
  let alignment: Alignment | undefined;
  if (alignmentText !== undefined) {
    alignment = parseAlignment(alignmentText);
    if (alignment === undefined) return undefined;
  }
  return Object.freeze({
    kind: "property",
    name,
    capture,
    format,
    alignment,
    raw,
    position: positionOf(name),
  });
}

const maximumInt32 = 2147483647;

// A name of ASCII digits within the 32-bit range is positional, as Serilog decides it.
function positionOf(name: string): number | undefined {
  for (let index = 0; index < name.length; index++) {
    const code = name.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  const position = Number(name);
  return position <= maximumInt32 ? position : undefined;
}

function parseAlignment(text: string): Alignment | undefined {
  for (let index = 0; index < text.length; index++) {
    const character = text.charCodeAt(index);
    if (character !== 0x2d /* - */ && !(character >= 0x30 && character <= 0x39)) return undefined;
  }
  const lastDash = text.lastIndexOf("-");
  if (lastDash > 0) return undefined;
  const digits = lastDash === -1 ? text : text.slice(1);
  if (digits.length === 0) return undefined;
  const width = Number(digits);
  // The width is a 32-bit integer, as in Serilog; a larger one keeps the hole as text.
  if (width > maximumInt32 || width === 0) return undefined;
  return Object.freeze({ direction: lastDash === -1 ? "right" : "left", width });
}

const letterOrDigit = /[\p{L}\p{Nd}]/u;
const punctuation = /\p{P}/u;

function isAsciiLetterOrDigit(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a)
  );
}

function isValidInName(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (isAsciiLetterOrDigit(code) || code === 0x5f /* _ */) return true;
  return code > 0x7f && letterOrDigit.test(text[index] as string);
}

function isValidInFormat(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code === 0x7d /* } */) return false;
  if (isAsciiLetterOrDigit(code) || code === 0x20 || code === 0x2b /* + */) return true;
  const character = text[index] as string;
  return letterOrDigit.test(character) || punctuation.test(character);
}

function isValidInHole(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  // `@` and `$` hints, name characters, `:` and everything valid in a format (which covers `,`
  // and `-` of an alignment).
  return (
    code === 0x40 ||
    code === 0x24 ||
    code === 0x3a ||
    isValidInName(text, index) ||
    isValidInFormat(text, index)
  );
}
