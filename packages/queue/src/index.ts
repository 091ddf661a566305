// @sluice/queue: a bounded asynchronous queue between the application and any sink.
export {
  createMemoryBudget,
  type MemoryBudget,
  type MemoryBudgetExceeded,
  type MemoryBudgetOptions,
} from "./memory-budget.ts";
export type { BackPressureInfo, OverflowPolicy, QueueOptions } from "./queue-options.ts";
export { type QueuedSink, type QueueStats, withQueue } from "./queued-sink.ts";
