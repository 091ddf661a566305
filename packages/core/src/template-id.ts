/**
 * The event type id of a template: Jenkins' one-at-a-time hash of the template's UTF-16 code
 * units, as 8 lowercase hex digits. This is the hash Serilog's compact JSON formatter writes as
 * `@i`, so events from Sluice and Serilog with the same template share an id.
 *
 * @param text the template's source text.
 * @returns 8 lowercase hex digits.
 */
export function templateId(text: string): string {
  let hash = 0;
  for (let index = 0; index < text.length; index++) {
    hash = (hash + text.charCodeAt(index)) >>> 0;
    hash = (hash + (hash << 10)) >>> 0;
    hash = (hash ^ (hash >>> 6)) >>> 0;
  }
  hash = (hash + (hash << 3)) >>> 0;
  hash = (hash ^ (hash >>> 11)) >>> 0;
  hash = (hash + (hash << 15)) >>> 0;
  return hash.toString(16).padStart(8, "0");
}
