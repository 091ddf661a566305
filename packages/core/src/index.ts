// @sluice/core: what application code imports: the logger, levels, events and captured values,
// message templates, ambient context, formatters and the self-log. Sink and wrapper authors import
// `@sluice/core/sink` besides; tests import `@sluice/core/testing`. Every export is listed by name,
// sorted by module.

export type { CaptureOptions } from "./capture.ts";
export {
  type ClefFormatterOptions,
  clefLevelNames,
  createClefFormatter,
} from "./clef-formatter.ts";
export {
  type ContextOptions,
  configureContext,
  getContext,
  getContextSize,
  withContext,
  withoutContext,
} from "./context.ts";
export { LoggingError, type LoggingErrorCode, type LoggingErrorOptions } from "./errors.ts";
export type { Formatter } from "./formatter.ts";
export {
  compareLogLevels,
  isLevelEnabled,
  isLogLevel,
  LevelSwitch,
  type LogLevel,
  levelOrdinal,
  logLevels,
  parseLogLevel,
  severityNumber,
} from "./level.ts";
export {
  CapturedError,
  type CapturedObject,
  type CapturedProperties,
  type CapturedValue,
  type LogEvent,
} from "./log-event.ts";
export {
  createLogger,
  type Enricher,
  type Filter,
  Logger,
  type LoggerOptions,
  type LoggerStats,
  type LogMethod,
  type SinkEntry,
} from "./logger.ts";
export type {
  Alignment,
  CaptureHint,
  MessageTemplate,
  PropertyToken,
  TemplateToken,
  TextToken,
} from "./message-template.ts";
export {
  createPinoFormatter,
  type PinoFormatterOptions,
  pinoLevelNumbers,
} from "./pino-formatter.ts";
export type { RedactionOptions } from "./redaction.ts";
export {
  configureSelfLog,
  type ErrorContext,
  type ErrorHandler,
  type SelfLogOptions,
} from "./self-log.ts";
export type { BatchSettled, DropCounts, DropReason, Sink, SinkStats } from "./sink.ts";
export type {
  LogArguments,
  PropertiesArgument,
  TemplateHoleNames,
  TemplateProperties,
} from "./template-properties.ts";
export {
  createTextFormatter,
  defaultOutputTemplate,
  type TextFormatterOptions,
  type TextRole,
} from "./text-formatter.ts";
