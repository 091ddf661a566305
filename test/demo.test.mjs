// `pnpm demo` is the first thing a new user runs: its sections must print in the order they are
// written, whatever the sinks buffer, and it ends with the shutdown report.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const demo = fileURLToPath(new URL("../apps/examples/dist/production.js", import.meta.url));

it("the demo prints its sections top to bottom and ends with the report (needs `pnpm build`)", () => {
  const started = performance.now();
  const result = spawnSync(process.execPath, [demo], { encoding: "utf8", timeout: 60_000 });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const lines = result.stdout.trimEnd().split("\n");
  const at = (pattern) => lines.findIndex((line) => pattern.test(line));
  const sections = [1, 2, 3, 4].map((number) => at(new RegExp(`^== ${number}\\. `)));
  const lastWarning = lines.findLastIndex((line) =>
    line.includes("[WRN] Stock of sku-19999 is low"),
  );
  const rolled = at(/^ {2}app\.\d{4}-\S*\.log +\d+ KiB {2}rolled$/);
  const accepted = at(/^ {2}sluice_sink_log_accepted_total\{sink="app"\} 20004$/);
  expect(sections.every((index) => index >= 0)).toBe(true);
  expect([...sections].sort((a, b) => a - b)).toEqual(sections);
  expect(lastWarning).toBeGreaterThan(sections[0]);
  expect(lastWarning).toBeLessThan(sections[1]);
  expect(rolled).toBeGreaterThan(sections[1]);
  expect(accepted).toBeGreaterThan(sections[2]);
  expect(lines.at(-1)).toMatch(/^Shutdown report: ok .*20008 of 20008 events delivered/);
  // The promise of `pnpm demo`: end to end in under 15 s (the build aside), here with room for a
  // loaded machine.
  expect(performance.now() - started).toBeLessThan(15_000);
}, 60_000);
