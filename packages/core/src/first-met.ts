/**
 * @internal a registry that takes in the first `limit` values it is asked about, and no more:
 * whatever it answers for a value, it answers for good. A process's first names and templates are
 * taken as the shared ones (literals in its code), whatever they are; what comes after the
 * registry is full, and is not among them, is taken as data.
 */
export class FirstMet<T> {
  readonly #values = new Set<T>();
  readonly #limit: number;

  /** @param limit how many values it takes in. */
  constructor(limit: number) {
    this.#limit = limit;
  }

  /**
   * Whether `value` is one of the first met: registered on first sight while there is room.
   *
   * @param value the value asked about.
   * @returns true when it is (or has just become) one of them.
   */
  has(value: T): boolean {
    if (this.#values.has(value)) return true;
    if (this.#values.size >= this.#limit) return false;
    this.#values.add(value);
    return true;
  }
}
