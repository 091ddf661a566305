import { types } from "node:util";
import { captureErrorAt, isErrorLike } from "./capture-error.ts";
import {
  createRecord,
  isArrayIndex,
  prepareElements,
  useSparseElements,
  wantsSparseElements,
} from "./captured-record.ts";

export { captureError } from "./capture-error.ts";

import { invalidOption, positiveIntegerOption as positiveInteger } from "./errors.ts";
import type { CapturedError, CapturedObject, CapturedValue, LogEvent } from "./log-event.ts";
import { CapturedError as CapturedErrorClass } from "./log-event.ts";
import type { MessageTemplate } from "./message-template.ts";
import {
  applyCensor,
  type CompiledRedaction,
  compileRedaction,
  isRedacted,
  type RedactionOptions,
} from "./redaction.ts";
import {
  bigintSize,
  lastMembers,
  retainedKeyBytesAt,
  retainedMemberBytes,
  retainedNumberBytes,
  retainedStringBytes,
  retainedValueBytes,
} from "./retained-size.ts";

/**
 * Limits and redaction applied when a logging call's properties are captured.
 *
 * @example
 * ```ts
 * createLogger({ sinks: [sink], capture: { maxDepth: 4, redact: { keys: ["password"] } } });
 * ```
 */
export interface CaptureOptions {
  /**
   * How many levels of nested objects and arrays are kept below a property; deeper ones become
   * `"[Depth limit]"`.
   * @default 6
   */
  readonly maxDepth?: number;
  /**
   * The longest string kept, in UTF-16 code units; longer ones (a message used as the template
   * too) are cut, as a copy that does not keep the original alive, and end with
   * `…[truncated N chars]`.
   * @default 16384
   */
  readonly maxStringLength?: number;
  /**
   * How many items of an array, Set, Map or typed array, and keys of an object, are kept; also
   * how many properties an event keeps from all its sources together (the nearest win). The
   * rest is summarised: a last array item `"[… N more items]"`, or an extra key `"…"` whose value
   * is `"[N more keys]"`.
   * @default 256
   */
  readonly maxCollectionLength?: number;
  /**
   * An upper bound on an event's estimated serialized size ({@link estimateEventBytes}), counting
   * its template, error and properties from every source together. Capture stops walking a value
   * once it passes this (the value becomes `"[Too large: more than N bytes]"`), and past it the
   * largest properties are replaced by `"[Too large: N bytes]"` until the event fits.
   * @default 262144
   */
  readonly maxEventBytes?: number;
  /**
   * Values to hide at capture.
   * @default undefined (nothing hidden)
   */
  readonly redact?: RedactionOptions;
}

/** Capture options validated and completed with their defaults, ready for the hot path. */
export interface ResolvedCaptureOptions {
  /** See {@link CaptureOptions.maxDepth}. */
  readonly maxDepth: number;
  /** See {@link CaptureOptions.maxStringLength}. */
  readonly maxStringLength: number;
  /** See {@link CaptureOptions.maxCollectionLength}. */
  readonly maxCollectionLength: number;
  /** See {@link CaptureOptions.maxEventBytes}. */
  readonly maxEventBytes: number;
  /** The compiled redaction, `undefined` when nothing is hidden (the hot path then skips it). */
  readonly redaction: CompiledRedaction | undefined;
}

/** The capture options used when none are given. */
export const defaultCaptureOptions: ResolvedCaptureOptions = Object.freeze({
  maxDepth: 6,
  maxStringLength: 16_384,
  maxCollectionLength: 256,
  maxEventBytes: 262_144,
  redaction: undefined,
});

/**
 * Validates capture options and fills in the defaults. Call once, at construction.
 *
 * @param options the user's options.
 * @returns a frozen, complete set of options.
 * @throws LoggingError `invalid_option` for a bad value.
 */
export function resolveCaptureOptions(options?: CaptureOptions): ResolvedCaptureOptions {
  if (options === undefined) return defaultCaptureOptions;
  if (typeof options !== "object" || options === null) {
    throw invalidOption("capture", "an object", options);
  }
  return Object.freeze({
    maxDepth: positiveInteger("maxDepth", options.maxDepth, defaultCaptureOptions.maxDepth),
    maxStringLength: positiveInteger(
      "maxStringLength",
      options.maxStringLength,
      defaultCaptureOptions.maxStringLength,
    ),
    maxCollectionLength: positiveInteger(
      "maxCollectionLength",
      options.maxCollectionLength,
      defaultCaptureOptions.maxCollectionLength,
    ),
    maxEventBytes: positiveInteger(
      "maxEventBytes",
      options.maxEventBytes,
      defaultCaptureOptions.maxEventBytes,
    ),
    redaction: compileRedaction(options.redact),
  });
}

