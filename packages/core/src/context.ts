import { AsyncLocalStorage } from "node:async_hooks";
import {
  type CaptureOptions,
  captureValue,
  enforceEventBytes,
  estimateValueBytes,
  resolveCaptureOptions,
} from "./capture.ts";
import { createRecord, matchSparseElements, prepareElements } from "./captured-record.ts";
import { invalidOption } from "./errors.ts";
import type { CapturedObject } from "./log-event.ts";
import { retainedMemberBytes } from "./retained-size.ts";
import { selfLog } from "./self-log.ts";

/** @internal one scope of the ambient context, with what the logger needs to bound an event. */
export interface ContextFrame {
  /** The merged properties of this scope and the enclosing ones. */
  readonly properties: CapturedObject;
  /** How many properties. */
  readonly size: number;
  /** An upper bound of their estimated size (as `estimateValueBytes` counts a record). */
  readonly bytes: number;
  /**
   * The heap the values retain (as `retainedMemberBytes` counts it); absent in scopes opened by a
   * copy of core that did not price them.
   */
  readonly retained?: number;
}

// One store per process, even when several copies of core are installed, so that context set
// through one copy reaches loggers created by another.
const storageKey = Symbol.for("sluice.context.storage");
const globalSlots = globalThis as unknown as Record<symbol, AsyncLocalStorage<ContextFrame>>;
const storage: AsyncLocalStorage<ContextFrame> =
  globalSlots[storageKey] ?? new AsyncLocalStorage<ContextFrame>();
globalSlots[storageKey] = storage;

const emptyContext: CapturedObject = Object.freeze(createRecord() as CapturedObject);

/** Options for {@link configureContext}. */
export interface ContextOptions {
  /**
   * The most properties an ambient context may hold across all nested scopes. Properties past the
   * bound are left out of the scope and reported once to the self-log.
   * @default 64
   */
  readonly maxProperties?: number;
  /**
   * Limits applied when context values are captured (depth, string length, ...). Past
   * `maxEventBytes` for the merged scopes, their largest values become `"[Too large: N bytes]"`.
   * A logger's own limits and redaction apply again to every event it logs.
   * @default the defaults of `CaptureOptions`
   */
  readonly capture?: CaptureOptions;
}

let maxProperties = 64;
let captureOptions = resolveCaptureOptions();

/**
 * Sets the bound and capture limits of the ambient context. Applies to scopes opened afterwards.
 *
 * @param options the new settings; omitted fields return to their defaults.
 * @throws {LoggingError} `invalid_option` for a bad value.
 */
export function configureContext(options: ContextOptions = {}): void {
  const bound = options.maxProperties ?? 64;
  if (!Number.isSafeInteger(bound) || bound < 1) {
    throw invalidOption("maxProperties", "a positive integer", bound);
  }
  captureOptions = resolveCaptureOptions(options.capture);
  maxProperties = bound;
}

/**
 * Runs `fn` with `properties` added to the ambient context: every event logged inside `fn`, and
 * inside everything it starts (promises, timers, callbacks), carries them. Scopes nest: an inner
 * scope sees the outer scope's properties, and its own win on a name clash. The scope ends when
 * `fn` returns (or its promise settles, for work it started), so nothing leaks between requests.
 * Values are captured when the scope opens: later changes to `properties` are not seen.
 *
 * @param properties the properties to add.
 * @param fn the code to run in the scope.
 * @returns what `fn` returns.
 * @example
 * ```ts
 * app.use((request, response, next) =>
 *   withContext({ RequestId: request.id, Path: request.path }, next));
 * ```
 */
export function withContext<Result>(
  properties: Readonly<Record<string, unknown>>,
  fn: () => Result,
): Result {
  const outer = storage.getStore();
  return storage.run(openScope(outer, properties), fn);
}

/**
 * The properties of the ambient context where the call is made: the merged properties of every
 * enclosing {@link withContext} scope, or an empty object outside any scope.
 *
 * @returns a frozen record of captured values that inherits nothing.
 */
export function getContext(): CapturedObject {
  return storage.getStore()?.properties ?? emptyContext;
}

/** @internal the innermost ambient context scope where the call is made, if any. */
export function getContextFrame(): ContextFrame | undefined {
  return storage.getStore();
}

/**
 * The number of properties in the ambient context where the call is made.
 *
 * @returns the property count, 0 outside any scope.
 */
export function getContextSize(): number {
  return storage.getStore()?.size ?? 0;
}

/**
 * Runs `fn` outside every ambient context scope (for work that must not carry the current
 * request's properties, such as a shared background job started from a request).
 *
 * @param fn the code to run.
 * @returns what `fn` returns.
 */
export function withoutContext<Result>(fn: () => Result): Result {
  return storage.exit(fn);
}

function openScope(
  outer: ContextFrame | undefined,
  properties: Readonly<Record<string, unknown>>,
): ContextFrame {
  const merged = createRecord();
  let size = 0;
  let bytes = 2;
  if (outer !== undefined) {
    matchSparseElements(merged, outer.properties);
    for (const key in outer.properties) merged[key] = outer.properties[key];
    size = outer.size;
    bytes = outer.bytes;
  }
  let leftOut = 0;
  if (properties !== null && typeof properties === "object") {
    const keys = Object.keys(properties);
    prepareElements(merged, keys);
    for (const key of keys) {
      const isNew = !(key in merged);
      if (isNew && size >= maxProperties) {
        leftOut += 1;
        continue;
      }
      let value: unknown;
      try {
        value = (properties as Record<string, unknown>)[key];
      } catch (error) {
        value = `[Throws: ${error instanceof Error ? error.message : String(error)}]`;
      }
      const captured = captureValue(value, captureOptions);
      merged[key] = captured;
      bytes += key.length + 4 + estimateValueBytes(captured);
      if (isNew) size += 1;
    }
  }
  if (leftOut > 0) {
    selfLog(
      "context",
      `${leftOut} ambient context properties left out: the context holds at most ${maxProperties}`,
    );
  }
  if (bytes > captureOptions.maxEventBytes) {
    bytes = enforceEventBytes(merged, 0, captureOptions);
  }
  return {
    properties: Object.freeze(merged),
    size,
    bytes,
    retained: retainedMemberBytes(merged, 0),
  };
}
