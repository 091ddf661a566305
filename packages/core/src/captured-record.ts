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

/**
 * @internal a new, empty record for captured properties: it inherits no string key (not even
 * `Object.prototype`'s), so every key is data, and V8 keeps it in fast mode.
 */
export function createRecord(): Record<string, CapturedValue> {
  return new CapturedRecord();
}
