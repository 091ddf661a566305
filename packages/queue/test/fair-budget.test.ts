import type { LogEvent, LogLevel, Sink } from "@sluice/core";
import { checkConservation, createLogEvent } from "@sluice/core/sink";
import { createMemoryBudget, type QueuedSink, withQueue } from "@sluice/queue";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { controlledSink } from "./controlled-sink.ts";

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setImmediate", "Date"] });
});
afterEach(() => {
  vi.useRealTimers();
});

const padding = "p".repeat(2000);

function event(n: number, level: LogLevel, text = padding): LogEvent {
  return createLogEvent({
    level,
    template: "Event {N}",
    properties: { N: n, Padding: text },
    timestamp: 0,
  });
}

/** A sink that delivers at once and counts what it got, by level. */
function healthySink(): Sink & { readonly delivered: Map<LogLevel, number> } {
  const delivered = new Map<LogLevel, number>();
  return {
    name: "healthy",
    delivered,
    write() {},
    writeBatch(events) {
      for (const { level } of events) delivered.set(level, (delivered.get(level) ?? 0) + 1);
      return Promise.resolve();
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

describe("a memory budget shared by queues", () => {
  it("keeps healthy queues delivering beside a queue whose sink is down", async () => {
    const maxBytes = 2 * 1024 * 1024;
    let exceeded = 0;
    const budget = createMemoryBudget({ maxBytes, onExceeded: () => (exceeded += 1) });
    // The down sink takes the first batch and never answers.
    const down = withQueue(controlledSink(), { memoryBudget: budget, onError: () => {} });
    const healthy = [healthySink(), healthySink()];
    const queues = healthy.map((sink) => withQueue(sink, { memoryBudget: budget }));
    const all: QueuedSink[] = [down, ...queues];
    const perRound = 8;
    let n = 0;
    let peakUsage = 0;
    const round = async (): Promise<void> => {
      for (let index = 0; index < perRound; index++) {
        // One event in four is an error, the rest info (below the default shedding level).
        const level: LogLevel = index % 4 === 0 ? "error" : "info";
        for (const queue of all) queue.write(event(n, level));
        n += 1;
      }
      peakUsage = Math.max(peakUsage, budget.usage);
      await vi.advanceTimersByTimeAsync(60);
    };
    // Until the budget is full: the down queue holds nearly all of it (about 2.2 KiB an event).
    while (exceeded === 0) await round();
    expect(down.stats().depthBytes).toBeGreaterThan(maxBytes * 0.9);
    const before = queues.map((queue) => queue.stats().delivered);
    const errorsBefore = healthy.map((sink) => sink.delivered.get("error") ?? 0);
    const rounds = 400;
    for (let count = 0; count < rounds; count++) await round();
    const written = rounds * perRound;
    for (const [index, queue] of queues.entries()) {
      const stats = queue.stats();
      expect(stats.delivered - (before[index] as number)).toBe(written);
      expect(stats.dropped.queue_full + stats.dropped.shed).toBe(0);
      const errors =
        (healthy[index]?.delivered.get("error") ?? 0) - (errorsBefore[index] as number);
      expect(errors).toBe(written / 4);
    }
    // The down queue paid for the overload out of its own backlog, within the budget.
    expect(peakUsage).toBeLessThanOrEqual(maxBytes);
    const downStats = down.stats();
    expect(downStats.accepted).toBe(n);
    expect(downStats.dropped.queue_full + downStats.dropped.shed).toBeGreaterThan(written);
    for (const queue of all) expect(checkConservation(queue.stats())).toBeUndefined();
    expect(budget.usage).toBe(all.reduce((sum, queue) => sum + queue.stats().depthBytes, 0));
  });

  it("never takes from a queue within its fair share; takes what one holds past it", () => {
    // Every event here has the same estimated size; 13 fit in the budget, 4 in a third of it.
    const size = eventBytes();
    const budget = createMemoryBudget({ maxBytes: 13 * size + size / 2 });
    const share = budget.maxBytes / 3;
    expect(Math.floor(share / size)).toBe(4);
    const [first, second, third] = [0, 1, 2].map(() =>
      withQueue(controlledSink(), { memoryBudget: budget, overflow: "drop-newest" }),
    ) as [QueuedSink, QueuedSink, QueuedSink];
    // Nothing drains (no timer runs). The first queue borrows the whole budget with info events.
    for (let n = 0; n < 40; n++) first.write(event(n, "info"));
    expect(first.stats()).toMatchObject({ depth: 13, dropped: { queue_full: 27, shed: 0 } });
    // The second queue, within its share, takes room back from the first, oldest info first.
    for (let n = 0; n < 20; n++) second.write(event(n, "info"));
    expect(first.stats()).toMatchObject({ depth: 9, dropped: { shed: 4 } });
    // Past its share, an info event gets nothing from the others: it is dropped.
    expect(second.stats()).toMatchObject({ depth: 4, dropped: { queue_full: 16, shed: 0 } });
    // Errors of the third queue take room within its share, then, past it, the info events the
    // first queue still holds past its own share, never those within it nor the second's.
    for (let n = 0; n < 20; n++) third.write(event(n, "error"));
    expect(third.stats()).toMatchObject({ depth: 5, dropped: { queue_full: 15 } });
    expect(first.stats()).toMatchObject({ depth: 4, dropped: { shed: 9 } });
    expect(first.stats().depthBytes).toBeLessThanOrEqual(share);
    expect(second.stats()).toMatchObject({ depth: 4, dropped: { shed: 0 } });
    expect(budget.usage).toBe(13 * size);
    for (const queue of [first, second, third]) {
      expect(checkConservation(queue.stats())).toBeUndefined();
    }
  });

  it("trims the largest holder first, low levels first", () => {
    const size = eventBytes();
    const budget = createMemoryBudget({ maxBytes: 100 * size });
    const [large, small] = [0, 1].map(() =>
      withQueue(controlledSink(), { memoryBudget: budget }),
    ) as [QueuedSink, QueuedSink];
    for (let n = 0; n < 30; n++) large.write(event(n, n % 2 === 0 ? "info" : "error"));
    for (let n = 0; n < 10; n++) small.write(event(n, "info"));
    expect(budget.trim(20 * size)).toBe(20);
    // The 15 info events of the larger queue, then the smaller queue's info: low levels first.
    expect(large.stats()).toMatchObject({ depth: 15, dropped: { shed: 15, queue_full: 0 } });
    expect(small.stats()).toMatchObject({ depth: 5, dropped: { shed: 5, queue_full: 0 } });
    // Then the last info events, wherever they are, then any level from the largest holder.
    expect(budget.trim(5 * size)).toBe(15);
    expect(small.stats()).toMatchObject({ depth: 0, dropped: { shed: 10, queue_full: 0 } });
    expect(large.stats()).toMatchObject({ depth: 5, dropped: { shed: 15, queue_full: 10 } });
    expect(budget.usage).toBe(5 * size);
  });
});

/** The estimated size of one event of {@link event}, as a queue counts it. */
function eventBytes(): number {
  const queue = withQueue(controlledSink(), {});
  queue.write(event(0, "info"));
  return queue.stats().depthBytes;
}
