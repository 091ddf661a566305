// A property name the process has seen before costs a held event nothing beyond its slot: V8
// shares the string, and the hidden classes of records keyed by it, between every record that
// uses it. A name never seen (made from data: ids as keys, a query's parameters) brings its own
// string and hidden class, which stay alive as long as an event holding it. The first names a
// process meets are taken as shared, whatever they are: their cost is paid once, within this
// bound. Past it, a name not among them is priced as data, every time it is met.
const knownNameLimit = 4096;
const knownNames = new Set<string>();

/**
 * @internal whether `name` counts as shared: one of the first {@link knownNameLimit} names met
 * (registered on first sight). The answer for a name never changes once given, so a figure priced
 * at capture equals a walk of the same event later.
 *
 * @param name a property name of at most 64 characters (longer ones are always priced).
 * @returns true when the name is taken as shared.
 */
export function isKnownName(name: string): boolean {
  if (knownNames.has(name)) return true;
  if (knownNames.size >= knownNameLimit) return false;
  knownNames.add(name);
  return true;
}