/** Marker for a value that refers back to one of its own containers. */
export const circularMarker = "[Circular]";
/** Marker for a value nested deeper than `maxDepth`. */
export const depthLimitMarker = "[Depth limit]";

/** The key under which a non-object `properties` argument is kept. */
export const nonObjectPropertiesKey = "@properties";

/** @internal builds the marker for a value whose reading threw. */
export function throwsMarker(error: unknown): string {
  return `[Throws: ${cutString(describeThrown(error), thrownDescriptionLength)}]`;
}

// A thrown value's description is a marker, not data: a few lines of it say what went wrong.
const thrownDescriptionLength = 1024;

/** @internal a short description of a thrown value that never throws itself. */
export function describeThrown(error: unknown): string {
  try {
    if (error !== null && typeof error === "object" && "message" in error) {
      const message = (error as { message: unknown }).message;
      if (typeof message === "string") return message;
    }
    return String(error);
  } catch {
    return "unreadable error";
  }
}

/** @internal cuts a string to the limit, saying how much was cut. */
export function truncateString(value: string, options: ResolvedCaptureOptions): string {
  // The test is repeated here so that the common case, nothing to cut, is inlined where it is
  // called, where the call to cutString is not (its cutting path is too large).
  const max = options.maxStringLength;
  return value.length <= max ? value : cutString(value, max);
}

function cutString(value: string, max: number): string {
  if (value.length <= max) return value;
  // `slice` shares the source's storage and keeps all of it alive (a cut 200,000-character error
  // message would hold its 400 KB); `join` copies the kept part into a string of its own.
  return [value.slice(0, max), `…[truncated ${value.length - max} chars]`].join("");
}

/**
 * @internal the text a logging call's template argument is parsed from: a string cut like any
 * other (a message built from data can be megabytes long), anything else in its string form.
 */
export function templateText(template: unknown, options: ResolvedCaptureOptions): string {
  if (typeof template === "string") return truncateString(template, options);
  try {
    return truncateString(String(template), options);
  } catch (error) {
    return throwsMarker(error);
  }
}

/**
 * @internal the state of one capture: the containers being walked (to detect cycles) and the
 * estimated size of what was captured, which the walk keeps under `limit`. Sizes are counted as
 * {@link estimateValueBytes} counts them, so one walk both copies a value and prices it.
 */
export class CaptureWalk {
  /** The containers from the root to the value being captured. */
  readonly ancestors: unknown[] = [];
  /** Estimated bytes of everything this walk captured, cut parts included. */
  bytes = 0;
  /** Past this many bytes the walk stops: loops end and the rest is summarised. */
  limit: number;

  /** @param limit the byte bound. */
  constructor(limit: number) {
    this.limit = limit;
  }
}

/** Marker for what a capture left out once its byte budget was spent. */
export const budgetMarker = "[Too large]";

/** @internal the marker for a value whose capture passed `limit` estimated bytes. */
export function tooLargeMarker(limit: number): string {
  return `[Too large: more than ${Math.max(0, limit)} bytes]`;
}

function functionMarker(value: Function): string {
  let name = "";
  try {
    name = typeof value.name === "string" ? value.name : "";
  } catch {
    // A throwing `name` getter leaves the function anonymous in the output.
  }
  return `[Function ${name === "" ? "(anonymous)" : name}]`;
}

function safeString(value: unknown, options: ResolvedCaptureOptions): string {
  try {
    return truncateString(String(value), options);
  } catch (error) {
    return throwsMarker(error);
  }
}

/** @internal adds a captured leaf's estimated size to the walk and returns it. */
export function charge<Value extends CapturedValue>(walk: CaptureWalk, value: Value): Value {
  walk.bytes += estimateValueBytes(value);
  return value;
}

/**
 * Captures one value: a deep snapshot as plain data that later changes to `value` cannot reach.
 *
 * - Primitives are kept, and String, Number and Boolean objects become the primitive they hold;
 *   a symbol becomes its description `Symbol(x)`, a function `[Function name]`; long strings are
 *   cut (`maxStringLength`); a bigint of more than a thousand digits becomes
 *   `"[BigInt of about N digits]"` (`"[BigInt of more than 315652 digits]"` past 2^20 bits).
 * - A `Date` is copied (`"Invalid Date"` when invalid); errors become {@link CapturedError}.
 * - Arrays and Sets become arrays; Maps become records (inheriting nothing) with stringified keys;
 *   typed arrays, Buffers and DataViews become arrays of their numbers; an ArrayBuffer becomes
 *   `"[ArrayBuffer N bytes]"`.
 * - Other objects: their `toJSON()` result when they have one, else their own enumerable string
 *   keys, in a new record that inherits nothing (so `__proto__` is ordinary data).
 * - Cycles give `"[Circular]"`, nesting past `maxDepth` `"[Depth limit]"`, and a throwing
 *   getter, `toJSON`, `toString` or Proxy trap `"[Throws: message]"` for that value. Never throws.
 * - The walk stops once what it captured passes `maxEventBytes` (estimated as by
 *   {@link estimateEventBytes}), and the value becomes `"[Too large: more than N bytes]"`: one
 *   capture costs time and memory in proportion to the limits, however many references a value
 *   shares (an array of 256 references to one array of 256 ... is millions of paths).
 *
 * Captured objects and arrays are not frozen (the types are readonly already, and freezing
 * costs time on every call).
 *
 * @param value anything.
 * @param options resolved capture options.
 * @returns the captured value.
 */
