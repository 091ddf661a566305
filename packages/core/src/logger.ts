import {
  type CaptureOptions,
  captureError,
  captureRecord,
  estimateValueBytes,
  eventFixedBytes,
  lastCapture,
  type ResolvedCaptureOptions,
  resolveCaptureOptions,
  templateText,
} from "./capture.ts";
import { type ContextFrame, getContextFrame } from "./context.ts";
import { invalidOption, LoggingError } from "./errors.ts";
import {
  BoundProperties,
  mergeSources,
  type PreparedSource,
  type PropertySource,
} from "./event-properties.ts";
import { isLogLevel, LevelSwitch, type LogLevel, levelOrdinal, logLevels } from "./level.ts";
import {
  type CapturedError,
  type CapturedValue,
  type LogEvent,
  LogEventRecord,
} from "./log-event.ts";
import { retainedRecordTotal } from "./retained-size.ts";
import {
  admitsCallbackEvent,
  type ErrorHandler,
  errorCallbackKey,
  reportError,
  selfLog,
} from "./self-log.ts";
import { createDropCounts, type DropCounts, type DropReason, type Sink } from "./sink.ts";
import { settleSinkCall } from "./sink-call.ts";
import { parseTemplate } from "./template-parser.ts";
import type { LogArguments } from "./template-properties.ts";

/**
 * Adds properties to events. Called once per event that passed the level check, before filters;
 * returned properties are added where the event does not already have a property of that name.
 * A throwing enricher is reported and skipped; the event is still logged.
 */
export type Enricher = (event: LogEvent) => Readonly<Record<string, unknown>> | undefined;

/**
 * Decides whether an event is logged. Called after enrichers; `false` discards the event for
 * every sink. A throwing filter is reported and the event is logged (losing it would be worse).
 */
export type Filter = (event: LogEvent) => boolean;

/** A sink with its own minimum level, for {@link LoggerOptions.sinks}. */
export interface SinkEntry {
  /** The sink. */
  readonly sink: Sink;
  /**
   * The sink's own minimum level (fixed, or a switch that can change at runtime). Events below it
   * skip this sink; the logger's own level applies first.
   * @default every event the logger emits
   */
  readonly level?: LogLevel | LevelSwitch;
}

/** Options for {@link createLogger}. */
export interface LoggerOptions {
  /**
   * The minimum level. Ignored when `levelSwitch` is given.
   * @default "info"
   */
  readonly level?: LogLevel;
  /** A switch holding the minimum level, to change it at runtime and share it. */
  readonly levelSwitch?: LevelSwitch;
  /** Where events go: sinks, or `{ sink, level }` entries for per-sink minimum levels. */
  readonly sinks: readonly (Sink | SinkEntry)[];
  /**
   * Functions that add properties to every event.
   * @default []
   */
  readonly enrichers?: readonly Enricher[];
  /**
   * Functions that can discard events.
   * @default []
   */
  readonly filters?: readonly Filter[];
  /**
   * Properties added to every event of this logger and its children. On a name clash the call's
   * properties win over bound ones (these and a child's), and bound ones over the ambient
   * context's.
   * @default {}
   */
  readonly properties?: Readonly<Record<string, unknown>>;
  /**
   * Capture limits and redaction.
   * @default the defaults of `CaptureOptions`
   */
  readonly capture?: CaptureOptions;
  /**
   * Receives runtime failures (a sink that throws, an enricher that throws).
   * @default failures go to the self-log (one rate-limited line on stderr)
   */
  readonly onError?: ErrorHandler;
  /**
   * The clock that timestamps events, in milliseconds since the epoch.
   * @default Date.now
   */
  readonly clock?: () => number;
}

/**
 * Counters a logger keeps about its own pipeline (shared with its children). They keep a
 * conservation law of their own: `accepted = emitted + filtered + dropped + failed`.
 */
export interface LoggerStats {
  /** Calls that passed the level check. */
  readonly accepted: number;
  /** Events that passed the level check and the filters and were handed to sinks. */
  readonly emitted: number;
  /** Events discarded by a filter. */
  readonly filtered: number;
  /**
   * Events the logger itself dropped, by reason: only `reentrant` (logged from inside the
   * logging pipeline, past what it takes; see the README's "Logging from inside the pipeline").
   */
  readonly dropped: DropCounts;
  /** Events lost because capturing them failed (also counted in `pipelineErrors`). */
  readonly failed: number;
  /** Calls to a sink's `write` that threw (a contract violation by the sink), per sink index. */
  readonly sinkWriteErrors: readonly number[];
  /**
   * Other breaches of the `Sink` contract, per sink index: `flush`, `close` or `flushSync` that
   * threw, or a `flush` or `close` that returned no promise or settled one twice. Each is
   * reported once, as a `contract_violation`, and never thrown at the caller.
   */
  readonly sinkContractViolations: readonly number[];
  /** Failures inside the logger itself (enrichers, filters, capture). */
  readonly pipelineErrors: number;
}

