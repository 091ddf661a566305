// Markdown tables and the generated sections of a README, laid out as the repository's formatter
// lays them out, so a regenerated file passes the format check unchanged.

/**
 * A Markdown table with padded columns.
 * @param head the column titles.
 * @param right which columns are right-aligned (numbers).
 * @param body the rows, one cell per column.
 * @returns the table, without a trailing newline.
 */
export function markdownTable(
  head: readonly string[],
  right: readonly boolean[],
  body: readonly (readonly string[])[],
): string {
  const widths = head.map((title, column) =>
    Math.max(3, title.length, ...body.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: readonly string[]): string =>
    `| ${cells
      .map((cell, column) => {
        const width = widths[column] as number;
        return right[column] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(" | ")} |`;
  const rule = `| ${widths
    .map((width, column) => (right[column] ? `${"-".repeat(width - 1)}:` : "-".repeat(width)))
    .join(" | ")} |`;
  return [line(head), rule, ...body.map(line)].join("\n");
}

/**
 * Replaces what lies between the markers `<!-- name:start -->` and `<!-- name:end -->`.
 * @param text the document.
 * @param name the markers' name.
 * @param content the new section, placed on its own lines between the markers.
 * @returns the document with the section replaced.
 * @throws Error when either marker is missing or they are out of order, so a run never writes a
 * document it would corrupt.
 */
export function replaceSection(text: string, name: string, content: string): string {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = text.indexOf(start);
  const to = text.indexOf(end);
  if (from === -1 || to < from) throw new Error(`the markers ${start} and ${end} are missing`);
  return `${text.slice(0, from + start.length)}\n${content}\n${text.slice(to)}`;
}
