// @sluice/sink-console: readable text on a terminal, JSON lines everywhere else.
export {
  type ConsoleOutput,
  type ConsoleSink,
  type ConsoleSinkOptions,
  createConsoleSink,
} from "./console-sink.ts";
export { escapeControlCharacters } from "./escape-control-characters.ts";
export { ansiReset, type ConsoleTheme, defaultTheme, plainTheme } from "./theme.ts";
