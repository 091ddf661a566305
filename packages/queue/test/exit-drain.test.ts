import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogEvent, Sink, SinkStats } from "@sluice/core";
import { checkConservation, createDropCounts, createLogEvent } from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

let directory: string | undefined;
afterEach(() => {
  if (directory !== undefined) rmSync(directory, { recursive: true, force: true });
  directory = undefined;
});

describe("the queue's synchronous drain (flushSync, as at process exit)", () => {
  it("goes on past an event its sink refuses on its own: one bad event costs only the rest of its batch", () => {
    directory = mkdtempSync(join(tmpdir(), "sluice-exit-drain-"));
    const path = join(directory, "app.log");
    const file = createFileSink({
      path,
      onError: () => {},
      formatter: {
        name: "picky",
        format(logged) {
          if (logged.properties.N === 150) throw new Error("cannot format 150");
          return `${String(logged.properties.N)}\n`;
        },
      },
    });
    const queue = withQueue(file, { batchSize: 100, onError: () => {} });
    for (let n = 0; n < 1000; n++) queue.write(event(n));
    queue.flushSync();
    // Batches go through writeBatch, which delivers a prefix: the file sink refuses the events
    // after the one it cannot format (as it does in the queue's drain), and the queue counts the
    // 50 as failed from its answer. The drain goes on with the next batches.
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean).map(Number);
    expect(lines).toEqual([...Array(1000).keys()].filter((n) => n < 150 || n >= 200));
    expect(file.stats().dropped.sink_error).toBe(50);
    expect(queue.stats()).toMatchObject({ depth: 0, pending: 0, delivered: 950, failed: 50 });
    expect(file.stats()).toMatchObject({ delivered: 950, pending: 0 });
    expect(checkConservation(queue.stats())).toBeUndefined();
    expect(checkConservation(file.stats())).toBeUndefined();
    file.abandon("process_exit");
  });

  it("stops after the round in which the sink's destination failed, instead of waiting once per batch", () => {
    let written = 0;
    let failed = 0;
    let flushes = 0;
    // A sink whose destination fails everything it is given by the time flushSync returns, as a
    // file sink does with a pipe whose reader stopped (after waiting about a second each time).
    const failing: Sink = {
      name: "failing",
      write: () => {
        written += 1;
      },
      writeBatch: () => Promise.reject(new Error("not used")),
      flushSync: () => {
        flushes += 1;
        failed = written;
      },
      flush: () => Promise.resolve(),
      close: () => Promise.resolve(),
      stats: (): SinkStats => ({
        accepted: written,
        delivered: 0,
        dropped: createDropCounts(),
        failed,
        pending: written - failed,
        pendingBytes: 0,
        bytes: 0,
        lastError: undefined,
      }),
    };
    const queue = withQueue(failing, { batchSize: 100, onError: () => {} });
    for (let n = 0; n < 1000; n++) queue.write(event(n));
    queue.flushSync();
    expect(flushes).toBe(1);
    expect(written).toBe(100);
    expect(queue.stats().depth).toBe(900);
    queue.abandon("process_exit");
    expect(queue.stats().dropped.process_exit).toBe(900);
    expect(checkConservation(queue.stats())).toBeUndefined();
  });
});