export function captureValue(value: unknown, options: ResolvedCaptureOptions): CapturedValue {
  const type = typeof value;
  if (type === "string") return truncateString(value as string, options);
  if (type === "number" || type === "boolean" || value == null) return value as CapturedValue;
  if (type === "bigint") return boundBigint(value as bigint);
  const walk = new CaptureWalk(options.maxEventBytes);
  const captured = captureSafely(value, options, 0, walk, undefined);
  return walk.bytes > walk.limit ? tooLargeMarker(walk.limit) : captured;
}

/**
 * @internal the recursive worker. `walk` holds the containers being captured (for cycle
 * detection) and the byte budget; `path` is the key path from the properties root, kept only
 * when redaction paths are configured.
 */
export function captureAt(
  value: unknown,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedValue {
  if (walk.bytes > walk.limit) return budgetMarker;
  switch (typeof value) {
    case "string":
      return charge(walk, truncateString(value, options));
    case "number":
    case "boolean":
    case "undefined":
      return charge(walk, value);
    case "bigint":
      return charge(walk, boundBigint(value));
    case "symbol":
      return charge(walk, truncateString(value.toString(), options));
    case "function":
      return charge(walk, functionMarker(value));
  }
  if (value === null) return charge(walk, null);
  const object = value as object;
  if (object instanceof Date) {
    const time = object.getTime();
    return charge(walk, Number.isNaN(time) ? "Invalid Date" : new Date(time));
  }
  const ancestors = walk.ancestors;
  if (ancestors.includes(object)) return charge(walk, circularMarker);
  if (isErrorLike(object) || object instanceof CapturedErrorClass) {
    return captureErrorAt(object, options, depth, walk, path);
  }
  if (depth >= options.maxDepth) return charge(walk, depthLimitMarker);
  ancestors.push(object);
  try {
    return captureStructure(object, options, depth, walk, path);
  } catch (error) {
    return charge(walk, throwsMarker(error));
  } finally {
    ancestors.pop();
  }
}

function captureStructure(
  object: object,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedValue {
  if (Array.isArray(object)) return captureList(object, object.length, options, depth, walk, path);
  if (object instanceof Map) return captureMap(object, options, depth, walk, path);
  if (object instanceof Set) return captureList(object, object.size, options, depth, walk, path);
  if (ArrayBuffer.isView(object)) {
    const view =
      object instanceof DataView
        ? new Uint8Array(object.buffer, object.byteOffset, object.byteLength)
        : (object as unknown as ArrayLike<number | bigint>);
    return captureNumbers(view, options, walk);
  }
  if (object instanceof ArrayBuffer) {
    return charge(walk, `[ArrayBuffer ${object.byteLength} bytes]`);
  }
  // A String object lists every character as a key: it is captured as the string it wraps.
  if (isWrapperObject(object)) return captureAt(unwrap(object), options, depth, walk, path);
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    let json: unknown;
    try {
      json = toJSON.call(object, "");
    } catch (error) {
      return charge(walk, throwsMarker(error));
    }
    // The result is captured in place of the object, at the same depth.
    if (json === object) return captureObject(object, options, depth, walk, path);
    return captureAt(json, options, depth, walk, path);
  }
  return captureObject(object, options, depth, walk, path);
}

/** Whether a value is a String, Number or Boolean object, of this realm or another. */
function isWrapperObject(object: object): boolean {
  if (object instanceof String || object instanceof Number || object instanceof Boolean) {
    return (
      types.isStringObject(object) || types.isNumberObject(object) || types.isBooleanObject(object)
    );
  }
  // Objects of this realm that are not wrappers skip the engine call; another realm's are not
  // instances of this realm's Object.
  return (
    !(object instanceof Object) &&
    (types.isStringObject(object) || types.isNumberObject(object) || types.isBooleanObject(object))
  );
}

/** The primitive a wrapper object holds, read from its internal slot (no overridable method). */
function unwrap(object: object): string | number | boolean {
  if (types.isStringObject(object)) return String.prototype.valueOf.call(object);
  if (types.isNumberObject(object)) return Number.prototype.valueOf.call(object);
  return Boolean.prototype.valueOf.call(object);
}

// A bigint is kept up to a thousand decimal digits; past that, writing it costs time in
// proportion to the square of its length, and it would outweigh the event it sits in.
const bigintLimit = 10n ** 1000n;
const negativeBigintLimit = -bigintLimit;
// Its size is counted up to 2^20 bits (315,653 digits, a fraction of a millisecond); past that,
// counting costs time in proportion to its length, and only the bound is given.
const countedBits = 2 ** 20;
const countedDigits = Math.floor(countedBits * Math.log10(2));

/** A bigint as it is captured: itself, or a marker saying its size when too long. */
function boundBigint(value: bigint): bigint | string {
  if (value < bigintLimit && value > negativeBigintLimit) return value;
  // Truncating to a fixed width costs time in proportion to that width, whatever the value's.
  if (BigInt.asIntN(countedBits + 1, value) !== value) {
    return `[BigInt of more than ${countedDigits} digits]`;
  }
  // Hexadecimal digits come from the bits directly (linear time, unlike decimal ones); each is
  // worth log10(16) decimal digits.
  const magnitude = value < 0n ? -value : value;
  const digits = Math.round(magnitude.toString(16).length * Math.log10(16));
  return `[BigInt of about ${digits} digits]`;
}

function moreItemsMarker(walk: CaptureWalk, count: number): string {
  const marker = `[… ${count} more items]`;
  walk.bytes += marker.length + 3;
  return marker;
}

/** @internal the `"…"` entry's value for keys left out, charged to the walk. */
export function moreKeysMarker(walk: CaptureWalk, count: number): string {
  const marker = `[${count} more keys]`;
  walk.bytes += marker.length + 7;
  return marker;
}

function captureNumbers(
  view: ArrayLike<number | bigint>,
  options: ResolvedCaptureOptions,
  walk: CaptureWalk,
): CapturedValue[] {
  const length = view.length;
  const kept = Math.min(length, options.maxCollectionLength);
  const result: CapturedValue[] = [];
  walk.bytes += 2;
  let index = 0;
  for (; index < kept && walk.bytes <= walk.limit; index++) {
    result.push(charge(walk, view[index]));
    walk.bytes += 1;
  }
  if (index < length) result.push(moreItemsMarker(walk, length - index));
  return result;
}

function captureList(
  items: Iterable<unknown> & object,
  length: number,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedValue[] {
  const max = options.maxCollectionLength;
  const result: CapturedValue[] = [];
  const redaction = options.redaction;
  walk.bytes += 2;
  let index = 0;
  if (Array.isArray(items) && redaction === undefined && path === undefined) {
    const kept = Math.min(length, max);
    for (; index < kept && walk.bytes <= walk.limit; index++) {
      const item: unknown = items[index];
      result.push(
        typeof item === "number" || typeof item === "boolean" || item == null
          ? charge(walk, item as CapturedValue)
          : captureSafely(item, options, depth + 1, walk, undefined),
      );
      walk.bytes += 1;
    }
  } else {
    for (const item of items) {
      if (index >= max || walk.bytes > walk.limit) break;
      const key = String(index);
      result.push(captureEntry(key, item, options, depth, walk, path, redaction));
      walk.bytes += 1;
      index++;
    }
  }
  if (length > index) result.push(moreItemsMarker(walk, length - index));
  return result;
}

function captureMap(
  map: Map<unknown, unknown>,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedObject {
  const result: Record<string, CapturedValue> = createRecord();
  const max = options.maxCollectionLength;
  walk.bytes += 2;
  let count = 0;
  for (const [rawKey, item] of map) {
    if (count >= max || walk.bytes > walk.limit) break;
    const key =
      typeof rawKey === "string"
        ? rawKey
        : typeof rawKey === "object" && rawKey !== null
          ? safeString(rawKey, options)
          : String(captureAt(rawKey, options, depth + 1, walk, undefined));
    walk.bytes += key.length + 4;
    // A map's keys come in its own order, not with indices first: each is looked at.
    if (isArrayIndex(key) && wantsSparseElements(Number(key), count + 1)) useSparseElements(result);
    result[key] = captureEntry(key, item, options, depth, walk, path, options.redaction);
    count++;
  }
  if (map.size > count) result["…"] = moreKeysMarker(walk, map.size - count);
  return result;
}

function captureObject(
  object: object,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedObject {
  const keys = Object.keys(object);
  const result: Record<string, CapturedValue> = createRecord();
  if (keys.length !== 0 && (keys[0] as string).charCodeAt(0) <= 57) prepareElements(result, keys);
  const redaction = options.redaction;
  const length = keys.length;
  const kept = Math.min(length, options.maxCollectionLength);
  if (redaction === undefined && path === undefined) {
    const start = walk.bytes;
    walk.bytes += 2;
    let index = 0;
    try {
      // Fast path: no try/catch per key; a throwing getter sends the object to the careful loop.
      for (; index < kept && walk.bytes <= walk.limit; index++) {
        const key = keys[index] as string;
        const item: unknown = (object as Record<string, unknown>)[key];
        walk.bytes += key.length + 4;
        result[key] =
          typeof item === "number" || typeof item === "boolean" || item == null
            ? charge(walk, item as CapturedValue)
            : captureSafely(item, options, depth + 1, walk, undefined);
      }
    } catch {
      walk.bytes = start;
      return captureObjectCarefully(object, keys, kept, options, depth, walk, path);
    }
    if (length > index) result["…"] = moreKeysMarker(walk, length - index);
    return result;
  }
  return captureObjectCarefully(object, keys, kept, options, depth, walk, path);
}

function captureObjectCarefully(
  object: object,
  keys: string[],
  kept: number,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedObject {
  const result: Record<string, CapturedValue> = createRecord();
  walk.bytes += 2;
  captureKeys(object, keys, kept, result, undefined, options, depth, walk, path);
  return result;
}

/**
 * @internal captures the first `kept` of `keys` of `object` into `into`, one try per key (a
 * throwing getter gives a marker for that key only), skipping names in `skip`, and marks the
 * keys left out past the collection limit or the walk's byte budget.
 */
export function captureKeys(
  object: object,
  keys: readonly string[],
  kept: number,
  into: Record<string, CapturedValue>,
  skip: ReadonlySet<string> | undefined,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): void {
  if (kept !== 0 && (keys[0] as string).charCodeAt(0) <= 57) prepareElements(into, keys, kept);
  let index = 0;
  for (; index < kept && walk.bytes <= walk.limit; index++) {
    const key = keys[index] as string;
    if (skip?.has(key)) continue;
    walk.bytes += key.length + 4;
    let item: unknown;
    try {
      item = (object as Record<string, unknown>)[key];
    } catch (error) {
      into[key] = charge(walk, throwsMarker(error));
      continue;
    }
    into[key] = captureEntry(key, item, options, depth, walk, path, options.redaction);
  }
  if (keys.length > index) into["…"] = moreKeysMarker(walk, keys.length - index);
}

/** @internal `captureAt`, with anything it throws turned into a marker value. */
function captureSafely(
  item: unknown,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedValue {
  try {
    return captureAt(item, options, depth, walk, path);
  } catch (error) {
    return charge(walk, throwsMarker(error));
  }
}

/** @internal captures one keyed child, applying redaction when configured. */
export function captureEntry(
  key: string,
  item: unknown,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
  redaction: CompiledRedaction | undefined,
): CapturedValue {
  if (redaction === undefined) return captureSafely(item, options, depth + 1, walk, undefined);
  const childPath = path === undefined ? undefined : [...path, key];
  if (isRedacted(redaction, key, childPath)) {
    const replacement = applyCensor(redaction, item, childPath ?? [key]);
    return captureSafely(replacement, { ...options, redaction: undefined }, 0, walk, undefined);
  }
  return captureSafely(item, options, depth + 1, walk, childPath);
}

/**
 * @internal the estimated size of the last {@link captureRecord}'s result, its key count (the
 * `"…"` marker included) and the heap bytes its values retain (see `retainedValueBytes`), so
 * that the logger can bound the merged event, and price it for the sinks that hold it, without
 * walking it again. Written at the end of each capture, after every getter it called has
 * returned.
 */
export const lastCapture: { bytes: number; keys: number; retained: number } = {
  bytes: 0,
  keys: 0,
  retained: 0,
};

/**
 * Captures a logging call's properties into a new record (inheriting nothing) that no later
 * change to `properties` (at any depth) can reach. Each property is captured by {@link captureValue}
 * (the properties object itself does not count towards `maxDepth`); a property named by a
 * `{$Name}` hole is captured as `String(value)`. Redaction applies here: `paths` start at this
 * root. The event's estimated size (template included) is kept within `maxEventBytes`: a property
 * whose capture alone passes it becomes `"[Too large: more than N bytes]"` as soon as it does
 * (the walk stops there), then the largest properties are replaced by `"[Too large: N bytes]"`
 * until the event fits.
 *
 * An array works as properties (`{0}` binds to key `"0"`); past `maxCollectionLength` items only
 * its first indices are read, the rest counted in the `"…"` key. `undefined` and `null` give an
 * empty object; any other non-object value, an Error, a typed array or DataView, or a String,
 * Number or Boolean object is kept under the key `"@properties"`, captured as by
 * {@link captureValue}.
 * The result is not frozen: the logger adds bound, context and enricher properties to it.
 * Never throws.
 *
 * @param properties the call's properties argument.
 * @param template the parsed template, for its `{$Name}` hints; `undefined` when none.
 * @param options resolved capture options.
 * @returns the captured properties.
 */
export function captureProperties(
  properties: unknown,
  template: MessageTemplate | undefined,
  options: ResolvedCaptureOptions,
): Record<string, CapturedValue> {
  return captureRecord(properties, template, options, 0);
}

/**
 * @internal {@link captureProperties} for an event that already holds `reservedBytes` (its
 * error); sets {@link lastCapture}.
 */
export function captureRecord(
  properties: unknown,
  template: MessageTemplate | undefined,
  options: ResolvedCaptureOptions,
  reservedBytes: number,
): Record<string, CapturedValue> {
  const result: Record<string, CapturedValue> = createRecord();
  lastCapture.bytes = 2;
  lastCapture.keys = 0;
  lastCapture.retained = 0;
  if (properties == null) return result;
  const fixedBytes = eventFixedBytes(template) + reservedBytes;
  if (
    (typeof properties !== "object" && typeof properties !== "function") ||
    isKeptWhole(properties)
  ) {
    result[nonObjectPropertiesKey] = captureValue(properties, options);
    finishRecord(result, fixedBytes, estimateValueBytes(result), 1, -1, options);
    return result;
  }
  const redaction = options.redaction;
  let keys: string[];
  // Keys counted but not listed: the indices of a long array past the limit.
  let unlisted = 0;
  try {
    // Listing an array's keys costs time in proportion to its length: past the limit only its
    // first indices are read.
    if (Array.isArray(properties) && properties.length > options.maxCollectionLength) {
      keys = leadingIndices(properties, options.maxCollectionLength);
      unlisted = properties.length - options.maxCollectionLength;
    } else {
      keys = Object.keys(properties);
    }
  } catch (error) {
    result[nonObjectPropertiesKey] = throwsMarker(error);
    finishRecord(result, fixedBytes, estimateValueBytes(result), 1, -1, options);
    return result;
  }
  if (keys.length === 0 && isWrapperObject(properties)) {
    result[nonObjectPropertiesKey] = captureValue(properties, options);
    finishRecord(result, fixedBytes, estimateValueBytes(result), 1, -1, options);
    return result;
  }
  const length = keys.length + unlisted;
  const kept = Math.min(keys.length, options.maxCollectionLength);
  // Paths are tracked whenever redaction is on: path rules and censor functions need them.
  const usePaths = redaction !== undefined;
  // Scalars are priced from the loop (an upper bound of their estimate); other values by the walk
  // that captures them, which stops at the event's budget: no value is walked twice.
  const budget = Math.max(0, options.maxEventBytes - fixedBytes);
  let walk: CaptureWalk | undefined;
  let bytes = 2;
  // The heap the values retain, priced as the loop goes, for sinks that hold events.
  let retained = 0;
  const source = properties as Record<string, unknown>;
  for (let index = 0; index < kept; index++) {
    const name = keys[index] as string;
    // A name made from data (a query's parameters spread into the call) can be as long as any
    // value: it is cut like one, so the event stays within its bounds.
    const key = name.length > options.maxStringLength ? truncateString(name, options) : name;
    // Array indices are listed first, and digits sort below letters: one comparison lets every
    // ordinary record by (prepareElements looks closer).
    if (index === 0 && name.charCodeAt(0) <= 57) prepareElements(result, keys, kept);
    retained += retainedKeyBytesAt(key, index);
    let item: unknown;
    try {
      // The first keys are read and stored through sites of their own, one per position: a site
      // that sees one name (one call site's) keeps its access monomorphic, where the loop's one
      // site goes megamorphic at once and takes V8's generic path for every key (measured).
      item =
        index === 0
          ? source[name]
          : index === 1
            ? source[name]
            : index === 2
              ? source[name]
              : index === 3
                ? source[name]
                : source[name];
    } catch (error) {
      const marker = throwsMarker(error);
      result[key] = marker;
      bytes += key.length + marker.length + 6;
      retained += retainedStringBytes(marker);
      continue;
    }
    let flatBytes = -1;
    if (typeof item === "number" || typeof item === "boolean" || item == null) {
      if (redaction === undefined || !isRedacted(redaction, key, usePaths ? [key] : undefined)) {
        flatBytes = key.length + 32;
        if (typeof item === "number") retained += retainedNumberBytes(item);
      }
    } else if (
      typeof item === "string" &&
      redaction === undefined &&
      item.length <= options.maxStringLength
    ) {
      flatBytes = key.length + item.length * 2 + 32;
      retained += retainedStringBytes(item);
    }
    if (flatBytes >= 0) {
      const value = item as CapturedValue;
      if (index === 0) result[key] = value;
      else if (index === 1) result[key] = value;
      else if (index === 2) result[key] = value;
      else if (index === 3) result[key] = value;
      else result[key] = value;
      bytes += flatBytes;
      continue;
    }
    if (walk === undefined) {
      // Every property gets the whole budget; all of them together get twice that, so a call
      // with many huge values costs no more than two events' worth of walking.
      walk = new CaptureWalk(0);
      walk.ancestors.push(properties);
    }
    const start = walk.bytes;
    walk.limit = Math.min(start + budget, 2 * budget);
    const captured = captureEntry(
      key,
      item,
      options,
      -1,
      walk,
      usePaths ? [] : undefined,
      redaction,
    );
    if (walk.bytes > walk.limit) {
      const marker = tooLargeMarker(walk.bytes - start);
      result[key] = marker;
      bytes += key.length + marker.length + 6;
      retained += retainedStringBytes(marker);
    } else {
      result[key] = captured;
      bytes += key.length + 4 + walk.bytes - start;
      retained += retainedValueBytes(captured, 1);
    }
  }
  let count = kept;
  if (length > kept) {
    const marker = `[${length - kept} more keys]`;
    result["…"] = marker;
    bytes += 32;
    retained += retainedStringBytes(marker);
    count += 1;
  }
  if (
    template !== undefined &&
    hasStringifyHoles(template) &&
    applyStringifyHints(result, properties, template, options)
  ) {
    bytes = estimateValueBytes(result);
    retained = -1;
  }
  finishRecord(result, fixedBytes, bytes, count, retained, options);
  return result;
}

/**
 * Whether a properties argument is kept whole under {@link nonObjectPropertiesKey}: an error; a
 * typed array or DataView, as where it is nested (its keys are its items); a wrapper object, as
 * the primitive it holds.
 */
function isKeptWhole(properties: object): boolean {
  // The literal most calls pass pays three short prototype walks and a type check (reading its
  // prototype instead, or two more walks for Number and Boolean objects, measured slower): Number
  // and Boolean objects have no keys, and are recognised once none are found.
  if (properties instanceof Object) {
    return (
      properties instanceof Error || ArrayBuffer.isView(properties) || properties instanceof String
    );
  }
  // Another realm's objects are not instances of this realm's Object.
  return isErrorLike(properties) || ArrayBuffer.isView(properties) || isWrapperObject(properties);
}

/**
 * The first `count` indices of an array that hold an item (as `Object.keys` would list them), for
 * an array longer than `count`; the rest of its length is counted, not read.
 */
function leadingIndices(array: readonly unknown[], count: number): string[] {
  const keys: string[] = [];
  for (let index = 0; index < count; index++) if (index in array) keys.push(String(index));
  return keys;
}

/**
 * Bounds a captured record to the event budget and records its size in `lastCapture`; a
 * `retained` of -1 (or values replaced to fit the budget) has the record's values priced again.
 */
function finishRecord(
  result: Record<string, CapturedValue>,
  fixedBytes: number,
  bytes: number,
  keys: number,
  retained: number,
  options: ResolvedCaptureOptions,
): void {
  let fitted = retained;
  if (fixedBytes + bytes > options.maxEventBytes) {
    lastCapture.bytes = enforceEventBytes(result, fixedBytes, options);
    fitted = -1;
  } else {
    lastCapture.bytes = bytes;
  }
  if (fitted < 0) {
    lastCapture.retained = retainedMemberBytes(result, 0);
    // Fitting the budget may have taken out names made from data.
    lastCapture.keys = lastMembers.keys;
  } else {
    lastCapture.retained = fitted;
    lastCapture.keys = keys;
  }
}

// The last template asked about, and whether it has a `{$Name}` hole: calls come in runs of one
// template, and most templates have none, so most calls skip the walk over the holes.
let lastHintTemplate: MessageTemplate | undefined;
let lastHasStringify = false;

function hasStringifyHoles(template: MessageTemplate): boolean {
  if (template !== lastHintTemplate) {
    lastHintTemplate = template;
    lastHasStringify = template.properties.some((hole) => hole.capture === "stringify");
  }
  return lastHasStringify;
}

function applyStringifyHints(
  result: Record<string, CapturedValue>,
  properties: object,
  template: MessageTemplate,
  options: ResolvedCaptureOptions,
): boolean {
  const holes = template.properties;
  let changed = false;
  for (let index = 0; index < holes.length; index++) {
    const hole = holes[index];
    if (hole === undefined || hole.capture !== "stringify") continue;
    const name = hole.name;
    if (!Object.hasOwn(result, name)) continue;
    const captured = result[name];
    // A redacted value stays redacted.
    if (options.redaction !== undefined && isRedacted(options.redaction, name, [name])) continue;
    let raw: unknown;
    try {
      raw = (properties as Record<string, unknown>)[name];
    } catch {
      raw = captured;
    }
    result[name] = typeof raw === "symbol" ? raw.toString() : safeString(raw, options);
    changed = true;
  }
  return changed;
}

/**
 * @internal replaces the largest values of `result` by `"[Too large: N bytes]"` until the record
 * plus `fixedBytes` fits `maxEventBytes`. Walks the record: callers first check an upper bound.
 *
 * @returns the record's estimated size afterwards.
 */
export function enforceEventBytes(
  result: Record<string, CapturedValue>,
  fixedBytes: number,
  options: ResolvedCaptureOptions,
): number {
  let total = estimateValueBytes(result);
  if (fixedBytes + total <= options.maxEventBytes) return total;
  const sizes: [string, number, number][] = [];
  for (const key in result) sizes.push([key, estimateValueBytes(result[key]), sizes.length]);
  // Of equal sizes the later key goes first: merged events list the call's own properties before
  // bound and context ones, and the most specific values are the ones worth keeping.
  sizes.sort((left, right) => right[1] - left[1] || right[2] - left[2]);
  for (const [key, size] of sizes) {
    if (fixedBytes + total <= options.maxEventBytes) break;
    const marker = `[Too large: ${size} bytes]`;
    result[key] = marker;
    total += marker.length + 2 - size;
  }
  if (fixedBytes + total > options.maxEventBytes)
    total = dropLongNames(result, fixedBytes, options);
  return total;
}

// Names longer than this are most likely data, not a literal of the code that logs.
const literalNameLength = 64;
const moreKeysPattern = /^\[(\d+) more keys\]$/;

/** @internal how many keys a `"…"` entry's value says were left out (0 for anything else). */
export function moreKeysCount(value: CapturedValue): number {
  const match = typeof value === "string" ? moreKeysPattern.exec(value) : null;
  return match === null ? 0 : Number(match[1]);
}

/**
 * What is left when every value of an event is a marker and it is still too large: its names
 * made from data (each cut to `maxStringLength` already, but there may be many). They are taken
 * out, longest first, and counted in the `"…"` key until the event fits.
 *
 * @returns the record's estimated size afterwards.
 */
function dropLongNames(
  result: Record<string, CapturedValue>,
  fixedBytes: number,
  options: ResolvedCaptureOptions,
): number {
  const names = Object.keys(result).filter((key) => key !== "…" && key.length > literalNameLength);
  if (names.length === 0) return estimateValueBytes(result);
  names.sort((left, right) => right.length - left.length);
  let dropped = moreKeysCount(result["…"]);
  delete result["…"];
  let total = estimateValueBytes(result);
  for (const name of names) {
    if (fixedBytes + total + 24 <= options.maxEventBytes) break;
    total -= name.length + 4 + estimateValueBytes(result[name]);
    delete result[name];
    dropped += 1;
  }
  if (dropped > 0) result["…"] = `[${dropped} more keys]`;
  return estimateValueBytes(result);
}

const eventOverheadBytes = 64;

/** @internal the part of an event's estimate that does not depend on its properties. */
export function eventFixedBytes(template: MessageTemplate | undefined): number {
  return eventOverheadBytes + (template === undefined ? 0 : template.text.length * 2);
}

/**
 * Estimates the size in bytes of an event serialized as JSON: string lengths plus a fixed cost
 * per value, key and container. Cheap (one walk of the properties, no allocation) and
 * consistent, which is what byte budgets need; it is not the exact length of any formatter's
 * output.
 *
 * @param event a log event.
 * @returns the estimated size in bytes.
 */
export function estimateEventBytes(event: LogEvent): number {
  return (
    eventFixedBytes(event.template) +
    estimateValueBytes(event.properties) +
    (event.error === undefined ? 0 : estimateValueBytes(event.error))
  );
}

/** @internal the estimate of one captured value. */
export function estimateValueBytes(value: CapturedValue): number {
  switch (typeof value) {
    case "string":
      return value.length + 2;
    case "number":
      return 8;
    case "boolean":
      return 5;
    case "bigint":
      return estimateBigintBytes(value);
    case "undefined":
      return 4;
  }
  if (value === null) return 4;
  if (value instanceof Date) return 26;
  if (value instanceof CapturedErrorClass) return estimateErrorBytes(value);
  if (Array.isArray(value)) {
    let total = 2;
    for (let index = 0; index < value.length; index++)
      total += estimateValueBytes(value[index]) + 1;
    return total;
  }
  let total = 2;
  const object = value as CapturedObject;
  for (const key in object) total += key.length + 4 + estimateValueBytes(object[key]);
  return total;
}

// Bigints are kept up to a thousand digits, priced by size without writing them out.
const bigintWrittenBytes = [24, 104, 1004] as const;

function estimateBigintBytes(value: bigint): number {
  return bigintWrittenBytes[bigintSize(value)];
}

function estimateErrorBytes(error: CapturedError): number {
  let total = 40 + error.name.length + error.message.length + (error.stack?.length ?? 0);
  total += estimateValueBytes(error.fields);
  if (error.cause !== undefined) total += estimateValueBytes(error.cause) + 8;
  if (error.errors !== undefined) total += estimateValueBytes(error.errors) + 8;
  return total;
}
