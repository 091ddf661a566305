import { configureSelfLog, createClefFormatter, createLogger, type Logger } from "@sluice/core";
import { checkConservation, totalDropped } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, describe, expect, it } from "vitest";

afterEach(() => configureSelfLog());

describe("createFileSink whose onError logs through the same logger", () => {
  it("on /dev/full: every event counted, the feedback bounded, close() settles", async () => {
    const selfLog: string[] = [];
    configureSelfLog({ write: (line) => selfLog.push(line) });
    let log: Logger | undefined;
    const sink = createFileSink({
      path: "/dev/full",
      maxRetryDelayMs: 20,
      onError: (error) => log?.error(error, "Writing the log failed"),
    });
    log = createLogger({ sinks: [sink] });
    for (let n = 0; n < 100; n++) log.info("Event {N}", { N: n });
    await expect(log.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    // Several retries fail while the disk stays full; each would log again without a bound.
    await new Promise((resolve) => setTimeout(resolve, 300));
    // It settles; whether it rejects for failures an earlier flush reported is the flush contract's.
    const closed = await log.close().then(
      () => "settled",
      () => "settled",
    );
    expect(closed).toBe("settled");
    const stats = sink.stats();
    expect(checkConservation(stats)).toBeUndefined();
    expect(stats).toMatchObject({ delivered: 0, pending: 0 });
    // The 100 events and the one report the first failure logged; later reports fall in the
    // same interval and are dropped by the logger.
    expect(stats.accepted).toBe(101);
    expect(stats.failed + stats.dropped.closed).toBe(101);
    const loggerStats = log.stats();
    expect(loggerStats.emitted).toBe(101);
    expect(loggerStats.dropped.reentrant).toBeGreaterThan(0);
    expect(loggerStats.accepted).toBe(
      loggerStats.emitted + loggerStats.filtered + totalDropped(loggerStats.dropped),
    );
    expect(selfLog.filter((line) => line.includes("inside the logging pipeline"))).toHaveLength(1);
  });
});

describe("createFileSink whose onError drains synchronously", () => {
  it("on /dev/full: a flushSync from onError does not write, fail and count the held events again", async () => {
    let log: Logger | undefined;
    let depth = 0;
    const sink = createFileSink({
      path: "/dev/full",
      maxRetryDelayMs: 20,
      onError: () => {
        // Bounded here too: a drain that fails calls onError again from inside itself.
        if (depth++ < 3) log?.flushSync();
        depth--;
      },
    });
    log = createLogger({ sinks: [sink] });
    for (let round = 0; round < 5; round++) {
      for (let n = 0; n < 1000; n++) log.info("Event {N}", { N: n });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await log.flush().catch(() => {});
    const stats = sink.stats();
    expect(checkConservation(stats)).toBeUndefined();
    expect(stats).toMatchObject({ accepted: 5000, delivered: 0, failed: 5000, pending: 0 });
    await log.close().catch(() => {});
  });
});

describe("createFileSink whose formatter drains synchronously", () => {
  it("on /dev/full: a batch whose events failed in drains during its own writes reports none delivered", async () => {
    let sink: ReturnType<typeof createFileSink> | undefined;
    let formatted = 0;
    const clef = createClefFormatter();
    sink = createFileSink({
      path: "/dev/full",
      maxRetryDelayMs: 20,
      onError: () => {},
      formatter: {
        name: "draining",
        format(event) {
          // Every seventh event the formatter drains: the text before it fails at once.
          if (++formatted % 7 === 0) sink?.flushSync();
          return clef.format(event);
        },
      },
    });
    const memory = createMemorySink();
    const log = createLogger({ sinks: [memory] });
    for (let n = 0; n < 1000; n++) log.info("Event {N}", { N: n });
    const told: number[] = [];
    const outcome = await sink
      .writeBatch(memory.events, (delivered) => told.push(delivered))
      .then(
        () => "resolved",
        (error: unknown) => error,
      );
    expect(outcome).toMatchObject({ code: "ENOSPC" });
    expect(told).toEqual([0]);
    const stats = sink.stats();
    expect(checkConservation(stats)).toBeUndefined();
    expect(stats).toMatchObject({ accepted: 1000, delivered: 0, failed: 1000, pending: 0 });
    await sink.close().catch(() => {});
  });
});
