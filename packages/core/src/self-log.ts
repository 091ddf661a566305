/** Where a runtime failure happened, passed to every `onError` callback. */
export interface ErrorContext {
  /** The component that failed, e.g. `"logger"`, `"queue"`, `"file"`. */
  readonly source: string;
  /** What it was doing, e.g. `"write"`, `"flush"`, `"enricher"`. */
  readonly operation: string;
  /** The sink's name, when a sink failed. */
  readonly sink?: string;
  /** How many events the failure concerned, when known. */
  readonly events?: number;
}

/**
 * Receives runtime failures: sink errors, throwing enrichers, dropped output. It is called on the
 * failing path and must not throw; if it does, the throw is reported to the self-log instead.
 */
export type ErrorHandler = (error: unknown, context: ErrorContext) => void;

/** Options for {@link configureSelfLog}. */
export interface SelfLogOptions {
  /**
   * Receives each self-log line (without a trailing newline), or `false` to silence the self-log.
   * @default a function writing the line to `process.stderr`
   */
  readonly write?: ((line: string) => void) | false;
  /**
   * The minimum time between two lines from the same source, in milliseconds; lines in between
   * are counted and the count is reported with the next line.
   * @default 5000
   */
  readonly intervalMs?: number;
  /**
   * The clock, for tests.
   * @default Date.now
   */
  readonly now?: () => number;
}

interface SourceState {
  lastLineAt: number;
  suppressed: number;
}

const defaultWrite = (line: string): void => {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // stderr itself is gone; there is nowhere left to report to.
  }
};

let selfLogWrite: ((line: string) => void) | false = defaultWrite;
let selfLogIntervalMs = 5000;
let selfLogNow: () => number = Date.now;
const sources = new Map<string, SourceState>();

/**
 * @internal the component (`source` and sink) whose `onError` callback is running, if any. A
 * logger reads it on every call: an event logged from an error callback can feed a loop (the
 * event fails in the same sink, whose callback logs again), see {@link admitsCallbackEvent}.
 */
export let errorCallbackKey: string | undefined;
// When each component's error callback last had an event let through.
const callbackEvents = new Map<string, number>();

/**
 * @internal Whether an event logged now, from inside the running error callback, may go on: one
 * per component every self-log interval, so a sink whose failure is logged into itself reports
 * at a bounded rate instead of looping.
 *
 * @returns `true` outside error callbacks, and for the first event of a component's window.
 */
export function admitsCallbackEvent(): boolean {
  const key = errorCallbackKey;
  if (key === undefined) return true;
  const now = selfLogNow();
  const last = callbackEvents.get(key);
  if (last !== undefined && now - last < selfLogIntervalMs) return false;
  callbackEvents.set(key, now);
  return true;
}

/**
 * Configures Sluice's self-log: the last-resort report of runtime failures that no `onError`
 * callback handled. By default it prints at most one line per source every 5 s to stderr.
 *
 * @param options where lines go and how often; omitted fields return to their defaults.
 * @example
 * ```ts
 * configureSelfLog({ write: (line) => myAlerts.push(line) });
 * ```
 */
export function configureSelfLog(options: SelfLogOptions = {}): void {
  selfLogWrite = options.write ?? defaultWrite;
  selfLogIntervalMs = options.intervalMs ?? 5000;
  selfLogNow = options.now ?? Date.now;
  sources.clear();
  callbackEvents.clear();
}

/**
 * Writes one rate-limited line to the self-log.
 *
 * @param source the component reporting, used as the rate-limit key.
 * @param message what happened.
 */
export function selfLog(source: string, message: string): void {
  if (selfLogWrite === false) return;
  const now = selfLogNow();
  let state = sources.get(source);
  if (state === undefined) {
    state = { lastLineAt: Number.NEGATIVE_INFINITY, suppressed: 0 };
    sources.set(source, state);
  }
  if (now - state.lastLineAt < selfLogIntervalMs) {
    state.suppressed += 1;
    return;
  }
  const suppressed =
    state.suppressed > 0 ? ` (${state.suppressed} similar messages suppressed)` : "";
  state.lastLineAt = now;
  state.suppressed = 0;
  try {
    selfLogWrite(`[sluice] ${source}: ${message}${suppressed}`);
  } catch {
    // A failing self-log destination must not turn a logging failure into a crash.
  }
}

/**
 * Reports a runtime failure: to `onError` when given, otherwise to the self-log. Never throws.
 *
 * @param error the failure.
 * @param context where it happened.
 * @param onError the component's callback, if the user gave one.
 */
export function reportError(
  error: unknown,
  context: ErrorContext,
  onError: ErrorHandler | undefined,
): void {
  if (onError !== undefined) {
    const outer = errorCallbackKey;
    errorCallbackKey = `${context.source}\u0000${context.sink ?? ""}`;
    try {
      onError(error, context);
      return;
    } catch (callbackError) {
      selfLog(context.source, `onError threw: ${describeError(callbackError)}`);
    } finally {
      errorCallbackKey = outer;
    }
  }
  const where =
    context.sink === undefined ? context.operation : `${context.sink} ${context.operation}`;
  selfLog(context.source, `${where} failed: ${describeError(error)}`);
}

function describeError(error: unknown): string {
  try {
    if (error instanceof Error) {
      const code = (error as { code?: unknown }).code;
      return typeof code === "string" ? `${error.message} (${code})` : error.message;
    }
    return String(error);
  } catch {
    return "an error that cannot be described";
  }
}
