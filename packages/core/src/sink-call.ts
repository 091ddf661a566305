import { LoggingError } from "./errors.ts";

/**
 * Calls a promise-returning method of a sink (`writeBatch`, `flush`, `close`) written by someone
 * else, and returns a promise that settles exactly once, whatever the sink does: a synchronous
 * throw becomes a rejection, a result that is not a promise becomes a rejection (nothing says the
 * work was done), and a thenable that calls both of its callbacks, or one twice, keeps its first
 * outcome. Each of these slips is passed to `onViolation` once, as a `contract_violation`
 * {@link LoggingError} naming the method, so the caller can count and report it; the slip is never
 * thrown at the caller.
 *
 * @param method the method's name, for the messages, e.g. `"writeBatch"`.
 * @param call calls the method.
 * @param onViolation receives each contract violation once.
 * @returns a promise of the call's outcome.
 * @example
 * ```ts
 * const delivery = settleSinkCall("writeBatch", () => inner.writeBatch(events), (violation) => {
 *   violations += 1;
 *   reportError(violation, { source: "my-wrapper", operation: "writeBatch" }, onError);
 * });
 * ```
 */
export function settleSinkCall(
  method: string,
  call: () => unknown,
  onViolation: (violation: LoggingError) => void,
): Promise<void> {
  const violation = (message: string, cause?: unknown): LoggingError => {
    const error = new LoggingError("contract_violation", `Sink.${method} ${message}.`, {
      cause,
    });
    try {
      onViolation(error);
    } catch {
      // The caller's bookkeeping must not turn one slip into a second failure.
    }
    return error;
  };
  let result: unknown;
  try {
    result = call();
  } catch (error) {
    return Promise.reject(violation("threw instead of returning a promise", error));
  }
  // A native promise settles once by construction; only foreign thenables need watching.
  if (result instanceof Promise && result.constructor === Promise) {
    return result as Promise<void>;
  }
  let then: unknown;
  try {
    then = (result as { then?: unknown } | null | undefined)?.then;
  } catch (error) {
    return Promise.reject(violation("returned a value whose then getter threw", error));
  }
  if (typeof then !== "function") {
    return Promise.reject(violation(`returned ${describeResult(result)} instead of a promise`));
  }
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    let reported = false;
    const again = (): void => {
      if (reported) return;
      reported = true;
      violation("returned a thenable that settled more than once; its first outcome was kept");
    };
    try {
      then.call(
        result,
        () => {
          if (settled) return again();
          settled = true;
          resolve();
        },
        (error: unknown) => {
          if (settled) return again();
          settled = true;
          reject(error);
        },
      );
    } catch (error) {
      if (settled) return again();
      settled = true;
      reject(violation("returned a thenable whose then threw", error));
    }
  });
}

function describeResult(result: unknown): string {
  if (result === null) return "null";
  if (typeof result === "object") return "an object that is not a thenable";
  return typeof result === "undefined" ? "undefined" : `a ${typeof result}`;
}
