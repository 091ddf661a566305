// `pnpm demo` is the first thing a new user runs: its sections must print in the order they are
// written, whatever the sinks buffer.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const demo = fileURLToPath(new URL("../apps/examples/dist/demo.js", import.meta.url));

it("the demo prints its sections top to bottom (needs `pnpm build`)", () => {
  const result = spawnSync(process.execPath, [demo], { encoding: "utf8", timeout: 60_000 });
  expect(result.stderr).toBe("");
  expect(result.status).toBe(0);
  const lines = result.stdout.split("\n");
  const textHeader = lines.findIndex((line) => line.includes("== Text output template"));
  const burst = lines.findIndex((line) => line.includes("A burst of 10000 events"));
  const clefHeader = lines.findIndex((line) => line.includes('"Title":"CLEF'));
  expect(textHeader).toBeGreaterThanOrEqual(0);
  expect(burst).toBeGreaterThan(textHeader);
  expect(clefHeader).toBeGreaterThan(burst);
  expect(lines.at(-2)).toMatch(/"@mt":"Payment \{OrderId\} failed"/);
});
