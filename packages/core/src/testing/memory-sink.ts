import { LoggingError } from "../errors.ts";
import type { LogLevel } from "../level.ts";
import type { CapturedValue, LogEvent } from "../log-event.ts";
import { renderMessage } from "../render-message.ts";
import type { DropReason, Sink, SinkStats } from "../sink.ts";
import { SinkCounters } from "../sink-counters.ts";
import { UnreportedFailures } from "../unreported-failures.ts";

/** Options for {@link createMemorySink}. */
export interface MemorySinkOptions {
  /**
   * The sink's name.
   * @default "memory"
   */
  readonly name?: string;
}

/** What {@link MemorySink.find} matches; every given field must match. */
export interface EventQuery {
  /** The event's level. */
  readonly level?: LogLevel;
  /** The template's source text, exactly. */
  readonly template?: string;
  /** The rendered message, exactly, or a pattern it must match. */
  readonly message?: string | RegExp;
  /** Properties the event must have, compared with `Object.is` for scalars and deep equality otherwise. */
  readonly properties?: Readonly<Record<string, unknown>>;
}

/**
 * A sink that keeps events in memory, for tests of code that logs. `write` stores the event at
 * once. `failWith(error)` makes later deliveries fail, to test how wrappers react; `flush()` then
 * reports those failures as every sink does (once, by the first flush after them).
 */
export interface MemorySink extends Sink {
  /** Every event delivered, in order. */
  readonly events: readonly LogEvent[];
  /** Rendered messages of the delivered events, in order. */
  messages(): string[];
  /** The delivered events matching a query. */
  find(query: EventQuery): LogEvent[];
  /** Whether any delivered event matches a query. */
  has(query: EventQuery): boolean;
  /** Forgets the delivered events (counters are kept). */
  clear(): void;
  /**
   * From now on, `write` counts events as failed and `writeBatch` and `flush` reject with
   * `error`; `undefined` makes the sink healthy again.
   */
  failWith(error: unknown): void;
  /** True after `close()`. */
  readonly closed: boolean;
  /** The sink's counters. */
  stats(): SinkStats;
  /** A synchronous no-op drain: memory writes are already complete. */
  flushSync(): void;
  /**
   * Closes the sink at once: it holds nothing, so nothing is counted (see `Sink.abandon`).
   *
   * @param reason what another sink would count held events under.
   */
  abandon(reason: DropReason): void;
}

/**
 * Creates a {@link MemorySink}.
 *
 * @param options the sink's name.
 * @returns the sink.
 * @example
 * ```ts
 * const sink = createMemorySink();
 * const log = createLogger({ sinks: [sink] });
 * log.info("Order {OrderId} placed", { OrderId: 7 });
 * expect(sink.has({ template: "Order {OrderId} placed", properties: { OrderId: 7 } })).toBe(true);
 * ```
 */
export function createMemorySink(options: MemorySinkOptions = {}): MemorySink {
  const name = options.name ?? "memory";
  const counters = new SinkCounters();
  const failures = new UnreportedFailures();
  const events: LogEvent[] = [];
  let failure: { error: unknown } | undefined;
  let closed = false;
  let closing: Promise<void> | undefined;

  const take = (event: LogEvent): boolean => {
    counters.accept(1);
    if (failure !== undefined) {
      counters.fail(1, 0, failure.error);
      failures.record(failure.error);
      return false;
    }
    events.push(event);
    counters.deliver(1);
    return true;
  };

  const sink: MemorySink = {
    name,
    events,
    acceptsOverlappingBatches: true,
    write(event: LogEvent): void {
      if (closed) counters.refuse("closed");
      else take(event);
    },
    writeBatch(batch: readonly LogEvent[]): Promise<void> {
      if (closed) {
        counters.refuse("closed", batch.length);
        return Promise.reject(new LoggingError("sink_closed", `Sink "${name}" is closed.`));
      }
      let ok = true;
      for (const event of batch) ok = take(event) && ok;
      return ok ? Promise.resolve() : Promise.reject(failure?.error);
    },
    flush(): Promise<void> {
      try {
        failures.throwIfFailedSince(failures.mark());
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },
    flushSync(): void {},
    abandon(): void {
      closed = true;
      closing ??= Promise.resolve();
    },
    close(): Promise<void> {
      closed = true;
      closing ??= Promise.resolve();
      return closing;
    },
    get closed(): boolean {
      return closed;
    },
    stats: () => counters.snapshot(),
    messages: () => events.map((event) => renderMessage(event.template, event.properties)),
    find: (query) => events.filter((event) => matches(event, query)),
    has: (query) => events.some((event) => matches(event, query)),
    clear(): void {
      events.length = 0;
    },
    failWith(error: unknown): void {
      failure = error === undefined ? undefined : { error };
    },
  };
  return sink;
}

function matches(event: LogEvent, query: EventQuery): boolean {
  if (query.level !== undefined && event.level !== query.level) return false;
  if (query.template !== undefined && event.template.text !== query.template) return false;
  if (query.message !== undefined) {
    const message = renderMessage(event.template, event.properties);
    if (
      typeof query.message === "string" ? message !== query.message : !query.message.test(message)
    ) {
      return false;
    }
  }
  if (query.properties !== undefined) {
    for (const key of Object.keys(query.properties)) {
      if (!(key in event.properties)) return false;
      if (!deepEqual(event.properties[key], query.properties[key])) return false;
    }
  }
  return true;
}

function deepEqual(captured: CapturedValue, expected: unknown): boolean {
  if (Object.is(captured, expected)) return true;
  if (captured instanceof Date) {
    return expected instanceof Date && captured.getTime() === expected.getTime();
  }
  if (typeof captured !== "object" || captured === null) return false;
  if (typeof expected !== "object" || expected === null) return false;
  if (Array.isArray(captured)) {
    if (!Array.isArray(expected) || expected.length !== captured.length) return false;
    return captured.every((item, index) => deepEqual(item, expected[index]));
  }
  const capturedKeys = Object.keys(captured);
  const expectedKeys = Object.keys(expected);
  if (capturedKeys.length !== expectedKeys.length) return false;
  return expectedKeys.every((key) =>
    deepEqual(
      (captured as Record<string, CapturedValue>)[key],
      (expected as Record<string, unknown>)[key],
    ),
  );
}
