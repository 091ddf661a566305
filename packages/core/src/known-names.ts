import { FirstMet } from "./first-met.ts";

// A property name the process has seen before costs a held event nothing beyond its slot: V8
// shares the string, and the hidden classes of records keyed by it, between every record that
// uses it. A name never seen (made from data: ids as keys, a query's parameters) brings its own
// string and hidden class, which stay alive as long as an event holding it. The first names a
// process meets are taken as shared, whatever they are: their cost is paid once, within this
// bound. Past it, a name not among them is priced as data, every time it is met. Names longer
// than 64 characters are taken as data always.
const knownNameLength = 64;
const knownNames = new FirstMet<string>(4096);

/**
 * @internal whether `name` counts as shared: one of the first 4,096 names of up to 64 characters
 * met (registered on first sight). The answer for a name never changes once given, so a figure
 * priced at capture equals a walk of the same event later.
 *
 * @param name a property name.
 * @returns true when the name is taken as shared.
 */
export function isKnownName(name: string): boolean {
  return name.length <= knownNameLength && knownNames.has(name);
}

// The last known name at each of a call's first positions: events from one call site repeat
// their names in the same order, and a hit costs one comparison instead of a hash lookup.
const recentNames: (string | undefined)[] = [undefined, undefined, undefined, undefined];

/**
 * @internal {@link isKnownName} for the `position`th name of a call's properties.
 *
 * @param name a property name.
 * @param position its place among the call's names.
 * @returns true when the name is taken as shared.
 */
export function isKnownNameAt(name: string, position: number): boolean {
  if (position >= recentNames.length) return isKnownName(name);
  if (recentNames[position] === name) return true;
  if (!isKnownName(name)) return false;
  recentNames[position] = name;
  return true;
}
