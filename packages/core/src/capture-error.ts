import {
  CaptureWalk,
  captureAt,
  captureKeys,
  charge,
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
  // An object of this realm that is not an Error, such as the literal a call passes its
  // properties in, skips the tag lookup below, most of this check's cost. What that lookup is for
  // are errors of another realm (a `vm` context), which are not instances of this realm's Object.
  if (value instanceof Object) return false;
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
 * getters give `"[Throws: message]"`. Name, message and stack are cut at `maxStringLength`, and
 * the walk stops once it captured `maxEventBytes` (estimated): fields and members past that are
 * summarised, so an error costs what the limits allow.
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
    const walk = new CaptureWalk(options.maxEventBytes);
    if (typeof error === "object" && error !== null) {
      const captured = captureErrorAt(error, options, 0, walk, undefined);
      if (captured instanceof CapturedError) return captured;
    }
    return nonError(error, options, 0, walk);
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
  walk: CaptureWalk,
): CapturedError {
  let message: string;
  let fields: CapturedObject = createRecord();
  if (typeof error === "object" && error !== null) {
    message = readString(error, "message", options) ?? "";
    if (message === "") {
      try {
        // An array's String() joins every element, however many it claims: name it instead;
        // its items are captured (bounded) in the fields.
        message = Array.isArray(error)
          ? `Array(${Number((error as readonly unknown[]).length)})`
          : truncateString(String(error), options);
      } catch (thrown) {
        message = throwsMarker(thrown);
      }
    }
    const captured = captureAt(error, options, depth, walk, undefined);
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
    const captured = captureAt(error, options, depth, walk, undefined);
    message = typeof captured === "string" ? captured : String(captured);
  }
  walk.bytes += 40 + nonErrorName.length + message.length;
  return new CapturedError({
    name: nonErrorName,
    message,
    stack: undefined,
    fields,
    cause: undefined,
    errors: undefined,
  });
}

/**
 * @internal the recursive worker shared with value capture. A {@link CapturedError} (from an
 * ambient context being captured again for redaction) is copied like the Error it came from.
 */
export function captureErrorAt(
  error: object,
  options: ResolvedCaptureOptions,
  depth: number,
  walk: CaptureWalk,
  path: string[] | undefined,
): CapturedValue {
  const ancestors = walk.ancestors;
  if (ancestors.includes(error)) return charge(walk, circularMarker);
  const recaptured = error instanceof CapturedError;
  if (!recaptured && !isErrorLike(error)) return nonError(error, options, depth, walk);
  if (depth >= options.maxDepth) return charge(walk, depthLimitMarker);
  ancestors.push(error);
  try {
    const name = readString(error, "name", options) ?? "Error";
    const message = readString(error, "message", options) ?? "";
    const stack = readString(error, "stack", options);
    walk.bytes += 42 + name.length + message.length + (stack?.length ?? 0);
    const fields: Record<string, CapturedValue> = createRecord();
    const fieldSource = recaptured ? error.fields : error;
    let keys: string[] = [];
    try {
      keys = Object.keys(fieldSource);
    } catch (thrown) {
      fields["…"] = charge(walk, throwsMarker(thrown));
    }
    const kept = Math.min(keys.length, options.maxCollectionLength);
    const skip = recaptured ? undefined : reservedFields;
    captureKeys(fieldSource, keys, kept, fields, skip, options, depth, walk, path);
    const cause = readField(error, "cause");
    let errors: CapturedValue[] | undefined;
    const aggregate = readField(error, "errors");
    if (aggregate !== undefined && Array.isArray(aggregate.value)) {
      walk.bytes += 8;
      const captured = captureAt(aggregate.value, options, depth, walk, undefined);
      errors = Array.isArray(captured) ? (captured as CapturedValue[]) : [captured];
    }
    let capturedCause: CapturedValue;
    if (cause !== undefined && cause.value !== undefined) {
      walk.bytes += 8;
      capturedCause = captureAt(cause.value, options, depth + 1, walk, undefined);
    }
    return new CapturedError({ name, message, stack, fields, cause: capturedCause, errors });
  } finally {
    ancestors.pop();
  }
}
