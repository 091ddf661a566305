// A core case with Sluice and pino taking turns in one process, so that whatever the host does
// to a process's speed falls on both alike. On this kind of machine (a VM on shared cores) a
// process of the in-memory cases runs at one of two speeds about 2x apart, for Sluice and pino
// alike, whatever is pinned inside it; one process a subject then needs many rounds before a
// ratio of medians settles. Here the subjects run in blocks of `block` calls (produce(): 1000
// calls a turn of the event loop), the order within each of `pairs` pairs drawn at random, each
// block timed whole; the row's figures are the subjects' mean ns per call over all their blocks,
// with the median and quartiles of the pairs' ratios. Each subject has its own destination and
// logger; the libraries share no code but the runtime's. A garbage collection runs in whichever
// block it falls, so garbage one side makes is charged to both, which leans toward pino if at all
// (a child event: about 1.16 KB of garbage in Sluice, 1.36 KB in pino). Every line is counted,
// and a checked run of 1000 events for each subject parses every line.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { argument, fail, produce, report } from "../measure.ts";
import { type CoreCase, checkInMemory, createSubject, type Subject } from "./core-subjects.ts";

const scenario = argument("case", "child") as CoreCase;
if (scenario !== "memory" && scenario !== "child") fail(`${scenario}: memory or child only`);
const pairs = Number(argument("pairs", "200"));
const block = Number(argument("block", "10000"));
const warmupPairs = Math.max(2, Math.ceil(pairs / 10));
const directory = mkdtempSync(join(tmpdir(), "sluice-core-interleaved-"));
const subjects = ["sluice", "pino"] as const;
const chosen: Record<(typeof subjects)[number], Subject> = {
  sluice: await createSubject(scenario, "sluice", join(directory, "sluice.log")),
  pino: await createSubject(scenario, "pino", join(directory, "pino.log")),
};
const called = { sluice: 0, pino: 0 };
const timedNs = { sluice: 0, pino: 0 };

/** Runs one block of `name`'s calls; returns the nanoseconds spent inside them. */
async function runBlock(name: (typeof subjects)[number]): Promise<number> {
  const subject = chosen[name];
  const first = called[name];
  const cost = await produce(
    (index) => subject.call(first + index),
    block,
    Number.POSITIVE_INFINITY,
  );
  called[name] = first + block;
  return cost.totalNs;
}

const ratios: number[] = [];
for (let pair = 0; pair < warmupPairs + pairs; pair++) {
  const sluiceFirst = Math.random() < 0.5;
  const firstNs = await runBlock(sluiceFirst ? "sluice" : "pino");
  const secondNs = await runBlock(sluiceFirst ? "pino" : "sluice");
  if (pair < warmupPairs) continue;
  const sluiceNs = sluiceFirst ? firstNs : secondNs;
  const pinoNs = sluiceFirst ? secondNs : firstNs;
  timedNs.sluice += sluiceNs;
  timedNs.pino += pinoNs;
  ratios.push(sluiceNs / pinoNs);
}

for (const name of subjects) {
  const label = `${scenario}-interleaved ${name}`;
  const lines = await checkInMemory(chosen[name], scenario, label, called[name]);
  if (lines !== called[name]) fail(`${label}: ${lines} of ${called[name]} lines`);
}
rmSync(directory, { recursive: true, force: true });

ratios.sort((a, b) => a - b);
const at = (q: number): string =>
  (ratios[Math.floor(q * (ratios.length - 1))] as number).toFixed(2);
const timedCalls = pairs * block;
for (const name of subjects) {
  report({
    scenario: `${scenario}-interleaved`,
    subject: name,
    nsPerOp: timedNs[name] / timedCalls,
    extra: {
      ...(name === "sluice"
        ? { "pair ratio p25 / p50 / p75": `${at(0.25)} / ${at(0.5)} / ${at(0.75)}` }
        : {}),
      pairs: String(pairs),
      "calls per block": String(block),
      lines: `${called[name] + 1000} (counted; the last 1000 checked)`,
    },
  });
}
