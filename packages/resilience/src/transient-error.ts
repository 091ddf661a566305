/**
 * The error codes `withRetry` treats as transient unless told otherwise: a busy or interrupted
 * resource and the usual network resets and timeouts. `ENOSPC` is not among them (a full disk
 * rarely clears within a retry's deadline); add it with
 * `transientCodes: [...defaultTransientCodes, "ENOSPC"]`.
 */
export const defaultTransientCodes: readonly string[] = Object.freeze([
  "EAGAIN",
  "EBUSY",
  "EINTR",
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "ENETDOWN",
  "ENETUNREACH",
  "EHOSTUNREACH",
  "EAI_AGAIN",
  "UND_ERR_SOCKET",
  "UND_ERR_CONNECT_TIMEOUT",
]);

// Deep enough for a wrapper's error around a sink's error around a system error, and bounded
// against a cyclic cause chain.
const maxCauseDepth = 8;

/**
 * Tells whether an error, or any error in its `cause` chain, carries one of `codes` as its
 * string `code` (a `PartialDeliveryError` carries the sink's failure as its cause).
 *
 * @param error a rejection.
 * @param codes the codes that count as transient.
 * @returns `true` when a code in the chain is in `codes`.
 * @example
 * ```ts
 * hasErrorCode(Object.assign(new Error("busy"), { code: "EBUSY" }), new Set(["EBUSY"])); // true
 * ```
 */
export function hasErrorCode(error: unknown, codes: ReadonlySet<string>): boolean {
  let current = error;
  for (let depth = 0; depth < maxCauseDepth; depth++) {
    if (typeof current !== "object" || current === null) return false;
    let code: unknown;
    let cause: unknown;
    try {
      code = (current as { code?: unknown }).code;
      cause = (current as { cause?: unknown }).cause;
    } catch {
      // A hostile error whose getters throw is not transient.
      return false;
    }
    if (typeof code === "string" && codes.has(code)) return true;
    current = cause;
  }
  return false;
}
