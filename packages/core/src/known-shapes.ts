// V8 gives every captured record a hidden class for its names in their order: records whose names
// come in the same order share one, and each record that adds a name in a new place makes one of
// its own (a map and a copy of its descriptors), alive as long as the record. Objects logged
// whole with fields picked per event (a request's body, a row's set columns) make new ones all
// the time. This mirrors V8's tree of transitions from the empty record: the first 4,096 places
// a process meets are taken as shared, whatever they are; past them, a place not among them is
// priced as the record's own, every time it is met.

/** @internal a place in the tree: the names that have followed the names leading to it. */
export type KnownShape = Map<string, KnownShape>;

const knownShapeLimit = 4096;
let knownShapes = 0;

/** @internal the place of a record before its first name. */
export const emptyShape: KnownShape = new Map();

/**
 * @internal the place reached from `shape` by adding `name`, registered on first sight while
 * there is room; `undefined` when it is not known (nor is any place past it). The answer for a
 * path never changes once given, so a figure priced at capture equals a walk of the same event.
 *
 * @param shape the place so far.
 * @param name the next name: a known one (see `isKnownName`), so the registry holds only short
 * names, and not an array index (V8 keeps those apart, in the elements).
 * @returns the place reached, or `undefined`.
 */
export function knownShapeAfter(shape: KnownShape, name: string): KnownShape | undefined {
  const next = shape.get(name);
  if (next !== undefined || knownShapes >= knownShapeLimit) return next;
  const added: KnownShape = new Map();
  shape.set(name, added);
  knownShapes += 1;
  return added;
}
