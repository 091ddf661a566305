// Breaker, fallback and retry over a primary that fails, hangs, or is probed while the wall clock
// jumps: every event lands in exactly one of the primary's and the fallback's files, or is counted
// with a reason, and the counts of every component agree with the lines on disk.
import { join } from "node:path";
import { describe, test } from "vitest";
import {
  type ChildResult,
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

const group = "resilience";

interface Route {
  readonly name: string;
  readonly delivered: number;
  readonly failed: number;
}

interface Transition {
  readonly to: string;
  readonly reason: string;
  /** On the monotonic clock (`performance.now()`), in ms. */
  readonly at: number;
  /** On the (jumping) wall clock, in ms. */
  readonly wall: number;
}

/**
 * The two destinations' files against the counters: each file holds exactly what its route
 * counted delivered, once and in order, no event is in both, and the queue's delivered events
 * are the two files together.
 */
function destinationViolations(result: ChildResult, primaryPath: string, fallbackPath: string) {
  const routes = (result.final?.routes as Route[] | undefined) ?? [];
  const [primary, fallback] = [readText(primaryPath), readText(fallbackPath)].map((texts) =>
    parseEvents(...texts),
  );
  const violations: string[] = [];
  if (routes.length !== 2 || primary === undefined || fallback === undefined) {
    return ["the child reported no routes"];
  }
  violations.push(
    ...outputViolations(primary, routes[0]?.delivered ?? -1).map((text) => `primary: ${text}`),
    ...outputViolations(fallback, routes[1]?.delivered ?? -1).map((text) => `fallback: ${text}`),
  );
  const inPrimary = new Set(primary.numbers);
  const both = fallback.numbers.filter((n) => inPrimary.has(n)).length;
  if (both > 0) violations.push(`${both} events in both the primary's and the fallback's file`);
  const queue = component(result.final, "queue");
  const found = primary.numbers.length + fallback.numbers.length;
  if (queue?.delivered !== found) {
    violations.push(`the queue counted ${queue?.delivered} delivered, ${found} on disk`);
  }
  return violations;
}

function routeNotes(result: ChildResult): string {
  const routes = (result.final?.routes as Route[] | undefined) ?? [];
  const transitions = (result.final?.transitions as Transition[] | undefined) ?? [];
  const opened = transitions.filter((transition) => transition.to === "open").length;
  return [
    `primary ${routes[0]?.delivered} / fallback ${routes[1]?.delivered} lines`,
    `circuit opened ${opened} times`,
    `closed: ${result.final?.closed ?? "by shutdown"}`,
    heard(result.final),
  ]
    .filter(Boolean)
    .join("; ");
}

/**
 * Runs the resilience writer with a primary and a fallback file in a fresh directory, and returns
 * its result with what every scenario checks: conservation, the logger's counts and the two files
 * against the routes' counters.
 */
function runRouted(args: Record<string, unknown>, timeoutMs?: number) {
  const directory = workDirectory();
  const path = join(directory, "primary.log");
  const fallbackPath = join(directory, "fallback.log");
  const result = runScenario({
    fixture: "resilience-writer.mjs",
    args: { ...args, path, fallbackPath },
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  });
  const violations = [
    ...conservationViolations(result.final),
    ...loggerViolations(result.final),
    ...destinationViolations(result, path, fallbackPath),
  ];
  return { result, violations };
}

describe("resilience", () => {
  const failing = [
    {
      primary: "dev-full",
      scenario: "breaker + fallback over a file sink on /dev/full, queue in front",
      everyEventInFallback: true,
    },
    {
      primary: "flaky",
      scenario:
        "breaker + retry + fallback over a sink failing in phases (some part-way), queue in front",
      everyEventInFallback: false,
    },
  ] as const;

  for (const { primary, scenario, everyEventInFallback } of failing) {
    test(`${scenario}: every event in exactly one file, counts agree with the lines`, () => {
      const count = scale(5_000, 100_000);
      const { result, violations } = runRouted({ primary, count });
      const queue = figures(result.final, "queue");
      if (queue.accepted !== count) violations.push(`the queue accepted ${queue.accepted}`);
      const routes = (result.final?.routes as Route[] | undefined) ?? [];
      if (everyEventInFallback && routes[1]?.delivered !== count) {
        violations.push(`the fallback delivered ${routes[1]?.delivered} of ${count}`);
      }
      if (
        !everyEventInFallback &&
        !((routes[0]?.delivered ?? 0) > 0 && (routes[1]?.delivered ?? 0) > 0)
      ) {
        violations.push("the events did not reach both destinations");
      }
      if (result.final?.closed !== "ok")
        violations.push(`close settled with ${result.final?.closed}`);
      conclude({ group, scenario, ...queue, notes: routeNotes(result) }, violations);
    });
  }

  test("a primary that hangs on every probe: the probes time out into the fallback, close settles, the process exits", () => {
    const scenario =
      "primary fails 5 batches, then never settles again (probeTimeoutMs 100), close()";
    const count = scale(3_000, 30_000);
    const { result, violations } = runRouted(
      // 10 events a millisecond: the run outlasts several open periods, so the hanging primary is
      // probed while events still come.
      { primary: "hangs", count, chunk: 10, failFirst: 5 },
      60_000,
    );
    const breaker = component(result.final, "breaker");
    if (result.signal !== null) violations.push(`the child hung and was killed (${result.signal})`);
    if (result.final?.closed === "never settled") violations.push("close() never settled");
    if (!(((breaker?.probeTimeouts as number | undefined) ?? 0) > 0)) {
      violations.push("no probe timed out: the primary was never probed while it hung");
    }
    conclude(
      {
        group,
        scenario,
        ...figures(result.final, "queue"),
        notes: `${routeNotes(result)}; probe timeouts ${breaker?.probeTimeouts}; the retry gave up ${component(result.final, "retry")?.dropped.shutdown_timeout} held events at close (shutdown_timeout)`,
      },
      violations,
    );
  });

  test("a primary that hangs from the first batch, under a graceful shutdown: the deadline holds, the held events are counted", () => {
    const scenario = "primary never settles from the first batch, graceful shutdown 300 ms";
    const count = scale(2_000, 20_000);
    const { result, violations } = runRouted(
      { primary: "hangs", count, failFirst: 0, shutdownMs: 300 },
      60_000,
    );
    const queue = figures(result.final, "queue");
    if (result.signal !== null) violations.push(`the child hung and was killed (${result.signal})`);
    if (result.status !== 0) violations.push(`exit status ${result.status}`);
    const lost = Object.values(queue.dropped ?? {}).reduce((a, b) => a + b, 0);
    if (lost !== count) violations.push(`${lost} of ${count} counted dropped`);
    conclude({ group, scenario, ...queue, notes: routeNotes(result) }, violations);
  });

  test("wall clock jumps while the circuit is open: no probe before resetTimeoutMs, none held back after it", () => {
    const scenario =
      "wall clock +1 day, -1 day, +400 days, -30 days while the circuit is open (resetTimeoutMs 150)";
    const day = 86_400_000;
    const resetTimeoutMs = 150;
    const clocks = [day, -day, 400 * day, -30 * day];
    const { result, violations } = runRouted(
      {
        primary: "heals",
        count: scale(500, 5_000),
        chunk: 20,
        clocks,
        phaseMs: 4 * resetTimeoutMs,
        breaker: { resetTimeoutMs, probeTimeoutMs: 1_000 },
      },
      60_000,
    );
    const transitions = (result.final?.transitions as Transition[] | undefined) ?? [];
    // Every probe came at least resetTimeoutMs of monotonic time after the circuit opened, and
    // every open period ended in a probe within the run (the primary heals after the last jump).
    // The times are taken in the state callback, after the breaker read its own clock: a pause
    // between the two (a collection, a loaded machine) makes an opening look later than it was,
    // so a few milliseconds are allowed; a probe let through by a wall-clock jump comes at once.
    const slackMs = 10;
    let early = 0;
    let openedAt: number | undefined;
    let probes = 0;
    for (const transition of transitions) {
      if (transition.to === "open") openedAt = transition.at;
      if (transition.to === "half-open") {
        probes++;
        if (openedAt !== undefined && transition.at - openedAt < resetTimeoutMs - slackMs) early++;
      }
    }
    if (early > 0) violations.push(`${early} probes before resetTimeoutMs had passed`);
    // One probe (at least) per phase of 4 open periods, whatever the wall clock did.
    if (probes < clocks.length) violations.push(`only ${probes} probes in ${clocks.length} phases`);
    if (transitions.at(-1)?.to !== "closed" || result.final?.state !== "closed") {
      violations.push(
        `the circuit ended ${result.final?.state}, not closed after the primary healed`,
      );
    }
    if (result.final?.closed !== "ok")
      violations.push(`close settled with ${result.final?.closed}`);
    conclude(
      {
        group,
        scenario,
        ...figures(result.final, "queue"),
        notes: `${routeNotes(result)}; ${probes} probes, none early`,
      },
      violations,
    );
  });
});
