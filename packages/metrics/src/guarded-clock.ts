import { type ErrorHandler, LoggingError } from "@sluice/core";
import { reportError } from "@sluice/core/sink";

/**
 * Wraps the `now` option so that reading it can neither throw nor give anything but a finite
 * number: metering must not change an outcome (a delivered batch stays delivered) nor throw from
 * a timer. A reading that throws or is not a finite number reads as `NaN`, so a latency measured
 * against it is not recorded and a time taken from it is `NaN`; the first such reading is
 * reported (to `onError`, else the self-log), later ones are not.
 *
 * Read on the per-batch, per-snapshot and per-evaluation paths only, never per event.
 *
 * @param now the clock, in epoch milliseconds.
 * @param onError receives the first failed reading.
 * @returns the guarded clock.
 */
export function guardClock(now: () => number, onError: ErrorHandler | undefined): () => number {
  let reported = false;
  const report = (error: unknown): void => {
    if (reported) return;
    reported = true;
    reportError(error, { source: "metrics", operation: "now" }, onError);
  };
  return () => {
    let time: unknown;
    try {
      time = now();
    } catch (error) {
      report(error);
      return Number.NaN;
    }
    if (typeof time === "number" && Number.isFinite(time)) return time;
    report(
      new LoggingError(
        "contract_violation",
        `The metrics clock (the "now" option) gave ${String(time)}, not a finite number of milliseconds.`,
      ),
    );
    return Number.NaN;
  };
}
