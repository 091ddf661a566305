// @sluice/core: events, levels, message templates, capture, the logger, ambient context, the
// sink contracts and formatters. Every export is listed by name.

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
// Formatters
export {
  type ClefFormatterOptions,
  clefLevelNames,
  createClefFormatter,
} from "./clef-formatter.ts";
// Ambient context
export {
  type ContextOptions,
  configureContext,
  getContext,
  getContextSize,
  withContext,
  withoutContext,
} from "./context.ts";
export { createLogEvent, type LogEventInit } from "./create-log-event.ts";
// Helpers for sink authors
export { type CreateSinkOptions, createSink } from "./create-sink.ts";
// Errors and the self-log
export {
  invalidOption,
  LoggingError,
  type LoggingErrorCode,
  type LoggingErrorOptions,
  positiveIntegerOption,
} from "./errors.ts";
export { FdWriter, type FdWriterOptions, type WriteErrorDecision } from "./fd-writer.ts";
// Message templates
export { alignText, formatDate, formatNumber } from "./format-value.ts";
export { type Formatter, formatEvent } from "./formatter.ts";
export { toJson, toJsonString } from "./json-writer.ts";
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
// Events
export {
  CapturedError,
  type CapturedObject,
  type CapturedProperties,
  type CapturedValue,
  type LogEvent,
  LogEventRecord,
} from "./log-event.ts";
// Logger
export {
  createLogger,
  type Enricher,
  type Filter,
  Logger,
  type LoggerOptions,
  type LoggerStats,
  type LogMethod,
  type SinkEntry,
  settleAll,
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
export { type RenderOptions, renderMessage, renderPropertyValue } from "./render-message.ts";
export {
  configureSelfLog,
  type ErrorContext,
  type ErrorHandler,
  reportError,
  type SelfLogOptions,
  selfLog,
} from "./self-log.ts";
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
export { templateId } from "./template-id.ts";
export { parseTemplate } from "./template-parser.ts";
export type {
  PropertiesArgument,
  TemplateHoleNames,
  TemplateProperties,
} from "./template-properties.ts";
export {
  type CompiledOutputTemplate,
  compileOutputTemplate,
  createTextFormatter,
  defaultOutputTemplate,
  type TextFormatterOptions,
  type TextOutput,
  type TextRole,
} from "./text-formatter.ts";
