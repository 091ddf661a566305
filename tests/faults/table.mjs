// Renders the rows the fault scenarios recorded as one Markdown table, shared by the suite's
// closing summary and by the script that writes docs/reliability.md.
import { existsSync, readFileSync } from "node:fs";

/**
 * Reads the rows recorded during a run, in the order of the scenario list of each group.
 *
 * @param file the JSON-lines file the scenarios appended to.
 * @returns the rows, sorted by group then scenario order.
 */
export function readRows(file) {
  if (!existsSync(file)) return [];
  const rows = readFileSync(file, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line));
  return rows.sort((a, b) => a.order - b.order || a.group.localeCompare(b.group));
}

function dropped(row) {
  const entries = Object.entries(row.dropped ?? {}).filter(([, count]) => count > 0);
  return entries.length === 0
    ? "0"
    : entries.map(([reason, count]) => `${reason} ${count}`).join(", ");
}

function cell(value) {
  return String(value ?? "")
    .replaceAll("|", "\\|")
    .replaceAll("\n", " ");
}

/**
 * The table: one row per scenario.
 *
 * @param rows rows from {@link readRows}.
 * @returns Markdown text.
 */
export function renderTable(rows) {
  const header = [
    "| group | scenario | accepted | delivered | dropped (by reason) | failed | verdict | notes |",
    "| --- | --- | ---: | ---: | --- | ---: | --- | --- |",
  ];
  const lines = rows.map((row) =>
    [
      row.group,
      row.scenario,
      row.accepted ?? "",
      row.delivered ?? "",
      row.accepted === undefined ? "" : dropped(row),
      row.failed ?? "",
      row.verdict,
      row.notes ?? "",
    ]
      .map(cell)
      .join(" | "),
  );
  return [...header, ...lines.map((line) => `| ${line} |`)].join("\n");
}
