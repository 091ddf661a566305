import { createLogEvent } from "../create-log-event.ts";
import type { LogEvent } from "../log-event.ts";
import { deliveredCount } from "../partial-delivery.ts";
import type { Sink, SinkStats } from "../sink.ts";
import { checkConservation, totalDropped } from "../sink.ts";
import { settleSinkCall } from "../sink-call.ts";

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
  /**
   * Makes a sink of the same kind whose destination fails, entirely or part-way through a batch
   * (a file sink on a full disk, an HTTP sink whose peer answers 503 to every few requests). The
   * kit then checks that what a rejected `writeBatch` says (see `PartialDeliveryError`) agrees
   * with the sink's counters, and that `flush()` reports the failure once. Without it, failures
   * are not exercised.
   */
  readonly failingFactory?: () => Sink | Promise<Sink>;
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
 * even for hostile events; `writeBatch`, `flush` and `close` return a promise (never throw, never
 * return anything else, never settle twice) that settles in time; `stats()` counts exactly and
 * keeps the conservation law; delivered output (with `readDelivered`) has every event once, in
 * order; `flushSync` never throws; `close()` is idempotent (same promise) and leaves stdout and
 * stderr open; writes after close are counted as dropped (`closed`), not thrown; wrappers expose
 * sinks as `inner`. With `failingFactory`, a sink that fails part-way: its counters agree with
 * what its `writeBatch` rejection said, and `flush()` reports the failure, once. When the sink has
 * `abandon`, a fresh sink holding events: `abandon` never throws and moves exactly what was
 * pending to dropped under the reason given, leaves nothing pending, settles the flush that was
 * waiting, counts nothing again later, and takes no more events (`closed`).
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
  await settle(
    "writeBatch resolves",
    "writeBatch",
    () => sink.writeBatch(batch),
    timeoutMs,
    violate,
  );
  written += batch.length;
  await settle("flush resolves", "flush", () => sink.flush(), timeoutMs, violate);

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
  await settle("flush resolves", "flush", () => sink.flush(), timeoutMs, violate);

  if (sink.flushSync !== undefined) {
    try {
      sink.write(makeEvent(index++));
      sink.flushSync();
    } catch (error) {
      violate("flushSync never throws", `flushSync threw: ${describe(error)}`);
    }
  }

  let first: unknown;
  let second: unknown;
  try {
    first = sink.close();
    second = sink.close();
  } catch (error) {
    violate("close never throws synchronously", `Sink.close threw: ${describe(error)}`);
  }
  if (first !== undefined && first !== second) {
    violate("close is idempotent", "two calls to close() returned different promises");
  }
  if (first !== undefined) {
    const closing = first;
    await settle("close resolves", "close", () => closing, timeoutMs, violate);
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
  if (options.failingFactory !== undefined) {
    await checkFailure(options.failingFactory, makeEvent, index, count, timeoutMs, violate);
  }
  if (typeof sink.abandon === "function") {
    await checkAbandon(factory, makeEvent, index + count * 2, count, timeoutMs, violate);
  }
  return violations;
}

/**
 * Gives up a fresh sink that holds events: what was pending must move to dropped under the reason
 * given, at once and exactly once, and every pending call must settle.
 */
async function checkAbandon(
  factory: () => Sink | Promise<Sink>,
  makeEvent: (index: number) => LogEvent,
  firstIndex: number,
  count: number,
  timeoutMs: number,
  violate: (check: string, message: string) => void,
): Promise<void> {
  const check = "abandon counts what was pending as dropped";
  let sink: Sink;
  try {
    sink = await factory();
  } catch (error) {
    violate("factory", `the factory threw: ${describe(error)}`);
    return;
  }
  for (let index = firstIndex; index < firstIndex + count; index++) sink.write(makeEvent(index));
  const batch = sink.writeBatch([makeEvent(firstIndex + count)]);
  const flushed = settleOutcome("flush", () => sink.flush(), timeoutMs, violate);
  const before = readStats(sink, violate);
  try {
    sink.abandon?.("shutdown_timeout");
    sink.abandon?.("shutdown_timeout");
  } catch (error) {
    violate("abandon never throws", `abandon threw: ${describe(error)}`);
    return;
  }
  const after = readStats(sink, violate);
  if (before !== undefined && after !== undefined) {
    const moved = after.dropped.shutdown_timeout - before.dropped.shutdown_timeout;
    if (after.pending !== 0) violate(check, `pending is ${after.pending} after abandon`);
    else if (moved !== before.pending) {
      violate(
        check,
        `${before.pending} events were pending; dropped.shutdown_timeout grew by ${moved}`,
      );
    }
    const imbalance = checkConservation(after);
    if (imbalance !== undefined) violate("conservation law after abandon", imbalance);
  }
  await settleOutcome("writeBatch", () => batch, timeoutMs, violate).then((outcome) => {
    if (outcome === undefined)
      violate("abandon settles pending calls", "a pending writeBatch did not settle");
  });
  if ((await flushed) === undefined) {
    violate("abandon settles pending calls", "a pending flush did not settle");
  }
  await settle("close resolves", "close", () => sink.close().catch(() => {}), timeoutMs, violate);
  const settled = readStats(sink, violate);
  if (after !== undefined && settled !== undefined) {
    if (settled.delivered !== after.delivered || settled.failed !== after.failed) {
      violate(
        "abandon counts each event once",
        `after abandon, delivered went from ${after.delivered} to ${settled.delivered} and failed from ${after.failed} to ${settled.failed}`,
      );
    }
  }
  sink.write(makeEvent(firstIndex + count + 1));
  const late = readStats(sink, violate);
  if (
    settled !== undefined &&
    late !== undefined &&
    late.dropped.closed !== settled.dropped.closed + 1
  ) {
    violate("writes after abandon are counted", "a write after abandon was not counted as closed");
  }
}

