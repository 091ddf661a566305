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
