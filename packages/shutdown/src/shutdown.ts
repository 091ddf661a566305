import { type DropReason, type ErrorHandler, type Logger, LoggingError } from "@sluice/core";
import { invalidOption, positiveIntegerOption, reportError } from "@sluice/core/sink";
import {
  isClean,
  type ResourceEvents,
  type ResourceOutcome,
  type ResourceReport,
  type ShutdownReport,
  sumTotals,
} from "./report.ts";
import {
  type CleanupFunction,
  type CleanupSignal,
  type EventSnapshot,
  heldCause,
  lostSince,
  readEventCounts,
  type ShutdownResource,
} from "./resource.ts";
import { settleWithin } from "./settle-within.ts";
import { type ResolvedStrategy, resolveStrategy, type ShutdownStrategy } from "./strategy.ts";

/** Options for {@link createShutdown}. */
export interface ShutdownOptions {
  /**
   * The longest any one resource may take to flush and close, unless it was registered with its
   * own `timeoutMs`. A resource past it is abandoned and the shutdown moves on.
   * @default 10000
   */
  readonly resourceTimeoutMs?: number;
  /**
   * A logger that receives the report as one event (`info` when everything was flushed, `warn`
   * otherwise). When the logger is itself registered, the report is logged just before the
   * logger is closed, so it reaches the logger's sinks.
   * @default no logging
   */
  readonly logger?: Logger;
  /**
   * Receives failures of resources and of the report logger.
   * @default failures go to the self-log
   */
  readonly onError?: ErrorHandler;
  /**
   * A monotonic clock in milliseconds, for durations and deadlines (tests inject one).
   * @default performance.now
   */
  readonly now?: () => number;
}

/** Options for {@link Shutdown.register}. */
export interface RegisterOptions {
  /**
   * The longest this resource may take to flush and close, in milliseconds.
   * @default the shutdown's `resourceTimeoutMs`
   */
  readonly timeoutMs?: number;
  /**
   * When it is closed relative to the others: lower values close first. Resources of equal
   * order close in reverse order of registration (the last registered first), so a logger
   * registered at startup is closed after the server registered later has stopped.
   * @default 0
   */
  readonly order?: number;
}

interface Registration {
  readonly name: string;
  readonly resource: ShutdownResource | CleanupFunction;
  readonly timeoutMs: number;
  readonly order: number;
  readonly sequence: number;
}

/** What a shutdown is doing: see {@link Shutdown.state}. */
export type ShutdownState = "idle" | "running" | "done";

/**
 * Shutdown orchestration: resources are registered once, and {@link Shutdown.execute} flushes and
 * closes them in order with a hard deadline, returning a {@link ShutdownReport}. Made by
 * {@link createShutdown}.
 */
export class Shutdown {
  readonly #resourceTimeoutMs: number;
  readonly #logger: Logger | undefined;
  readonly #onError: ErrorHandler | undefined;
  readonly #now: () => number;
  readonly #registrations = new Set<Registration>();
  // The registered resources, made when first needed after a change.
  #resources: Set<unknown> | undefined;
  readonly #escalation = new AbortController();
  #sequence = 0;
  #execution: Promise<ShutdownReport> | undefined;
  #report: ShutdownReport | undefined;
  #exitReport: ShutdownReport | undefined;

