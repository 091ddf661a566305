import { captureErrorAt, isErrorLike } from "./capture-error.ts";
import { createRecord } from "./captured-record.ts";

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
   * The longest string kept, in UTF-16 code units; longer ones are cut and end with
   * `…[truncated N chars]`.
   * @default 16384
   */
  readonly maxStringLength?: number;
  /**
   * How many items of an array, Set, Map or typed array, and keys of an object, are kept. The
   * rest is summarised: a last array item `"[… N more items]"`, or an extra key `"…"` whose value
   * is `"[N more keys]"`.
   * @default 256
   */
  readonly maxCollectionLength?: number;
  /**
   * An upper bound on an event's estimated serialized size ({@link estimateEventBytes}). Past it
   * the largest properties are replaced by `"[Too large: N bytes]"` until the event fits.
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
  return `[Throws: ${describeThrown(error)}]`;
}

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
  if (value.length <= options.maxStringLength) return value;
  return `${value.slice(0, options.maxStringLength)}…[truncated ${value.length - options.maxStringLength} chars]`;
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

/**
 * Captures one value: a deep snapshot as plain data that later changes to `value` cannot reach.
 *
 * - Primitives are kept (bigint included); a symbol becomes its description `Symbol(x)`, a
 *   function `[Function name]`; long strings are cut (`maxStringLength`).
 * - A `Date` is copied (`"Invalid Date"` when invalid); errors become {@link CapturedError}.
 * - Arrays and Sets become arrays; Maps become records (inheriting nothing) with stringified keys;
 *   typed arrays, Buffers and DataViews become arrays of their numbers; an ArrayBuffer becomes
 *   `"[ArrayBuffer N bytes]"`.
 * - Other objects: their `toJSON()` result when they have one, else their own enumerable string
 *   keys, in a new record that inherits nothing (so `__proto__` is ordinary data).
 * - Cycles give `"[Circular]"`, nesting past `maxDepth` `"[Depth limit]"`, and a throwing
 *   getter, `toJSON`, `toString` or Proxy trap `"[Throws: message]"` for that value. Never throws.
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
  if (type === "number" || type === "boolean" || type === "bigint" || value == null) {
    return value as CapturedValue;
  }
  return captureSafely(value, options, 0, [], undefined);
}

/**
 * @internal the recursive worker. `ancestors` holds the containers being captured (for cycle
 * detection); `path` is the key path from the properties root, kept only when redaction paths
 * are configured.
 */
