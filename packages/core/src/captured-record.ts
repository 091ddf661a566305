import type { CapturedValue } from "./log-event.ts";

// Captured objects must not inherit Object.prototype, so that keys such as `__proto__`,
// `constructor` or `toString` are ordinary data. `Object.create(null)` gives that, but V8 keeps
// such objects in dictionary mode: about four times slower to build and five times slower to
// walk (every formatter and the queue's size estimate walk them), and larger. Instances of a
// plain function whose prototype is a frozen, null-prototype object with no string keys get V8's
// fast hidden-class layout with the same safety: no string key is inherited, and assigning
// `__proto__` makes an own data property because no accessor for it is on the chain.
const CapturedRecord = function CapturedRecord() {} as unknown as new () => Record<
  string,
  CapturedValue
>;
CapturedRecord.prototype = Object.freeze(
  Object.create(null, {
    // Node's inspector would show "CapturedRecord <[Object: null prototype] {}> { ... }"; a
    // record reads best as the plain data it is. A symbol key: for...in and `in` never see it.
    [Symbol.for("nodejs.util.inspect.custom")]: {
      value(
        this: Record<string, CapturedValue>,
        depth: number,
        options: object,
        inspect: (value: unknown, options: object) => string,
      ): string {
        return inspect({ ...this }, { ...options, depth });
      },
    },
  }),
);

// V8 sizes the objects one constructor makes by the widest of the first few it made ("slack
// tracking"): left to itself, a process whose first events were wide (a configuration logged at
// start) would give every later record ten slots of 8 bytes, and one whose first were narrow two.
// The first records are made here, so that every process lays its records out alike and their
// retained size can be priced: six names in the record itself (an event's own two or three and a
// child's or a scope's few; four made a child's events slower, measured), more in a store beside
// it that grows three at a time.
/** @internal how many names a captured record holds in itself; more go to a store beside it. */
export const inObjectNames = 6;
for (let made = 0; made < 8; made++) {
  const record = new CapturedRecord();
  for (let index = 0; index < inObjectNames; index++) record[`_${index}`] = undefined;
}

/**
 * @internal a new, empty record for captured properties: it inherits no string key (not even
 * `Object.prototype`'s), so every key is data, and V8 keeps it in fast mode.
 */
export function createRecord(): Record<string, CapturedValue> {
  return new CapturedRecord();
}

// Canonical decimal integers of up to ten digits; those up to 2^32 - 2 are array indices.
const indexPattern = /^(?:0|[1-9]\d{0,9})$/;
const largestIndex = 4294967294;

/**
 * @internal whether `key` is an array index (0 to 2^32 - 2, written canonically): V8 keeps such
 * keys apart from named properties, in the record's elements, and lists them first, ascending.
 */
export function isArrayIndex(key: string): boolean {
  // `charCodeAt(0)` of "" is NaN: not a digit.
  const first = key.charCodeAt(0);
  return first >= 48 && first <= 57 && indexPattern.test(key) && Number(key) <= largestIndex;
}

/**
 * @internal whether a record whose array-index keys are `count`, the largest `largest`, is smaller
 * with them in a dictionary (about 50 bytes a key) than in V8's elements store (8 bytes a slot,
 * up to the largest index plus half): dense indices stay where V8 puts them.
 */
export function wantsSparseElements(largest: number, count: number): boolean {
  return largest >= 2 * count + 16;
}

/**
 * @internal {@link useSparseElements} for a record about to take the first `taken` of `keys`
 * (array indices first, as `Object.keys` and `for...in` list them) when its indices are sparse.
 */
export function prepareElements(
  record: Record<string, CapturedValue>,
  keys: readonly string[],
  taken: number = keys.length,
): void {
  if (taken === 0 || !isArrayIndex(keys[0] as string)) return;
  let count = 1;
  while (count < taken && isArrayIndex(keys[count] as string)) count += 1;
  if (wantsSparseElements(Number(keys[count - 1]), count)) useSparseElements(record);
}

/**
 * @internal makes `record` keep its array-index keys in a dictionary sized to their number. Left
 * to itself, V8 sizes a record's elements to its largest index plus half (a lone `"1000"` took
 * 12 KB, held as long as the event); an index past 2^29 turns them to a dictionary for good.
 */
export function useSparseElements(record: Record<string, CapturedValue>): void {
  // Already a dictionary if the record holds the largest index; never delete a key of its own.
  if (largestIndex in record) return;
  record[largestIndex] = undefined;
  delete record[largestIndex];
}

/**
 * @internal {@link prepareElements} for `target` with the keys of `source`, about to be copied
 * into it (rarely: only when the first is an array index are the others listed).
 */
export function matchSparseElements(
  target: Record<string, CapturedValue>,
  source: Readonly<Record<string, CapturedValue>>,
): void {
  for (const key in source) {
    if (isArrayIndex(key)) prepareElements(target, Object.keys(source));
    return;
  }
}
