import { inObjectNames, isArrayIndex } from "./captured-record.ts";
import { FirstMet } from "./first-met.ts";
import { isKnownName, isKnownNameAt } from "./known-names.ts";
import { emptyShape, type KnownShape, knownShapeAfter } from "./known-shapes.ts";
import {
  CapturedError,
  type CapturedObject,
  type CapturedValue,
  type LogEvent,
  LogEventRecord,
} from "./log-event.ts";
import type { MessageTemplate } from "./message-template.ts";

// What an event keeps alive on the V8 heap, estimated from its shape, so that a sink that holds
// events (a queue) bounds real memory rather than the size of their JSON. Calibrated on Node 20
// with `--expose-gc` against heapUsed (the queue's memory-bound test holds the bound): an event
// with an empty record costs about 134 bytes; a captured record takes 72 bytes with up to six
// keys (see `inObjectNames`), a store beside it for more, three slots at a time, and goes to V8's
// dictionary mode past 21 keys, at up to 80 bytes per key. Each figure rounds the measurement up,
// so the estimate stays an upper bound.
const eventRecordBytes = 136;
const ringSlotBytes = 48;
const objectBytes = 36;
// A captured record in V8's fast mode: its header and in-object slots, then a store for the names
// past those, which grows three slots (24 bytes) at a time.
const recordBytes = 72;
const storeBytes = 16;
const storeStepBytes = 24;
// Past 15 names in its store, V8 turns a record to dictionary mode (Node 20 and 24, measured).
const fastKeyLimit = inObjectNames + 15;
// A dictionary's table has room for up to three times its keys (22 keys take 64 entries).
const dictionaryKeyBytes = 80;
const arrayBytes = 48;
const perItemBytes = 12;
const stringBytes = 24;
const numberBytes = 16;
// A date keeps its fields' cache beside its time value (measured up to 104 bytes held).
const dateBytes = 120;
// A hidden class and its descriptors, per distinct name (measured about 90 bytes on Node 20).
const keyShapeBytes = 112;
// A hidden class of a record in an order not known to be shared, with its place among its
// parent's transitions, and the descriptor of each name (copied once where it leaves the known).
const shapeBaseBytes = 160;
const descriptorBytes = 32;
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
    let total = retainedEventBase(event.template) + event.retainedContentBytes;
    if (event.bound !== undefined) total += retainedBoundBytes(event.bound);
    return event.error === undefined ? total : total + retainedStructureBytes(event.error, 0);
  }
  return walkRetainedEventBytes(event);
}

/**
 * @internal {@link retainedEventBytes} by walking the event, whatever it carries: what the
 * figure a logger works out must equal (tests hold it).
 */
export function walkRetainedEventBytes(event: LogEvent): number {
  let total = retainedEventBase(event.template) + retainedRecordBytes(event.properties, 0);
  if (event instanceof LogEventRecord && event.bound !== undefined) {
    total += retainedBoundBytes(event.bound);
  }
  if (event.error !== undefined) total += retainedStructureBytes(event.error, 0);
  return total;
}

// What a frozen record has beyond a captured one of its size.
const boundRecordBytes = 32;
// The last bound record priced, and its price: a child logger's events come in runs.
let lastBound: CapturedObject | undefined;
let lastBoundBytes = 0;

/**
 * What an event adds by holding its logger's bound record: the record itself, whose values its
 * own properties hold and price. Shared by all the child's events, but priced with each: a child
 * made per request lives as long as its events do.
 */
function retainedBoundBytes(bound: CapturedObject): number {
  if (bound !== lastBound) {
    let keys = 0;
    for (const _ in bound) keys += 1;
    lastBound = bound;
    lastBoundBytes = boundRecordBytes + retainedRecordTotal(keys, 0) + retainedShapeBytes(bound);
  }
  return lastBoundBytes;
}

// A template's parse is shared by every event of a literal template, but an event whose message
// was built from data (`User ${id} logged in`) holds a template of its own: the parsed object,
// its tokens and their strings, a few hundred bytes beside the text. The first texts of up to 256
// characters a process parses are taken as literals (see `FirstMet`); the rest are priced with
// their parse. A literal's text is still counted with each event: once if short, twice if long.
const knownTemplateLength = 256;
const knownTemplates = new FirstMet<string>(2048);
const templateBytes = 352;
const textTokenBytes = 40;
const propertyTokenBytes = 96;
const alignmentBytes = 32;

