import { isatty } from "node:tty";
import {
  type BatchSettled,
  createClefFormatter,
  type DropReason,
  type ErrorHandler,
  type Formatter,
  isLogLevel,
  type LogEvent,
  LoggingError,
  type LogLevel,
  levelOrdinal,
  logLevels,
  type Sink,
  type SinkStats,
} from "@sluice/core";
import {
  type CompiledOutputTemplate,
  compileOutputTemplate,
  type DeliveryObserver,
  DeliveryObservers,
  DeliveryTimestamps,
  FdWriter,
  formatEvent,
  invalidOption,
  PartialDeliveryError,
  positiveIntegerOption,
  reportError,
  SinkCounters,
  settleAll,
  type TextRole,
  waitOption,
} from "@sluice/core/sink";
import { ansiReset, type ConsoleTheme, defaultTheme } from "./theme.ts";

/** Options for {@link createConsoleSink}. */
export interface ConsoleSinkOptions {
  /**
   * `"text"` for readable lines, `"json"` for one JSON object per line, for both streams.
   * @default `"text"` for a stream that is a terminal, `"json"` for one that is not
   */
  readonly format?: "text" | "json";
  /**
   * The output template for text (see core's `TextFormatterOptions.outputTemplate`).
   * @default "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {Message:lj}{NewLine}{Exception}"
   */
  readonly outputTemplate?: string;
  /**
   * Render text timestamps in UTC rather than local time.
   * @default false
   */
  readonly utc?: boolean;
  /**
   * The formatter for JSON lines.
   * @default createClefFormatter()
   */
  readonly jsonFormatter?: Formatter;
  /**
   * Colour text output on both streams. When not given, for each stream: on for a terminal, off
   * otherwise; `NO_COLOR` turns it off and `FORCE_COLOR` (other than `0` or `false`) turns it
   * on, `FORCE_COLOR` winning.
   */
  readonly colors?: boolean;
  /**
   * The colours.
   * @default defaultTheme
   */
  readonly theme?: ConsoleTheme;
  /**
   * Events at or above this level go to standard error instead of standard output; `false`
   * sends everything to standard output.
   * @default false
   */
  readonly stderrLevel?: LogLevel | false;
  /**
   * The descriptor written for standard output (for tests and redirection).
   * @default 1
   */
  readonly stdoutFd?: number;
  /**
   * The descriptor written for standard error.
   * @default 2
   */
  readonly stderrFd?: number;
  /**
   * Whether the streams are terminals, instead of asking the OS: one answer for both, or one
   * per stream (a stream left out is asked about).
   */
  readonly isTTY?: boolean | { readonly stdout?: boolean; readonly stderr?: boolean };
  /**
   * The environment read for `NO_COLOR` and `FORCE_COLOR`.
   * @default process.env
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /**
   * The most text held per destination while the reader is slow; events past it are dropped
   * (`buffer_full`).
   * @default 4194304 (4 MiB)
   */
  readonly maxBufferBytes?: number;
  /**
   * How long a reader that holds a stream open but takes no byte (a pager left on its first
   * screen, a stopped log shipper) keeps the process alive, in milliseconds. Until then a full
   * pipe is waited out; past it, writing goes on while the process lives (and holds it again once
   * the reader takes a byte), but a process with nothing else to do exits, and its exit path
   * counts what is left. The default waits as long as the reader keeps the pipe open, as a Unix
   * program writing to `less` does; a bound suits a service whose standard output feeds a log
   * shipper. `0` never holds the process for a full pipe.
   * @default Infinity
   */
  readonly holdOnStallMs?: number;
  /**
   * Receives write failures other than a closed pipe.
   * @default failures go to the self-log
   */
  readonly onError?: ErrorHandler;
}

/** How one stream is written. */
export interface ConsoleOutput {
  /** `"text"` or `"json"`. */
  readonly format: "text" | "json";
  /** Whether text is coloured (always `false` for JSON). */
  readonly colors: boolean;
}