/**
 * The shape shared by the six level methods of a {@link Logger}: `(template, properties?)` or
 * `(error, template, properties?)`. A first argument that is a string is the template; anything
 * else is the error.
 *
 * It is one signature rather than two overloads so that a wrong properties object is reported
 * against the template's properties and names the property: with overloads, TypeScript 7 reports
 * only the last overload's failure, which for `(template, properties)` is "not assignable to
 * parameter of type 'string'".
 *
 * @param first the message template (a string), e.g. `"User {UserId} logged in"`, or the error
 *   (anything thrown is accepted; then the template comes second).
 * @param rest after the template, the values for its holes plus any extra properties: required
 *   when the template has holes, and a missing hole property is a compile-time error.
 * @example
 * ```ts
 * log.info("User {UserId} logged in", { UserId: 42 });
 * log.error(caught, "Payment {OrderId} failed", { OrderId: "A-17" });
 * ```
 */
export type LogMethod = <const First, const Template extends string>(
  first: First,
  ...rest: LogArguments<First, Template>
) => void;

interface ResolvedSink {
  readonly sink: Sink;
  readonly levelSwitch: LevelSwitch | undefined;
}

/** State shared by a logger and its children. */
class LoggerCore {
  readonly levelSwitch: LevelSwitch;
  readonly sinks: readonly ResolvedSink[];
  /** The sinks alone, in order, for readers (`Logger.sinks`). */
  readonly sinkList: readonly Sink[];
  readonly enrichers: readonly Enricher[];
  readonly filters: readonly Filter[];
  readonly capture: ResolvedCaptureOptions;
  readonly onError: ErrorHandler | undefined;
  readonly clock: () => number;
  accepted = 0;
  emitted = 0;
  filtered = 0;
  failed = 0;
  pipelineErrors = 0;
  readonly dropped: Record<DropReason, number> = createDropCounts();
  /** Logging calls of this logger (or a relative) on the stack right now. */
  depth = 0;
  /** Whether a sink's `write` is on the stack right now. */
  writingSink = false;
  reentrantReported = false;
  readonly sinkWriteErrors: number[];
  readonly sinkContractViolations: number[];
  closing: Promise<void> | undefined = undefined;
  /** Ambient context scopes captured again with this logger's redaction, per scope. */
  readonly redactedContexts: WeakMap<ContextFrame, PropertySource> = new WeakMap();

  constructor(options: LoggerOptions) {
    if (options === null || typeof options !== "object") {
      throw invalidOption("options", "an object with a `sinks` array", options);
    }
    this.levelSwitch = resolveLevelSwitch(options);
    this.sinks = resolveSinks(options.sinks);
    this.sinkList = Object.freeze(this.sinks.map((entry) => entry.sink));
    this.enrichers = resolveFunctions("enrichers", options.enrichers);
    this.filters = resolveFunctions("filters", options.filters);
    this.capture = resolveCaptureOptions(options.capture);
    if (options.onError !== undefined && typeof options.onError !== "function") {
      throw invalidOption("onError", "a function", options.onError);
    }
    this.onError = options.onError;
    if (options.clock !== undefined && typeof options.clock !== "function") {
      throw invalidOption("clock", "a function returning milliseconds", options.clock);
    }
    this.clock = options.clock ?? Date.now;
    this.sinkWriteErrors = this.sinks.map(() => 0);
    this.sinkContractViolations = this.sinks.map(() => 0);
  }

  /** Counts and reports one contract violation by the sink at `index`. */
  contractViolation(index: number, operation: string, violation: LoggingError): void {
    this.sinkContractViolations[index] = (this.sinkContractViolations[index] ?? 0) + 1;
    const sink = this.sinks[index]?.sink;
    reportError(
      violation,
      { source: "logger", operation, ...(sink === undefined ? {} : sinkName(sink)) },
      this.onError,
    );
  }

