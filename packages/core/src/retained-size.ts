import { isKnownName } from "./known-names.ts";
import {
  CapturedError,
  type CapturedObject,
  type CapturedValue,
  type LogEvent,
  LogEventRecord,
} from "./log-event.ts";

// What an event keeps alive on the V8 heap, estimated from its shape, so that a sink that holds
// events (a queue) bounds real memory rather than the size of their JSON. Calibrated on Node 20
// with `--expose-gc` against heapUsed (the queue's memory-bound test holds the bound): an event
// with an empty record costs about 134 bytes; captured records stay in V8's fast mode at about
// 10 bytes per key up to some 25 keys and go to dictionary mode beyond, at about 53 bytes per key,
// so records of more than 16 keys are priced as dictionaries. Each figure rounds the measurement
// up, so the estimate stays an upper bound. A template's text is counted with each event: a
// literal template is shared by every event that uses it, but a message built from data is its
// event's own, and its parsed text tokens hold a second copy. Short texts (most likely literals)
// are priced once, longer ones twice.
const eventRecordBytes = 136;
const ringSlotBytes = 48;
const objectBytes = 32;
const fastKeyLimit = 16;
const fastKeyBytes = 12;
const dictionaryKeyBytes = 56;
const arrayBytes = 48;
const perItemBytes = 12;
const stringBytes = 24;
const numberBytes = 16;
const dateBytes = 40;
// A hidden class and its descriptors, per distinct name (measured about 90 bytes on Node 20).
const keyShapeBytes = 112;
const errorBytes = 120;
// V8 stores Latin-1 text at one byte a character and anything else at two. Short strings are
// priced at two without looking (at most 64 bytes too many); longer ones are scanned once.
const shortStringLength = 64;
const beyondLatin1 = /[^\u0000-\u00ff]/;

/**
 * The estimated heap bytes one held event retains: a fixed cost for the event and a queue slot,
 * its template's text, its captured properties and error (objects, arrays, strings by length).
 * Same for the same event every time, and an upper bound of what V8 measures. An event made by a
 * logger carries the figure, worked out while its properties were captured; any other event is
 * walked once per call (no allocation).
 *
 * @param event the event.
 * @returns its estimated retained size in bytes.
 */
export function retainedEventBytes(event: LogEvent): number {
  // Not a number when a context scope was left unpriced: walked then.
  if (event instanceof LogEventRecord && event.retainedContentBytes >= 0) {
    // Errors are rare: the logger leaves them to this walk rather than grow its hot path.
    const base = retainedEventBase(event.template.text) + event.retainedContentBytes;
    return event.error === undefined ? base : base + retainedStructureBytes(event.error, 0);
  }
  return walkRetainedEventBytes(event);
}

/**
 * @internal {@link retainedEventBytes} by walking the event, whatever it carries: what the
 * figure a logger works out must equal (tests hold it).
 */
export function walkRetainedEventBytes(event: LogEvent): number {
  let total = retainedEventBase(event.template.text) + retainedRecordBytes(event.properties, 0);
  if (event.error !== undefined) total += retainedStructureBytes(event.error, 0);
  return total;
}

// The last long template text priced, and its price: calls come in runs of one template.
let lastLongText = "";
let lastLongBase = 0;

/** @internal the part of an event's retained size that its properties and error do not make. */
export function retainedEventBase(text: string): number {
  if (text.length <= shortStringLength) {
    return eventRecordBytes + ringSlotBytes + stringBytes + 2 * text.length;
  }
  if (text !== lastLongText) {
    lastLongText = text;
    lastLongBase = eventRecordBytes + ringSlotBytes + 2 * retainedStringBytes(text);
  }
  return lastLongBase;
}

/** @internal the retained size of a record of `keys` keys whose values retain `valueBytes`. */
export function retainedRecordTotal(keys: number, valueBytes: number): number {
  return (
    objectBytes + valueBytes + keys * (keys > fastKeyLimit ? dictionaryKeyBytes : fastKeyBytes)
  );
}

/**
 * @internal what a record's key retains beyond its slot: nothing for a name of up to 64
 * characters the process knows (see `isKnownName`: most likely a literal every event shares),
 * else the string and the hidden class V8 makes for a record of a shape no other has (such a name
 * is most likely data: a query's parameter, a map's key).
 */
export function retainedKeyBytes(key: string): number {
  return key.length <= shortStringLength && isKnownName(key)
    ? 0
    : keyShapeBytes + retainedStringBytes(key);
}

// The last known name at each of a call's first positions: events from one call site repeat
// their names in the same order, and a hit costs one comparison instead of a hash lookup.
const recentNames: (string | undefined)[] = [undefined, undefined, undefined, undefined];

/**
 * @internal {@link retainedKeyBytes} of the `position`th key of a call's properties.
 */
