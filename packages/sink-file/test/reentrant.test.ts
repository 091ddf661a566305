import { configureSelfLog, createLogger, type Logger } from "@sluice/core";
import { checkConservation, totalDropped } from "@sluice/core/sink";
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
