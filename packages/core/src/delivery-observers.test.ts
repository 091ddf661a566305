import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeliveryObservers, DeliveryTimestamps } from "./delivery-observers.ts";

/** An observer that copies what it is told, as a list. */
function collector(): {
  seen: number[];
  observer: (t: Float64Array, from: number, to: number) => void;
} {
  const seen: number[] = [];
  return { seen, observer: (timestamps, from, to) => seen.push(...timestamps.subarray(from, to)) };
}

/**
 * An observer that also takes runs, under the key `DeliveryTimestamps` looks for, and copies
 * them as a list; told one timestamp an event, it keeps them apart.
 */
function runsCollector(): {
  seen: number[];
  perEvent: number[];
  observer: (t: Float64Array, from: number, to: number) => void;
} {
  const seen: number[] = [];
  const perEvent: number[] = [];
  const runs = (timestamps: Float64Array, counts: Float64Array, from: number, to: number) => {
    for (let run = from; run < to; run++) {
      const count = counts[run] as number;
      expect(Number.isInteger(count) && count > 0).toBe(true);
      for (let n = 0; n < count; n++) seen.push(timestamps[run] as number);
    }
  };
  const observer = Object.assign(
    (timestamps: Float64Array, from: number, to: number) => {
      perEvent.push(...timestamps.subarray(from, to));
    },
    { [Symbol.for("@sluice/core/delivery-runs")]: runs },
  );
  return { seen, perEvent, observer };
}