  /**
   * Runs `flush` or `close` on every sink, whatever the others do, and settles once all have:
   * rejects with the one failure, or an `AggregateError` of several.
   */
  settleEverySink(method: "flush" | "close"): Promise<void> {
    return settleAll(
      this.sinks.map((entry, index) =>
        settleSinkCall(
          method,
          () => entry.sink[method](),
          (violation) => this.contractViolation(index, method, violation),
        ),
      ),
    );
  }
}

/**
 * A logger: six level methods, children with bound properties, flush and close. Make one with
 * {@link createLogger}. Logging methods never throw.
 */
export class Logger {
  readonly #core: LoggerCore;
  readonly #bound: BoundProperties;
  readonly #hasBound: boolean;
  // `#bound.merged()`, kept from the first event that needed it (it never changes after): a field
  // read per event instead of a call.
  #prepared: PreparedSource | undefined;

  /** @internal use {@link createLogger}. */
  constructor(core: LoggerCore, bound: BoundProperties) {
    this.#core = core;
    this.#bound = bound;
    this.#hasBound = !bound.isEmpty;
  }

  // Each method checks the level first and does nothing else when it is disabled: that branch is
  // the whole cost of a disabled call (see apps/bench, "disabled level").

  /** Logs at `trace`. */
  readonly trace: LogMethod = this.#levelMethod("trace");

  /** Logs at `debug`. */
  readonly debug: LogMethod = this.#levelMethod("debug");

  /** Logs at `info`. */
  readonly info: LogMethod = this.#levelMethod("info");

  /** Logs at `warn`. */
  readonly warn: LogMethod = this.#levelMethod("warn");

  /** Logs at `error`. */
  readonly error: LogMethod = this.#levelMethod("error");

  /** Logs at `fatal`. */
  readonly fatal: LogMethod = this.#levelMethod("fatal");

  /**
   * Logs at a level chosen at runtime.
   *
   * @param level the level; a value that is not a level is reported and nothing is logged.
   * @param template a message template.
   * @param properties the template's properties.
   */
  write(level: LogLevel, template: string, properties?: Readonly<Record<string, unknown>>): void {
    if (!isLogLevel(level)) {
      this.#core.pipelineErrors += 1;
      reportError(
        invalidOption("level", `one of ${logLevels.join(", ")}`, level),
        { source: "logger", operation: "write" },
        this.#core.onError,
      );
      return;
    }
    const ordinal = levelOrdinal(level);
    if (ordinal >= this.#core.levelSwitch.ordinal) {
      this.#log(level, ordinal, template, properties, undefined);
    }
  }

  /**
   * Tells whether events at `level` pass this logger's minimum level, to skip expensive work.
   *
   * @param level a level.
   * @returns `true` when a call at `level` would be logged (filters aside).
   */
  isEnabled(level: LogLevel): boolean {
    return isLogLevel(level) && levelOrdinal(level) >= this.#core.levelSwitch.ordinal;
  }

  /** The logger's level switch (shared with its children). */
  get levelSwitch(): LevelSwitch {
    return this.#core.levelSwitch;
  }

  /**
   * The logger's sinks, in the order given (shared with its children), for tools that read
   * their counters, such as a shutdown report: a logger's own `stats()` counts its pipeline,
   * not deliveries. Frozen.
   */
  get sinks(): readonly Sink[] {
    return this.#core.sinkList;
  }

