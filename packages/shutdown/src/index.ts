// @sluice/shutdown: graceful shutdown with a hard deadline, signal and exit hooks, and a report.
export { installProcessHooks, type ProcessHooksOptions } from "./process-hooks.ts";
export type {
  ResourceEvents,
  ResourceOutcome,
  ResourceReport,
  ShutdownReport,
  ShutdownTotals,
} from "./report.ts";
export type {
  AbortSignalShape,
  CleanupFunction,
  CleanupSignal,
  ShutdownResource,
} from "./resource.ts";
export {
  createShutdown,
  type RegisterOptions,
  Shutdown,
  type ShutdownOptions,
  type ShutdownState,
} from "./shutdown.ts";
export type { ShutdownStrategy } from "./strategy.ts";
