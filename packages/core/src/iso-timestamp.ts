// One entry per clock: the last millisecond seen and its text, and the last whole second and its
// `YYYY-MM-DDTHH:mm:ss.` prefix. Events arrive in bursts within one millisecond, and nearly always
// within one second of the previous event, so `Date#toISOString` runs about once a second.
let lastMilliseconds = Number.NaN;
let lastText = "";
let lastSecond = Number.NaN;
let secondPrefix = "";

const maxDateMilliseconds = 8.64e15;

const fractions: readonly string[] = Array.from(
  { length: 1000 },
  (_, index) => `${String(index).padStart(3, "0")}Z`,
);

/**
 * Formats epoch milliseconds as an ISO-8601 UTC timestamp with milliseconds, exactly as
 * `new Date(epochMilliseconds).toISOString()` does, caching the last millisecond and second.
 * Fractions of a millisecond are truncated. Never throws: a time outside the range of `Date`
 * (or `NaN`) is written as `String(epochMilliseconds)`.
 *
 * @param epochMilliseconds milliseconds since the Unix epoch.
 * @returns e.g. `"2026-11-28T05:52:37.123Z"`.
 */
export function isoTimestamp(epochMilliseconds: number): string {
  if (epochMilliseconds === lastMilliseconds) return lastText;
  // `Date` truncates fractions toward zero; so do we, before splitting off the second.
  const milliseconds = Math.trunc(epochMilliseconds);
  if (!(Math.abs(milliseconds) <= maxDateMilliseconds)) return String(epochMilliseconds);
  const second = Math.floor(milliseconds / 1000);
  if (second !== lastSecond) {
    const iso = new Date(second * 1000).toISOString();
    // Drop the `000Z`; years beyond 9999 make the prefix longer, hence no fixed slice.
    secondPrefix = iso.slice(0, iso.length - 4);
    lastSecond = second;
  }
  const fraction = milliseconds - second * 1000;
  lastText = secondPrefix + (fractions[fraction] as string);
  lastMilliseconds = epochMilliseconds;
  return lastText;
}
