// C0 controls except tab, DEL, C1 controls, NEL (U+0085, inside C1), and the Unicode line and
// paragraph separators: everything a terminal or a line-based reader could take as a line break
// or an escape sequence. ESC (U+001B) is among them, so ANSI sequences arrive inert.
const unsafe = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/g;
const unsafeTest = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029]/;

const named: Readonly<Record<string, string>> = {
  "\n": "\\n",
  "\r": "\\r",
  "\u001b": "\\e",
};

function escapeOne(character: string): string {
  const name = named[character];
  if (name !== undefined) return name;
  const code = character.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, "0")}`
    : `\\u${code.toString(16).padStart(4, "0")}`;
}

/**
 * Makes user-supplied text safe for a terminal line: CR, LF, the other C0 controls except tab,
 * DEL, C1 controls (U+0085 included), U+2028 and U+2029 are written as visible escapes (`\n`,
 * `\e`, `\x7f`, `\u2028`...), so one event stays one line and no ANSI sequence reaches the
 * terminal.
 *
 * @param text any text.
 * @returns the text with every unsafe character escaped.
 */
export function escapeControlCharacters(text: string): string {
  return unsafeTest.test(text) ? text.replace(unsafe, escapeOne) : text;
}
