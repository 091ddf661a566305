// The short table of the root README ("How fast"): per row, Sluice's figure beside pino best's,
// winston's and LogTape's, and each one's ratio to pino best, taken from one run's medians so it
// always agrees with the bench README's full table.
import { markdownTable } from "./markdown-table.ts";
import type { Measurement } from "./measure.ts";

/** One row of the summary: a Sluice subject of a scenario. */
export interface SummaryRow {
  readonly scenario: string;
  /** The Sluice subject the row shows. */
  readonly subject: string;
  /** What was measured, in words. */
  readonly label: string;
  /** The figure's unit, shown after the label (with pino best's subject where there are two). */
  readonly unit: string;
}

/** What the summary needs besides the measurements. */
export interface SummaryOptions {
  /** Each scenario's baseline subject in this run (pino best). */
  readonly baselines: Readonly<Record<string, string>>;
  /** The scenarios with more than one pino subject, whose baseline is named in the label. */
  readonly pinoBest: Readonly<Record<string, readonly string[]>>;
  /** The peers' columns: a title and the subject's id in every scenario. */
  readonly peers: readonly { readonly title: string; readonly subject: string }[];
}

const missing = "—";

/** Nanoseconds as the table shows them: one decimal below 100, whole numbers above. */
function figure(ns: number | undefined): string {
  if (ns === undefined) return missing;
  return ns < 100 ? ns.toFixed(1) : ns.toFixed(0);
}

function ratio(ns: number | undefined, base: number | undefined): string {
  return ns === undefined || base === undefined ? missing : (ns / base).toFixed(2);
}

/**
 * The summary table, followed by a line saying what a dash means when a cell has none.
 * @param measurements one median row per scenario and subject.
 * @param rows the rows to show, in order.
 * @param options the run's baselines and the peers' columns.
 * @returns Markdown, without a trailing newline.
 */
export function summaryTable(
  measurements: readonly Measurement[],
  rows: readonly SummaryRow[],
  options: SummaryOptions,
): string {
  const find = (scenario: string, subject: string | undefined): number | undefined =>
    measurements.find((entry) => entry.scenario === scenario && entry.subject === subject)?.nsPerOp;
  const head = [
    "scenario (pino best: the faster of pino's subjects in the same run)",
    "Sluice",
    "pino best",
    ...options.peers.map((peer) => peer.title),
    "Sluice / pino best",
    ...options.peers.map((peer) => `${peer.title} / pino best`),
  ];
  const body = rows.map((row) => {
    const baseline = options.baselines[row.scenario];
    const base = find(row.scenario, baseline);
    const named =
      baseline !== undefined && (options.pinoBest[row.scenario]?.length ?? 0) > 1
        ? `; ${baseline}`
        : "";
    const sluice = find(row.scenario, row.subject);
    const peers = options.peers.map((peer) => find(row.scenario, peer.subject));
    return [
      `${row.label} (${row.unit}${named})`,
      figure(sluice),
      figure(base),
      ...peers.map(figure),
      ratio(sluice, base),
      ...peers.map((ns) => ratio(ns, base)),
    ];
  });
  const table = markdownTable(
    head,
    head.map((_, column) => column > 0),
    body,
  );
  return body.some((cells) => cells.includes(missing))
    ? `${table}\n\n${missing}: no such subject in this run.`
    : table;
}
