import type { LogEvent, Sink, SinkStats } from "@sluice/core";
import { createLogEvent, deliveredCount, SinkCounters } from "@sluice/core/sink";

/** What one `writeBatch` call of a {@link ScriptedSink} does. */
export type Outcome =
  | { readonly kind: "deliver" }
  | { readonly kind: "fail"; readonly error: unknown }
  | { readonly kind: "hang" };

export interface PendingBatch {
  readonly events: readonly LogEvent[];
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * A sink whose every `writeBatch` call asks `script` what to do: deliver, fail (a
 * `PartialDeliveryError` delivers its prefix), or hang until the test settles it by hand.
 * It keeps what it delivered, in order, and honest counters.
 */
export interface ScriptedSink extends Sink {
  /** Every batch handed to `writeBatch`, in call order. */
  readonly calls: (readonly LogEvent[])[];
  /** Every event delivered, in order. */
  readonly delivered: LogEvent[];
  /** Batches that hang, oldest first; settle them with their `resolve` / `reject`. */
  readonly hanging: PendingBatch[];
  readonly closes: number;
  stats(): SinkStats;
}

export function scriptedSink(
  script: (events: readonly LogEvent[], call: number) => Outcome,
  name = "scripted",
): ScriptedSink {
  const counters = new SinkCounters();
  const calls: (readonly LogEvent[])[] = [];
  const delivered: LogEvent[] = [];
  const hanging: PendingBatch[] = [];
  let closes = 0;
  const fail = (events: readonly LogEvent[], error: unknown): Promise<void> => {
    const prefix = deliveredCount(error, events.length);
    delivered.push(...events.slice(0, prefix));
    counters.deliver(prefix);
    counters.fail(events.length - prefix, 0, error);
    return Promise.reject(error);
  };
  return {
    name,
    calls,
    delivered,
    hanging,
    get closes() {
      return closes;
    },
    write(event) {
      counters.accept(1);
      delivered.push(event);
      counters.deliver(1);
    },
    writeBatch(events) {
      const batch = [...events];
      calls.push(batch);
      counters.accept(batch.length);
      const outcome = script(batch, calls.length - 1);
      if (outcome.kind === "deliver") {
        delivered.push(...batch);
        counters.deliver(batch.length);
        return Promise.resolve();
      }
      if (outcome.kind === "fail") return fail(batch, outcome.error);
      return new Promise<void>((resolve, reject) => {
        hanging.push({
          events: batch,
          resolve: () => {
            delivered.push(...batch);
            counters.deliver(batch.length);
            resolve();
          },
          reject: (error) => {
            fail(batch, error).catch(reject);
          },
        });
      });
    },
    flush: () => Promise.resolve(),
    close() {
      closes += 1;
      return Promise.resolve();
    },
    stats: () => counters.snapshot(),
  };
}

export const deliver: Outcome = { kind: "deliver" };
export const hang: Outcome = { kind: "hang" };
export const failWith = (error: unknown): Outcome => ({ kind: "fail", error });

/** An error with a system error code, as Node's fs and net give. */
export function systemError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: simulated`), { code });
}

/** `count` events numbered from `from`, in property `N`. */
export function events(from: number, count: number): LogEvent[] {
  return Array.from({ length: count }, (_, index) =>
    createLogEvent({ level: "info", template: "Event {N}", properties: { N: from + index } }),
  );
}

/** The `N` of each event. */
export function numbers(list: readonly LogEvent[]): number[] {
  return list.map((event) => event.properties.N as number);
}

/** Lets every settled promise's reactions run. */
export async function settle(): Promise<void> {
  for (let turn = 0; turn < 10; turn++) await Promise.resolve();
}
