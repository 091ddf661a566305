// @sluice/sink-console: readable text on a terminal, JSON lines everywhere else.

// The escaping of text output lives in core, which the text formatter shares; kept here by name
// for code that imported it from this package.
export { escapeControlCharacters } from "@sluice/core/sink";
export {
  type ConsoleOutput,
  type ConsoleSink,
  type ConsoleSinkOptions,
  createConsoleSink,
} from "./console-sink.ts";
export { ansiReset, type ConsoleTheme, defaultTheme, plainTheme } from "./theme.ts";
