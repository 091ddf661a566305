import { LoggingError } from "@sluice/core";

/**
 * Refuses an options object with a key its function does not know: a misspelt option (`dropRat`,
 * `alertInterval`) would otherwise be ignored without a word, and the alert or the setting the
 * user meant would silently never apply.
 *
 * @param given the options object, already known to be an object.
 * @param where how the user refers to it, e.g. `"thresholds"` or `"createMetrics options"`.
 * @param prefix put before a key in the message, e.g. `"thresholds."`, or `""`.
 * @param accepted every key it accepts.
 * @throws {LoggingError} `invalid_option` naming the first unknown key and listing the accepted ones.
 */
export function refuseUnknownKeys(
  given: object,
  where: string,
  prefix: string,
  accepted: readonly string[],
): void {
  for (const key of Object.keys(given)) {
    if (accepted.includes(key)) continue;
    throw new LoggingError(
      "invalid_option",
      `Invalid option "${prefix}${key}": ${where} accept only ${accepted.join(", ")}.`,
    );
  }
}