  /**
   * Makes a logger that adds `properties` to each of its events. The properties are captured
   * once, now; the child shares its parent's sinks, level, enrichers and filters.
   *
   * @param properties the properties to bind.
   * @returns the child logger.
   * @example
   * ```ts
   * const requestLog = log.child({ RequestId: request.id });
   * requestLog.info("Handling {Path}", { Path: request.path });
   * ```
   */
  child(properties: Readonly<Record<string, unknown>>): Logger {
    const core = this.#core;
    let own: PropertySource;
    try {
      const captured = captureRecord(properties, undefined, core.capture, 0);
      own = {
        properties: Object.freeze(captured),
        size: lastCapture.keys,
        bytes: lastCapture.bytes,
      };
    } catch (error) {
      core.pipelineErrors += 1;
      reportError(error, { source: "logger", operation: "child" }, core.onError);
      return new Logger(core, this.#bound);
    }
    // The parent's properties are merged in when first needed, not copied here: a chain of
    // children costs each child its own properties.
    return new Logger(core, new BoundProperties(own, this.#bound, core.capture));
  }

  /**
   * Flushes every sink, whatever the others do. Resolves when every sink has delivered what it
   * accepted before the call; rejects, once all have settled, when any sink's flush rejected (see
   * `Sink.flush` for when that is), with its error or an `AggregateError` for several. A sink
   * whose `flush` throws or returns no promise counts as failed; that breach of the contract is
   * counted and reported once (`stats().sinkContractViolations`), never thrown.
   */
  flush(): Promise<void> {
    return this.#core.settleEverySink("flush");
  }

  /**
   * Best-effort synchronous drain of every sink that supports it, for `process.on("exit")`.
   * Never throws: a sink whose `flushSync` throws is counted and reported as a contract
   * violation, and the next sink is still drained.
   */
  flushSync(): void {
    this.#eachSink("flushSync", (sink) => sink.flushSync?.());
  }

  /**
   * Gives up what every sink still holds (see `Sink.abandon`), for shutdowns past their deadline
   * and exit paths: each sink counts it as dropped for `reason`, settles its pending calls, and
   * takes no more events. Never throws: a sink whose `abandon` throws is counted and reported as
   * a contract violation, and the next sink is still abandoned.
   *
   * @param reason the drop reason the sinks count the abandoned events under.
   */
  abandon(reason: DropReason): void {
    this.#eachSink("abandon", (sink) => sink.abandon?.(reason));
  }

  /** Runs a synchronous sink method on every sink, counting a throw as a contract violation. */
  #eachSink(operation: "flushSync" | "abandon", call: (sink: Sink) => void): void {
    const core = this.#core;
    for (let index = 0; index < core.sinks.length; index++) {
      const entry = core.sinks[index];
      if (entry === undefined) continue;
      try {
        call(entry.sink);
      } catch (error) {
        core.contractViolation(
          index,
          operation,
          new LoggingError("contract_violation", `Sink.${operation} threw.`, { cause: error }),
        );
      }
    }
  }

  /**
   * Flushes and closes every sink, whatever the others do, and rejects like {@link Logger.flush}.
   * Idempotent: every call, from this logger or a relative, returns the same promise. Events
   * logged afterwards are counted as dropped by the sinks.
   */
  close(): Promise<void> {
    const core = this.#core;
    core.closing ??= core.settleEverySink("close");
    return core.closing;
  }

  /** The logger's own counters (shared with its children). */
  stats(): LoggerStats {
    const core = this.#core;
    return {
      accepted: core.accepted,
      emitted: core.emitted,
      filtered: core.filtered,
      dropped: { ...core.dropped },
      failed: core.failed,
      sinkWriteErrors: [...core.sinkWriteErrors],
      sinkContractViolations: [...core.sinkContractViolations],
      pipelineErrors: core.pipelineErrors,
    };
  }

  /** Makes one level's method; bound to the instance so `log.info` can be passed around. */
  #levelMethod(level: LogLevel): LogMethod {
    const ordinal = levelOrdinal(level);
    return ((first: unknown, second?: unknown, third?: unknown): void => {
      if (this.#core.levelSwitch.ordinal <= ordinal)
        this.#log(level, ordinal, first, second, third);
    }) as LogMethod;
  }

  /**
   * Guards against logging from inside the pipeline. A call made while this logger is already
   * handling one (a getter, `toJSON`, an enricher, a filter or the logger's `onError` that logs)
   * is taken once; one made from inside that nested call, or while a sink's `write` is running,
   * is dropped as `reentrant`, and so is one from a component's error callback past the first in
   * its self-log interval. A counter on the caller's stack: no allocation per event.
   */
  #log(level: LogLevel, ordinal: number, first: unknown, second: unknown, third: unknown): void {
    const core = this.#core;
    core.accepted += 1;
    const depth = core.depth;
    if (
      (depth !== 0 && (depth > 1 || core.writingSink)) ||
      (errorCallbackKey !== undefined && !admitsCallbackEvent())
    ) {
      this.#dropReentrant();
      return;
    }
    core.depth = depth + 1;
    try {
      this.#emit(level, ordinal, first, second, third);
    } finally {
      core.depth = depth;
      core.writingSink = false;
    }
  }

  #dropReentrant(): void {
    const core = this.#core;
    core.dropped.reentrant += 1;
    if (core.reentrantReported) return;
    core.reentrantReported = true;
    selfLog(
      "logger",
      "an event logged from inside the logging pipeline (a getter, toJSON, enricher, filter, " +
        "sink or error callback that logs) was dropped to stop a loop; later ones are counted in " +
        "stats().dropped.reentrant",
    );
  }