  /** @internal use {@link createShutdown}. */
  constructor(options: ShutdownOptions) {
    this.#resourceTimeoutMs = positiveIntegerOption(
      "resourceTimeoutMs",
      options.resourceTimeoutMs,
      10_000,
    );
    if (options.logger !== undefined && !isLoggerLike(options.logger)) {
      throw invalidOption("logger", "a logger from createLogger", options.logger);
    }
    if (options.onError !== undefined && typeof options.onError !== "function") {
      throw invalidOption("onError", "a function", options.onError);
    }
    if (options.now !== undefined && typeof options.now !== "function") {
      throw invalidOption("now", "a function returning milliseconds", options.now);
    }
    this.#logger = options.logger;
    this.#onError = options.onError;
    this.#now = options.now ?? (() => performance.now());
  }

  /** `"idle"` until `execute` is called, `"running"` until it resolves, then `"done"`. */
  get state(): ShutdownState {
    if (this.#execution === undefined) return "idle";
    return this.#report === undefined ? "running" : "done";
  }

  /**
   * The report of the finished shutdown, or of the drain at process exit (`flushSync`), or
   * `undefined` before either.
   */
  get report(): ShutdownReport | undefined {
    return this.#report ?? this.#exitReport;
  }

  /**
   * Registers a resource to flush and close, or a cleanup function to call, at shutdown.
   *
   * @param name a name for the report, e.g. `"logger"` or `"http server"`.
   * @param resource anything with `flush` and/or `close` (a logger, a sink), or a function
   *   receiving an `AbortSignal` that aborts when its time is up.
   * @param options its own timeout and its order.
   * @returns a function that unregisters it.
   * @throws {LoggingError} `invalid_option` for a bad argument, and `sink_closed` once shutdown
   *   has started (a resource registered then would never be closed).
   * @example
   * ```ts
   * shutdown.register("logger", log);
   * shutdown.register("http", (signal) => closeServer(server, signal), { order: -1 });
   * ```
   */
  register(
    name: string,
    resource: ShutdownResource | CleanupFunction,
    options: RegisterOptions = {},
  ): () => void {
    if (typeof name !== "string" || name.length === 0) {
      throw invalidOption("name", "a non-empty string", name);
    }
    if (!isResource(resource)) {
      throw invalidOption(
        "resource",
        "an object with a flush or close method, or a cleanup function",
        resource,
      );
    }
    if (options === null || typeof options !== "object") {
      throw invalidOption("options", "an object", options);
    }
    const order = options.order ?? 0;
    if (typeof order !== "number" || !Number.isFinite(order)) {
      throw invalidOption("order", "a finite number", order);
    }
    const timeoutMs = positiveIntegerOption(
      "timeoutMs",
      options.timeoutMs,
      this.#resourceTimeoutMs,
    );
    if (this.#execution !== undefined) {
      throw new LoggingError(
        "sink_closed",
        `Cannot register "${name}": shutdown has already started, so it would never be closed.`,
      );
    }
    const registration: Registration = {
      name,
      resource,
      timeoutMs,
      order,
      sequence: this.#sequence++,
    };
    this.#registrations.add(registration);
    this.#resources = undefined;
    return () => {
      this.#registrations.delete(registration);
      this.#resources = undefined;
    };
  }

  /**
   * Flushes and closes every registered resource, lower `order` first and otherwise the last
   * registered first, one at a time. Runs once: later calls return the same promise, except that
   * a call with `"immediate"` while a gentler strategy runs cuts it short (what is still pending
   * is abandoned at once). Never rejects: failures are in the report.
   *
   * @param strategy what to do with pending work.
   * @default { graceful: 5000 }
   * @returns the report, within the deadline of a `graceful` strategy (plus a few milliseconds)
   *   whatever the resources do.
   * @throws {LoggingError} `invalid_option` for a bad strategy.
   * @example
   * ```ts
   * const report = await shutdown.execute({ graceful: 3000 });
   * if (!report.ok) console.error(report.totals.abandoned, "log events abandoned");
   * ```
   */
  execute(strategy: ShutdownStrategy = { graceful: 5000 }): Promise<ShutdownReport> {
    const resolved = resolveStrategy("strategy", strategy);
    if (this.#execution !== undefined) {
      if (resolved.kind === "immediate" && this.#report === undefined) this.#escalation.abort();
      return this.#execution;
    }
    this.#execution = this.#run(resolved).then((report) => {
      this.#report = report;
      return report;
    });
    return this.#execution;
  }

  /**
   * Flushes every registered resource that has `flush`, without closing anything or waiting for
   * the others (cleanup functions are not called). Never rejects: failures go to `onError`.
   *
   * @returns a promise that settles when every flush has settled.
   */
  flush(): Promise<void> {
    const flushes: Promise<void>[] = [];
    for (const registration of this.#ordered()) {
      const resource = registration.resource;
      if (typeof resource === "function" || typeof resource.flush !== "function") continue;
      flushes.push(
        invoke(() => resource.flush?.()).catch((error: unknown) =>
          this.#reportFailure(error, registration, "flush"),
        ),
      );
    }
    return Promise.all(flushes).then(() => undefined);
  }

  /**
   * @internal Events still pending, and events settled (delivered, failed or dropped), over the
   * resources that keep counters: lets the exit hooks tell whether a flush made progress.
   */
  progress(): { readonly pending: number; readonly settled: number } {
    let pending = 0;
    let settled = 0;
    for (const registration of this.#registrations) {
      const counts = readEventCounts(registration.resource, this.#registered());
      if (counts === undefined) continue;
      pending += counts.pending;
      settled += counts.accepted - counts.pending;
    }
    return { pending, settled };
  }

  /**
   * Best-effort synchronous drain for the moment the process ends without waiting
   * (`process.exit()`, a crash): calls `flushSync` on every resource that has one, in shutdown
   * order, then has each give up what is still pending (`abandon("process_exit")`, counted by
   * the resource itself), and reports that as abandoned. While `execute` runs (a cleanup step
   * that calls `process.exit()`), drains what it has not closed yet; does nothing and returns the
   * existing report once `execute` has finished. Never throws.
   *
   * @returns a report with strategy `"exit"`.
   */
  flushSync(): ShutdownReport {
    if (this.#report !== undefined) return this.#report;
    const startedAt = Date.now();
    const started = this.#now();
    const resources: ResourceReport[] = [];
    for (const registration of this.#ordered()) {
      const began = this.#now();
      const before = readEventCounts(registration.resource, this.#registered());
      const resource = registration.resource;
      if (typeof resource !== "function" && typeof resource.flushSync === "function") {
        try {
          resource.flushSync();
        } catch (error) {
          this.#reportFailure(error, registration, "flushSync");
        }
      }
      this.#giveUp(registration, "process_exit");
      const described = this.#describe(registration, "exited", began, undefined, before);
      const cause = (described.events?.abandoned ?? 0) > 0 ? heldCause(resource) : undefined;
      resources.push(cause === undefined ? described : { ...described, error: cause });
    }
    this.#exitReport = this.#finish("exit", undefined, startedAt, started, resources);
    return this.#exitReport;
  }

  async #run(strategy: ResolvedStrategy): Promise<ShutdownReport> {
    const startedAt = Date.now();
    const started = this.#now();
    const deadline =
      strategy.deadlineMs === undefined ? Number.POSITIVE_INFINITY : started + strategy.deadlineMs;
    if (strategy.kind === "immediate") this.#escalation.abort();
    const resources: ResourceReport[] = [];
    let reportLogged = false;
    for (const registration of this.#ordered()) {
      if (registration.resource === this.#logger && !reportLogged) {
        reportLogged = true;
        this.#log(this.#finish(strategy.kind, strategy.deadlineMs, startedAt, started, resources));
      }
      const remaining = deadline - this.#now();
      if (this.#escalation.signal.aborted || remaining <= 0) {
        resources.push(this.#abandon(registration));
        continue;
      }
      resources.push(await this.#close(registration, Math.min(registration.timeoutMs, remaining)));
    }
    const report = this.#finish(strategy.kind, strategy.deadlineMs, startedAt, started, resources);
    if (!reportLogged) this.#log(report);
    return report;
  }

  async #close(registration: Registration, timeoutMs: number): Promise<ResourceReport> {
    const began = this.#now();
    const before = readEventCounts(registration.resource, this.#registered());
    const controller = new AbortController();
    const work = closeResource(registration.resource, controller.signal);
    const settlement = await settleWithin(work, timeoutMs, this.#escalation.signal);
    if (settlement.outcome === "flushed") {
      return this.#describe(registration, "flushed", began, undefined, before);
    }
    if (settlement.outcome === "failed") {
      this.#reportFailure(settlement.error, registration, "close");
      return this.#describe(registration, "failed", began, settlement.error, before);
    }
    controller.abort(
      new LoggingError("timeout", `Shutdown stopped waiting for "${registration.name}".`),
    );
    work.catch(() => {
      // Abandoned: its outcome is already in the report.
    });
    this.#giveUp(registration, "shutdown_timeout");
    return this.#describe(registration, settlement.outcome, began, undefined, before);
  }

  /**
   * Has a resource give up what it still holds, counted by itself under `reason`; a resource
   * without `abandon` keeps it pending, which the report counts as abandoned all the same.
   */
  #giveUp(registration: Registration, reason: DropReason): void {
    const resource = registration.resource;
    if (typeof resource === "function" || typeof resource.abandon !== "function") return;
    try {
      resource.abandon(reason);
    } catch (error) {
      this.#reportFailure(error, registration, "abandon");
    }
  }

  /**
   * Gives up what the resource holds and closes it without waiting, so it stops accepting and
   * releases what it can.
   */
  #abandon(registration: Registration): ResourceReport {
    const began = this.#now();
    const before = readEventCounts(registration.resource, this.#registered());
    this.#giveUp(registration, "shutdown_timeout");
    const controller = new AbortController();
    controller.abort(new LoggingError("timeout", `Shutdown abandoned "${registration.name}".`));
    const resource = registration.resource;
    const work =
      typeof resource === "function"
        ? invoke(() => resource(controller.signal))
        : invoke(() => resource.close?.());
    work.catch(() => {
      // Abandoned: its outcome is already in the report.
    });
    return this.#describe(registration, "abandoned", began, undefined, before);
  }

  /** `before`: the resource's counts when shutdown started on it, to tell what it gave up. */
  #describe(
    registration: Registration,
    outcome: ResourceOutcome,
    began: number,
    error: unknown,
    before: EventSnapshot | undefined,
  ): ResourceReport {
    const counts = readEventCounts(registration.resource, this.#registered());
    return {
      name: registration.name,
      outcome,
      durationMs: this.#now() - began,
      ...(outcome === "failed" ? { error } : {}),
      ...(counts === undefined ? {} : { events: toResourceEvents(counts, before) }),
    };
  }

  #finish(
    strategy: ShutdownReport["strategy"],
    deadlineMs: number | undefined,
    startedAt: number,
    started: number,
    resources: readonly ResourceReport[],
  ): ShutdownReport {
    const totals = sumTotals(resources);
    return {
      strategy,
      ...(deadlineMs === undefined ? {} : { deadlineMs }),
      escalated: strategy !== "immediate" && this.#escalation.signal.aborted,
      startedAt,
      durationMs: this.#now() - started,
      ok: isClean(resources, totals),
      resources: [...resources],
      totals,
    };
  }

  /** The registered resources: a logger's sink registered on its own is counted there. */
  #registered(): ReadonlySet<unknown> {
    if (this.#resources === undefined) {
      this.#resources = new Set();
      for (const registration of this.#registrations) this.#resources.add(registration.resource);
    }
    return this.#resources;
  }

  #ordered(): Registration[] {
    return [...this.#registrations].sort(
      (left, right) => left.order - right.order || right.sequence - left.sequence,
    );
  }

  #log(report: ShutdownReport): void {
    const logger = this.#logger;
    if (logger === undefined) return;
    try {
      const method = report.ok ? logger.info : logger.warn;
      method(
        "Shutdown ({Strategy}) took {DurationMs} ms: {Delivered} events delivered, {Abandoned} abandoned",
        {
          Strategy: report.strategy,
          DurationMs: Math.round(report.durationMs),
          Delivered: report.totals.delivered,
          Abandoned: report.totals.abandoned,
          Resources: report.resources.map((resource) => ({
            Name: resource.name,
            Outcome: resource.outcome,
            DurationMs: Math.round(resource.durationMs),
            ...(resource.events === undefined
              ? {}
              : { Delivered: resource.events.delivered, Abandoned: resource.events.abandoned }),
          })),
        },
      );
    } catch (error) {
      reportError(error, { source: "shutdown", operation: "report" }, this.#onError);
    }
  }

  #reportFailure(error: unknown, registration: Registration, operation: string): void {
    reportError(error, { source: "shutdown", operation, sink: registration.name }, this.#onError);
  }
}

/**
 * Makes a {@link Shutdown}: register what must be flushed and closed, then call `execute` from
 * the application's own stop logic, or install the process hooks with `installProcessHooks`.
 *
 * @param options timeouts, a logger for the report, an error handler and a clock.
 * @returns the shutdown.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const shutdown = createShutdown({ resourceTimeoutMs: 3000 });
 * shutdown.register("logger", log);
 * server.on("close", () => shutdown.execute("flush-pending"));
 * ```
 */
export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object", options);
  }
  return new Shutdown(options);
}

