// Scale and memory: many child loggers and sinks, millions of events through a queue, and a
// stalled sink under a small heap.
import { join } from "node:path";
import { describe, test } from "vitest";
import {
  addFigures,
  conclude,
  conservationViolations,
  figures,
  outputViolations,
  parseEvents,
  parseFiles,
  readText,
  runScenario,
  scale,
  workDirectory,
} from "./harness.ts";

function processViolations(report: Record<string, unknown> | undefined): string[] {
  const violations: string[] = [];
  const warnings = (report?.warnings as string[] | undefined) ?? [];
  if (warnings.length > 0) violations.push(`process warnings: ${warnings.slice(0, 3).join("; ")}`);
  for (const [name, count] of Object.entries((report?.listeners ?? {}) as Record<string, number>)) {
    if (count > 1) violations.push(`${count} listeners on ${name}`);
  }
  return violations;
}

describe("scale", () => {
  test("10,000 child loggers into 100 sinks: every sink gets every event, once, in order", () => {
    const scenario = "10,000 child loggers, 100 sinks";
    const directory = workDirectory();
    const children = 10_000;
    const sinks = 100;
    const result = runScenario({
      fixture: "scale-writer.mjs",
      args: { directory, mode: "fan-out", children, sinks },
      timeoutMs: 300_000,
    });
    const violations = [
      ...conservationViolations(result.final),
      ...processViolations(result.final),
    ];
    for (let index = 0; index < sinks; index++) {
      const delivered = result.final?.chains[index]?.at(-1)?.stats.delivered ?? -1;
      const found = parseEvents(...readText(join(directory, `sink-${index}.log`)));
      violations.push(
        ...outputViolations(found, delivered).map((text) => `sink ${index}: ${text}`),
      );
      if (delivered !== children) violations.push(`sink ${index}: ${delivered} of ${children}`);
    }
    const chains = Array.from({ length: sinks }, (_, chain) =>
      figures(result.final, undefined, chain),
    );
    conclude(
      {
        group: "scale",
        scenario,
        ...addFigures(chains),
        notes: `summed over the 100 sinks; ${Number(result.final?.seconds).toFixed(2)} s`,
      },
      violations,
    );
  });

  test("millions of events through a queue to a file: the exact line count, no warning, one listener per event", () => {
    const count = scale(500_000, 8_000_000);
    const scenario = `${count.toLocaleString("en")} events through a queue to a file`;
    const directory = workDirectory();
    const result = runScenario({
      fixture: "scale-writer.mjs",
      args: { directory, mode: "throughput", count },
      timeoutMs: 900_000,
    });
    const file = result.final?.chains[0]?.at(-1)?.stats;
    const violations = [
      ...conservationViolations(result.final),
      ...processViolations(result.final),
      ...outputViolations(parseFiles(join(directory, "app.log")), file?.delivered ?? -1),
    ];
    if (file?.delivered !== count) violations.push(`${file?.delivered} of ${count} delivered`);
    const seconds = Number(result.final?.seconds);
    conclude(
      {
        group: "scale",
        scenario,
        ...figures(result.final),
        notes: `${seconds.toFixed(1)} s, ${Math.round(count / seconds).toLocaleString("en")} events/s on a shared machine`,
      },
      violations,
    );
  });
});

describe("memory", () => {
  test("a stalled sink under --max-old-space-size=64: the heap stays bounded, the backlog is counted", () => {
    const seconds = scale(5, 60);
    const maxBytes = 16 * 1024 * 1024;
    const scenario = `stalled sink, 64 MB heap, ${seconds} s of overload`;
    const result = runScenario({
      fixture: "stalled-writer.mjs",
      args: { seconds, maxBytes },
      nodeOptions: ["--max-old-space-size=64", "--expose-gc"],
      timeoutMs: (seconds + 120) * 1000,
    });
    const largest = Number(result.final?.largestHeap);
    const violations = [...conservationViolations(result.final)];
    if (result.status !== 0)
      violations.push(
        `exit status ${result.status ?? result.signal}: ${result.stderr.slice(-300)}`,
      );
    // The queue README's bound: the live heap stays under maxBytes + 8 MiB; here 16 MiB of slack.
    if (!(largest < maxBytes + 16 * 1024 * 1024))
      violations.push(`largest live heap ${largest} bytes`);
    conclude(
      {
        group: "memory",
        scenario,
        ...figures(result.final),
        notes: `largest live heap ${(largest / 1048576).toFixed(1)} MiB (maxBytes 16 MiB); ${result.final?.events} events offered`,
      },
      violations,
    );
  });
});
