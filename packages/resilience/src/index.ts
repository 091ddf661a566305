// @sluice/resilience: circuit breaker, fallback and retry for any sink, on the delivery face.
export {
  type CircuitBreakerOptions,
  type CircuitBreakerSink,
  type CircuitBreakerStats,
  type CircuitState,
  type CircuitTransitionReason,
  type FailureRateOptions,
  withCircuitBreaker,
} from "./circuit-breaker.ts";
export { CircuitOpenError, ProbeTimeoutError } from "./errors.ts";
export {
  type FallbackOptions,
  type FallbackRoute,
  type FallbackSink,
  type FallbackStats,
  withFallback,
} from "./fallback.ts";
export { type RetryOptions, type RetrySink, type RetryStats, withRetry } from "./retry.ts";
export { defaultTransientCodes, hasErrorCode } from "./transient-error.ts";
export type { WrapperOptions } from "./wrapper-options.ts";
