import { invalidOption } from "./errors.ts";

/** The six levels of a log event, from the most verbose to the most severe. */
export type LogLevel = "trace" | "debug" | "info" | "warn" | "error" | "fatal";

/** Every level, ordered from `trace` to `fatal`. */
export const logLevels: readonly LogLevel[] = Object.freeze([
  "trace",
  "debug",
  "info",
  "warn",
  "error",
  "fatal",
]);

const levelOrdinals: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 0,
  debug: 1,
  info: 2,
  warn: 3,
  error: 4,
  fatal: 5,
});

const severityNumbers: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 1,
  debug: 5,
  info: 9,
  warn: 13,
  error: 17,
  fatal: 21,
});

/**
 * The position of a level in {@link logLevels}: `trace` is 0, `fatal` is 5.
 *
 * @param level a level.
 * @returns its ordinal.
 */
export function levelOrdinal(level: LogLevel): number {
  return levelOrdinals[level];
}

/**
 * The OpenTelemetry `SeverityNumber` of a level (TRACE=1, DEBUG=5, INFO=9, WARN=13, ERROR=17,
 * FATAL=21).
 *
 * @param level a level.
 * @returns its OpenTelemetry severity number.
 */
export function severityNumber(level: LogLevel): number {
  return severityNumbers[level];
}

/**
 * Tells whether a string is one of the six level names.
 *
 * @param value anything.
 * @returns `true` for `"trace"`, `"debug"`, `"info"`, `"warn"`, `"error"` and `"fatal"`.
 */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && Object.hasOwn(levelOrdinals, value);
}

/**
 * Reads a level from text such as an environment variable. Case and surrounding spaces are
 * ignored; `warning`, `err`, `information`, `verbose` and `critical` are accepted as aliases.
 *
 * @param text the level's name.
 * @returns the level.
 * @throws {LoggingError} `invalid_option` when the text names no level.
 * @example
 * ```ts
 * parseLogLevel(process.env.LOG_LEVEL ?? "info");
 * ```
 */
export function parseLogLevel(text: string): LogLevel {
  const normalized = typeof text === "string" ? text.trim().toLowerCase() : text;
  if (isLogLevel(normalized)) return normalized;
  const alias = typeof normalized === "string" ? levelAliases[normalized] : undefined;
  if (alias !== undefined) return alias;
  throw invalidOption("level", `one of ${logLevels.join(", ")}`, text);
}

const levelAliases: Readonly<Record<string, LogLevel>> = Object.freeze({
  verbose: "trace",
  information: "info",
  warning: "warn",
  err: "error",
  critical: "fatal",
});

/**
 * Orders two levels.
 *
 * @returns a negative number when `a` is less severe than `b`, zero when equal, positive otherwise.
 */
export function compareLogLevels(a: LogLevel, b: LogLevel): number {
  return levelOrdinals[a] - levelOrdinals[b];
}

/**
 * Tells whether an event at `level` passes a `minimum` level.
 *
 * @returns `true` when `level` is at least as severe as `minimum`.
 */
export function isLevelEnabled(level: LogLevel, minimum: LogLevel): boolean {
  return levelOrdinals[level] >= levelOrdinals[minimum];
}

/**
 * A minimum level that can change while the program runs, shared by any number of loggers and
 * sinks: change it once (from an admin endpoint or a signal handler) and all of them follow.
 *
 * @example
 * ```ts
 * const verbosity = new LevelSwitch("info");
 * const log = createLogger({ levelSwitch: verbosity, sinks: [sink] });
 * process.on("SIGUSR2", () => { verbosity.level = verbosity.level === "debug" ? "info" : "debug"; });
 * ```
 */
export class LevelSwitch {
  /** The ordinal of the current level; read on the hot path instead of the name. */
  #ordinal: number;
  #level: LogLevel;

  /**
   * @param level the initial minimum level.
   * @throws {LoggingError} `invalid_option` when `level` is not a level.
   */
  constructor(level: LogLevel) {
    if (!isLogLevel(level)) throw invalidOption("level", `one of ${logLevels.join(", ")}`, level);
    this.#level = level;
    this.#ordinal = levelOrdinals[level];
  }

  /** The current minimum level. Setting a value that is not a level throws `invalid_option`. */
  get level(): LogLevel {
    return this.#level;
  }

  set level(level: LogLevel) {
    if (!isLogLevel(level)) throw invalidOption("level", `one of ${logLevels.join(", ")}`, level);
    this.#level = level;
    this.#ordinal = levelOrdinals[level];
  }

  /** The ordinal of the current minimum level (see {@link levelOrdinal}). */
  get ordinal(): number {
    return this.#ordinal;
  }

  /**
   * Tells whether events at `level` currently pass this switch.
   *
   * @param level the level of an event.
   * @returns `true` when `level` is at least the switch's level.
   */
  isEnabled(level: LogLevel): boolean {
    return levelOrdinals[level] >= this.#ordinal;
  }
}
