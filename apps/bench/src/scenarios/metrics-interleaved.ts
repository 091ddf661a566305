// The cost of metering as a share of the queued file pipeline's work, measured in one process so
// that the machine's load falls on both sides alike: two pipelines side by side,
//   plain    withQueue(createFileSink(...))
//   metered  withMetrics(withQueue(createFileSink(...)), { metrics, name })
// each writing its own file. They take turns in blocks of `block` events (1000 calls per
// event-loop turn, then a flush, so that the block's writes are done within its own turn), the
// order within each pair of blocks drawn at random. Each block's CPU time (user + system, every
// thread) is read from process.cpuUsage(). The overhead is the metered blocks' CPU over the plain
// blocks' in all, with the median and quartiles of the pairs' ratios beside it. Every line of both
// files is then parsed and checked. A garbage collection runs in whichever block it falls, so
// garbage one side makes is charged to both; metering allocates nothing per event, so this blurs
// little.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "@sluice/core";
import { createMetrics, withMetrics } from "@sluice/metrics";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { argument, checkLines, fail, report } from "../measure.ts";

const pairs = Number(argument("pairs", "100"));
const block = Number(argument("block", "10000"));
const warmupPairs = Math.max(2, Math.ceil(pairs / 10));
const directory = mkdtempSync(join(tmpdir(), "sluice-bench-metrics-"));
const plainPath = join(directory, "plain.log");
const meteredPath = join(directory, "metered.log");

const metrics = createMetrics();
const plain = createLogger({ sinks: [withQueue(createFileSink({ path: plainPath }))] });
const metered = createLogger({
  sinks: [withMetrics(withQueue(createFileSink({ path: meteredPath })), { metrics, name: "app" })],
});
const written = new Map<Logger, number>([
  [plain, 0],
  [metered, 0],
]);

/** Logs one block into `log` and waits for it to be on disk; returns its CPU time in µs. */
async function runBlock(log: Logger): Promise<number> {
  const first = written.get(log) as number;
  const before = process.cpuUsage();
  for (let index = first; index < first + block; ) {
    const end = Math.min(first + block, index + 1000);
    for (; index < end; index++) {
      log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: index });
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  await log.flush();
  const used = process.cpuUsage(before);
  written.set(log, first + block);
  return used.user + used.system;
}

const ratios: number[] = [];
let plainMicros = 0;
let meteredMicros = 0;
for (let pair = 0; pair < warmupPairs + pairs; pair++) {
  const meteredFirst = Math.random() < 0.5;
  const firstCost = await runBlock(meteredFirst ? metered : plain);
  const secondCost = await runBlock(meteredFirst ? plain : metered);
  if (pair < warmupPairs) continue;
  const plainCost = meteredFirst ? secondCost : firstCost;
  const meteredCost = meteredFirst ? firstCost : secondCost;
  plainMicros += plainCost;
  meteredMicros += meteredCost;
  ratios.push(meteredCost / plainCost);
}
await Promise.all([plain.close(), metered.close()]);

for (const [log, path] of [
  [plain, plainPath],
  [metered, meteredPath],
] as const) {
  const check = checkLines(readFileSync(path, "utf8"), "/api/items", 0);
  const expected = written.get(log) as number;
  if (check.problem !== undefined) fail(`metrics-interleaved ${path}: ${check.problem}`);
  if (check.lines !== expected) fail(`metrics-interleaved ${path}: ${check.lines} of ${expected}`);
}
rmSync(directory, { recursive: true, force: true });
const snapshot = metrics.snapshot().sinks[0];
const meteredEvents = written.get(metered) as number;
if (snapshot?.delivered !== meteredEvents) {
  fail(`metrics-interleaved: metered ${snapshot?.delivered} delivered of ${meteredEvents}`);
}

ratios.sort((a, b) => a - b);
const at = (q: number): string =>
  ((ratios[Math.floor(q * (ratios.length - 1))] as number) - 1).toLocaleString("en", {
    style: "percent",
    minimumFractionDigits: 1,
  });
const events = pairs * block;
report({
  scenario: "metrics-interleaved",
  subject: "queue-metrics",
  nsPerOp: (meteredMicros * 1000) / events,
  extra: {
    "plain CPU ns/event": ((plainMicros * 1000) / events).toFixed(0),
    overhead: (meteredMicros / plainMicros - 1).toLocaleString("en", {
      style: "percent",
      minimumFractionDigits: 2,
    }),
    "pair ratio p25 / p50 / p75": `${at(0.25)} / ${at(0.5)} / ${at(0.75)}`,
    pairs: String(pairs),
    "events per block": String(block),
    lines: `${written.get(plain)} + ${meteredEvents} (all checked)`,
  },
});
