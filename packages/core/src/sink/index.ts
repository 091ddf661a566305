// @sluice/core/sink: what sink and wrapper authors build with: the sink contract and its stats,
// drop reasons and the conservation check, `createSink`, the file-descriptor writer, event
// formatting, partial delivery, exit drains, error reporting, option validation and the capture
// helpers that build events. The types a sink shares with application code (`LogEvent`, `Sink`,
// `Formatter`, ...) are the same declarations `@sluice/core` exports. Every export is listed by
// name, sorted by module.

export { Abandonment } from "../abandonment.ts";
export {
  type CaptureOptions,
  captureError,
  captureProperties,
  captureValue,
  defaultCaptureOptions,
  estimateEventBytes,
  type ResolvedCaptureOptions,
  resolveCaptureOptions,
} from "../capture.ts";
export { createLogEvent, type LogEventInit } from "../create-log-event.ts";
export { type CreateSinkOptions, createSink } from "../create-sink.ts";
export {
  type DeliveryObserver,
  DeliveryObservers,
  DeliveryTimestamps,
} from "../delivery-observers.ts";
export { invalidOption, positiveIntegerOption, waitOption } from "../errors.ts";
export { escapeControlCharacters } from "../escape-control-characters.ts";
export {
  claimExitDrains,
  type ExitDrain,
  type ExitDrainClaim,
  registerExitDrain,
} from "../exit-drains.ts";
export { FdWriter, type FdWriterOptions, type WriteErrorDecision } from "../fd-writer.ts";
export { type Formatter, formatEvent } from "../formatter.ts";
export { toJson, toJsonString } from "../json-writer.ts";
export type { LogLevel } from "../level.ts";
export {
  type CapturedObject,
  type CapturedProperties,
  type CapturedValue,
  type LogEvent,
  LogEventRecord,
} from "../log-event.ts";
export { settleAll } from "../logger.ts";
export type { MessageTemplate } from "../message-template.ts";
export { deliveredCount, PartialDeliveryError } from "../partial-delivery.ts";
export { type RenderOptions, renderMessage, renderPropertyValue } from "../render-message.ts";
export { retainedEventBytes } from "../retained-size.ts";
export { type ErrorContext, type ErrorHandler, reportError, selfLog } from "../self-log.ts";
export {
  type BatchSettled,
  checkConservation,
  createDropCounts,
  type DropCounts,
  type DropReason,
  dropReasons,
  type Sink,
  type SinkStats,
  totalDropped,
  walkSinkChain,
} from "../sink.ts";
export { settleSinkCall } from "../sink-call.ts";
export { SinkCounters } from "../sink-counters.ts";
export { templateId } from "../template-id.ts";
export { parseTemplate } from "../template-parser.ts";
export {
  type CompiledOutputTemplate,
  compileOutputTemplate,
  type TextOutput,
  type TextRole,
} from "../text-formatter.ts";
export { UnreportedFailures } from "../unreported-failures.ts";