/**
 * Drives a sink whose destination fails: a rejected batch must be counted as it said (the
 * delivered prefix delivered, the rest failed or dropped), and the next flush must report the
 * failure, and the one after it must not report it again.
 */
async function checkFailure(
  factory: () => Sink | Promise<Sink>,
  makeEvent: (index: number) => LogEvent,
  firstIndex: number,
  count: number,
  timeoutMs: number,
  violate: (check: string, message: string) => void,
): Promise<void> {
  let sink: Sink;
  try {
    sink = await factory();
  } catch (error) {
    violate("failing factory", `the failing factory threw: ${describe(error)}`);
    return;
  }
  const before = readStats(sink, violate);
  const batch: LogEvent[] = [];
  for (let index = firstIndex; index < firstIndex + count * 2; index++)
    batch.push(makeEvent(index));
  const outcome = await settleOutcome(
    "writeBatch",
    () => sink.writeBatch(batch),
    timeoutMs,
    violate,
  );
  if (outcome === undefined) return;
  const after = readStats(sink, violate);
  const said = outcome.failed ? deliveredCount(outcome.error, batch.length) : batch.length;
  if (before !== undefined && after !== undefined) {
    const delivered = after.delivered - before.delivered;
    const lost =
      after.failed - before.failed + totalDropped(after.dropped) - totalDropped(before.dropped);
    const check = "a partial failure is counted as the rejection says";
    if (delivered !== said) {
      violate(
        check,
        `the rejection said ${said} of ${batch.length} were delivered; delivered grew by ${delivered}`,
      );
    } else if (lost !== batch.length - said) {
      violate(
        check,
        `${batch.length - said} events were not delivered; failed and dropped grew by ${lost}`,
      );
    }
    if (after.pending !== 0) {
      violate(check, `pending is ${after.pending} after writeBatch settled`);
    }
    const imbalance = checkConservation(after);
    if (imbalance !== undefined) violate("conservation law after a failure", imbalance);
  }
  if (outcome.failed) {
    const flushed = await settleOutcome("flush", () => sink.flush(), timeoutMs, violate);
    if (flushed !== undefined && !flushed.failed) {
      violate(
        "flush reports a failure",
        `flush resolved although ${batch.length - said} events had failed and no flush had said so`,
      );
    }
    const again = await settleOutcome("flush", () => sink.flush(), timeoutMs, violate);
    if (again?.failed === true) {
      violate(
        "flush reports a failure once",
        `a second flush, with nothing new, rejected again: ${describe(again.error)}`,
      );
    }
  }
  await settleOutcome("close", () => sink.close(), timeoutMs, violate);
}

function checkShape(sink: Sink, violate: (check: string, message: string) => void): void {
  if (sink === null || typeof sink !== "object") {
    violate("shape", "the factory did not return an object");
    return;
  }
  for (const method of ["write", "writeBatch", "flush", "close"] as const) {
    if (typeof sink[method] !== "function") violate("shape", `${method} is not a function`);
  }
  for (const method of ["flushSync", "abandon", "stats"] as const) {
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

/** Calls an operation that must resolve in time, and records why it did not. */
async function settle(
  check: string,
  method: string,
  operation: () => unknown,
  timeoutMs: number,
  violate: (check: string, message: string) => void,
): Promise<void> {
  const outcome = await settleOutcome(method, operation, timeoutMs, violate);
  if (outcome === undefined) {
    violate(check, `did not settle within ${timeoutMs} ms`);
  } else if (outcome.failed && !outcome.violation) {
    violate(check, `rejected: ${describe(outcome.error)}`);
  }
}

interface Outcome {
  readonly failed: boolean;
  readonly error: unknown;
  /** The rejection is a contract violation the kit already recorded. */
  readonly violation: boolean;
}

/**
 * Calls one of a sink's promise methods and waits for it; every contract slip (a throw, no
 * promise, a promise settled twice) is recorded once, naming the method. Resolves with
 * `undefined` when it did not settle within `timeoutMs`.
 */
async function settleOutcome(
  method: string,
  operation: () => unknown,
  timeoutMs: number,
  violate: (check: string, message: string) => void,
): Promise<Outcome | undefined> {
  const slips = new Set<unknown>();
  const result = settleSinkCall(method, operation, (slip) => {
    slips.add(slip);
    violate(`${method} returns a promise that settles once`, slip.message);
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([
      result.then(
        (): Outcome => ({ failed: false, error: undefined, violation: false }),
        (error: unknown): Outcome => ({ failed: true, error, violation: slips.has(error) }),
      ),
      timeout,
    ]);
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
