import { flatten } from "./flat-string.ts";
import { isJsonClean, toJson } from "./json-writer.ts";
import type { CapturedValue } from "./log-event.ts";

// Bounded in names and in characters: property names can be built from data (up to
// maxStringLength each), and each cached fragment lives as long as the formatter. 10,000 names of
// 16,000 characters kept some 300 MB a formatter; past the budget a name's fragment is made again
// for each event, which costs about its length, no more than writing it.
const cacheLimit = 10_000;
const cacheCharacterLimit = 1 << 20;
// Events from one call site repeat their names in the same order; the first names of the last
// event are remembered by position, which costs one comparison instead of a hash lookup.
const positions = 8;

/** Fragments made once per name by `make`, found by position first, then by name. */
class FragmentCache {
  readonly #make: (name: string) => string;
  readonly #byName = new Map<string, string>();
  #cachedCharacters = 0;
  // `undefined` until a position is used: any string, the empty one too, can be a name.
  readonly #names: (string | undefined)[] = new Array<undefined>(positions).fill(undefined);
  readonly #fragments: string[] = new Array<string>(positions).fill("");

  constructor(make: (name: string) => string) {
    this.#make = make;
  }

  at(name: string, position: number): string {
    if (position < positions) {
      if (this.#names[position] === name) return this.#fragments[position] as string;
      const fragment = this.of(name);
      this.#names[position] = name;
      this.#fragments[position] = fragment;
      return fragment;
    }
    return this.of(name);
  }

  of(name: string): string {
    let fragment = this.#byName.get(name);
    if (fragment === undefined) {
      fragment = this.#make(name);
      const characters = this.#cachedCharacters + name.length + fragment.length;
      if (this.#byName.size < cacheLimit && characters <= cacheCharacterLimit) {
        this.#byName.set(name, fragment);
        this.#cachedCharacters = characters;
      }
    }
    return fragment;
  }
}

/**
 * @internal The `,"Name":` fragment a JSON line writes before each property's value, made once
 * per name and cached, and the text of a whole member.
 */
export class PropertyKeys {
  readonly #keys: FragmentCache;
  // `,"Name":"`: a clean string value joins its key with its opening quote already in place, which
  // saves the line a string per such property (measured: a join of two short strings copies them).
  readonly #openKeys: FragmentCache;

  /** @param make the fragment of a name, e.g. `,"Name":`. */
  constructor(make: (name: string) => string) {
    const keys = new FragmentCache(make);
    this.#keys = keys;
    this.#openKeys = new FragmentCache((name) => flatten(`${keys.of(name)}"`));
  }

  /**
   * The fragment of `name`, the `position`th property of its event.
   *
   * @param name the property's name.
   * @param position its index among the event's properties.
   * @returns the fragment.
   */
  at(name: string, position: number): string {
    return this.#keys.at(name, position);
  }

  /**
   * The fragment of `name`, by name alone.
   *
   * @param name the property's name.
   * @returns the fragment.
   */
  of(name: string): string {
    return this.#keys.of(name);
  }

  /**
   * A member of the line: the fragment of `name`, the `position`th property of its event, and
   * `value` as JSON.
   *
   * @param name the property's name.
   * @param position its index among the event's properties.
   * @param value its value.
   * @returns `,"Name":<value as JSON>`.
   */
  member(name: string, position: number, value: CapturedValue): string {
    if (typeof value === "string" && isJsonClean(value)) {
      // biome-ignore lint/style/useTemplate: a template's `${}` converts through a call, even a string.
      return this.#openKeys.at(name, position) + value + '"';
    }
    return this.#keys.at(name, position) + toJson(value);
  }
}