describe("DeliveryTimestamps", () => {
  it("tells observers the delivered timestamps, oldest first, across the ring's wrap", () => {
    const observers = new DeliveryObservers((active) => timestamps.track(active));
    const held = 0;
    const timestamps = new DeliveryTimestamps(observers, () => held);
    const { seen, observer } = collector();
    const stop = observers.add(observer);
    let next = 0;
    for (let round = 0; round < 10; round++) {
      // Fill past the ring's first size so it wraps and grows while events are held.
      for (let n = 0; n < 50; n++) timestamps.push(next++);
      timestamps.deliver(30);
      timestamps.discard(5);
    }
    timestamps.deliver(1000);
    // The same settlements replayed on a plain array.
    const expected: number[] = [];
    const queue: number[] = [];
    let value = 0;
    for (let round = 0; round < 10; round++) {
      for (let n = 0; n < 50; n++) queue.push(value++);
      expected.push(...queue.splice(0, 30));
      queue.splice(0, 5);
    }
    expected.push(...queue);
    expect(seen).toEqual(expected);
    stop();
    stop();
    expect(observers.active).toBe(false);
  });

  it("skips events held before tracking began, and costs nothing untracked", () => {
    const observers = new DeliveryObservers((active) => timestamps.track(active));
    const held = 3;
    const timestamps = new DeliveryTimestamps(observers, () => held);
    timestamps.push(1);
    timestamps.deliver(1);
    const { seen, observer } = collector();
    observers.add(observer);
    timestamps.push(10);
    timestamps.push(11);
    // Three untracked events settle first, then the two tracked ones.
    timestamps.deliver(4);
    timestamps.deliver(1);
    expect(seen).toEqual([10, 11]);
  });

  it("splits a run between partial deliveries and discards, the open run too", () => {
    const observers = new DeliveryObservers((active) => timestamps.track(active));
    const timestamps = new DeliveryTimestamps(observers, () => 0);
    const { seen, observer } = collector();
    observers.add(observer);
    for (const timestamp of [1, 1, 1, 1, 2, 2, 3, 3, 3]) timestamps.push(timestamp);
    timestamps.deliver(2);
    expect(seen).toEqual([1, 1]);
    // The remainder of the first run keeps its timestamp; the discard cuts the second run.
    timestamps.deliver(1);
    timestamps.discard(2);
    timestamps.deliver(2);
    expect(seen).toEqual([1, 1, 1, 2, 3]);
    // What is left of the open run settles, then the run goes on with newly taken events.
    timestamps.discard(1);
    timestamps.push(3);
    timestamps.push(3);
    timestamps.push(4);
    timestamps.deliver(2);
    expect(seen).toEqual([1, 1, 1, 2, 3, 3, 3]);
    timestamps.deliver(2);
    timestamps.push(5);
    timestamps.deliver(3);
    expect(seen).toEqual([1, 1, 1, 2, 3, 3, 3, 3, 4, 5]);
  });

  it("keeps many runs in order across the ring's wrap and growth, and large deliveries", () => {
    const observers = new DeliveryObservers((active) => timestamps.track(active));
    const timestamps = new DeliveryTimestamps(observers, () => 0);
    const { seen, observer } = collector();
    observers.add(observer);
    const held: number[] = [];
    const expected: number[] = [];
    let timestamp = 0;
    for (let round = 0; round < 60; round++) {
      // Runs of one to five events; more runs each round than the last settles, so the ring
      // wraps while it fills and grows past its first size with its head mid-way.
      for (let run = 0; run < 30 + round; run++) {
        timestamp += 1;
        for (let n = 0; n <= (timestamp * 7) % 5; n++) {
          timestamps.push(timestamp);
          held.push(timestamp);
        }
      }
      const delivered = 37 + ((round * 13) % 50);
      timestamps.deliver(delivered);
      expected.push(...held.splice(0, delivered));
      timestamps.discard(11);
      held.splice(0, 11);
    }
    // More than one call's worth of timestamps at once.
    expect(held.length).toBeGreaterThan(4096);
    timestamps.deliver(held.length);
    expected.push(...held);
    expect(seen).toEqual(expected);
  });

  it("skips the events held when tracking began again, tracked before or not", () => {
    let held = 0;
    const observers = new DeliveryObservers((active) => timestamps.track(active));
    const timestamps = new DeliveryTimestamps(observers, () => held);
    const take = (timestamp: number): void => {
      held++;
      timestamps.push(timestamp);
    };
    const { seen, observer } = collector();
    let stop = observers.add(observer);
    take(1);
    take(1);
    take(2);
    stop();
    take(2);
    stop = observers.add(observer);
    // The four events held now are none of the observers' business: settled first, unseen.
    take(2);
    take(3);
    timestamps.deliver(3);
    held -= 3;
    expect(seen).toEqual([]);
    timestamps.deliver(2);
    held -= 2;
    expect(seen).toEqual([2]);
    timestamps.deliver(1);
    held -= 1;
    expect(seen).toEqual([2, 3]);
    stop();
    timestamps.deliver(1);
    expect(seen).toEqual([2, 3]);
  });

  it("stops a delivery told in several calls when its observer leaves during one", () => {
    const observers = new DeliveryObservers((active) => timestamps.track(active));
    const timestamps = new DeliveryTimestamps(observers, () => 0);
    const calls: number[] = [];
    const stop = observers.add((_timestamps, from, to) => {
      calls.push(to - from);
      stop();
    });
    for (let n = 0; n < 10_000; n++) timestamps.push(n < 5000 ? 1 : 2);
    timestamps.deliver(10_000);
    expect(calls).toEqual([4096]);
    const { seen, observer } = collector();
    observers.add(observer);
    timestamps.push(3);
    timestamps.deliver(1);
    expect(seen).toEqual([3]);
  });

  it("tells each observer what it delivered when an observer settles again while told", () => {
    const observers = new DeliveryObservers((active) => timestamps.track(active));
    const timestamps = new DeliveryTimestamps(observers, () => 0);
    const calls: number[][] = [];
    const runsCalls: number[][] = [];
    let again = false;
    observers.add(() => {
      // As an observer that logs to the sink it observes, which then writes at once.
      if (!again) return;
      again = false;
      timestamps.push(9);
      timestamps.deliver(1);
    });
    observers.add((told, from, to) => calls.push([...told.subarray(from, to)]));
    observers.add(
      Object.assign(() => {}, {
        [Symbol.for("@sluice/core/delivery-runs")]: (
          told: Float64Array,
          counts: Float64Array,
          from: number,
          to: number,
        ) => {
          const seen: number[] = [];
          for (let run = from; run < to; run++) {
            for (let n = 0; n < (counts[run] as number); n++) seen.push(told[run] as number);
          }
          runsCalls.push(seen);
        },
      }),
    );
    // A first delivery, so that the arrays the second one reuses exist.
    timestamps.push(0);
    timestamps.deliver(1);
    again = true;
    for (const timestamp of [1, 1, 2, 3]) timestamps.push(timestamp);
    timestamps.deliver(3);
    timestamps.deliver(5);
    // Runs are told first, so the observer of runs hears of 1, 1, 2 before the first observer
    // delivers 3 inside its call; the second observer hears of 3 first, then of 1, 1, 2 intact.
    expect(runsCalls).toEqual([[0], [1, 1, 2], [3], [9]]);
    expect(calls).toEqual([[0], [3], [1, 1, 2], [9]]);
  });

  it("tells what a plain list of the held events would, for any sequence", () => {
    const timestamp = fc.oneof(
      { weight: 9, arbitrary: fc.integer({ min: 0, max: 3 }) },
      { weight: 1, arbitrary: fc.constant(Number.NaN) },
    );
    // Short runs and small settlements, so that runs are often split; now and then more.
    const count = fc.oneof(
      { weight: 4, arbitrary: fc.nat(12) },
      { weight: 1, arbitrary: fc.nat(200) },
    );
    const operation = fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant("push" as const),
          timestamp,
          times: fc.integer({ min: 1, max: 8 }),
        }),
      },
      { weight: 3, arbitrary: fc.record({ kind: fc.constant("deliver" as const), count }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant("discard" as const), count }) },
      {
        weight: 1,
        arbitrary: fc.record({ kind: fc.constant("observe" as const), on: fc.boolean() }),
      },
      // A delivery of everything held, large enough to be told in several calls.
      { weight: 1, arbitrary: fc.record({ kind: fc.constant("flood" as const), timestamp }) },
    );
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 100, size: "max" }), (operations) => {
        // The reference: every event the sink holds, and whether it was taken while observed.
        const held: { timestamp: number; tracked: boolean }[] = [];
        const observers = new DeliveryObservers((active) => {
          for (const event of held) event.tracked = false;
          timestamps.track(active);
        });
        const timestamps = new DeliveryTimestamps(observers, () => held.length);
        const { seen, observer } = collector();
        // Both kinds at once: one told each event, one told runs.
        const byRuns = runsCollector();
        const expected: number[] = [];
        let stop: (() => void) | undefined;
        let stopRuns: (() => void) | undefined;
        const settle = (count: number, delivered: boolean): void => {
          for (const event of held.splice(0, count)) {
            if (delivered && event.tracked) expected.push(event.timestamp);
          }
          if (delivered) timestamps.deliver(count);
          else timestamps.discard(count);
        };
        for (const step of operations) {
          if (step.kind === "push" || step.kind === "flood") {
            const times = step.kind === "push" ? step.times : 4500;
            for (let n = 0; n < times; n++) {
              held.push({ timestamp: step.timestamp, tracked: stop !== undefined });
              timestamps.push(step.timestamp);
            }
            if (step.kind === "flood") settle(held.length, true);
          } else if (step.kind === "observe") {
            if (step.on && stop === undefined) {
              stop = observers.add(observer);
              stopRuns = observers.add(byRuns.observer);
            } else if (!step.on && stop !== undefined) {
              stop();
              stopRuns?.();
              stop = undefined;
            }
          } else {
            settle(step.count, step.kind === "deliver");
          }
          // What each step told, emptied for the next.
          expect(byRuns.seen.splice(0)).toEqual(expected);
          expect(seen.splice(0)).toEqual(expected.splice(0));
          expect(byRuns.perEvent).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("ignores an observer that throws", () => {
    const observers = new DeliveryObservers();
    const { seen, observer } = collector();
    observers.add(() => {
      throw new Error("bug");
    });
    observers.add(observer);
    observers.notifyEvents([{ timestamp: 5 }, { timestamp: 6 }]);
    expect(seen).toEqual([5, 6]);
  });
});
