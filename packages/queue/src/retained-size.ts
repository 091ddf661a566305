import { CapturedError, type CapturedValue, type LogEvent } from "@sluice/core";

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
    valueBytes(event.properties, 0);
  if (event.error !== undefined) total += valueBytes(event.error, 0);
  return total;
}

function valueBytes(value: CapturedValue, depth: number): number {
  switch (typeof value) {
    case "string":
      return stringBytes + value.length * bytesPerCodeUnit(value);
    case "number":
      // Small integers live in the slot that holds them; other numbers are boxed.
      return (value | 0) === value ? 0 : numberBytes;
    case "bigint":
      return numberBytes;
    case "object":
      break;
    default:
      return 0;
  }
  if (value === null) return 0;
  // Capture bounds depth already; this guard only protects against hand-built cyclic events.
  if (depth > 32) return objectBytes;
  if (value instanceof Date) return dateBytes;
  if (value instanceof CapturedError) {
    let total = errorBytes + valueBytes(value.name, 0) + valueBytes(value.message, 0);
    if (value.stack !== undefined) total += valueBytes(value.stack, 0);
    total += valueBytes(value.fields, depth + 1) + valueBytes(value.cause, depth + 1);
    if (value.errors !== undefined) total += valueBytes(value.errors, depth + 1);
    return total;
  }
  if (Array.isArray(value)) {
    let total = arrayBytes + perItemBytes * value.length;
    for (const item of value as readonly CapturedValue[]) total += valueBytes(item, depth + 1);
    return total;
  }
  let total = objectBytes;
  let keys = 0;
  for (const key in value) {
    keys += 1;
    total += valueBytes((value as Record<string, CapturedValue>)[key], depth + 1);
  }
  return total + keys * (keys > fastKeyLimit ? dictionaryKeyBytes : fastKeyBytes);
}
