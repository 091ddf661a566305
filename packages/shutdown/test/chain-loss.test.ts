import { createLogger, type LogEvent, type Sink, type SinkStats } from "@sluice/core";
import { SinkCounters } from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";
import { createShutdown } from "@sluice/shutdown";
import { describe, expect, it } from "vitest";

type CountingSink = Sink & { stats(): SinkStats };

/** A sink that takes events and, in flushSync, delivers them (`delivers`) or cannot. */
function endpoint(delivers: boolean): CountingSink {
  const counters = new SinkCounters();
  let held = 0;
  return {
    name: "endpoint",
    write() {
      counters.accept(1);
      held += 1;
    },
    writeBatch: () => new Promise<void>(() => {}),
    flushSync() {
      if (!delivers) return;
      counters.deliver(held);
      held = 0;
    },
    abandon(reason) {
      counters.drop(reason, held);
      held = 0;
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    stats: () => counters.snapshot(),
  };
}

/**
 * A third-party wrapper that passes events to the sink it wraps in flushSync but counts them
 * delivered only when a confirmation comes, which never does at exit: given up, it counts them
 * as lost although the sink it wraps tells better what became of them.
 */
function unconfirmed(inner: CountingSink): CountingSink {
  const counters = new SinkCounters();
  const held: LogEvent[] = [];
  return {
    name: "unconfirmed",
    inner,
    write(event) {
      counters.accept(1);
      held.push(event);
    },
    writeBatch: () => new Promise<void>(() => {}),
    flushSync() {
      for (const event of held.splice(0)) inner.write(event);
      inner.flushSync?.();
    },
    abandon(reason) {
      counters.drop(reason, counters.pending);
      inner.abandon?.(reason);
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    stats: () => counters.snapshot(),
  };
}

/** Logs a burst into a small queue over `sink` and runs the exit drain before any turn ends. */
function exitAfterBurst(sink: Sink) {
  const queue = withQueue(sink, { maxEvents: 10, onError: () => {} });
  const log = createLogger({ sinks: [queue] });
  const shutdown = createShutdown();
  shutdown.register("logger", log);
  for (let n = 0; n < 50; n++) log.info("Event {N}", { N: n });
  const report = shutdown.flushSync();
  return { report, queue: queue.stats() };
}

describe("the exit report of a chain whose queue dropped part of a burst", () => {
  it("counts what the sink below the queue gave up at exit as abandoned, not delivered", () => {
    const sink = endpoint(false);
    const { report, queue } = exitAfterBurst(sink);
    expect(queue).toMatchObject({ accepted: 50, delivered: 10, pending: 0 });
    expect(queue.dropped.queue_full).toBe(40);
    expect(sink.stats().dropped.process_exit).toBe(10);
    expect(report.totals).toMatchObject({ accepted: 50, delivered: 0, abandoned: 10 });
    expect(report.resources[0]?.events?.dropped.queue_full).toBe(40);
  });

  it("takes a component's loss from the sink it wraps when that sink took all its events", () => {
    const sink = endpoint(true);
    const wrapper = unconfirmed(sink);
    const { report } = exitAfterBurst(wrapper);
    expect(wrapper.stats().dropped.process_exit).toBe(10);
    expect(sink.stats()).toMatchObject({ accepted: 10, delivered: 10 });
    expect(report.totals).toMatchObject({ accepted: 50, delivered: 10, abandoned: 0 });
  });
});
