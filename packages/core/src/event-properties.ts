import {
  enforceEventBytes,
  lastCapture,
  moreKeysCount,
  type ResolvedCaptureOptions,
} from "./capture.ts";
import {
  createRecord,
  isArrayIndex,
  matchSparseElements,
  prepareElements,
} from "./captured-record.ts";
import type { CapturedObject, CapturedValue } from "./log-event.ts";
import { lastMembers, retainedMemberBytes } from "./retained-size.ts";

/**
 * @internal captured properties from one source of an event (a logger's bound properties, an
 * ambient context scope, an enricher's result), with their key count and an upper bound of their
 * estimated size, kept so that merging them into an event needs no walk while the event fits.
 */
export interface PropertySource {
  /** The captured properties. */
  readonly properties: CapturedObject;
  /** How many keys, at most. */
  readonly size: number;
  /** An upper bound of their estimated size, as `estimateValueBytes` counts a record. */
  readonly bytes: number;
  /**
   * The heap the values retain (see `retainedMemberBytes`); absent where nobody priced them (a
   * context scope opened by another copy of core), which leaves the event to be walked instead.
   */
  readonly retained?: number;
}

/**
 * @internal adds to `target` the properties of `first`, then of `second`, that it does not have
 * (the nearer source wins a name), keeping the whole within the capture limits (see
 * {@link mergeWithinLimits}). Sets `lastCapture` to the merged record's key count and size, and
 * its retained heap when the limits had the record walked, else -1: the merged record then
 * retains what `target` did plus each source's `retained` (a name the nearer source shadows is
 * counted twice, which keeps the sum an upper bound), which the caller adds from figures it
 * already holds. Costs no walk while the recorded sizes fit the limits.
 *
 * Returns whether `target` now ends with every property of `first`, in its order, untouched: no
 * `second`, no name of `first` already in `target`, nothing cut by the limits. A formatter may
 * then write that tail from text it prepared once for `first` (see `LogEventRecord.bound`).
 *
 * @param target the event's properties so far (written).
 * @param size how many keys `target` has, at most.
 * @param bytes an upper bound of `target`'s estimated size.
 * @param first the nearer source, if any.
 * @param second the farther source, if any.
 * @param fixedBytes the rest of the event's estimated size (overhead, template, error).
 * @param options the capture limits.
 * @returns whether `target` ends with all of `first`, as it is.
 */
export function mergeSources(
  target: Record<string, CapturedValue>,
  size: number,
  bytes: number,
  first: PropertySource | undefined,
  second: PropertySource | undefined,
  fixedBytes: number,
  options: ResolvedCaptureOptions,
): boolean {
  const addedSize = (first?.size ?? 0) + (second?.size ?? 0);
  const addedBytes = (first?.bytes ?? 0) + (second?.bytes ?? 0);
  if (
    size + addedSize <= options.maxCollectionLength &&
    fixedBytes + bytes + addedBytes <= options.maxEventBytes
  ) {
    let whole =
      first !== undefined &&
      (first instanceof PreparedSource
        ? appendPrepared(target, first)
        : addAbsent(target, first.properties));
    if (second !== undefined) {
      addAbsent(target, second.properties);
      whole = false;
    }
    lastCapture.bytes = bytes + addedBytes;
    lastCapture.keys = size + addedSize;
    // The sum is left to the caller: this function stays small enough for V8 to inline it
    // beside the template parser into the logger's hot path (measured).
    lastCapture.retained = -1;
    return whole;
  }
  const sources: PropertySource[] = [];
  if (first !== undefined) sources.push(first);
  if (second !== undefined) sources.push(second);
  mergeWithinLimits(target, bytes + addedBytes, sources, fixedBytes, options);
  return false;
}

/**
 * @internal adds to `target` the properties of each source (nearest first) that it does not
 * have, keeping at most `maxCollectionLength` keys, past which the `"…"` key counts every key
 * left out, and `maxEventBytes` together with `fixedBytes`, past which the largest values are
 * replaced. Sets `lastCapture` (pricing the merged record's retained heap by walking it).
 *
 * @param target the properties so far (written).
 * @param bytes an upper bound of the estimated size of `target` and every source together.
 * @param sources the sources, nearest first.
 * @param fixedBytes the rest of the event's estimated size.
 * @param options the capture limits.
 */