  #emit(level: LogLevel, ordinal: number, first: unknown, second: unknown, third: unknown): void {
    const core = this.#core;
    let event: LogEventRecord;
    try {
      let template: unknown = first;
      let properties: unknown = second;
      let error: unknown;
      let hasError = false;
      if (typeof first !== "string") {
        hasError = true;
        error = first;
        template = second;
        properties = third;
      }
      const capture = core.capture;
      const parsed = parseTemplate(templateText(template, capture));
      let capturedError: CapturedError | undefined;
      let errorBytes = 0;
      if (hasError) {
        capturedError = captureError(error, capture);
        errorBytes = estimateValueBytes(capturedError);
      }
      // The error is bounded on its own; the properties get what the event has left.
      const captured = captureRecord(properties, parsed, capture, errorBytes);
      const fixedBytes = eventFixedBytes(parsed) + errorBytes;
      // `lastCapture` describes the record just captured; read it before anything recaptures.
      let size = lastCapture.keys;
      let bytes = lastCapture.bytes;
      let retained = lastCapture.retained;
      const frame = getContextFrame();
      let whole: PropertySource | undefined;
      if (this.#hasBound || frame !== undefined) {
        const bound = this.#hasBound ? (this.#prepared ?? this.#prepareBound()) : undefined;
        const context = frame === undefined ? undefined : this.#contextSource(frame);
        if (mergeSources(captured, size, bytes, bound, context, fixedBytes, capture)) whole = bound;
        size = lastCapture.keys;
        bytes = lastCapture.bytes;
        // Unknown (not a number) for a context scope another copy of core left unpriced.
        retained =
          lastCapture.retained >= 0
            ? lastCapture.retained
            : retained +
              (bound === undefined ? 0 : bound.retained) +
              (context === undefined ? 0 : (context.retained ?? Number.NaN));
      }
      const enriched = core.enrichers.length > 0;
      // Priced here for sinks that hold events (a queue), which need not walk it again; an
      // enriched event is priced by the walk, once its properties are complete.
      event = new LogEventRecord(
        core.clock(),
        level,
        parsed,
        captured,
        capturedError,
        enriched ? -1 : retainedRecordTotal(size, retained),
      );
      if (enriched) {
        this.#enrich(event, captured, size, bytes, fixedBytes);
      } else if (whole !== undefined) {
        // Enrichers add keys after the bound ones, so only an event without them ends with them.
        event.bound = whole.properties;
      }
      if (core.filters.length > 0 && !this.#passesFilters(event)) {
        core.filtered += 1;
        return;
      }
    } catch (failure) {
      core.pipelineErrors += 1;
      core.failed += 1;
      reportError(failure, { source: "logger", operation: "capture" }, core.onError);
      return;
    }
    core.emitted += 1;
    const sinks = core.sinks;
    for (let index = 0; index < sinks.length; index++) {
      const entry = sinks[index] as ResolvedSink;
      if (entry.levelSwitch !== undefined && ordinal < entry.levelSwitch.ordinal) continue;
      core.writingSink = true;
      try {
        entry.sink.write(event);
        core.writingSink = false;
      } catch (failure) {
        core.writingSink = false;
        core.sinkWriteErrors[index] = (core.sinkWriteErrors[index] ?? 0) + 1;
        reportError(
          new LoggingError("contract_violation", "Sink.write threw; the event was not written.", {
            cause: failure,
          }),
          { source: "logger", operation: "write", events: 1, ...sinkName(entry.sink) },
          core.onError,
        );
      }
    }
  }

  #prepareBound(): PreparedSource {
    const prepared = this.#bound.merged();
    this.#prepared = prepared;
    return prepared;
  }

  /** The ambient context scope as this logger's redaction sees it (captured once per scope). */
  #contextSource(frame: ContextFrame): PropertySource {
    const core = this.#core;
    if (core.capture.redaction === undefined) return frame;
    let redacted = core.redactedContexts.get(frame);
    if (redacted === undefined) {
      const properties = captureRecord(frame.properties, undefined, core.capture, 0);
      redacted = {
        properties,
        size: lastCapture.keys,
        bytes: lastCapture.bytes,
        retained: lastCapture.retained,
      };
      core.redactedContexts.set(frame, redacted);
    }
    return redacted;
  }

  // What enrichers add is captured like a call's properties (limits and redaction) and merged
  // within the event's limits. `size` and `bytes` describe `properties` so far.
  #enrich(
    event: LogEvent,
    properties: Record<string, CapturedValue>,
    size: number,
    bytes: number,
    fixedBytes: number,
  ): void {
    const core = this.#core;
    for (const enricher of core.enrichers) {
      try {
        const added = enricher(event);
        if (added === undefined || added === null) continue;
        const captured = captureRecord(added, undefined, core.capture, 0);
        const source = { properties: captured, size: lastCapture.keys, bytes: lastCapture.bytes };
        mergeSources(properties, size, bytes, source, undefined, fixedBytes, core.capture);
        size = lastCapture.keys;
        bytes = lastCapture.bytes;
      } catch (failure) {
        core.pipelineErrors += 1;
        reportError(failure, { source: "logger", operation: "enricher" }, core.onError);
      }
    }
  }

  #passesFilters(event: LogEvent): boolean {
    const core = this.#core;
    for (const filter of core.filters) {
      try {
        if (filter(event) === false) return false;
      } catch (failure) {
        core.pipelineErrors += 1;
        reportError(failure, { source: "logger", operation: "filter" }, core.onError);
      }
    }
    return true;
  }
}

