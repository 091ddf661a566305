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
 * Makes text from an event safe for one line of a terminal or a text file: CR, LF, the other C0
 * controls except tab, DEL, C1 controls (U+0085 included), U+2028 and U+2029 are written as
 * visible escapes (`\n`, `\r`, `\e`, `\x7f`, `\x85`, `\u2028`...), so one event stays one line and
 * no ANSI sequence reaches the terminal. The text formatter applies it to everything an event
 * supplies; a sink that writes event text some other way can apply it too.
 *
 * @param text any text.
 * @returns the text with every unsafe character escaped.
 * @example
 * ```ts
 * escapeControlCharacters("a\nb\u001b[31m"); // "a\\nb\\e[31m"
 * ```
 */
export function escapeControlCharacters(text: string): string {
  return unsafeTest.test(text) ? text.replace(unsafe, escapeOne) : text;
}

/**
 * Escapes a multi-line block (an error's message, stack and causes) for text output: it keeps
 * its line structure, but every line is escaped and indented by two spaces, so text inside an
 * error can never pass for an event line, which starts in the first column.
 *
 * @param block the block, usually ending with a newline.
 * @returns the escaped, indented block, ending with a newline when `block` did.
 * @example
 * ```ts
 * escapeTextBlock("Error: boom\n    at f (a.js:1:1)\n"); // "  Error: boom\n      at f (a.js:1:1)\n"
 * ```
 */
export function escapeTextBlock(block: string): string {
  const trailingNewline = block.endsWith("\n");
  const body = trailingNewline ? block.slice(0, -1) : block;
  const lines = body.split("\n");
  let text = "";
  for (let index = 0; index < lines.length; index++) {
    if (index > 0) text += "\n";
    text += `  ${escapeControlCharacters(lines[index] as string)}`;
  }
  return trailingNewline ? `${text}\n` : text;
}
