import { LoggingError } from "./errors.ts";

const partialDeliveryMarker: unique symbol = Symbol.for("sluice.PartialDeliveryError");

/**
 * The rejection of a `writeBatch` that delivered the leading part of its batch and then failed:
 * the first {@link PartialDeliveryError.delivered} events were delivered, in order, and none of
 * the rest were. Any other rejection means that no event of the batch was delivered.
 *
 * Wrappers read it with {@link deliveredCount} to count exactly, and a fallback passes on only
 * the events after the delivered ones, so no event is written twice. A sink that delivers a
 * batch in several steps stops at the first failed step, so that what was delivered is always
 * a prefix.
 *
 * Recognise it with {@link PartialDeliveryError.is}, which also works across duplicate installs
 * of `@sluice/core`.
 *
 * @example
 * ```ts
 * async writeBatch(events) {
 *   for (let start = 0; start < events.length; start += 500) {
 *     try { await post(events.slice(start, start + 500)); }
 *     catch (error) { throw new PartialDeliveryError(start, events.length, { cause: error }); }
 *   }
 * }
 * ```
 */
export class PartialDeliveryError extends LoggingError {
  /** How many leading events of the batch were delivered. */
  readonly delivered: number;
  /** How many events the batch held. */
  readonly total: number;

  /**
   * @param delivered how many leading events of the batch were delivered (0 to `total`).
   * @param total how many events the batch held.
   * @param options the failure that stopped the delivery, as `cause`.
   */
  constructor(delivered: number, total: number, options?: { readonly cause?: unknown }) {
    const cause = options?.cause;
    const reason = cause instanceof Error ? `: ${cause.message}` : "";
    super("sink_failure", `Delivered ${delivered} of ${total} events, then failed${reason}`, {
      cause,
    });
    this.name = "PartialDeliveryError";
    this.delivered = delivered;
    this.total = total;
    Object.defineProperty(this, partialDeliveryMarker, { value: true });
  }

  /**
   * Tells whether a value is a `PartialDeliveryError`, from this copy of core or any other.
   *
   * @param value anything.
   * @returns `true` when `value` is a `PartialDeliveryError`.
   */
  static override is(value: unknown): value is PartialDeliveryError {
    return (
      typeof value === "object" &&
      value !== null &&
      (value as Record<symbol, unknown>)[partialDeliveryMarker] === true
    );
  }
}

/**
 * How many leading events of a batch of `batchLength` events a `writeBatch` rejection says were
 * delivered: the `delivered` count of a {@link PartialDeliveryError} (clamped to the batch, so a
 * sink that misreports cannot make a wrapper count more than it sent), and 0 for any other
 * rejection.
 *
 * @param error the rejection.
 * @param batchLength how many events the rejected batch held.
 * @returns a whole number from 0 to `batchLength`.
 */
export function deliveredCount(error: unknown, batchLength: number): number {
  if (!PartialDeliveryError.is(error)) return 0;
  const delivered = error.delivered;
  if (typeof delivered !== "number" || !(delivered > 0)) return 0;
  return Math.min(Math.floor(delivered), batchLength);
}
