// @sluice/core/testing: tools for tests of code that logs, and of sinks.
export {
  type ContractViolation,
  checkSinkContract,
  type SinkContractOptions,
} from "./check-sink-contract.ts";
export {
  createMemorySink,
  type EventQuery,
  type MemorySink,
  type MemorySinkOptions,
} from "./memory-sink.ts";
