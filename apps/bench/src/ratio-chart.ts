// The benchmark results as an SVG chart: per scenario, one horizontal bar per subject, its time
// per call as a ratio to the scenario's baseline (pino unless told otherwise), because bars are
// compared faster than digits. A pure function of the measurements, so the chart always shows the
// same run as the table beside it.
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
const colours = { sluice: "#2563eb", baseline: "#9ca3af", other: "#f59e0b" };

/**
 * Draws the measurements as horizontal bars of their ratio to each scenario's baseline, one group
 * per scenario in the order of their first measurement. Scenarios without their baseline are left
 * out. The scale is linear and shared by every group, with a dashed line at 1 (the baseline).
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
  const largest = Math.max(1, ...groups.flatMap((group) => group.bars.map((bar) => bar.ratio)));
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
  let legendX = width - 250;
  for (const [name, fill] of [
    ["Sluice", colours.sluice],
    ["baseline", colours.baseline],
    ["other", colours.other],
  ] as const) {
    parts.push(
      `<rect x="${legendX}" y="33" width="10" height="10" rx="2" fill="${fill}"/>`,
      text(legendX + 14, 42, name, { fill: "#374151" }),
    );
    legendX += 80;
  }
  let y = top;
  for (const group of groups) {
    parts.push(text(16, y + 16, `${group.title} (1 = ${group.baseline})`, { weight: "bold" }));
    y += headingHeight;
    for (const { subject, ratio } of group.bars) {
      const fill =
        subject === group.baseline
          ? colours.baseline
          : subject.startsWith("sluice")
            ? colours.sluice
            : colours.other;
      const length = Math.max(1, scale(ratio));
      parts.push(
        text(labelRight, y + 14, subject, { anchor: "end" }),
        `<rect x="${barLeft}" y="${y + 4}" width="${length.toFixed(1)}" height="${barHeight}" rx="2" fill="${fill}"/>`,
        text(barLeft + length + 6, y + 15, `${ratio.toFixed(2)}×`, { fill: "#374151" }),
      );
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