export function captureAt(
  value: unknown,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedValue {
  switch (typeof value) {
    case "string":
      return truncateString(value, options);
    case "number":
    case "boolean":
    case "bigint":
    case "undefined":
      return value;
    case "symbol":
      return truncateString(value.toString(), options);
    case "function":
      return functionMarker(value);
  }
  if (value === null) return null;
  const object = value as object;
  if (object instanceof Date) {
    const time = object.getTime();
    return Number.isNaN(time) ? "Invalid Date" : new Date(time);
  }
  if (ancestors.includes(object)) return circularMarker;
  if (isErrorLike(object)) return captureErrorAt(object, options, depth, ancestors, path);
  if (depth >= options.maxDepth) return depthLimitMarker;
  ancestors.push(object);
  try {
    return captureStructure(object, options, depth, ancestors, path);
  } catch (error) {
    return throwsMarker(error);
  } finally {
    ancestors.pop();
  }
}

function captureStructure(
  object: object,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedValue {
  if (Array.isArray(object))
    return captureList(object, object.length, options, depth, ancestors, path);
  if (object instanceof Map) return captureMap(object, options, depth, ancestors, path);
  if (object instanceof Set)
    return captureList(object, object.size, options, depth, ancestors, path);
  if (ArrayBuffer.isView(object)) {
    const view =
      object instanceof DataView
        ? new Uint8Array(object.buffer, object.byteOffset, object.byteLength)
        : (object as unknown as ArrayLike<number | bigint>);
    return captureNumbers(view, options);
  }
  if (object instanceof ArrayBuffer) return `[ArrayBuffer ${object.byteLength} bytes]`;
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") {
    let json: unknown;
    try {
      json = toJSON.call(object, "");
    } catch (error) {
      return throwsMarker(error);
    }
    // The result is captured in place of the object, at the same depth.
    if (json === object) return captureObject(object, options, depth, ancestors, path);
    return captureAt(json, options, depth, ancestors, path);
  }
  return captureObject(object, options, depth, ancestors, path);
}

function captureNumbers(
  view: ArrayLike<number | bigint>,
  options: ResolvedCaptureOptions,
): CapturedValue[] {
  const length = view.length;
  const kept = Math.min(length, options.maxCollectionLength);
  const result: CapturedValue[] = new Array(kept);
  for (let index = 0; index < kept; index++) result[index] = view[index];
  if (kept < length) result.push(`[… ${length - kept} more items]`);
  return result;
}

function captureList(
  items: Iterable<unknown> & object,
  length: number,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedValue[] {
  const max = options.maxCollectionLength;
  const result: CapturedValue[] = [];
  const redaction = options.redaction;
  let index = 0;
  if (Array.isArray(items) && redaction === undefined && path === undefined) {
    const kept = Math.min(length, max);
    for (; index < kept; index++) {
      const item: unknown = items[index];
      result.push(
        typeof item === "number" || typeof item === "boolean" || item == null
          ? (item as CapturedValue)
          : captureSafely(item, options, depth + 1, ancestors, undefined),
      );
    }
  } else {
    for (const item of items) {
      if (index >= max) break;
      const key = String(index);
      result.push(captureEntry(key, item, options, depth, ancestors, path, redaction));
      index++;
    }
  }
  if (length > index) result.push(`[… ${length - index} more items]`);
  return result;
}

function captureMap(
  map: Map<unknown, unknown>,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedObject {
  const result: Record<string, CapturedValue> = createRecord();
  const max = options.maxCollectionLength;
  let count = 0;
  for (const [rawKey, item] of map) {
    if (count >= max) break;
    const key =
      typeof rawKey === "string"
        ? rawKey
        : typeof rawKey === "object" && rawKey !== null
          ? safeString(rawKey, options)
          : String(captureAt(rawKey, options, depth + 1, ancestors, undefined));
    result[key] = captureEntry(key, item, options, depth, ancestors, path, options.redaction);
    count++;
  }
  if (map.size > count) result["…"] = `[${map.size - count} more keys]`;
  return result;
}

function captureObject(
  object: object,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedObject {
  const keys = Object.keys(object);
  const result: Record<string, CapturedValue> = createRecord();
  const redaction = options.redaction;
  const length = keys.length;
  const kept = Math.min(length, options.maxCollectionLength);
  if (redaction === undefined && path === undefined) {
    try {
      // Fast path: no try/catch per key; a throwing getter sends the object to the careful loop.
      for (let index = 0; index < kept; index++) {
        const key = keys[index] as string;
        const item: unknown = (object as Record<string, unknown>)[key];
        result[key] =
          typeof item === "number" || typeof item === "boolean" || item == null
            ? (item as CapturedValue)
            : captureSafely(item, options, depth + 1, ancestors, undefined);
      }
    } catch {
      return captureObjectCarefully(object, keys, kept, options, depth, ancestors, path);
    }
    if (length > kept) result["…"] = `[${length - kept} more keys]`;
    return result;
  }
  return captureObjectCarefully(object, keys, kept, options, depth, ancestors, path);
}

function captureObjectCarefully(
  object: object,
  keys: string[],
  kept: number,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedObject {
  const result: Record<string, CapturedValue> = createRecord();
  captureKeys(object, keys, kept, result, undefined, options, depth, ancestors, path);
  return result;
}

/**
 * @internal captures the first `kept` of `keys` of `object` into `into`, one try per key (a
 * throwing getter gives a marker for that key only), skipping names in `skip`, and marks the
 * keys left out past the collection limit.
 */
export function captureKeys(
  object: object,
  keys: readonly string[],
  kept: number,
  into: Record<string, CapturedValue>,
  skip: ReadonlySet<string> | undefined,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): void {
  for (let index = 0; index < kept; index++) {
    const key = keys[index] as string;
    if (skip?.has(key)) continue;
    let item: unknown;
    try {
      item = (object as Record<string, unknown>)[key];
    } catch (error) {
      into[key] = throwsMarker(error);
      continue;
    }
    into[key] = captureEntry(key, item, options, depth, ancestors, path, options.redaction);
  }
  if (keys.length > kept) into["…"] = `[${keys.length - kept} more keys]`;
}

/** @internal `captureAt`, with anything it throws turned into a marker value. */
function captureSafely(
  item: unknown,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedValue {
  try {
    return captureAt(item, options, depth, ancestors, path);
  } catch (error) {
    return throwsMarker(error);
  }
}

/** @internal captures one keyed child, applying redaction when configured. */
export function captureEntry(
  key: string,
  item: unknown,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
  redaction: CompiledRedaction | undefined,
): CapturedValue {
  if (redaction === undefined) return captureSafely(item, options, depth + 1, ancestors, undefined);
  const childPath = path === undefined ? undefined : [...path, key];
  if (isRedacted(redaction, key, childPath)) {
    const replacement = applyCensor(redaction, item, childPath ?? [key]);
    return captureValue(replacement, { ...options, redaction: undefined });
  }
  return captureSafely(item, options, depth + 1, ancestors, childPath);
}

/**
 * Captures a logging call's properties into a new record (inheriting nothing) that no later
 * change to `properties` (at any depth) can reach. Each property is captured by {@link captureValue}
 * (the properties object itself does not count towards `maxDepth`); a property named by a
 * `{$Name}` hole is captured as `String(value)`. Redaction applies here: `paths` start at this
 * root. When the event's estimated size passes `maxEventBytes`, the largest properties are
 * replaced by `"[Too large: N bytes]"`.
 *
 * An array works as properties (`{0}` binds to key `"0"`). `undefined` and `null` give an empty
 * object; any other non-object value (or an Error) is kept under the key `"@properties"`.
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
  const result: Record<string, CapturedValue> = createRecord();
  if (properties == null) return result;
  if (
    (typeof properties !== "object" && typeof properties !== "function") ||
    isErrorLike(properties)
  ) {
    result[nonObjectPropertiesKey] = captureValue(properties, options);
    return result;
  }
  const redaction = options.redaction;
  let ancestors: unknown[] | undefined;
  let keys: string[];
  try {
    keys = Object.keys(properties);
  } catch (error) {
    result[nonObjectPropertiesKey] = throwsMarker(error);
    return result;
  }
  const length = keys.length;
  const kept = Math.min(length, options.maxCollectionLength);
  // Paths are tracked whenever redaction is on: path rules and censor functions need them.
  const usePaths = redaction !== undefined;
  // While every value is a scalar, the event's size is known from the loop (an upper bound of
  // its estimate) and the size walk below can be skipped: the common case pays nothing for it.
  let scalarBytes = 0;
  let onlyScalars = true;
  for (let index = 0; index < kept; index++) {
    const key = keys[index] as string;
    let item: unknown;
    try {
      item = (properties as Record<string, unknown>)[key];
    } catch (error) {
      result[key] = throwsMarker(error);
      continue;
    }
    if (typeof item === "number" || typeof item === "boolean" || item == null) {
      if (redaction === undefined || !isRedacted(redaction, key, usePaths ? [key] : undefined)) {
        result[key] = item as CapturedValue;
        scalarBytes += key.length + 32;
        continue;
      }
    } else if (
      typeof item === "string" &&
      redaction === undefined &&
      item.length <= options.maxStringLength
    ) {
      result[key] = item;
      scalarBytes += key.length + item.length * 2 + 32;
      continue;
    }
    onlyScalars = false;
    ancestors ??= [properties];
    result[key] = captureEntry(
      key,
      item,
      options,
      -1,
      ancestors,
      usePaths ? [] : undefined,
      redaction,
    );
  }
  if (length > kept) result["…"] = `[${length - kept} more keys]`;
  if (template !== undefined)
    applyStringifyHints(result, properties as Record<string, unknown>, template, options);
  const templateBytes = template === undefined ? 0 : template.text.length * 2;
  if (!onlyScalars || scalarBytes + templateBytes + eventOverheadBytes > options.maxEventBytes) {
    enforceEventBytes(result, template, options);
  }
  return result;
}

function applyStringifyHints(
  result: Record<string, CapturedValue>,
  properties: Record<string, unknown>,
  template: MessageTemplate,
  options: ResolvedCaptureOptions,
): void {
  const holes = template.properties;
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
      raw = properties[name];
    } catch {
      raw = captured;
    }
    result[name] = typeof raw === "symbol" ? raw.toString() : safeString(raw, options);
  }
}

function enforceEventBytes(
  result: Record<string, CapturedValue>,
  template: MessageTemplate | undefined,
  options: ResolvedCaptureOptions,
): void {
  const fixed = eventOverheadBytes + (template === undefined ? 0 : template.text.length * 2);
  let total = fixed + estimateValueBytes(result);
  if (total <= options.maxEventBytes) return;
  const sizes: [string, number][] = [];
  for (const key in result) sizes.push([key, estimateValueBytes(result[key])]);
  sizes.sort((left, right) => right[1] - left[1]);
  for (const [key, size] of sizes) {
    if (total <= options.maxEventBytes) break;
    const marker = `[Too large: ${size} bytes]`;
    result[key] = marker;
    total += marker.length + 2 - size;
  }
}

const eventOverheadBytes = 64;

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
    eventOverheadBytes +
    event.template.text.length * 2 +
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
      return 24;
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

function estimateErrorBytes(error: CapturedError): number {
  let total = 40 + error.name.length + error.message.length + (error.stack?.length ?? 0);
  total += estimateValueBytes(error.fields);
  if (error.cause !== undefined) total += estimateValueBytes(error.cause) + 8;
  if (error.errors !== undefined) total += estimateValueBytes(error.errors) + 8;
  return total;
}
