import { createLogEvent } from "../create-log-event.ts";
import type { LogEvent } from "../log-event.ts";
import type { Sink, SinkStats } from "../sink.ts";
import { checkConservation, totalDropped } from "../sink.ts";

/** Options for {@link checkSinkContract}. */
export interface SinkContractOptions {
  /**
   * How many events each step writes.
   * @default 20
   */
  readonly events?: number;
  /**
   * How long an operation may take before it counts as hung, in milliseconds.
   * @default 5000
   */
  readonly timeoutMs?: number;
  /**
   * Reads back what the sink delivered, one string per event (for a file sink: its lines), so the
   * kit can check that every event arrived once and in order. Called after `flush()` resolved.
   * Without it, delivery is judged by `stats()` alone.
   */
  readonly readDelivered?: (sink: Sink) => Promise<readonly string[]> | readonly string[];
}

/** One way a sink breaks the contract. */
export interface ContractViolation {
  /** The step that found it, e.g. `"close is idempotent"`. */
  readonly check: string;
  /** What was wrong. */
  readonly message: string;
}

/**
 * Runs the `Sink` contract against sinks made by `factory` and returns every violation found: an
 * empty list means the sink honours it. The checks: `write` returns at once and never throws,
 * even for hostile events; `writeBatch` and `flush` resolve in time; `stats()` counts exactly and
 * keeps the conservation law; delivered output (with `readDelivered`) has every event once, in
 * order; `flushSync` never throws; `close()` is idempotent (same promise) and leaves stdout and
 * stderr open; writes after close are counted as dropped (`closed`), not thrown; wrappers expose
 * sinks as `inner`.
 *
 * @param factory makes a fresh sink; it is closed by the kit.
 * @param options event counts, time limits and a reader for delivered output.
 * @returns the violations found.
 * @example
 * ```ts
 * test("my sink honours the contract", async () => {
 *   expect(await checkSinkContract(() => createMySink())).toEqual([]);
 * });
 * ```
 */
export async function checkSinkContract(
  factory: () => Sink | Promise<Sink>,
  options: SinkContractOptions = {},
): Promise<ContractViolation[]> {
  const count = options.events ?? 20;
  const timeoutMs = options.timeoutMs ?? 5000;
  const violations: ContractViolation[] = [];
  const violate = (check: string, message: string): void => {
    violations.push({ check, message });
  };
  const run = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
  const marker = (index: number): string => `contract-${run}-${index}`;
  const makeEvent = (index: number): LogEvent =>
    createLogEvent({
      level: index % 7 === 6 ? "error" : "info",
      template: "Contract event {Seq} {Marker}",
      properties: { Seq: index, Marker: marker(index) },
    });

  let sink: Sink;
  try {
    sink = await factory();
  } catch (error) {
    violate("factory", `the factory threw: ${describe(error)}`);
    return violations;
  }
  checkShape(sink, violate);
  if (violations.length > 0) return violations;

  const statsBefore = readStats(sink, violate);
  let written = 0;
  let index = 0;
  for (; index < count; index++) {
    const event = makeEvent(index);
    try {
      const result: unknown = (sink.write as (event: LogEvent) => unknown)(event);
      if (result !== undefined) {
        violate("write returns nothing", `write returned ${describe(result)}`);
      }
      written += 1;
    } catch (error) {
      violate("write never throws", `write threw: ${describe(error)}`);
    }
  }

  const batch: LogEvent[] = [];
  for (let end = index + count; index < end; index++) batch.push(makeEvent(index));
  await settle("writeBatch resolves", () => sink.writeBatch(batch), timeoutMs, violate);
  written += batch.length;
  await settle("flush resolves", () => sink.flush(), timeoutMs, violate);

  const stats = readStats(sink, violate);
  if (stats !== undefined) {
    const acceptedBefore = statsBefore?.accepted ?? 0;
    if (stats.accepted - acceptedBefore !== written) {
      violate(
        "stats count accepted events",
        `accepted grew by ${stats.accepted - acceptedBefore}, ${written} events were written`,
      );
    }
    if (stats.pending !== 0) {
      violate("flush leaves nothing pending", `pending is ${stats.pending} after flush resolved`);
    }
    if (stats.delivered - (statsBefore?.delivered ?? 0) !== written) {
      violate(
        "a healthy sink delivers everything",
        `delivered grew by ${stats.delivered - (statsBefore?.delivered ?? 0)} of ${written}`,
      );
    }
    const imbalance = checkConservation(stats);
    if (imbalance !== undefined) violate("conservation law", imbalance);
  }

  if (options.readDelivered !== undefined) {
    try {
      const delivered = await options.readDelivered(sink);
      checkDelivered(delivered, written, marker, violate);
    } catch (error) {
      violate("delivered output", `readDelivered threw: ${describe(error)}`);
    }
  }

  for (const event of hostileEvents()) {
    try {
      sink.write(event);
    } catch (error) {
      violate("write never throws", `write threw on a hostile event: ${describe(error)}`);
    }
  }
  await settle("flush resolves", () => sink.flush(), timeoutMs, violate);

  if (sink.flushSync !== undefined) {
    try {
      sink.write(makeEvent(index++));
      sink.flushSync();
    } catch (error) {
      violate("flushSync never throws", `flushSync threw: ${describe(error)}`);
    }
  }

  let first: Promise<void> | undefined;
  let second: Promise<void> | undefined;
  try {
    first = sink.close();
    second = sink.close();
  } catch (error) {
    violate("close never throws synchronously", `close threw: ${describe(error)}`);
  }
  if (first !== undefined && first !== second) {
    violate("close is idempotent", "two calls to close() returned different promises");
  }
  if (first !== undefined) {
    const closing = first;
    await settle("close resolves", () => closing, timeoutMs, violate);
  }
  if (process.stdout.destroyed || process.stderr.destroyed) {
    violate("stdout and stderr stay open", "close() closed stdout or stderr");
  }

  const beforeLate = readStats(sink, violate);
  try {
    sink.write(makeEvent(index++));
  } catch (error) {
    violate("write after close never throws", `write threw after close: ${describe(error)}`);
  }
  const afterLate = readStats(sink, violate);
  if (beforeLate !== undefined && afterLate !== undefined) {
    if (afterLate.dropped.closed !== beforeLate.dropped.closed + 1) {
      violate(
        "writes after close are counted",
        `dropped.closed went from ${beforeLate.dropped.closed} to ${afterLate.dropped.closed}`,
      );
    }
    if (afterLate.accepted !== beforeLate.accepted + 1) {
      violate("writes after close are counted", "accepted did not count the late event");
    }
    const imbalance = checkConservation(afterLate);
    if (imbalance !== undefined) violate("conservation law after close", imbalance);
  }
  return violations;
}

