import { flatten } from "./flat-string.ts";
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
// The last template looked up: a logging call in a loop or a burst repeats its template, and the
// same literal is the same string, so this hit costs a comparison instead of a hash lookup.
let lastSource: string | undefined;
let lastTemplate: MessageTemplate | undefined;

/**
 * Parses a message template (Serilog syntax). Total: every string parses, and a malformed hole is
 * kept as literal text, exactly as Serilog's parser does. Results are cached (bounded), so the
 * same text returns the same frozen object.
 *
 * @param text the template.
 * @returns the parsed template.
 * @example
 * ```ts
 * parseTemplate("Took {Elapsed,8:0.00} ms").properties[0];
 * // { kind: "property", name: "Elapsed", format: "0.00", alignment: { direction: "right", width: 8 }, ... }
 * ```
 */
export function parseTemplate(text: string): MessageTemplate {
  // The last template again, the common case, in a function small enough to be inlined where it
  // is called; the rest is a call away.
  if (text === lastSource) return lastTemplate as MessageTemplate;
  return parseOtherTemplate(text);
}

function parseOtherTemplate(text: string): MessageTemplate {
  const given = typeof text === "string" ? text : String(text);
  if (given === lastSource) return lastTemplate as MessageTemplate;
  const cached = cache.get(given);
  if (cached !== undefined) {
    lastSource = given;
    lastTemplate = cached;
    return cached;
  }
  // The caller's string may be a slice of a far larger one (a line cut out of a file read whole),
  // which V8 keeps alive with it: the cache would then hold megabytes while counting a few dozen
  // characters. The template keeps a copy of its own; the last-template check keeps the caller's
  // string (one string, and the same literal compares by identity).
  const source = ownCopy(given);
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
  lastSource = given;
  lastTemplate = template;
  return template;
}

/**
 * A copy of `text` that shares no storage with it: flattening a join allocates the joined text
 * anew, and a slice of that refers to the new text only.
 */
function ownCopy(text: string): string {
  return flatten(` ${text}`).slice(1);
}

function tokenize(source: string): TemplateToken[] {
  const tokens: TemplateToken[] = [];
  const length = source.length;
  // Text is taken as slices of the source between escapes, never built a character at a time: a
  // string grown by `+=` per character is a rope of tiny nodes that V8 keeps for as long as the
  // cached template lives (some 27 bytes per character, measured).
  let pieces: string[] | undefined;
  let runStart = 0;
  const emitText = (end: number): void => {
    if (pieces === undefined) {
      if (end > runStart)
        tokens.push(Object.freeze({ kind: "text", text: source.slice(runStart, end) }));
      return;
    }
    pieces.push(source.slice(runStart, end));
    tokens.push(Object.freeze({ kind: "text", text: pieces.join("") }));
    pieces = undefined;
  };
  let index = 0;
  while (index < length) {
    const code = source.charCodeAt(index);
    if (code !== 0x7b /* { */ && code !== 0x7d /* } */) {
      index += 1;
      continue;
    }
    if (source.charCodeAt(index + 1) === code) {
      // `{{` and `}}` stand for one brace: the run keeps the first and skips the second.
      if (pieces === undefined) pieces = [];
      pieces.push(source.slice(runStart, index + 1));
      runStart = index + 2;
      index += 2;
      continue;
    }
    if (code === 0x7d) {
      // A lone `}` is text.
      index += 1;
      continue;
    }
    // A hole runs to the next `}`, whatever lies between; without one, the rest is text.
    const close = source.indexOf("}", index + 1);
    if (close === -1) break;
    const raw = source.slice(index, close + 1);
    const token = toPropertyToken(raw);
    if (token !== undefined) {
      emitText(index);
      tokens.push(token);
      runStart = close + 1;
    }
    // A malformed hole stays in the text run exactly as written, escapes and all, as in Serilog.
    index = close + 1;
  }
  emitText(length);
  return tokens;
}

function toPropertyToken(raw: string): PropertyToken | undefined {
  const content = raw.slice(1, -1);
  if (content.length === 0) return undefined;
  const formatAt = content.indexOf(":");
  const alignmentAt = content.indexOf(",");
  let nameWithHint = content;
  // Any text but `}` is a valid format (Serilog 4): `{T:HH$mm}`, `{N:+##.0}`, `{A:x,10}`.
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
  if (!isPropertyName(name)) return undefined;
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

// Serilog's names: all digits (positional, or at least numeric), or identifiers joined by dots,
// each starting with a letter or `_` and going on with letters, digits and `_` (`User.Id`,
// `_1.a`). `{0a}`, `{.a}`, `{a.}` and `{a..b}` are text. Checked per UTF-16 unit, as .NET's
// `char` checks are.
function isPropertyName(name: string): boolean {
  const length = name.length;
  if (length === 0) return false;
  if (isDigit(name, 0)) {
    for (let index = 1; index < length; index++) if (!isDigit(name, index)) return false;
    return true;
  }
  let startsPart = true;
  for (let index = 0; index < length; index++) {
    const code = name.charCodeAt(index);
    if (code === 0x2e /* . */) {
      if (startsPart) return false;
      startsPart = true;
    } else if (code === 0x5f /* _ */ || isLetter(name, index)) {
      startsPart = false;
    } else if (startsPart || !isDigit(name, index)) {
      return false;
    }
  }
  return !startsPart;
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

// As .NET's `int.TryParse` with a leading sign allowed, `+` excepted: `-` then ASCII digits. A
// leading `-` aligns left (`-0` too); the width is the absolute value and may be zero.
function parseAlignment(text: string): Alignment | undefined {
  const left = text.charCodeAt(0) === 0x2d; /* - */
  const start = left ? 1 : 0;
  if (start === text.length) return undefined;
  for (let index = start; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x30 || code > 0x39) return undefined;
  }
  const width = Number(text.slice(start));
  // A width beyond 32 bits keeps the hole as text: .NET's parse fails on it, and on -2^31
  // Serilog's `Math.Abs` throws, which a total parser cannot copy.
  if (width > maximumInt32) return undefined;
  return Object.freeze({ direction: left ? "left" : "right", width });
}

const letter = /\p{L}/u;
const decimalDigit = /\p{Nd}/u;

function isLetter(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if ((code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a)) return true;
  return code > 0x7f && letter.test(text[index] as string);
}

function isDigit(text: string, index: number): boolean {
  const code = text.charCodeAt(index);
  if (code >= 0x30 && code <= 0x39) return true;
  return code > 0x7f && decimalDigit.test(text[index] as string);
}
