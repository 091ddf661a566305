// The largest distance from the epoch a `Date` can represent, in milliseconds.
const maxDateMilliseconds = 8.64e15;

/**
 * @internal reads a user-supplied clock. A clock that throws, or returns anything that is not a
 * representable date (NaN, an infinity, a value past 8.64e15 either way, a non-number), gives
 * `undefined`: callers then decide without the clock instead of failing.
 */
export function readClock(now: () => number): number | undefined {
  let time: unknown;
  try {
    time = now();
  } catch {
    return undefined;
  }
  return typeof time === "number" && Math.abs(time) <= maxDateMilliseconds ? time : undefined;
}
