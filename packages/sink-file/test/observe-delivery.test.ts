import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogEvent } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-file-observe-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const event = (n: number): LogEvent =>
  createLogEvent({
    level: "info",
    template: "Event {N}",
    properties: { N: n },
    timestamp: 1000 + n,
  });

describe("the file sink's observeDelivery", () => {
  it("attributes every delivery to its own event when a failed format's callback flushes mid-batch", async () => {
    const path = join(directory, "app.log");
    const broken = createLogEvent({ level: "info", template: "Broken", timestamp: 5000 });
    let sink: ReturnType<typeof createFileSink> | undefined;
    const formatter = {
      name: "lines",
      format: (logged: LogEvent): string => {
        if (logged === broken) throw new Error("cannot format");
        return `${logged.timestamp}\n`;
      },
    };
    // A hostile callback: flushing synchronously while the batch is being taken.
    sink = createFileSink({ path, formatter, onError: () => sink?.flushSync() });
    const seen: number[] = [];
    sink.observeDelivery((timestamps, from, to) => {
      for (let index = from; index < to; index++) seen.push(timestamps[index] as number);
    });
    const outcome = await sink.writeBatch([event(1), event(2), broken, event(3)]).then(
      () => "delivered",
      (error: { delivered?: number }) => error.delivered,
    );
    expect(outcome).toBe(2);
    await sink.writeBatch([event(4), event(5)]);
    await sink.close();
    expect(readFileSync(path, "utf8")).toBe("1001\n1002\n1004\n1005\n");
    expect(seen).toEqual([1001, 1002, 1004, 1005]);
  });
  it("tells the timestamps of the events written, in order, once each, and skips earlier ones", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({ path });
    // Held before anybody observes: written, but never attributed to the observer.
    for (let n = 0; n < 5; n++) sink.write(event(n));
    const seen: number[] = [];
    const stop = sink.observeDelivery((timestamps, from, to) => {
      for (let index = from; index < to; index++) seen.push(timestamps[index] as number);
    });
    for (let n = 5; n < 2000; n++) sink.write(event(n));
    await sink.writeBatch([event(2000), event(2001)]);
    await sink.flush();
    expect(seen).toEqual(Array.from({ length: 1997 }, (_, index) => 1005 + index));
    stop();
    sink.write(event(2002));
    await sink.close();
    expect(seen).toHaveLength(1997);
    expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(2003);
  });

  it("tells the taken prefix of a batch the buffer cut short, and the writes after it", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({ path, maxBufferBytes: 4096 });
    const seen: number[] = [];
    sink.observeDelivery((timestamps, from, to) => {
      for (let index = from; index < to; index++) seen.push(timestamps[index] as number);
    });
    // Large batches, past the tracking ring's first size, until one is cut short by the buffer.
    const batch = Array.from({ length: 400 }, (_, n) => event(n));
    const outcome = await sink.writeBatch(batch).then(
      () => batch.length,
      (error: { delivered?: number }) => error.delivered ?? 0,
    );
    expect(outcome).toBeGreaterThan(0);
    expect(outcome).toBeLessThan(batch.length);
    sink.write(event(5000));
    await sink.writeBatch([event(5001), event(5002)]);
    await sink.close();
    const expected = [...batch.slice(0, outcome).map((_, n) => 1000 + n), 6000, 6001, 6002];
    expect(seen).toEqual(expected);
    expect(readFileSync(path, "utf8").trimEnd().split("\n")).toHaveLength(outcome + 3);
  });

  it("tells nothing of events that failed", async () => {
    const sink = createFileSink({ path: "/dev/full", onError: () => {} });
    const seen: number[] = [];
    sink.observeDelivery((_timestamps, from, to) => seen.push(to - from));
    for (let n = 0; n < 10; n++) sink.write(event(n));
    await sink.flush().catch(() => {});
    expect(sink.stats()).toMatchObject({ failed: 10 });
    expect(seen).toEqual([]);
    await sink.close().catch(() => {});
  });
});
