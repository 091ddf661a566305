import { createLogger, LoggingError, type Sink } from "@sluice/core";
import { createSink } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { describe, expect, it } from "vitest";

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function failingSink(name: string): Sink {
  return createSink({
    name,
    onError: () => {},
    deliver: () => {
      throw new Error(`${name} is down`);
    },
  });
}

/** A sink whose promise methods are replaced by `overrides`, otherwise healthy. */
function bendingSink(overrides: Partial<Sink>): Sink {
  return { ...createMemorySink({ name: "bending" }), ...overrides };
}

const throwing = (): never => {
  throw new Error("thrown synchronously");
};

describe("the logger's flush and close are honest", () => {
  it("flush rejects when a createSink's deliver threw, even before the call", async () => {
    const log = createLogger({ sinks: [failingSink("http")] });
    for (let n = 0; n < 100; n++) log.info("Event {N}", { N: n });
    await wait(20);
    await expect(log.flush()).rejects.toThrow("http is down");
    await expect(log.flush()).resolves.toBeUndefined();
    log.info("one more");
    await expect(log.close()).rejects.toThrow("http is down");
  });

  it("rejects with an AggregateError for several failed sinks, after every sink settled", async () => {
    let slowFlushed = false;
    const slow: Sink = {
      ...createMemorySink({ name: "slow" }),
      flush: async () => {
        await wait(30);
        slowFlushed = true;
      },
    };
    const log = createLogger({ sinks: [failingSink("a"), slow, failingSink("b")] });
    log.info("x");
    const failure = await log.flush().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AggregateError);
    expect((failure as AggregateError).errors.map((error: Error) => error.message)).toEqual([
      "a is down",
      "b is down",
    ]);
    expect(slowFlushed).toBe(true);
  });
});

describe("the logger survives sinks that bend the contract", () => {
  it("a flush that throws synchronously: no throw, one report, every other sink flushed", async () => {
    const reports: unknown[] = [];
    const healthy = createMemorySink();
    const log = createLogger({
      sinks: [bendingSink({ flush: throwing }), healthy],
      onError: (error) => reports.push(error),
    });
    let flushing: Promise<void> | undefined;
    expect(() => {
      flushing = log.flush();
    }).not.toThrow();
    const failure = await flushing?.catch((error: unknown) => error);
    expect(LoggingError.is(failure) && failure.code).toBe("contract_violation");
    expect((failure as Error).message).toBe("Sink.flush threw instead of returning a promise.");
    expect(reports).toEqual([failure]);
    expect(log.stats().sinkContractViolations).toEqual([1, 0]);
  });

  it("a close that throws synchronously: the sinks after it are still closed", async () => {
    const reports: unknown[] = [];
    const later = createMemorySink();
    const log = createLogger({
      sinks: [bendingSink({ close: throwing }), later],
      onError: (error) => reports.push(error),
    });
    let closing: Promise<void> | undefined;
    expect(() => {
      closing = log.close();
    }).not.toThrow();
    await expect(closing).rejects.toMatchObject({ code: "contract_violation" });
    expect(later.closed).toBe(true);
    log.info("after close");
    expect(later.stats()).toMatchObject({ delivered: 0 });
    expect(later.stats().dropped.closed).toBe(1);
    expect(reports).toHaveLength(1);
  });

  it("a flush that returns nothing, or a thenable settling twice, is counted once each", async () => {
    const reports: unknown[] = [];
    const twice = {
      // biome-ignore lint/suspicious/noThenProperty: a deliberately broken thenable
      then(resolve: () => void, reject: (error: unknown) => void) {
        resolve();
        reject(new Error("and failed"));
      },
    };
    const log = createLogger({
      sinks: [
        bendingSink({ flush: () => undefined as never }),
        bendingSink({ flush: () => twice as never }),
      ],
      onError: (error) => reports.push(error),
    });
    await expect(log.flush()).rejects.toThrow(
      "Sink.flush returned undefined instead of a promise.",
    );
    expect(log.stats().sinkContractViolations).toEqual([1, 1]);
    expect(reports).toHaveLength(2);
  });

  it("a flushSync that throws is counted, and the next sink is still drained", () => {
    const reports: unknown[] = [];
    let drained = false;
    const log = createLogger({
      sinks: [
        bendingSink({ flushSync: throwing }),
        bendingSink({
          flushSync: () => {
            drained = true;
          },
        }),
      ],
      onError: (error) => reports.push(error),
    });
    expect(() => log.flushSync()).not.toThrow();
    expect(drained).toBe(true);
    expect(log.stats().sinkContractViolations).toEqual([1, 0]);
    expect(reports).toMatchObject([
      { code: "contract_violation", message: "Sink.flushSync threw." },
    ]);
  });

  it("abandon reaches every sink, counts a throw, and each sink counts what it held", () => {
    const reports: unknown[] = [];
    const reasons: string[] = [];
    const held = createSink({ name: "held", deliver: () => new Promise<void>(() => {}) });
    const log = createLogger({
      sinks: [
        bendingSink({ abandon: throwing }),
        bendingSink({ abandon: (reason) => reasons.push(reason) }),
        held,
      ],
      onError: (error) => reports.push(error),
    });
    for (let n = 0; n < 3; n++) log.info("Event {N}", { N: n });
    expect(() => log.abandon("process_exit")).not.toThrow();
    expect(reasons).toEqual(["process_exit"]);
    expect(held.stats()).toMatchObject({ pending: 0, dropped: { process_exit: 3 } });
    expect(log.stats().sinkContractViolations).toEqual([1, 0, 0]);
    expect(reports).toMatchObject([{ code: "contract_violation", message: "Sink.abandon threw." }]);
  });

  it("sinks lists the logger's sinks, frozen and shared with its children", () => {
    const first = createMemorySink({ name: "first" });
    const second = createMemorySink({ name: "second" });
    const log = createLogger({ sinks: [first, { sink: second, level: "error" }] });
    expect(log.sinks).toEqual([first, second]);
    expect(Object.isFrozen(log.sinks)).toBe(true);
    expect(log.child({ Request: 1 }).sinks).toBe(log.sinks);
  });
});
