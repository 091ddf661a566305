// The benchmark results as an SVG chart: per scenario, one horizontal bar per subject, its time
// per call as a ratio to the scenario's baseline (pino unless told otherwise), because bars are
// compared faster than digits. A pure function of the measurements, so the chart always shows the
// same run as the table beside it. The scale stops at `longestRatio`: a peer tens of times slower
// than the baseline in one scenario would otherwise shrink every other bar to a sliver.
import type { Measurement } from "./measure.ts";

/** What the chart needs besides the measurements. */
export interface RatioChartOptions {
  /** A readable title per scenario id (Markdown backticks are dropped). */
  readonly titles?: Readonly<Record<string, string>>;
  /** The subject each scenario is compared with, when it is not `"pino"`. */
  readonly baselines?: Readonly<Record<string, string>>;
  /** A line under the chart's title, such as the machine the run was made on. */
  readonly caption?: string;
}

const width = 760;
const labelRight = 150;
const barLeft = 160;
const barSpace = 500;
const rowHeight = 22;
const barHeight = 14;
const headingHeight = 26;
const top = 58;
const colours = {
  sluice: "#2563eb",
  baseline: "#9ca3af",
  winston: "#16a34a",
  logtape: "#9333ea",
  other: "#f59e0b",
};
/** The longest bar's ratio; longer ones are cut there, marked with a break and their figure. */
export const longestRatio = 4;

/** A subject's colour: Sluice's, the baseline's, a peer's, or any other subject's. */
function colourOf(subject: string, baseline: string): string {
  if (subject === baseline) return colours.baseline;
  if (subject.startsWith("sluice")) return colours.sluice;
  if (subject === "winston") return colours.winston;
  if (subject === "logtape") return colours.logtape;
  return colours.other;
}

/**
 * Draws the measurements as horizontal bars of their ratio to each scenario's baseline, one group
 * per scenario in the order of their first measurement. Scenarios without their baseline are left
 * out. The scale is linear and shared by every group, with a dashed line at 1 (the baseline); it
 * ends at the largest ratio or {@link longestRatio}, whichever is smaller, and a bar beyond it is
 * drawn to the end with a white break across it (its label still gives its ratio).
 * @param measurements one median row per scenario and subject.
 * @param options titles, baselines and caption.
 * @returns the SVG document.
 */
export function ratioChart(
  measurements: readonly Measurement[],
  options: RatioChartOptions = {},
): string {
  const groups: { title: string; baseline: string; bars: { subject: string; ratio: number }[] }[] =
    [];
  for (const scenario of new Set(measurements.map((measurement) => measurement.scenario))) {
    const rows = measurements.filter((measurement) => measurement.scenario === scenario);
    const baseline = options.baselines?.[scenario] ?? "pino";
    const base = rows.find((row) => row.subject === baseline)?.nsPerOp;
    if (base === undefined || !(base > 0)) continue;
    const title = (options.titles?.[scenario] ?? scenario).replaceAll("`", "");
    const bars = rows.map((row) => ({ subject: row.subject, ratio: row.nsPerOp / base }));
    groups.push({ title, baseline, bars });
  }
  const largest = Math.min(
    longestRatio,
    Math.max(1, ...groups.flatMap((group) => group.bars.map((bar) => bar.ratio))),
  );
  const scale = (ratio: number): number => (ratio / largest) * barSpace;
  const height =
    top +
    groups.reduce((sum, group) => sum + headingHeight + group.bars.length * rowHeight, 0) +
    16;

  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif" font-size="12">`,
    `<title>${escapeXml(`Benchmark: time per call relative to the baseline. ${options.caption ?? ""}`.trim())}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    text(16, 24, "Time per call, relative to the baseline (shorter is faster)", {
      size: 16,
      weight: "bold",
    }),
    text(16, 42, options.caption ?? "", { fill: "#6b7280" }),
  ];
  const legend = [
    ["Sluice", colours.sluice],
    ["baseline", colours.baseline],
    ["winston", colours.winston],
    ["LogTape", colours.logtape],
    ["other", colours.other],
  ] as const;
  let legendX = width - 16 - legend.reduce((sum, [name]) => sum + legendWidth(name), 0);
  for (const [name, fill] of legend) {
    parts.push(
      `<rect x="${legendX}" y="33" width="10" height="10" rx="2" fill="${fill}"/>`,
      text(legendX + 14, 42, name, { fill: "#374151" }),
    );
    legendX += legendWidth(name);
  }
  let y = top;
  for (const group of groups) {
    parts.push(text(16, y + 16, `${group.title} (1 = ${group.baseline})`, { weight: "bold" }));
    y += headingHeight;
    for (const { subject, ratio } of group.bars) {
      const fill = colourOf(subject, group.baseline);
      const cut = ratio > largest;
      const length = Math.max(1, scale(Math.min(ratio, largest)));
      parts.push(
        text(labelRight, y + 14, subject, { anchor: "end" }),
        `<rect x="${barLeft}" y="${y + 4}" width="${length.toFixed(1)}" height="${barHeight}" rx="2" fill="${fill}"/>`,
      );
      if (cut) {
        const at = barLeft + length - 24;
        parts.push(
          `<path d="M${at.toFixed(1)} ${y + 20}l6 -${barHeight + 4}m4 0l-6 ${barHeight + 4}" stroke="#ffffff" stroke-width="2"/>`,
        );
      }
      parts.push(text(barLeft + length + 6, y + 15, `${ratio.toFixed(2)}×`, { fill: "#374151" }));
      y += rowHeight;
    }
  }
  const one = (barLeft + scale(1)).toFixed(1);
  parts.push(
    `<line x1="${one}" y1="${top}" x2="${one}" y2="${y + 4}" stroke="#6b7280" stroke-dasharray="4 3"/>`,
    "</svg>",
  );
  return `${parts.join("\n")}\n`;
}

/** The room a legend entry takes: its swatch, its name (about 7 px a letter) and a gap. */
function legendWidth(name: string): number {
  return 14 + name.length * 7 + 14;
}

/** A `<text>` element with its content escaped. */
function text(
  x: number,
  y: number,
  content: string,
  style: { size?: number; weight?: string; fill?: string; anchor?: string } = {},
): string {
  const attributes = [
    `x="${x.toFixed(1)}"`,
    `y="${y}"`,
    style.size === undefined ? "" : `font-size="${style.size}"`,
    style.weight === undefined ? "" : `font-weight="${style.weight}"`,
    `fill="${style.fill ?? "#111827"}"`,
    style.anchor === undefined ? "" : `text-anchor="${style.anchor}"`,
  ].filter(Boolean);
  return `<text ${attributes.join(" ")}>${escapeXml(content)}</text>`;
}

function escapeXml(value: string): string {
  return value.replace(/[<>&"']/g, (character) => `&#${character.charCodeAt(0)};`);
}
