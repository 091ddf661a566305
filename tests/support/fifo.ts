// Reading a FIFO from a test that plays a pipe's reader: what the pipe holds right now, without
// waiting for a writer, and the events of the whole lines read so far.
import { readSync } from "node:fs";

/**
 * Reads what the pipe holds now, without waiting (the descriptor is opened `O_NONBLOCK`).
 *
 * @param fd the reading end.
 * @returns the text read; empty when the pipe held nothing.
 */
export function readAvailable(fd: number): string {
  const buffer = Buffer.alloc(1 << 16);
  let text = "";
  try {
    for (let read = readSync(fd, buffer); read > 0; read = readSync(fd, buffer)) {
      text += buffer.toString("utf8", 0, read);
    }
  } catch {
    // EAGAIN: nothing more for now.
  }
  return text;
}

/**
 * The event numbers (the `N` property) of the whole JSON lines in `text`; a torn last line is
 * left out.
 *
 * @param text lines as read from the pipe.
 * @returns each whole line's `N`, in order.
 */
export function eventNumbers(text: string): number[] {
  const lines = text.split("\n");
  lines.pop();
  return lines.map((line) => (JSON.parse(line) as { N: number }).N);
}
