import type { LogEvent, Sink } from "@sluice/core";

/**
 * A sink whose deliveries the test completes or fails by hand, one batch at a time, oldest first
 * (so it takes overlapping batches in call order, unless `overlapping` is false).
 */
export interface ControlledSink extends Sink {
  readonly batches: LogEvent[][];
  readonly syncWritten: LogEvent[];
  readonly closes: number;
  pendingBatches(): number;
  complete(): void;
  fail(error: unknown): void;
}

export function controlledSink(
  options: { withFlushSync?: () => void; overlapping?: boolean } = {},
): ControlledSink {
  const batches: LogEvent[][] = [];
  const syncWritten: LogEvent[] = [];
  const pending: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  let closes = 0;
  const sink: ControlledSink = {
    name: "controlled",
    acceptsOverlappingBatches: options.overlapping ?? true,
    batches,
    syncWritten,
    get closes() {
      return closes;
    },
    write(event) {
      syncWritten.push(event);
    },
    writeBatch(events) {
      batches.push([...events]);
      return new Promise((resolve, reject) => pending.push({ resolve, reject }));
    },
    flush: () => Promise.resolve(),
    close: () => {
      closes += 1;
      return Promise.resolve();
    },
    pendingBatches: () => pending.length,
    complete() {
      pending.shift()?.resolve();
    },
    fail(error) {
      pending.shift()?.reject(error);
    },
  };
  if (options.withFlushSync !== undefined) {
    const flushSync = options.withFlushSync;
    return Object.assign(sink, { flushSync });
  }
  return sink;
}

export function sequenceOf(events: readonly LogEvent[]): number[] {
  return events.map((event) => event.properties.N as number);
}
