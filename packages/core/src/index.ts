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

// Capture
export {
  type CaptureOptions,
  captureError,
  captureProperties,
  captureValue,
  defaultCaptureOptions,
  estimateEventBytes,
  type ResolvedCaptureOptions,
  resolveCaptureOptions,
} from "./capture.ts";
export { type LogEventInit, createLogEvent } from "./create-log-event.ts";
export type { RedactionOptions } from "./redaction.ts";

// Message templates
export { alignText, formatDate, formatNumber } from "./format-value.ts";
export type {
  Alignment,
  CaptureHint,
  MessageTemplate,
  PropertyToken,
  TemplateToken,
  TextToken,
} from "./message-template.ts";
export { type RenderOptions, renderMessage, renderPropertyValue } from "./render-message.ts";
export { templateId } from "./template-id.ts";
export { parseTemplate } from "./template-parser.ts";
export type {
  PropertiesArgument,
  TemplateHoleNames,
  TemplateProperties,
} from "./template-properties.ts";

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
export {
  type ClefFormatterOptions,
  clefLevelNames,
  createClefFormatter,
} from "./clef-formatter.ts";
export { type Formatter, formatEvent } from "./formatter.ts";
export { toJson, toJsonString } from "./json-writer.ts";
export {
  createPinoFormatter,
  type PinoFormatterOptions,
  pinoLevelNumbers,
} from "./pino-formatter.ts";
export {
  type CompiledOutputTemplate,
  compileOutputTemplate,
  createTextFormatter,
  defaultOutputTemplate,
  type TextFormatterOptions,
  type TextOutput,
  type TextRole,
} from "./text-formatter.ts";

// Logger
export {
  createLogger,
  type Enricher,
  type Filter,
  type LogMethod,
  Logger,
  type LoggerOptions,
  type LoggerStats,
  type SinkEntry,
  settleAll,
} from "./logger.ts";

// Ambient context
export {
  type ContextOptions,
  configureContext,
  getContext,
  getContextSize,
  withContext,
  withoutContext,
} from "./context.ts";

// Helpers for sink authors
export { type CreateSinkOptions, createSink } from "./create-sink.ts";