/**
 * Creates a logger.
 *
 * @param options the level, sinks, enrichers, filters, bound properties and error handler.
 * @returns the logger.
 * @throws {LoggingError} `invalid_option` when an option is not valid.
 * @example
 * ```ts
 * const log = createLogger({ level: "debug", sinks: [createConsoleSink()] });
 * log.info("User {UserId} logged in from {@Location}", { UserId: 42, Location: { City: "Oslo" } });
 * log.error(error, "Payment {OrderId} failed", { OrderId: "A-17" });
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  const core = new LoggerCore(options);
  const base = captureRecord(options.properties, undefined, core.capture, 0);
  const own = { properties: Object.freeze(base), size: lastCapture.keys, bytes: lastCapture.bytes };
  return new Logger(core, new BoundProperties(own, undefined, core.capture));
}

function sinkName(sink: Sink): { sink?: string } {
  return typeof sink.name === "string" ? { sink: sink.name } : {};
}

function resolveLevelSwitch(options: LoggerOptions): LevelSwitch {
  if (options.levelSwitch !== undefined) {
    if (!(options.levelSwitch instanceof LevelSwitch)) {
      throw invalidOption("levelSwitch", "a LevelSwitch", options.levelSwitch);
    }
    return options.levelSwitch;
  }
  const level = options.level ?? "info";
  if (!isLogLevel(level)) throw invalidOption("level", `one of ${logLevels.join(", ")}`, level);
  return new LevelSwitch(level);
}

function isSink(value: unknown): value is Sink {
  if (value === null || typeof value !== "object") return false;
  const candidate = value as Record<string, unknown>;
  return (
    typeof candidate.write === "function" &&
    typeof candidate.writeBatch === "function" &&
    typeof candidate.flush === "function" &&
    typeof candidate.close === "function"
  );
}

function resolveSinks(sinks: unknown): ResolvedSink[] {
  const accepted = "an array of sinks or { sink, level } entries";
  if (!Array.isArray(sinks)) throw invalidOption("sinks", accepted, sinks);
  return sinks.map((entry: unknown, index: number): ResolvedSink => {
    if (isSink(entry)) return { sink: entry, levelSwitch: undefined };
    if (entry !== null && typeof entry === "object" && isSink((entry as SinkEntry).sink)) {
      const { sink, level } = entry as SinkEntry;
      if (level === undefined) return { sink, levelSwitch: undefined };
      if (level instanceof LevelSwitch) return { sink, levelSwitch: level };
      if (isLogLevel(level)) return { sink, levelSwitch: new LevelSwitch(level) };
      throw invalidOption(
        `sinks[${index}].level`,
        `one of ${logLevels.join(", ")} or a LevelSwitch`,
        level,
      );
    }
    throw invalidOption(
      `sinks[${index}]`,
      "a sink (an object with write, writeBatch, flush and close) or { sink, level }",
      entry,
    );
  });
}

function resolveFunctions<Item>(name: string, value: readonly Item[] | undefined): Item[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== "function")) {
    throw invalidOption(name, "an array of functions", value);
  }
  return [...value];
}

/**
 * Waits for every promise; resolves when all resolved, rejects with the one error or an
 * `AggregateError` of several.
 *
 * @param promises the promises.
 * @returns a promise of their combined outcome.
 */
export async function settleAll(promises: readonly Promise<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(promises);
  const errors: unknown[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === "rejected") errors.push(outcome.reason);
  }
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new AggregateError(errors, `${errors.length} operations failed`);
}
