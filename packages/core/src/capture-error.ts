import {
  captureAt,
  captureKeys,
  circularMarker,
  defaultCaptureOptions,
  depthLimitMarker,
  type ResolvedCaptureOptions,
  throwsMarker,
  truncateString,
} from "./capture.ts";
import { createRecord } from "./captured-record.ts";
import { CapturedError, type CapturedObject, type CapturedValue } from "./log-event.ts";

/** The `name` of the record captured from a thrown value that is not an Error. */
export const nonErrorName = "NonError";

const reservedFields = new Set(["name", "message", "stack", "cause", "errors"]);

/**
 * @internal tells whether a value is an Error (of this realm or another).
 */
export function isErrorLike(value: object): boolean {
  if (value instanceof Error) return true;
  try {
    return Object.prototype.toString.call(value) === "[object Error]";
  } catch {
    return false;
  }
}

function readString(
  error: object,
  key: string,
  options: ResolvedCaptureOptions,
): string | undefined {
  let value: unknown;
  try {
    value = (error as Record<string, unknown>)[key];
  } catch (thrown) {
    return throwsMarker(thrown);
  }
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return truncateString(value, options);
  try {
    return truncateString(String(value), options);
  } catch (thrown) {
    return throwsMarker(thrown);
  }
}

function readField(error: object, key: string): { value: unknown } | undefined {
  try {
    if (!(key in error)) return undefined;
    return { value: (error as Record<string, unknown>)[key] };
  } catch (thrown) {
    return { value: throwsMarker(thrown) };
  }
}

/**
 * Captures a thrown value as a {@link CapturedError}: name, message, stack, own enumerable fields
 * (such as `code`, `errno`, `syscall`, `path`), the `cause` chain (an Error cause as a
 * `CapturedError`, anything else as a captured value) and an `AggregateError`'s `errors`.
 * Cycles give `"[Circular]"`; causes nested past `maxDepth` give `"[Depth limit]"`; throwing
 * getters give `"[Throws: message]"`.
 *
 * A value that is not an Error (a string, an object, `null`) becomes a record named `"NonError"`
 * whose message is its string form (for an object, its `message` when it has a string one) and
 * whose fields are its own enumerable properties, so `log.error(anything)` always works.
 * Never throws.
 *
 * @param error anything that was thrown.
 * @param options resolved capture options.
 * @returns the captured error.
 */
export function captureError(
  error: unknown,
  options: ResolvedCaptureOptions = defaultCaptureOptions,
): CapturedError {
  try {
    if (typeof error === "object" && error !== null) {
      const captured = captureErrorAt(error, options, 0, [], undefined);
      if (captured instanceof CapturedError) return captured;
    }
    return nonError(error, options, 0, []);
  } catch (thrown) {
    return new CapturedError({
      name: nonErrorName,
      message: throwsMarker(thrown),
      stack: undefined,
      fields: createRecord(),
      cause: undefined,
      errors: undefined,
    });
  }
}

function nonError(
  error: unknown,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
): CapturedError {
  let message: string;
  let fields: CapturedObject = createRecord();
  if (typeof error === "object" && error !== null) {
    message = readString(error, "message", options) ?? "";
    if (message === "") {
      try {
        message = truncateString(String(error), options);
      } catch (thrown) {
        message = throwsMarker(thrown);
      }
    }
    const captured = captureAt(error, options, depth, ancestors, undefined);
    if (
      typeof captured === "object" &&
      captured !== null &&
      !Array.isArray(captured) &&
      !(captured instanceof Date)
    ) {
      fields = captured as CapturedObject;
    } else {
      fields = Object.assign(createRecord(), { value: captured });
    }
  } else {
    const captured = captureAt(error, options, depth, ancestors, undefined);
    message = typeof captured === "string" ? captured : String(captured);
  }
  return new CapturedError({
    name: nonErrorName,
    message,
    stack: undefined,
    fields,
    cause: undefined,
    errors: undefined,
  });
}

/** @internal the recursive worker shared with value capture. */
export function captureErrorAt(
  error: object,
  options: ResolvedCaptureOptions,
  depth: number,
  ancestors: unknown[],
  path: string[] | undefined,
): CapturedValue {
  if (ancestors.includes(error)) return circularMarker;
  if (!isErrorLike(error)) return nonError(error, options, depth, ancestors);
  if (depth >= options.maxDepth) return depthLimitMarker;
  ancestors.push(error);
  try {
    const fields: Record<string, CapturedValue> = createRecord();
    let keys: string[] = [];
    try {
      keys = Object.keys(error);
    } catch (thrown) {
      fields["…"] = throwsMarker(thrown);
    }
    const kept = Math.min(keys.length, options.maxCollectionLength);
    captureKeys(error, keys, kept, fields, reservedFields, options, depth, ancestors, path);
    const cause = readField(error, "cause");
    let errors: CapturedValue[] | undefined;
    const aggregate = readField(error, "errors");
    if (aggregate !== undefined && Array.isArray(aggregate.value)) {
      const captured = captureAt(aggregate.value, options, depth, ancestors, undefined);
      errors = Array.isArray(captured) ? (captured as CapturedValue[]) : [captured];
    }
    return new CapturedError({
      name: readString(error, "name", options) ?? "Error",
      message: readString(error, "message", options) ?? "",
      stack: readString(error, "stack", options),
      fields,
      cause:
        cause === undefined || cause.value === undefined
          ? undefined
          : captureAt(cause.value, options, depth + 1, ancestors, undefined),
      errors,
    });
  } finally {
    ancestors.pop();
  }
}
