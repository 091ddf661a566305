import {
  CapturedError,
  type CapturedObject,
  type CapturedValue,
  type LogEvent,
} from "@sluice/core";

// What a queued event keeps alive on the V8 heap, estimated from its shape, so that `maxBytes`
// bounds real memory rather than the size of the event's JSON. Calibrated on Node 20 with
// `--expose-gc` against heapUsed (test/memory-bound.test.ts holds the bound): an event with an
// empty record costs about 126 bytes; captured records stay in V8's fast mode at about 10 bytes
// per key up to some 25 keys and go to dictionary mode beyond, at about 53 bytes per key, so
// records of more than 16 keys are priced as dictionaries. Each figure rounds the measurement up,
// so the estimate stays an upper bound. A template's text is counted with each event: a literal
// template is shared by every event that uses it, but a message built from data is its event's
// own, and its parsed text tokens hold a second copy. Short texts (most likely literals) are
// priced once, longer ones twice.
const eventRecordBytes = 128;
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
const errorBytes = 120;
// V8 stores Latin-1 text at one byte a character and anything else at two. Short strings are
// priced at two without looking (at most 64 bytes too many); longer ones are scanned once.
const shortStringLength = 64;
const beyondLatin1 = /[^\u0000-\u00ff]/;

function bytesPerCodeUnit(text: string): number {
  return text.length <= shortStringLength || beyondLatin1.test(text) ? 2 : 1;
}

/**
 * The estimated heap bytes one queued event retains: a fixed cost for the event and its queue
 * slot, its template's text, plus a walk of its captured properties and error (objects, arrays,
 * strings by length).
 * Cheap (one pass, no allocation) and the same for the same event every time.
 *
 * @param event the event.
 * @returns its estimated retained size in bytes.
 */
export function retainedEventBytes(event: LogEvent): number {
  const text = event.template.text;
  const textBytes = stringBytes + text.length * bytesPerCodeUnit(text);
  let total =
    eventRecordBytes +
    ringSlotBytes +
    (text.length <= shortStringLength ? textBytes : 2 * textBytes) +
    recordBytes(event.properties, 0);
  if (event.error !== undefined) total += structureBytes(event.error, 0);
  return total;
}

// Every event's properties are a record of mostly scalars: the scalars are priced in the loop
// (measured: a two-property event priced in 36 ns instead of 44 with a call per member).
function recordBytes(record: CapturedObject, depth: number): number {
  let total = objectBytes;
  let keys = 0;
  for (const key in record) {
    keys += 1;
    const value = record[key];
    if (typeof value === "string") {
      total += stringBytes + value.length * bytesPerCodeUnit(value);
    } else if (typeof value === "object" && value !== null) {
      total += structureBytes(value, depth + 1);
    } else if (value != null) {
      total += scalarBytes(value);
    }
  }
  return total + keys * (keys > fastKeyLimit ? dictionaryKeyBytes : fastKeyBytes);
}

function valueBytes(value: CapturedValue, depth: number): number {
  if (typeof value === "string") return stringBytes + value.length * bytesPerCodeUnit(value);
  if (typeof value === "object" && value !== null) return structureBytes(value, depth);
  return value == null ? 0 : scalarBytes(value);
}

function scalarBytes(value: number | bigint | boolean): number {
  // Small integers live in the slot that holds them; other numbers are boxed.
  if (typeof value === "number") return (value | 0) === value ? 0 : numberBytes;
  return typeof value === "bigint" ? numberBytes : 0;
}

function structureBytes(value: object, depth: number): number {
  // Capture bounds depth already; this guard only protects against hand-built cyclic events.
  if (depth > 32) return objectBytes;
  if (Array.isArray(value)) {
    let total = arrayBytes + perItemBytes * value.length;
    for (const item of value as readonly CapturedValue[]) total += valueBytes(item, depth + 1);
    return total;
  }
  if (value instanceof Date) return dateBytes;
  if (value instanceof CapturedError) {
    let total = errorBytes + valueBytes(value.name, 0) + valueBytes(value.message, 0);
    if (value.stack !== undefined) total += valueBytes(value.stack, 0);
    total += recordBytes(value.fields, depth + 1) + valueBytes(value.cause, depth + 1);
    if (value.errors !== undefined) total += valueBytes(value.errors, depth + 1);
    return total;
  }
  return recordBytes(value as CapturedObject, depth);
}