function checkShape(sink: Sink, violate: (check: string, message: string) => void): void {
  if (sink === null || typeof sink !== "object") {
    violate("shape", "the factory did not return an object");
    return;
  }
  for (const method of ["write", "writeBatch", "flush", "close"] as const) {
    if (typeof sink[method] !== "function") violate("shape", `${method} is not a function`);
  }
  for (const method of ["flushSync", "stats"] as const) {
    if (sink[method] !== undefined && typeof sink[method] !== "function") {
      violate("shape", `${method} is present but not a function`);
    }
  }
  const inner = sink.inner;
  if (inner !== undefined) {
    const inners = Array.isArray(inner) ? (inner as readonly Sink[]) : [inner as Sink];
    for (const candidate of inners) {
      if (
        candidate === null ||
        typeof candidate !== "object" ||
        typeof candidate.write !== "function"
      ) {
        violate("inner is a sink", "inner holds something that is not a sink");
      }
    }
  }
}

function readStats(
  sink: Sink,
  violate: (check: string, message: string) => void,
): SinkStats | undefined {
  if (sink.stats === undefined) return undefined;
  try {
    const stats = sink.stats();
    if (typeof stats.accepted !== "number" || typeof stats.dropped !== "object") {
      violate("stats shape", "stats() did not return SinkStats");
      return undefined;
    }
    totalDropped(stats.dropped);
    return stats;
  } catch (error) {
    violate("stats never throws", `stats() threw: ${describe(error)}`);
    return undefined;
  }
}

function checkDelivered(
  delivered: readonly string[],
  written: number,
  marker: (index: number) => string,
  violate: (check: string, message: string) => void,
): void {
  let next = 0;
  for (const record of delivered) {
    if (next < written && record.includes(marker(next))) {
      next += 1;
      continue;
    }
    for (let index = 0; index < written; index++) {
      if (record.includes(marker(index))) {
        violate(
          "every event once, in order",
          index < next
            ? `event ${index} was delivered twice`
            : `event ${index} arrived where event ${next} was expected`,
        );
        return;
      }
    }
  }
  if (next !== written) {
    violate("every event once, in order", `${next} of ${written} events were delivered`);
  }
}

function hostileEvents(): LogEvent[] {
  const cyclic: Record<string, unknown> = { name: "cycle" };
  cyclic.self = cyclic;
  const cause = new Error("root cause");
  const error = new Error("outer failure", { cause });
  return [
    createLogEvent({ level: "warn", template: "Broken {hole", properties: { hole: 1 } }),
    createLogEvent({
      level: "error",
      template: "Hostile {Text} {Big} {Cycle}",
      properties: {
        Text: "line\nbreak\u0000\u001b[31m\u2028\ud800",
        Big: 10n ** 30n,
        Cycle: cyclic,
      },
      error,
    }),
    createLogEvent({ level: "fatal", template: "x".repeat(10_000), properties: {} }),
  ];
}

async function settle(
  check: string,
  operation: () => Promise<unknown>,
  timeoutMs: number,
  violate: (check: string, message: string) => void,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const result = operation();
    if (result === null || typeof (result as Promise<unknown>)?.then !== "function") {
      violate(check, "did not return a promise");
      return;
    }
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const outcome = await Promise.race([result.then(() => "done" as const), timeout]);
    if (outcome === "timeout") violate(check, `did not settle within ${timeoutMs} ms`);
  } catch (error) {
    violate(check, `rejected or threw: ${describe(error)}`);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function describe(value: unknown): string {
  try {
    if (value instanceof Error) return `${value.name}: ${value.message}`;
    return String(value);
  } catch {
    return "an indescribable value";
  }
}
