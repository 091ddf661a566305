// @sluice/core: events, levels, message templates, capture, the logger, ambient context, the
// sink contracts and formatters. Every export is listed by name.

// Levels
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

// Errors and the self-log
export {
  invalidOption,
  LoggingError,
  type LoggingErrorCode,
  type LoggingErrorOptions,
} from "./errors.ts";
export {
  configureSelfLog,
  type ErrorContext,
  type ErrorHandler,
  reportError,
  type SelfLogOptions,
  selfLog,
} from "./self-log.ts";

// Events
export {
  CapturedError,
  type CapturedObject,
  type CapturedProperties,
  type CapturedValue,
  type LogEvent,
  LogEventRecord,
} from "./log-event.ts";

// Message templates
export type {
  Alignment,
  CaptureHint,
  MessageTemplate,
  PropertyToken,
  TemplateToken,
  TextToken,
} from "./message-template.ts";

// Sink contracts
export {
  checkConservation,
  createDropCounts,
  type DropCounts,
  type DropReason,
  dropReasons,
  type Sink,
  type SinkStats,
  totalDropped,
  walkSinkChain,
} from "./sink.ts";
export { SinkCounters } from "./sink-counters.ts";

// Formatters
export { type Formatter, formatEvent } from "./formatter.ts";
