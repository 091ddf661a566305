// @sluice/core: events, levels, message templates, capture, the logger, ambient context, the
// sink contracts and formatters. Every export is listed by name, sorted by module.

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
export { createLogEvent, type LogEventInit } from "./create-log-event.ts";
export { type CreateSinkOptions, createSink } from "./create-sink.ts";
export {
  invalidOption,
  LoggingError,
  type LoggingErrorCode,
  type LoggingErrorOptions,
  positiveIntegerOption,
} from "./errors.ts";
export { escapeControlCharacters } from "./escape-control-characters.ts";
export {
  claimExitDrains,
  type ExitDrain,
  type ExitDrainClaim,
  registerExitDrain,
} from "./exit-drains.ts";
export { FdWriter, type FdWriterOptions, type WriteErrorDecision } from "./fd-writer.ts";
export { alignText, formatDate, formatNumber } from "./format-value.ts";
export { type Formatter, formatEvent } from "./formatter.ts";
export { toJson, toJsonString } from "./json-writer.ts";
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
  LogEventRecord,
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
export { deliveredCount, PartialDeliveryError } from "./partial-delivery.ts";
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
export { settleSinkCall } from "./sink-call.ts";
export { SinkCounters } from "./sink-counters.ts";
export { templateId } from "./template-id.ts";
export { parseTemplate } from "./template-parser.ts";
export type {
  LogArguments,
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
export { UnreportedFailures } from "./unreported-failures.ts";

// For sink authors: giving up held work (`Sink.abandon`) and observing deliveries
// (`Sink.observeDelivery`).

export { Abandonment } from "./abandonment.ts";
export {
  type DeliveryObserver,
  DeliveryObservers,
  DeliveryTimestamps,
} from "./delivery-observers.ts";