// The last known template text priced, and its price: calls come in runs of one template.
let lastKnownText: string | undefined;
let lastKnownBase = 0;

/** @internal the part of an event's retained size that its properties and error do not make. */
function retainedEventBase(template: MessageTemplate): number {
  const text = template.text;
  if (text === lastKnownText) return lastKnownBase;
  if (text.length > knownTemplateLength || !knownTemplates.has(text)) {
    return eventRecordBytes + ringSlotBytes + retainedTemplateBytes(template);
  }
  lastKnownText = text;
  lastKnownBase =
    eventRecordBytes +
    ringSlotBytes +
    (text.length <= shortStringLength
      ? stringBytes + 2 * text.length
      : 2 * retainedStringBytes(text));
  return lastKnownBase;
}

/** What a parsed template holds: its object, its text, its tokens and their strings. */
function retainedTemplateBytes(template: MessageTemplate): number {
  let total = templateBytes + retainedStringBytes(template.text);
  for (const token of template.tokens) {
    if (token.kind === "text") {
      total += textTokenBytes + retainedStringBytes(token.text);
      continue;
    }
    total += propertyTokenBytes + retainedStringBytes(token.raw) + retainedStringBytes(token.name);
    if (token.format !== undefined) total += retainedStringBytes(token.format);
    if (token.alignment !== undefined) total += alignmentBytes;
  }
  return total;
}

// A fast record's bytes by its key count, worked out once: the logger's hot path prices every
// event's record with one load (a larger function here kept V8 from inlining the formatter there).
const fastRecordBytes = Array.from({ length: fastKeyLimit + 1 }, (_, keys) =>
  keys <= inObjectNames
    ? recordBytes
    : recordBytes + storeBytes + storeStepBytes * Math.ceil((keys - inObjectNames) / 3),
);

/** @internal the retained size of a record of `keys` keys whose values retain `valueBytes`. */
export function retainedRecordTotal(keys: number, valueBytes: number): number {
  return keys > fastKeyLimit
    ? objectBytes + valueBytes + keys * dictionaryKeyBytes
    : (fastRecordBytes[keys] as number) + valueBytes;
}

/**
 * @internal what a record's key retains beyond its slot: nothing for a name the process knows
 * (see `isKnownName`: most likely a literal every event shares), else the string and the hidden
 * class V8 makes for a record of a shape no other has (such a name is most likely data: a query's
 * parameter, a map's key).
 */
export function retainedKeyBytes(key: string): number {
  return isKnownName(key) ? 0 : keyShapeBytes + retainedStringBytes(key);
}

/** @internal {@link retainedKeyBytes} of the `position`th key of a call's properties. */
export function retainedKeyBytesAt(key: string, position: number): number {
  return isKnownNameAt(key, position) ? 0 : keyShapeBytes + retainedStringBytes(key);
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
  // A nested record's hidden classes. An event's own record is left to its names' pricing: reading
  // its order on every queued write cost the caller some 115 instructions (measured), and a call
  // site repeats its order.
  return depth > 0 ? total + retainedShapeBytes(record) : total;
}

/**
 * What the hidden classes of `record`'s names, in their order, retain where the process
 * has not met that order among the first places it met (see `knownShapeAfter`); nothing for a
 * record in dictionary mode, which has none of its own.
 */
function retainedShapeBytes(record: CapturedObject): number {
  let shape: KnownShape | undefined = emptyShape;
  let bytes = 0;
  let named = 0;
  let keys = 0;
  for (const key in record) {
    keys += 1;
    // V8 keeps array indices apart, in the elements.
    if (isArrayIndex(key)) continue;
    // A name priced as data has its hidden class priced with it, and is kept out of the registry
    // (it may be long; no later record shares its place anyway).
    const known = isKnownName(key);
    if (shape !== undefined) {
      shape = known ? knownShapeAfter(shape, key) : undefined;
      // The first place off the known tree copies the descriptors of the names before it.
      if (shape === undefined) bytes += named * descriptorBytes;
    }
    // Each place from there adds a hidden class (one priced with its name if that is data) and
    // its own descriptor.
    if (shape === undefined) bytes += (known ? shapeBaseBytes : 0) + descriptorBytes;
    named += 1;
  }
  return keys > fastKeyLimit ? 0 : bytes;
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
