import type { LogLevel } from "@sluice/core";
import type { TextRole } from "@sluice/core/sink";

/**
 * Colours for text output: an ANSI SGR sequence (such as `"\u001b[36m"`) per role of the output
 * and per level, applied around each piece and reset after it. A role or level left out is
 * written uncoloured.
 */
export interface ConsoleTheme {
  /** The sequence for each kind of text. */
  readonly roles: Readonly<Partial<Record<TextRole, string>>>;
  /** The sequence for the level name, by level. */
  readonly levels: Readonly<Partial<Record<LogLevel, string>>>;
}

const reset = "\u001b[0m";

/** The reset sequence written after each coloured piece. */
export const ansiReset: string = reset;

/**
 * The default theme, after Serilog's "code" theme: dim structure, cyan strings, magenta numbers,
 * blue booleans, and levels from grey (trace) to white on red (fatal).
 */
export const defaultTheme: ConsoleTheme = Object.freeze({
  roles: Object.freeze({
    timestamp: "\u001b[90m",
    "property-name": "\u001b[37m",
    string: "\u001b[36m",
    number: "\u001b[35m",
    boolean: "\u001b[34m",
    null: "\u001b[34m",
    scalar: "\u001b[32m",
    structure: "\u001b[37m",
    error: "\u001b[31m",
  }),
  levels: Object.freeze({
    trace: "\u001b[90m",
    debug: "\u001b[37m",
    info: "\u001b[97m",
    warn: "\u001b[33m",
    error: "\u001b[91m",
    fatal: "\u001b[97;41m",
  }),
});

/** A theme without colour, for terminals that should stay plain. */
export const plainTheme: ConsoleTheme = Object.freeze({
  roles: Object.freeze({}),
  levels: Object.freeze({}),
});