export function mergeWithinLimits(
  target: Record<string, CapturedValue>,
  bytes: number,
  sources: readonly PropertySource[],
  fixedBytes: number,
  options: ResolvedCaptureOptions,
): void {
  let count = 0;
  for (const key in target) if (key !== "…") count += 1;
  let leftOut = moreKeysCount(target["…"]);
  for (const source of sources) {
    const properties = source.properties;
    matchSparseElements(target, properties);
    for (const key in properties) {
      if (key === "…") {
        leftOut += moreKeysCount(properties[key]);
      } else if (!(key in target)) {
        if (count < options.maxCollectionLength) {
          target[key] = properties[key];
          count += 1;
        } else {
          leftOut += 1;
        }
      }
    }
  }
  if (leftOut > 0) {
    // Re-added last, so that the marker follows the keys it summarises.
    delete target["…"];
    target["…"] = `[${leftOut} more keys]`;
  }
  // Shadowed and left-out keys only make the sum larger: walk the record only past the bound.
  lastCapture.bytes =
    fixedBytes + bytes > options.maxEventBytes
      ? enforceEventBytes(target, fixedBytes, options)
      : bytes;
  lastCapture.retained = retainedMemberBytes(target, 0);
  // Exact: fitting the budget may have taken out names made from data.
  lastCapture.keys = lastMembers.keys;
}

/**
 * @internal a merged source prepared for being appended to events: its names and values as
 * arrays, and its names as a set, so that an event that names none of them takes them all
 * without one lookup in the event per name.
 */
export class PreparedSource implements PropertySource {
  readonly properties: CapturedObject;
  readonly size: number;
  readonly bytes: number;
  readonly names: readonly string[];
  readonly values: readonly CapturedValue[];
  readonly nameSet: ReadonlySet<string>;
  /** A bit per name's {@link nameBit}: a name whose bit is clear is not one of the names. */
  readonly nameBits: number;
  /** The heap the values retain (see `retainedMemberBytes`). */
  readonly retained: number;
  /** Whether a name is an array index (see `useSparseElements`). */
  readonly hasIndexKeys: boolean;

  /**
   * @param properties the merged properties, frozen.
   * @param size how many keys.
   * @param bytes their estimated size.
   */
  constructor(properties: CapturedObject, size: number, bytes: number) {
    this.properties = properties;
    this.size = size;
    this.bytes = bytes;
    this.names = Object.keys(properties);
    this.values = this.names.map((name) => properties[name]);
    this.nameSet = new Set(this.names);
    let bits = 0;
    for (const name of this.names) bits |= nameBit(name);
    this.nameBits = bits;
    this.retained = retainedMemberBytes(properties, 0);
    this.hasIndexKeys = this.names.length > 0 && isArrayIndex(this.names[0] as string);
  }
}

// An event's own properties are few and a set lookup is cheaper than a property lookup in a
// record of ever-changing shape (measured: the `in` checks were a third of the copy's cost).
function appendPrepared(target: Record<string, CapturedValue>, source: PreparedSource): boolean {
  const bits = source.nameBits;
  for (const key in target) {
    if ((bits & nameBit(key)) !== 0 && source.nameSet.has(key)) {
      return addAbsent(target, source.properties);
    }
  }
  if (source.hasIndexKeys) prepareElements(target, source.names);
  const names = source.names;
  const values = source.values;
  const count = names.length;
  // One store site per position for the first four: a site that always sees the same name (one
  // child's, or a few children's) keeps its store monomorphic, where one site for every name goes
  // megamorphic at once (measured: the stores were most of the copy's cost).
  if (count > 0) target[names[0] as string] = values[0];
  if (count > 1) target[names[1] as string] = values[1];
  if (count > 2) target[names[2] as string] = values[2];
  if (count > 3) target[names[3] as string] = values[3];
  for (let index = 4; index < count; index++) target[names[index] as string] = values[index];
  return true;
}

