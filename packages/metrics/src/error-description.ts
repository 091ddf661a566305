import type { ErrorDescription } from "./metrics-snapshot.ts";

/**
 * Describes any thrown value for export, without throwing itself (a hostile getter or `toString`
 * gives a placeholder).
 *
 * @param error the failure.
 * @returns its message and code.
 */
export function describeError(error: unknown): ErrorDescription {
  try {
    if (error instanceof Error) {
      const code = (error as { code?: unknown }).code;
      return { message: String(error.message), code: typeof code === "string" ? code : error.name };
    }
    return { message: String(error), code: undefined };
  } catch {
    return { message: "an error that cannot be described", code: undefined };
  }
}
