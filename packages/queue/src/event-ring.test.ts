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
});