/**
 * One of 32 bits for a name, from its length and first character: a few bound names set a few
 * bits, and most of an event's own names miss them all, which costs two loads and some
 * arithmetic instead of a set lookup.
 */
function nameBit(name: string): number {
  // `charCodeAt(0)` of "" is NaN, and NaN & 31 is 0.
  return 1 << ((name.length + name.charCodeAt(0)) & 31);
}

/** Adds what `target` lacks of `source`; returns whether that was every key of `source`. */
function addAbsent(target: Record<string, CapturedValue>, source: CapturedObject): boolean {
  matchSparseElements(target, source);
  let all = true;
  for (const key in source) {
    if (key in target) all = false;
    else target[key] = source[key];
  }
  return all;
}

// How many children may be made in a row before their parent's properties are merged: a child
// then costs its own properties plus, every so often, one merge of at most maxCollectionLength
// keys, however long the chain.
const unmergedChainLimit = 16;

/**
 * @internal a logger's bound properties: its own, captured when the logger was made, and its
 * parent's, merged (within the capture limits, its own winning a name) when first needed.
 */
export class BoundProperties {
  readonly #own: PropertySource;
  #parent: BoundProperties | undefined;
  readonly #options: ResolvedCaptureOptions;
  #merged: PropertySource | undefined;
  #unmerged: number;
  /** Whether this logger and its ancestors bind no property at all. */
  readonly isEmpty: boolean;

  /**
   * @param own the properties bound by this logger.
   * @param parent the parent logger's bound properties, if any.
   * @param options the capture limits.
   */
  constructor(
    own: PropertySource,
    parent: BoundProperties | undefined,
    options: ResolvedCaptureOptions,
  ) {
    this.#own = own;
    this.#options = options;
    this.isEmpty = own.size === 0 && (parent === undefined || parent.isEmpty);
    if (parent === undefined || parent.isEmpty) {
      this.#parent = undefined;
      this.#merged = own;
      this.#unmerged = 0;
    } else {
      if (parent.#unmerged >= unmergedChainLimit) parent.merged();
      this.#parent = parent;
      this.#merged = undefined;
      this.#unmerged = parent.#unmerged + 1;
    }
  }

  /**
   * The merged properties of this logger and its ancestors, computed once.
   *
   * @returns them, frozen, with their key count and size, prepared for appending.
   */
  merged(): PreparedSource {
    const done = this.#merged;
    if (done instanceof PreparedSource) return done;
    if (done !== undefined) {
      // Prepared when first logged with, not when made: many children log nothing.
      const prepared = new PreparedSource(done.properties, done.size, done.bytes);
      this.#merged = prepared;
      return prepared;
    }
    // Nearest first, down to the first ancestor already merged (at most unmergedChainLimit).
    const chain: PropertySource[] = [];
    let node: BoundProperties | undefined = this;
    while (node !== undefined) {
      const merged: PropertySource | undefined = node.#merged;
      if (merged !== undefined) {
        chain.push(merged);
        break;
      }
      chain.push(node.#own);
      node = node.#parent;
    }
    let size = 0;
    let bytes = 0;
    for (const source of chain) {
      size += source.size;
      bytes += source.bytes;
    }
    const options = this.#options;
    const properties = createRecord();
    if (size <= options.maxCollectionLength && bytes <= options.maxEventBytes) {
      // Within the limits the farthest are written first, so keys keep the order they were bound.
      for (let index = chain.length - 1; index >= 0; index--) {
        const source = (chain[index] as PropertySource).properties;
        matchSparseElements(properties, source);
        for (const key in source) properties[key] = source[key];
      }
      lastCapture.keys = size;
      lastCapture.bytes = bytes;
    } else {
      mergeWithinLimits(properties, bytes, chain, 0, options);
    }
    const prepared = new PreparedSource(
      Object.freeze(properties),
      lastCapture.keys,
      lastCapture.bytes,
    );
    this.#merged = prepared;
    this.#unmerged = 0;
    // Merged: the ancestors are no longer needed, and need not be kept alive.
    this.#parent = undefined;
    return prepared;
  }
}