/** Flushes then closes; a failed flush still closes, and both failures are kept. */
async function closeResource(
  resource: ShutdownResource | CleanupFunction,
  signal: CleanupSignal,
): Promise<void> {
  if (typeof resource === "function") {
    await invoke(() => resource(signal));
    return;
  }
  const failures: unknown[] = [];
  if (typeof resource.flush === "function") {
    await invoke(() => resource.flush?.()).catch((error: unknown) => failures.push(error));
  }
  if (typeof resource.close === "function") {
    await invoke(() => resource.close?.()).catch((error: unknown) => {
      // A sink's close rejects with the same failure its flush already reported.
      if (!failures.includes(error)) failures.push(error);
    });
  }
  if (failures.length === 1) throw failures[0];
  if (failures.length > 1) throw new AggregateError(failures, "Flush and close both failed.");
}

/** Calls a function that may throw synchronously or return anything, as a promise. */
function invoke(call: () => unknown): Promise<void> {
  try {
    return Promise.resolve(call()).then(() => undefined);
  } catch (error) {
    return Promise.reject(error);
  }
}

function toResourceEvents(
  counts: EventSnapshot,
  before: EventSnapshot | undefined,
): ResourceEvents {
  const { accepted, delivered, failed, dropped, abandoned } = lostSince(counts, before);
  return { accepted, delivered, failed, dropped, abandoned };
}

function isResource(value: unknown): value is ShutdownResource | CleanupFunction {
  if (typeof value === "function") return true;
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as ShutdownResource;
  return typeof candidate.flush === "function" || typeof candidate.close === "function";
}

function isLoggerLike(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const candidate = value as Partial<Logger>;
  return typeof candidate.info === "function" && typeof candidate.warn === "function";
}
