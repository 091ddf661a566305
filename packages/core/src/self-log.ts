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
    try {
      onError(error, context);
      return;
    } catch (callbackError) {
      selfLog(context.source, `onError threw: ${describeError(callbackError)}`);
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
