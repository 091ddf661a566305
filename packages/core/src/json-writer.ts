import { CapturedError, type CapturedValue } from "./log-event.ts";

// Characters that JSON or a line-oriented reader cannot take as they are: controls, `"`, ``,
// U+0085 (NEL, a line break for Python's `splitlines` and other Unicode-aware readers),
// U+2028/U+2029 (line terminators for JavaScript and many log shippers) and every surrogate (a
// well-formed pair is kept, a lone one is escaped by the slow path).
const needsEscape = /[\u0000-\u001f"\\\u0085\u2028\u2029\ud800-\udfff]/;
const lineBreaks = /[\u0085\u2028\u2029]/;
const lineBreaksGlobal = /[\u0085\u2028\u2029]/g;

// The last short string found clean. A string in a message hole is checked twice per event, as a
// property and in the rendered message, and the second check is then one comparison. Short, so
// that neither keeping it nor comparing with it costs anything worth counting.
let lastClean = "";
const cleanMemoLength = 256;

/**
 * Writes a string as a JSON string literal, quotes included. Control characters, lone surrogates,
 * U+0085 (NEL), U+2028 and U+2029 are escaped, so the result is valid JSON on a single line for
 * every line reader.
 *
 * @param text any string.
 * @returns the quoted, escaped literal.
 * @example
 * ```ts
 * toJsonString('say "hi"\n'); // "\"say \\\"hi\\\"\\n\""
 * ```
 */
export function toJsonString(text: string): string {
  // The regex test covers the common case (measured: ~2x faster than JSON.stringify on short text).
  // biome-ignore lint/style/useTemplate: a template's `${}` converts through a call, even a string.
  if (isJsonClean(text)) return '"' + text + '"';
  // JSON.stringify escapes controls, quotes, backslashes and lone surrogates (well-formed
  // JSON.stringify); only the Unicode line breaks are left for us.
  const quoted = JSON.stringify(text);
  return lineBreaks.test(quoted) ? quoted.replace(lineBreaksGlobal, escapeLineBreak) : quoted;
}

/**
 * @internal whether a string goes into a JSON string literal as it is, with nothing to escape.
 *
 * @param text any string.
 * @returns `true` when `toJsonString(text)` is the text between two quotes.
 */
export function isJsonClean(text: string): boolean {
  if (text === lastClean) return true;
  if (needsEscape.test(text)) return false;
  if (text.length <= cleanMemoLength) lastClean = text;
  return true;
}

function escapeLineBreak(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * Writes a captured value as JSON. Numbers that JSON cannot hold (`NaN`, `Infinity`,
 * `-Infinity`) become strings, as Serilog writes them; a `bigint` becomes a bare number literal
 * with every digit; `undefined` becomes `null`; a `Date` its ISO-8601 string (`"Invalid Date"`
 * when invalid); a {@link CapturedError} an object with `name`, `message`, `stack`, its fields,
 * `cause` and `errors`.
 *
 * @param value a captured value (an event property).
 * @returns one line of valid JSON.
 * @example
 * ```ts
 * toJson({ id: 12345678901234567890n, tags: ["a"] }); // '{"id":12345678901234567890,"tags":["a"]}'
 * ```
 */
export function toJson(value: CapturedValue): string {
  // Tests, not a `switch` on `typeof`: the compiler folds each `typeof x === "..."` into a
  // type check, where a switch makes it build the type's name first.
  if (typeof value === "string") return toJsonString(value);
  if (typeof value === "number") return numberToJson(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "bigint") return value.toString();
  return value == null ? "null" : structureToJson(value);
}

/**
 * Writes a number as JSON: finite numbers as JavaScript prints them (`-0` as `0`), non-finite
 * ones as the strings `"NaN"`, `"Infinity"` and `"-Infinity"`.
 *
 * @param value a number.
 * @returns its JSON text.
 */
export function numberToJson(value: number): string {
  if (Number.isFinite(value)) return `${value}`;
  return value > 0 ? '"Infinity"' : value < 0 ? '"-Infinity"' : '"NaN"';
}

function structureToJson(value: object): string {
  if (Array.isArray(value)) {
    const items = value as readonly CapturedValue[];
    if (items.length === 0) return "[]";
    let text = `[${toJson(items[0])}`;
    for (let index = 1; index < items.length; index++) text += `,${toJson(items[index])}`;
    return `${text}]`;
  }
  if (value instanceof Date) return dateToJson(value);
  if (value instanceof CapturedError) return errorToJson(value, "name");
  return objectToJson(value as Readonly<Record<string, CapturedValue>>, "{", true);
}

function dateToJson(value: Date): string {
  const time = value.getTime();
  return Number.isNaN(time) ? '"Invalid Date"' : `"${value.toISOString()}"`;
}

/**
 * Writes the members of an object after `opening` and closes it.
 *
 * @param first whether no member has been written yet after `opening`.
 */
function objectToJson(
  value: Readonly<Record<string, CapturedValue>>,
  opening: string,
  first: boolean,
): string {
  let text = opening;
  let separator = first ? "" : ",";
  // Captured records inherit nothing enumerable, so `for...in` sees own keys only.
  for (const key in value) {
    text += `${separator}${toJsonString(key)}:${toJson(value[key])}`;
    separator = ",";
  }
  return `${text}}`;
}

/**
 * Writes a captured error as a JSON object.
 *
 * @param error the error.
 * @param nameKey the key of the error's name: `"name"`, or `"type"` as pino writes it.
 * @returns the object's JSON.
 */
export function errorToJson(error: CapturedError, nameKey: "name" | "type"): string {
  let text = `{"${nameKey}":${toJsonString(error.name)},"message":${toJsonString(error.message)}`;
  if (error.stack !== undefined) text += `,"stack":${toJsonString(error.stack)}`;
  if (error.cause !== undefined) text += `,"cause":${toJson(error.cause)}`;
  if (error.errors !== undefined) text += `,"errors":${toJson(error.errors)}`;
  return objectToJson(error.fields, text, false);
}
