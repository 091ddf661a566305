import { invalidOption } from "./errors.ts";

/**
 * Which values to hide when properties are captured. Redaction happens at capture, so no sink,
 * formatter or queue ever holds the hidden value.
 *
 * @example
 * ```ts
 * createLogger({ sinks: [sink], capture: { redact: { keys: ["password"], paths: ["users.*.ssn"] } } });
 * ```
 */
export interface RedactionOptions {
  /**
   * Property keys to hide at any depth, compared without regard to case (e.g. `"password"`,
   * `"authorization"`).
   * @default []
   */
  readonly keys?: readonly string[];
  /**
   * Dot paths from the event's properties root, e.g. `"user.card.number"`; `*` matches any one
   * segment (`"users.*.ssn"`; array indices are segments too).
   * @default []
   */
  readonly paths?: readonly string[];
  /**
   * What replaces a hidden value: a fixed value, or a function of the value and its path. A
   * function that throws falls back to `"[Redacted]"`.
   * @default "[Redacted]"
   */
  readonly censor?: string | ((value: unknown, path: readonly string[]) => unknown);
}

/** Redaction options compiled once: lowercase keys in a set, paths split into segments. */
export interface CompiledRedaction {
  /** Lowercased keys hidden at any depth. */
  readonly keys: ReadonlySet<string>;
  /** Paths split at dots; `"*"` matches one segment. */
  readonly paths: readonly (readonly string[])[];
  /** The longest path, in segments; deeper values cannot match a path. */
  readonly maxPathLength: number;
  /** The replacement value or function. */
  readonly censor: string | ((value: unknown, path: readonly string[]) => unknown);
}

/** The censor used when none is given, and when a censor function throws. */
export const defaultCensor: string = "[Redacted]";

/**
 * Validates and compiles redaction options.
 *
 * @param options the user's options.
 * @returns the compiled form, or `undefined` when nothing is to be redacted.
 * @throws LoggingError `invalid_option` for a malformed option.
 */
export function compileRedaction(
  options: RedactionOptions | undefined,
): CompiledRedaction | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw invalidOption("redact", "an object with keys, paths or censor", options);
  }
  const keys = new Set<string>();
  for (const key of nonEmptyStrings("redact.keys", options.keys, "strings")) {
    keys.add(key.toLowerCase());
  }
  const paths: string[][] = [];
  let maxPathLength = 0;
  for (const path of nonEmptyStrings("redact.paths", options.paths, "dot paths")) {
    const segments = path.split(".");
    if (segments.some((segment) => segment === "")) {
      throw invalidOption("redact.paths", "dot paths without empty segments", path);
    }
    paths.push(segments);
    if (segments.length > maxPathLength) maxPathLength = segments.length;
  }
  const censor = options.censor ?? defaultCensor;
  if (typeof censor !== "string" && typeof censor !== "function") {
    throw invalidOption("redact.censor", "a string or a function", censor);
  }
  if (keys.size === 0 && paths.length === 0) return undefined;
  return Object.freeze({ keys, paths: Object.freeze(paths), maxPathLength, censor });
}

/** Checks an optional list option: an array of non-empty strings (`what` names them). */
function nonEmptyStrings(option: string, value: unknown, what: string): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalidOption(option, `an array of ${what}`, value);
  for (const item of value as unknown[]) {
    if (typeof item !== "string" || item === "") {
      throw invalidOption(option, `an array of non-empty ${what}`, item);
    }
  }
  return value as string[];
}

/**
 * Tells whether the value at `path` (ending in `key`) is to be hidden.
 *
 * @param redaction the compiled options.
 * @param key the value's own key.
 * @param path the full path from the properties root, `key` last; `undefined` when unknown.
 * @returns `true` when the value must be replaced by the censor.
 */
export function isRedacted(
  redaction: CompiledRedaction,
  key: string,
  path: readonly string[] | undefined,
): boolean {
  if (redaction.keys.size > 0 && redaction.keys.has(key.toLowerCase())) return true;
  if (path === undefined || path.length > redaction.maxPathLength) return false;
  for (const candidate of redaction.paths) {
    if (candidate.length !== path.length) continue;
    let matches = true;
    for (let index = 0; index < candidate.length; index++) {
      const segment = candidate[index];
      if (segment !== "*" && segment !== path[index]) {
        matches = false;
        break;
      }
    }
    if (matches) return true;
  }
  return false;
}

/**
 * Computes the replacement for a hidden value.
 *
 * @param redaction the compiled options.
 * @param value the hidden value (given to a censor function only).
 * @param path the value's path from the properties root.
 * @returns the censor's result; `"[Redacted]"` when a censor function throws.
 */
export function applyCensor(
  redaction: CompiledRedaction,
  value: unknown,
  path: readonly string[],
): unknown {
  const censor = redaction.censor;
  if (typeof censor === "string") return censor;
  try {
    return censor(value, path.slice());
  } catch {
    return defaultCensor;
  }
}
