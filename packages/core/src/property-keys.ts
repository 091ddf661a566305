// Bounded: property names can be built from data, and each cached fragment lives as long as the
// formatter.
const cacheLimit = 10_000;
// Events from one call site repeat their names in the same order; the first names of the last
// event are remembered by position, which costs one comparison instead of a hash lookup.
const positions = 8;

/**
 * @internal The `,"Name":` fragment a JSON line writes before each property's value, made once
 * per name by `make` and cached.
 */
export class PropertyKeys {
  readonly #make: (name: string) => string;
  readonly #byName = new Map<string, string>();
  // `undefined` until a position is used: any string, the empty one too, can be a name.
  readonly #names: (string | undefined)[] = new Array<undefined>(positions).fill(undefined);
  readonly #fragments: string[] = new Array<string>(positions).fill("");

  /** @param make the fragment of a name, e.g. `,"Name":`. */
  constructor(make: (name: string) => string) {
    this.#make = make;
  }

  /**
   * The fragment of `name`, the `position`th property of its event.
   *
   * @param name the property's name.
   * @param position its index among the event's properties.
   * @returns the fragment.
   */
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

  /**
   * The fragment of `name`, by name alone.
   *
   * @param name the property's name.
   * @returns the fragment.
   */
  of(name: string): string {
    let fragment = this.#byName.get(name);
    if (fragment === undefined) {
      fragment = this.#make(name);
      if (this.#byName.size < cacheLimit) this.#byName.set(name, fragment);
    }
    return fragment;
  }
}
