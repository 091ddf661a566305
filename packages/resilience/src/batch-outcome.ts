import type { BatchSettled, LogEvent, LoggingError, Sink } from "@sluice/core";
import { deliveredCount, PartialDeliveryError, settleSinkCall } from "@sluice/core/sink";

/**
 * @internal Receives the outcome of one `writeBatch` call, once: how many of the batch's leading
 * events were delivered, the failure when that is not all of them, and whether the sink told it
 * through its `settled` listener (`told`, synchronously: at process exit the only way it arrives)
 * rather than through its promise.
 */
export type BatchOutcome = (delivered: number, error: unknown, told: boolean) => void;

/**
 * @internal The rejection that says `delivered` of `count` events were delivered: `error` itself
 * when it says so already, otherwise a `PartialDeliveryError` caused by it, so that every reader
 * (`deliveredCount`) counts the number told.
 */
export function failureFor(delivered: number, count: number, error: unknown): unknown {
  if (deliveredCount(error, count) === delivered) return error;
  return new PartialDeliveryError(delivered, count, { cause: error });
}

/**
 * @internal Hands a batch to a wrapped sink's `writeBatch` with a `settled` listener, and calls
 * `onOutcome` once, with whichever comes first of what the listener tells (possibly during the
 * call itself) and how the promise settles. A count told that is not a number of 0 or more is
 * ignored, and one above the batch is clamped to it, as `deliveredCount` clamps a rejection's.
 *
 * @param sink the wrapped sink.
 * @param events the batch.
 * @param onOutcome receives the first outcome.
 * @param onViolation receives each `contract_violation` of the sink (a throw, no promise).
 */
export function sendBatch(
  sink: Sink,
  events: readonly LogEvent[],
  onOutcome: BatchOutcome,
  onViolation: (violation: LoggingError) => void,
): void {
  const count = events.length;
  let known = false;
  const settled: BatchSettled = (delivered, error) => {
    if (known || typeof delivered !== "number" || !(delivered >= 0)) return;
    known = true;
    onOutcome(Math.min(Math.floor(delivered), count), error, true);
  };
  settleSinkCall("writeBatch", () => sink.writeBatch(events, settled), onViolation).then(
    () => {
      if (known) return;
      known = true;
      onOutcome(count, undefined, false);
    },
    (error: unknown) => {
      if (known) return;
      known = true;
      onOutcome(deliveredCount(error, count), error, false);
    },
  );
}

/**
 * @internal Settles a wrapper's own delivery of `count` events from its outcome: tells `told`
 * first when the outcome was known synchronously (so a caller at process exit learns it), then
 * resolves or rejects with the same outcome.
 */
export function conclude(
  count: number,
  delivered: number,
  error: unknown,
  synchronous: boolean,
  told: BatchSettled,
  resolve: () => void,
  reject: (error: unknown) => void,
): void {
  if (delivered >= count) {
    if (synchronous) told(count);
    resolve();
    return;
  }
  const failure = failureFor(delivered, count, error);
  if (synchronous) told(delivered, failure);
  reject(failure);
}

/**
 * @internal {@link conclude} for a wrapper that delivered a batch in parts (a retry's attempts, a
 * fallback's destinations): `error`, the last part's failure, describes only that part, so a
 * batch delivered in part is rejected with a `PartialDeliveryError` of the whole batch.
 */
export function concludeParts(
  count: number,
  delivered: number,
  error: unknown,
  synchronous: boolean,
  told: BatchSettled,
  resolve: () => void,
  reject: (error: unknown) => void,
): void {
  const failure =
    delivered === 0 || delivered === count
      ? error
      : new PartialDeliveryError(delivered, count, { cause: error });
  conclude(count, delivered, failure, synchronous, told, resolve, reject);
}