/** The sink `createConsoleSink` returns. */
export interface ConsoleSink extends Sink {
  /**
   * How each stream is written. Each is decided on its own, as Node's console does, so with
   * `node app | jq` the warnings `stderrLevel` sends to a terminal are still readable text.
   */
  readonly outputs: { readonly stdout: ConsoleOutput; readonly stderr: ConsoleOutput };
  /**
   * Writes everything buffered with synchronous calls, for exit paths.
   *
   * @param timeoutMs how long to wait for a full pipe; see `Sink.flushSync`.
   */
  flushSync(timeoutMs?: number): void;
  /**
   * Gives up the text still buffered or in flight for both streams (see `Sink.abandon`): its
   * events count as dropped for `reason`, pending calls settle at once, and the sink is closed.
   *
   * @param reason the drop reason, e.g. `process_exit`.
   */
  abandon(reason: DropReason): void;
  /**
   * Observes deliveries (see `Sink.observeDelivery`): the timestamps of events whose text a
   * write system call took, on either stream.
   *
   * @param observer receives the delivered events' timestamps.
   * @returns a function that stops the observation.
   */
  observeDelivery(observer: DeliveryObserver): () => void;
  /** The sink's counters. */
  stats(): SinkStats;
}

/**
 * Creates a console sink: readable, coloured text on a terminal, JSON lines anywhere else,
 * decided for stdout and stderr separately.
 * Writes are asynchronous and bounded; a full pipe is waited for without a busy loop. When the
 * reader goes away (`node app | head -1`), output stops quietly: the lost events are counted as
 * `epipe`, nothing is thrown, the exit code stays the application's, and other sinks carry on.
 * Text output escapes control characters and ANSI sequences in user data, so one event is one
 * line. Never closes stdout or stderr.
 *
 * @param options format, colours, destinations.
 * @returns the sink.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const log = createLogger({ sinks: [createConsoleSink({ stderrLevel: "warn" })] });
 * process.on("exit", () => log.flushSync());
 * ```
 */
export function createConsoleSink(options: ConsoleSinkOptions = {}): ConsoleSink {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object", options);
  }
  const stdoutFd = descriptor("stdoutFd", options.stdoutFd, 1);
  const stderrFd = descriptor("stderrFd", options.stderrFd, 2);
  const env = options.env ?? process.env;
  if (options.format !== undefined && options.format !== "text" && options.format !== "json") {
    throw invalidOption("format", '"text" or "json"', options.format);
  }
  const stderrLevel = options.stderrLevel ?? false;
  if (stderrLevel !== false && !isLogLevel(stderrLevel)) {
    throw invalidOption("stderrLevel", `false or one of ${logLevels.join(", ")}`, stderrLevel);
  }
  if (options.colors !== undefined && typeof options.colors !== "boolean") {
    throw invalidOption("colors", "a boolean", options.colors);
  }
  const jsonFormatter = options.jsonFormatter ?? createClefFormatter();
  if (typeof jsonFormatter?.format !== "function") {
    throw invalidOption(
      "jsonFormatter",
      "a formatter such as createClefFormatter()",
      jsonFormatter,
    );
  }
  const maxBufferBytes = positiveIntegerOption("maxBufferBytes", options.maxBufferBytes, 4 << 20);
  const holdOnStallMs = waitOption(
    "holdOnStallMs",
    options.holdOnStallMs,
    Number.POSITIVE_INFINITY,
  );
  const terminals = resolveTerminals(options.isTTY, stdoutFd, stderrFd);
  const outputFor = (isTTY: boolean): ConsoleOutput => {
    const format = options.format ?? (isTTY ? "text" : "json");
    return {
      format,
      colors: format === "text" && (options.colors ?? colorsFromEnvironment(env, isTTY)),
    };
  };
  const compiled = compileOutputTemplate(options.outputTemplate, { utc: options.utc ?? false });
  return new ConsoleSinkImplementation({
    outputs: { stdout: outputFor(terminals.stdout), stderr: outputFor(terminals.stderr) },
    theme: options.theme ?? defaultTheme,
    compiled,
    jsonFormatter,
    stdoutFd,
    stderrFd,
    stderrOrdinal: stderrLevel === false ? Number.POSITIVE_INFINITY : levelOrdinal(stderrLevel),
    maxBufferBytes,
    holdOnStallMs,
    onError: options.onError,
  });
}

