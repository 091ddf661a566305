// SIGKILL during a burst: no hook runs, so what the process still held is lost. The file must
// hold every event reported delivered before the kill, each once and in order, with at most the
// last line torn; the loss, measured against the last counters the process reported, is the
// window a user must expect.
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "vitest";
import {
  addFigures,
  conclude,
  parseEvents,
  progressed,
  type Row,
  readText,
  scale,
  startScenario,
  workDirectory,
} from "./harness.ts";

const group = "crash";

const chains = [
  { name: "file sink", queue: undefined },
  { name: "queue in front of the file sink", queue: {} },
] as const;

describe("SIGKILL during a burst", () => {
  for (const { name, queue } of chains) {
    test(`${name}: what was reported delivered is in the file, the loss bounded by what was pending`, async () => {
      const kills = scale(4, 20);
      const scenario = `SIGKILL at ${kills} random instants, ${name}`;
      const violations: string[] = [];
      const rows: Partial<Row>[] = [];
      const losses: number[] = [];
      let torn = 0;
      for (let kill = 0; kill < kills; kill++) {
        const path = join(workDirectory(), "app.log");
        const running = startScenario({ fixture: "burst-writer.mjs", args: { path, queue } });
        if (!(await progressed(running))) violations.push(`kill ${kill}: the child never started`);
        const delay = Math.floor(Math.random() * 300);
        await sleep(delay);
        running.child.kill("SIGKILL");
        const result = await running.done;
        const last = result.reports.at(-1);
        const outer = last?.chains[0]?.[0]?.stats;
        const file = last?.chains[0]?.at(-1)?.stats;
        const found = parseEvents(...readText(path));
        const prefix = `kill ${kill} (+${delay} ms)`;
        if (outer === undefined || file === undefined) {
          violations.push(`${prefix}: no counters were reported`);
          continue;
        }
        if (found.tornEnd) torn++;
        if (found.invalid.length > (found.tornEnd ? 1 : 0)) {
          violations.push(`${prefix}: ${found.invalid.length} invalid lines`);
        }
        if (
          !found.numbers.every(
            (n, index) => index === 0 || n > (found.numbers[index - 1] as number),
          )
        ) {
          violations.push(`${prefix}: events out of order or repeated`);
        }
        if (found.numbers.length < file.delivered) {
          violations.push(
            `${prefix}: ${found.numbers.length} lines, ${file.delivered} reported delivered`,
          );
        }
        const dropped = Object.values(outer.dropped).reduce((a, b) => a + b, 0);
        const lost = Math.max(0, outer.accepted - dropped - outer.failed - found.numbers.length);
        losses.push(lost);
        if (lost > outer.pending) {
          violations.push(
            `${prefix}: ${lost} lost, more than the ${outer.pending} pending at the last report`,
          );
        }
        rows.push({
          accepted: outer.accepted,
          delivered: found.numbers.length,
          dropped: outer.dropped,
          failed: outer.failed,
        });
      }
      const sorted = [...losses].sort((a, b) => a - b);
      conclude(
        {
          group,
          scenario,
          ...addFigures(rows),
          notes:
            `delivered = lines found; lost at the kill (of events accepted by the last report): ` +
            `median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted.at(-1)}, never more than was pending; ` +
            `torn last line in ${torn} of ${kills}`,
        },
        violations,
      );
    });
  }
});
