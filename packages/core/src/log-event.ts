import type { LogLevel } from "./level.ts";
import type { MessageTemplate } from "./message-template.ts";

/**
 * A value after capture: plain data that no later change to the caller's objects can reach.
 * Objects are records that inherit nothing, not even `Object.prototype` (so keys such as
 * `__proto__` are ordinary data), `Date` values are private copies, errors are
 * {@link CapturedError} records.
 */
export type CapturedValue =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Date
  | CapturedError
  | readonly CapturedValue[]
  | CapturedObject;

/** A captured object: a record of captured values that inherits nothing. */
export interface CapturedObject {
  readonly [key: string]: CapturedValue;
}

/** The captured properties of an event, by name. */
export type CapturedProperties = CapturedObject;

/**
 * An error after capture: its name, message and stack, its own enumerable fields (such as
 * `code` and `errno`), and the errors it refers to, all safe to keep and serialize.
 */
export class CapturedError {
  /** The error's `name`, e.g. `"TypeError"`. */
  readonly name: string;
  /** The error's `message`. */
  readonly message: string;
  /** The error's `stack`, when it has one. */
  readonly stack: string | undefined;
  /** Own enumerable fields other than name, message and stack (e.g. `code`, `errno`). */
  readonly fields: CapturedObject;
  /** The captured `cause`, when the error has one. */
  readonly cause: CapturedValue;
  /** The captured members of an `AggregateError`, when it is one. */
  readonly errors: readonly CapturedValue[] | undefined;

  /**
   * @param init the error's parts, already captured.
   */
  constructor(init: {
    readonly name: string;
    readonly message: string;
    readonly stack: string | undefined;
    readonly fields: CapturedObject;
    readonly cause: CapturedValue;
    readonly errors: readonly CapturedValue[] | undefined;
  }) {
    this.name = init.name;
    this.message = init.message;
    this.stack = init.stack;
    this.fields = init.fields;
    this.cause = init.cause;
    this.errors = init.errors;
  }
}

/**
 * One log event: readonly plain data. Sinks receive it; wrappers pass it on untouched.
 * Build one with `createLogEvent` (in tests, or in a sink that must emit its own events).
 */
export interface LogEvent {
  /** When the event happened, in milliseconds since the Unix epoch. */
  readonly timestamp: number;
  /** The event's level. */
  readonly level: LogLevel;
  /** The parsed message template. */
  readonly template: MessageTemplate;
  /** The captured properties: the call's, the child logger's, the ambient context's, enrichers'. */
  readonly properties: CapturedProperties;
  /** The captured error passed to the logging call, if any. */
  readonly error: CapturedError | undefined;
}

/**
 * The concrete event class. Besides the {@link LogEvent} fields it carries slots where
 * formatters keep their output, so an event is serialized at most once per format however many
 * sinks write it.
 */
export class LogEventRecord implements LogEvent {
  readonly timestamp: number;
  readonly level: LogLevel;
  readonly template: MessageTemplate;
  readonly properties: CapturedProperties;
  readonly error: CapturedError | undefined;
  /** @internal the formatter whose output is cached in `formattedText`. */
  formattedBy: object | undefined = undefined;
  /** @internal the output of `formattedBy`. */
  formattedText: string | undefined = undefined;
  /** @internal outputs of further formatters, when more than one format is in use. */
  moreFormats: Map<object, string> | undefined = undefined;
  /**
   * @internal the logger's bound properties (one frozen record shared by its events) when
   * `properties` ends with all of them, in their order and untouched; formatters may write that
   * tail from text prepared once per record.
   */
  bound: CapturedObject | undefined = undefined;
  /**
   * @internal the estimated heap its properties retain (see `retainedEventBytes`), when the
   * logger worked it out while capturing, else -1 (or `NaN`). Set by the constructor, not as a
   * field initializer: the logger's hot path inlines the constructor, and one more initializer
   * pushed the fields' initializer out of line (measured).
   */
  declare readonly retainedContentBytes: number;

  /**
   * @param timestamp milliseconds since the Unix epoch.
   * @param level the event's level.
   * @param template the parsed template.
   * @param properties captured properties.
   * @param error the captured error, if any.
   * @param retainedContentBytes the heap its properties retain, when known.
   */
  constructor(
    timestamp: number,
    level: LogLevel,
    template: MessageTemplate,
    properties: CapturedProperties,
    error: CapturedError | undefined,
    retainedContentBytes = -1,
  ) {
    this.timestamp = timestamp;
    this.level = level;
    this.template = template;
    this.properties = properties;
    this.error = error;
    this.retainedContentBytes = retainedContentBytes;
  }
}
