import type { LogEvent } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { EventRing } from "./event-ring.ts";

const events: LogEvent[] = Array.from({ length: 600 }, (_, index) =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: index } }),
);

describe("EventRing", () => {
  it("behaves as a first-in first-out list through growth and wrap-around", () => {
    // Runs of pushes and shifts long enough to grow the ring several times past its initial 64
    // slots while its head sits anywhere, so every slot index wraps.
    const run = fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 150 }));
    fc.assert(
      fc.property(fc.array(run, { maxLength: 40 }), (runs) => {
        const ring = new EventRing();
        const model: { event: LogEvent; size: number; sequence: number; time: number }[] = [];
        let next = 0;
        for (const [push, count] of runs) {
          for (let step = 0; step < count; step++) {
            if (push) {
              const entry = {
                event: events[next % events.length] as LogEvent,
                size: (next % 7) + 1,
                sequence: next,
                time: 1_000 + next,
              };
              ring.push(entry.event, entry.size, entry.sequence, entry.time);
              model.push(entry);
              next += 1;
            } else if (model.length > 0) {
              const head = model.shift();
              expect(ring.headSequence()).toBe(head?.sequence);
              expect(ring.headTime()).toBe(head?.time);
              expect(ring.headSize()).toBe(head?.size);
              expect(ring.shift()).toBe(head?.event);
            }
          }
          expect(ring.length).toBe(model.length);
          expect(ring.bytes).toBe(model.reduce((sum, entry) => sum + entry.size, 0));
        }
        expect(ring.headSequence()).toBe(model[0]?.sequence ?? Number.POSITIVE_INFINITY);
      }),
      { numRuns: 200 },
    );
  });

  it("takes the run of events older than a sequence, at most a limit, wrapped or not", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.integer({ min: 0, max: 300 }),
        fc.integer({ min: 0, max: 700 }),
        fc.integer({ min: 1, max: 400 }),
        (shifted, kept, below, limit) => {
          const ring = new EventRing();
          // Pushed and shifted first, so the head sits anywhere and the run can wrap.
          for (let index = 0; index < shifted + kept; index++) {
            ring.push(events[index % events.length] as LogEvent, (index % 5) + 1, 2 * index, 0);
            if (index < shifted) ring.shift();
          }
          const expected: number[] = [];
          for (let index = shifted; index < shifted + kept; index++) {
            if (2 * index >= below || expected.length === limit) break;
            expected.push(index);
          }
          const into: LogEvent[] = [];
          const taken = ring.takeOlderThan(below, limit, into);
          expect(into).toEqual(expected.map((index) => events[index % events.length]));
          expect(taken.bytes).toBe(expected.reduce((sum, index) => sum + (index % 5) + 1, 0));
          expect(taken.lastSequence).toBe(
            expected.length === 0 ? Number.NEGATIVE_INFINITY : 2 * (expected.at(-1) as number),
          );
          expect(ring.length).toBe(kept - expected.length);
          const next = shifted + expected.length;
          expect(ring.headSequence()).toBe(
            next < shifted + kept ? 2 * next : Number.POSITIVE_INFINITY,
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