function descriptor(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw invalidOption(name, "a file descriptor (an integer of 0 or more)", value);
  }
  return value;
}

function resolveTerminals(
  isTTY: ConsoleSinkOptions["isTTY"] | null,
  stdoutFd: number,
  stderrFd: number,
): { stdout: boolean; stderr: boolean } {
  if (typeof isTTY === "boolean") return { stdout: isTTY, stderr: isTTY };
  const accepted = "a boolean, or an object with optional boolean stdout and stderr";
  if (isTTY !== undefined && (isTTY === null || typeof isTTY !== "object")) {
    throw invalidOption("isTTY", accepted, isTTY);
  }
  const answers = { stdout: isTTY?.stdout, stderr: isTTY?.stderr };
  for (const answer of [answers.stdout, answers.stderr]) {
    if (answer !== undefined && typeof answer !== "boolean") {
      throw invalidOption("isTTY", accepted, isTTY);
    }
  }
  return {
    stdout: answers.stdout ?? isatty(stdoutFd),
    stderr: answers.stderr ?? isatty(stderrFd),
  };
}

function colorsFromEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  isTTY: boolean,
): boolean {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return force !== "0" && force.toLowerCase() !== "false";
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  return isTTY;
}

interface ResolvedConsoleOptions {
  readonly outputs: ConsoleSink["outputs"];
  readonly theme: ConsoleTheme;
  readonly compiled: CompiledOutputTemplate;
  readonly jsonFormatter: Formatter;
  readonly stdoutFd: number;
  readonly stderrFd: number;
  readonly stderrOrdinal: number;
  readonly maxBufferBytes: number;
  readonly holdOnStallMs: number;
  readonly onError: ErrorHandler | undefined;
}

/** How much of a batch was delivered, and why not the rest. */
interface BatchOutcome {
  readonly delivered: number;
  readonly error: unknown;
}

/** Tells a batch's synchronous listener (see `Sink.writeBatch`); its throw is its own. */
function report(settled: BatchSettled | undefined, delivered: number, error?: unknown): void {
  try {
    if (error === undefined) settled?.(delivered);
    else settled?.(delivered, error);
  } catch {
    // Ignored, as the contract says: the promise still settles.
  }
}

/** One output stream: how it is written, its writer, and whether its reader has gone. */
interface Destination {
  readonly output: ConsoleOutput;
  /** Collects text lines, coloured or not as `output` says. */
  readonly line: TextLine;
  readonly writer: FdWriter;
  /** The timestamps of the events its writer holds, while deliveries are observed. */
  readonly timestamps: DeliveryTimestamps;
  broken: boolean;
}

/**
 * Collects the pieces of one text event, colouring by role. The compiled output template has
 * already escaped what the event supplied, so a colour never wraps a raw control character.
 */
class TextLine {
  text = "";
  level: LogLevel = "info";
  readonly #colors: boolean;
  readonly #theme: ConsoleTheme;

  constructor(colors: boolean, theme: ConsoleTheme) {
    this.#colors = colors;
    this.#theme = theme;
  }

  write(piece: string, role: TextRole): void {
    if (!this.#colors) {
      this.text += piece;
      return;
    }
    const color = role === "level" ? this.#theme.levels[this.level] : this.#theme.roles[role];
    this.text += color === undefined ? piece : `${color}${piece}${ansiReset}`;
  }
}

