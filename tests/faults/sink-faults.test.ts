// Third-party sinks that break the contract or cannot keep up: the wrappers around them must
// count every event and keep the others flowing.
import { join } from "node:path";
import { describe, test } from "vitest";
import {
  component,
  conclude,
  conservationViolations,
  figures,
  heard,
  loggerViolations,
  outputViolations,
  parseEvents,
  readText,
  runScenario,
  scale,
  workDirectory,
} from "./harness.ts";

const group = "sink faults";

describe("sink faults", () => {
  test("a sink whose write throws: isolated and counted; the file beside it gets every event", () => {
    const scenario = "third-party write throws (1 in 3)";
    const path = join(workDirectory(), "third-party.log");
    const count = scale(3_000, 30_000);
    const result = runScenario({
      fixture: "third-party-sink.mjs",
      args: { mode: "throws", path, count },
    });
    const metered = result.final?.chains[0]?.[0]?.stats;
    const file = result.final?.chains[1]?.at(-1)?.stats;
    const throwing = Math.ceil(count / 3);
    const violations = [
      ...conservationViolations(result.final),
      ...loggerViolations(result.final),
      ...outputViolations(parseEvents(...readText(path)), metered?.delivered ?? -1),
      ...outputViolations(parseEvents(...readText(`${path}.beside`)), file?.delivered ?? -1),
    ];
    if (metered?.failed !== throwing)
      violations.push(`${metered?.failed} failed, ${throwing} threw`);
    if (file?.delivered !== count)
      violations.push(`the file beside got ${file?.delivered} of ${count}`);
    const writeErrors = (result.final?.logger as { sinkWriteErrors?: number[] } | undefined)
      ?.sinkWriteErrors;
    conclude(
      {
        group,
        scenario,
        ...figures(result.final),
        notes: `logger sinkWriteErrors: ${writeErrors?.join("/")}`,
      },
      violations,
    );
  });

  test("a sink whose writeBatch rejects: the queue counts those batches failed and goes on", () => {
    const scenario = "third-party writeBatch rejects (1 batch in 3)";
    const path = join(workDirectory(), "third-party.log");
    const count = scale(5_000, 50_000);
    const result = runScenario({
      fixture: "third-party-sink.mjs",
      args: {
        mode: "rejects",
        path,
        count,
        chunk: 50,
        queue: { batchSize: 100, flushIntervalMs: 1 },
      },
    });
    const queue = component(result.final, "queue");
    const violations = [
      ...conservationViolations(result.final),
      ...loggerViolations(result.final),
      ...outputViolations(parseEvents(...readText(path)), queue?.delivered ?? -1),
    ];
    if ((queue?.failed ?? 0) === 0) violations.push("no batch counted failed");
    conclude(
      { group, scenario, ...figures(result.final, "queue"), notes: heard(result.final) },
      violations,
    );
  });

  test("a sink that never settles: the process still ends, the batch and backlog counted shutdown_timeout", () => {
    const scenario = "third-party writeBatch never settles, process runs dry";
    const path = join(workDirectory(), "third-party.log");
    const count = scale(2_000, 20_000);
    const result = runScenario({
      fixture: "third-party-sink.mjs",
      args: { mode: "never-settles", path, count, queue: { batchSize: 500 } },
      timeoutMs: 30_000,
    });
    const queue = component(result.final, "queue");
    const violations = [...conservationViolations(result.final), ...loggerViolations(result.final)];
    if (result.signal !== null) violations.push(`the child hung and was killed (${result.signal})`);
    if (queue?.dropped.shutdown_timeout !== count) {
      violations.push(`${queue?.dropped.shutdown_timeout} of ${count} counted shutdown_timeout`);
    }
    conclude(
      { group, scenario, ...figures(result.final, "queue"), notes: heard(result.final) },
      violations,
    );
  });

  for (const register of ["queue", "metered"] as const) {
    test(`a sink that never settles, under a graceful shutdown given the ${register} sink: the deadline holds, the rest is abandoned and counted`, () => {
      const scenario = `third-party never settles, graceful shutdown 300 ms, ${register} registered`;
      const path = join(workDirectory(), "third-party.log");
      const count = scale(2_000, 20_000);
      const result = runScenario({
        fixture: "third-party-sink.mjs",
        args: {
          mode: "never-settles",
          path,
          count,
          queue: { batchSize: 500 },
          shutdownMs: 300,
          register,
        },
        timeoutMs: 30_000,
      });
      const shutdown = result.final?.shutdown as
        | {
            durationMs: number;
            resources: {
              outcome: string;
              events?: {
                accepted: number;
                delivered: number;
                failed: number;
                abandoned: number;
                dropped: Record<string, number>;
              };
            }[];
          }
        | undefined;
      const events = shutdown?.resources[0]?.events;
      const violations = [...loggerViolations(result.final)];
      if (events === undefined) violations.push("the shutdown report has no event counts");
      else {
        const dropped = Object.values(events.dropped).reduce((a, b) => a + b, 0);
        if (events.accepted !== events.delivered + events.failed + dropped + events.abandoned) {
          violations.push(
            `report: accepted ${events.accepted} != delivered ${events.delivered} + failed ${events.failed} + dropped ${dropped} + abandoned ${events.abandoned}`,
          );
        }
        if (events.abandoned !== count) {
          violations.push(
            `report: ${events.abandoned} abandoned and ${events.delivered} delivered of ${count} the sink never took`,
          );
        }
      }
      if (shutdown?.resources[0]?.outcome !== "timed-out") {
        violations.push(`outcome ${shutdown?.resources[0]?.outcome}`);
      }
      if (result.status !== 0) violations.push(`exit status ${result.status}`);
      conclude(
        {
          group,
          scenario,
          ...(events === undefined
            ? {}
            : {
                accepted: events.accepted,
                delivered: events.delivered,
                dropped: events.dropped,
                failed: events.failed,
              }),
          notes: `figures from the shutdown report; abandoned ${events?.abandoned}; shutdown took ${Math.round(shutdown?.durationMs ?? -1)} ms`,
        },
        violations,
      );
    });
  }

  test("a sink 10x slower than the producer: the queue sheds to its bound, what it delivers lands once in order", () => {
    const scenario = "third-party 10x slower than the producer";
    const path = join(workDirectory(), "third-party.log");
    const count = scale(20_000, 200_000);
    // The producer writes 100 events a millisecond; the sink takes 1 ms per 10 events.
    const result = runScenario({
      fixture: "third-party-sink.mjs",
      args: {
        mode: "slow",
        path,
        count,
        chunk: 100,
        perEventMs: 0.1,
        queue: { maxEvents: 2_000, batchSize: 200, flushIntervalMs: 1 },
      },
    });
    const queue = component(result.final, "queue");
    const violations = [
      ...conservationViolations(result.final),
      ...loggerViolations(result.final),
      ...outputViolations(parseEvents(...readText(path)), queue?.delivered ?? -1),
    ];
    if ((queue?.dropped.queue_full ?? 0) + (queue?.dropped.shed ?? 0) === 0) {
      violations.push("the queue never overflowed: the sink was not slower");
    }
    conclude(
      { group, scenario, ...figures(result.final, "queue"), notes: heard(result.final) },
      violations,
    );
  });
});