export function retainedKeyBytesAt(key: string, position: number): number {
  if (position >= recentNames.length) return retainedKeyBytes(key);
  if (recentNames[position] === key) return 0;
  const bytes = retainedKeyBytes(key);
  if (bytes === 0) recentNames[position] = key;
  return bytes;
}

/** @internal the retained size of a string. */
export function retainedStringBytes(text: string): number {
  const perCodeUnit = text.length <= shortStringLength || beyondLatin1.test(text) ? 2 : 1;
  return stringBytes + text.length * perCodeUnit;
}

/** @internal the retained size of a number where a record holds it. */
export function retainedNumberBytes(value: number): number {
  // Small integers live in the slot that holds them; other numbers are boxed.
  return (value | 0) === value ? 0 : numberBytes;
}

// A bigint holds its magnitude in 64-bit digits after its header; capture keeps bigints of up to
// a thousand decimal digits (3,322 bits, 52 digits), so two bounds size them closely enough.
const oneDigitLimit = 2n ** 64n;
const fiveDigitLimit = 2n ** 320n;

/**
 * @internal a captured bigint's size: 0 up to one 64-bit digit (20 decimal ones), 1 up to five
 * (96 decimal), 2 beyond. The retained size and capture's estimate of written bytes price it.
 */
export function bigintSize(value: bigint): 0 | 1 | 2 {
  if (value < oneDigitLimit && value > -oneDigitLimit) return 0;
  return value < fiveDigitLimit && value > -fiveDigitLimit ? 1 : 2;
}

const bigintRetainedBytes = [numberBytes, numberBytes + 40, numberBytes + 424] as const;

/** @internal the retained size of a bigint where a record or array holds it. */
function retainedBigintBytes(value: bigint): number {
  return bigintRetainedBytes[bigintSize(value)];
}

/** @internal the retained size of a captured value where a record or array holds it. */
export function retainedValueBytes(value: CapturedValue, depth: number): number {
  if (typeof value === "string") return retainedStringBytes(value);
  if (typeof value === "object" && value !== null) return retainedStructureBytes(value, depth);
  if (typeof value === "number") return retainedNumberBytes(value);
  return typeof value === "bigint" ? retainedBigintBytes(value) : 0;
}

/**
 * @internal the retained size of the values of a record, without the record's own cost (see
 * {@link retainedRecordTotal}); sets {@link lastMembers} to its key count.
 */
export function retainedMemberBytes(record: CapturedObject, depth: number): number {
  let total = 0;
  let keys = 0;
  // The members are mostly scalars: priced here rather than with a call each (measured: a
  // two-property event in 36 ns instead of 44).
  for (const key in record) {
    keys += 1;
    total += retainedKeyBytes(key);
    const value = record[key];
    if (typeof value === "string") {
      total += retainedStringBytes(value);
    } else if (typeof value === "object" && value !== null) {
      total += retainedStructureBytes(value, depth + 1);
    } else if (typeof value === "number") {
      total += retainedNumberBytes(value);
    } else if (typeof value === "bigint") {
      total += retainedBigintBytes(value);
    }
  }
  lastMembers.keys = keys;
  return total;
}

/** @internal the key count of the last record {@link retainedMemberBytes} priced. */
export const lastMembers = { keys: 0 };

function retainedRecordBytes(record: CapturedObject, depth: number): number {
  const values = retainedMemberBytes(record, depth);
  return retainedRecordTotal(lastMembers.keys, values);
}

/**
 * The slots an array of `length` items has when built one item at a time, as capture builds them:
 * V8 grows its store to the new length plus half plus 16, so two items sit in 17 slots.
 */
function arraySlots(length: number): number {
  let slots = 0;
  while (slots < length) slots += 1 + ((slots + 1) >> 1) + 16;
  return slots;
}

function retainedStructureBytes(value: object, depth: number): number {
  // Capture bounds depth already; this guard only protects against hand-built cyclic events.
  if (depth > 32) return objectBytes;
  if (Array.isArray(value)) {
    let total = arrayBytes + perItemBytes * arraySlots(value.length);
    for (const item of value as readonly CapturedValue[]) {
      total += retainedValueBytes(item, depth + 1);
    }
    return total;
  }
  if (value instanceof Date) return dateBytes;
  if (value instanceof CapturedError) {
    let total =
      errorBytes + retainedValueBytes(value.name, 0) + retainedValueBytes(value.message, 0);
    if (value.stack !== undefined) total += retainedValueBytes(value.stack, 0);
    total +=
      retainedRecordBytes(value.fields, depth + 1) + retainedValueBytes(value.cause, depth + 1);
    if (value.errors !== undefined) total += retainedValueBytes(value.errors, depth + 1);
    return total;
  }
  return retainedRecordBytes(value as CapturedObject, depth);
}