class ConsoleSinkImplementation implements ConsoleSink {
  readonly name = "console";
  // One writer per stream takes every batch's text in call order.
  readonly acceptsOverlappingBatches = true;
  readonly outputs: ConsoleSink["outputs"];
  readonly #options: ResolvedConsoleOptions;
  readonly #counters = new SinkCounters();
  #stdout: Destination | undefined;
  #stderr: Destination | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  #abandonError: LoggingError | undefined;
  readonly #observers = new DeliveryObservers((active) => {
    this.#stdout?.timestamps.track(active);
    this.#stderr?.timestamps.track(active);
  });

  constructor(options: ResolvedConsoleOptions) {
    this.#options = options;
    this.outputs = options.outputs;
  }

  write(event: LogEvent): void {
    if (this.#closed) this.#counters.refuse("closed");
    else this.#take(event);
  }

  writeBatch(events: readonly LogEvent[], settled?: BatchSettled): Promise<void> {
    if (this.#closed) {
      this.#counters.refuse("closed", events.length);
      const error = new LoggingError("sink_closed", "The console sink is closed.");
      report(settled, 0, error);
      return Promise.reject(error);
    }
    // Where each taken event went, in order, to find the delivered prefix across both streams.
    const routes: Destination[] = [];
    let refusal: DropReason | undefined;
    for (const event of events) {
      const taken = this.#take(event);
      if (typeof taken === "string") {
        refusal = taken;
        break;
      }
      routes.push(taken);
    }
    // What is delivered must be a prefix of the batch: after one refused event, none is taken.
    const untried = events.length - routes.length - (refusal === undefined ? 0 : 1);
    if (refusal !== undefined && untried > 0) this.#counters.refuse(refusal, untried);
    const destinations = [this.#stdout, this.#stderr].filter(
      (destination): destination is Destination =>
        destination !== undefined && routes.includes(destination),
    );
    // Worked out once, from whichever comes first: every stream's writer told its part
    // synchronously (inside flushSync at process exit, where promise reactions never run), or
    // the promises settled. The listener and the promise then say the same.
    let outcome: BatchOutcome | undefined;
    const settle = (counts: readonly (number | undefined)[]): BatchOutcome => {
      outcome ??= this.#batchOutcome(events.length, routes, destinations, counts, refusal);
      return outcome;
    };
    const told: number[] = [];
    let waiting = destinations.length;
    const written = destinations.map((destination, index) => {
      let count = 0;
      for (const route of routes) if (route === destination) count += 1;
      return destination.writer.flushBatch(
        count,
        settled === undefined
          ? undefined
          : (part) => {
              told[index] = part;
              waiting -= 1;
              if (waiting > 0) return;
              const { delivered, error } = settle(told);
              report(settled, delivered, error);
            },
      );
    });
    if (destinations.length === 0) {
      const { delivered, error } = settle([]);
      report(settled, delivered, error);
    }
    return Promise.all(written).then((counts) => {
      const { error } = settle(counts);
      if (error !== undefined) throw error;
    });
  }

  /**
   * A batch's outcome from how many of its events each stream's writer wrote: the delivered
   * prefix across both streams, and the failure when that is not the whole batch.
   */
  #batchOutcome(
    count: number,
    routes: readonly Destination[],
    destinations: readonly Destination[],
    counts: readonly (number | undefined)[],
    refusal: DropReason | undefined,
  ): BatchOutcome {
    const left = new Map(destinations.map((destination, index) => [destination, counts[index]]));
    let prefix = 0;
    for (const route of routes) {
      const remaining = left.get(route) ?? 0;
      if (remaining === 0) break;
      left.set(route, remaining - 1);
      prefix += 1;
    }
    if (prefix === count) return { delivered: prefix, error: undefined };
    const cause =
      prefix < routes.length
        ? (this.#abandonError ?? (routes[prefix] as Destination).writer.lastError)
        : new LoggingError(
            "sink_failure",
            `${count - routes.length} events were dropped (${refusal}) by the console sink.`,
          );
    return {
      delivered: prefix,
      error: prefix === 0 ? cause : new PartialDeliveryError(prefix, count, { cause }),
    };
  }

  flush(): Promise<void> {
    const flushes: Promise<void>[] = [];
    for (const destination of [this.#stdout, this.#stderr]) {
      if (destination !== undefined) flushes.push(destination.writer.flush().catch(ignoreEpipe));
    }
    return settleAll(flushes);
  }

  flushSync(timeoutMs?: number): void {
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    this.#stdout?.writer.flushSync(timeoutMs);
    this.#stderr?.writer.flushSync(
      deadline === undefined ? undefined : Math.max(0, deadline - performance.now()),
    );
  }

  abandon(reason: DropReason): void {
    if (this.#abandonError !== undefined) return;
    this.#closed = true;
    const destinations = [this.#stdout, this.#stderr];
    let held = 0;
    let stalledMs = 0;
    for (const destination of destinations) {
      held += destination?.writer.pendingEvents ?? 0;
      stalledMs = Math.max(stalledMs, destination?.writer.stalledMs ?? 0);
    }
    this.#abandonError = new LoggingError(
      "timeout",
      `The console sink gave up ${held} events it still held (${reason})` +
        (stalledMs > 0
          ? `: its destination took no data for ${Math.round(stalledMs)} ms (EAGAIN, a reader that stopped reading).`
          : "."),
    );
    let given = 0;
    for (const destination of destinations) {
      if (destination === undefined) continue;
      const events = destination.writer.abandon(this.#abandonError);
      given += events;
      this.#counters.drop(reason, events);
      destination.timestamps.discard(events);
    }
    // A stall is no write failure, so nothing else keeps its trace: the last error says why the
    // events were given up, for a report at exit to name the cause.
    if (given > 0 && stalledMs > 0) this.#counters.lastError = this.#abandonError;
  }

  observeDelivery(observer: DeliveryObserver): () => void {
    return this.#observers.add(observer);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      try {
        await this.flush();
      } finally {
        // The descriptors belong to the process: stop the writers, never close stdout or stderr.
        this.#stdout?.writer.stop();
        this.#stderr?.writer.stop();
      }
    })();
    return this.#closing;
  }

  stats(): SinkStats {
    return this.#counters.snapshot();
  }

  /** Renders and buffers one event; returns where it went, or why it was refused. */
  #take(event: LogEvent): Destination | DropReason {
    const destination = this.#destinationFor(event);
    if (destination.broken) {
      this.#counters.refuse("epipe");
      return "epipe";
    }
    let text: string;
    try {
      text = this.#render(event, destination);
    } catch (error) {
      this.#counters.refuse("sink_error");
      reportError(
        error,
        { source: "console", operation: "format", sink: this.name, events: 1 },
        this.#options.onError,
      );
      return "sink_error";
    }
    if (!destination.writer.write(text)) {
      this.#counters.refuse("buffer_full");
      return "buffer_full";
    }
    this.#counters.accept(1);
    destination.timestamps.push(event.timestamp);
    return destination;
  }

  #render(event: LogEvent, destination: Destination): string {
    if (destination.output.format === "json") {
      return formatEvent(event, this.#options.jsonFormatter);
    }
    const line = destination.line;
    line.text = "";
    line.level = event.level;
    this.#options.compiled(event, line);
    return line.text;
  }

  #destinationFor(event: LogEvent): Destination {
    if (levelOrdinal(event.level) >= this.#options.stderrOrdinal) {
      this.#stderr ??= this.#createDestination(this.#options.stderrFd, this.outputs.stderr);
      return this.#stderr;
    }
    this.#stdout ??= this.#createDestination(this.#options.stdoutFd, this.outputs.stdout);
    return this.#stdout;
  }

  #createDestination(fd: number, output: ConsoleOutput): Destination {
    const timestamps = new DeliveryTimestamps(
      this.#observers,
      () => destination.writer.pendingEvents,
    );
    const destination: Destination = {
      output,
      line: new TextLine(output.colors, this.#options.theme),
      broken: false,
      timestamps,
      writer: new FdWriter({
        fd,
        maxBufferBytes: this.#options.maxBufferBytes,
        holdOnStallMs: this.#options.holdOnStallMs,
        onWritten: (events, bytes) => {
          this.#counters.deliver(events);
          this.#counters.bytes += bytes;
          timestamps.deliver(events);
        },
        onWriteError: (error, events) => {
          timestamps.discard(events);
          if (error.code === "EPIPE") {
            // The reader left: stop this destination quietly and count what it cannot take.
            destination.broken = true;
            this.#counters.drop("epipe", events);
          } else {
            this.#counters.fail(events, 0, error);
            reportError(
              error,
              { source: "console", operation: "write", sink: this.name, events },
              this.#options.onError,
            );
          }
          return "discard";
        },
      }),
    };
    if (this.#observers.active) timestamps.track(true);
    return destination;
  }
}

function ignoreEpipe(error: unknown): void {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== "EPIPE") throw error;
}
