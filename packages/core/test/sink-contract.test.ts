import type { LogEvent, Sink } from "@sluice/core";
import { createSink, PartialDeliveryError, SinkCounters } from "@sluice/core/sink";
import { checkSinkContract, createMemorySink } from "@sluice/core/testing";
import { describe, expect, it } from "vitest";

describe("checkSinkContract", () => {
  it("passes the memory sink", async () => {
    expect(await checkSinkContract(() => createMemorySink())).toEqual([]);
  });

  it("passes a sink built with createSink, with its delivered output read back", async () => {
    const lines: string[] = [];
    const violations = await checkSinkContract(
      () =>
        createSink({
          name: "lines",
          deliver: (events) => {
            for (const event of events) lines.push(JSON.stringify(event.properties, replacer));
          },
          deliverSync: (events) => {
            for (const event of events) lines.push(JSON.stringify(event.properties, replacer));
          },
        }),
      { readDelivered: () => lines },
    );
    expect(violations).toEqual([]);
  });

  it("finds the violations of a sink that breaks every rule", async () => {
    let closes = 0;
    const broken: Sink = {
      write(event: LogEvent): void {
        if (event.level === "error") throw new Error("boom");
      },
      writeBatch: () => new Promise(() => {}),
      flush: () => Promise.reject(new Error("cannot flush")),
      close: () => {
        closes += 1;
        return Promise.resolve();
      },
      stats: () => ({
        accepted: 1,
        delivered: 0,
        dropped: createMemorySink().stats().dropped,
        failed: 0,
        pending: 0,
        pendingBytes: 0,
        bytes: 0,
        lastError: undefined,
      }),
    };
    const violations = await checkSinkContract(() => broken, { timeoutMs: 50 });
    const checks = new Set(violations.map((violation) => violation.check));
    expect(checks).toContain("write never throws");
    expect(checks).toContain("writeBatch resolves");
    expect(checks).toContain("flush resolves");
    expect(checks).toContain("close is idempotent");
    expect(checks).toContain("stats count accepted events");
    expect(checks).toContain("conservation law");
    expect(checks).toContain("writes after close are counted");
    expect(closes).toBe(2);
  });

  it("reports missing, duplicated and reordered events from readDelivered", async () => {
    const reorder = await checkSinkContract(() => createMemorySink(), {
      events: 3,
      readDelivered: (sink) =>
        [...(sink as ReturnType<typeof createMemorySink>).events]
          .reverse()
          .map((event) => String(event.properties.Marker)),
    });
    expect(reorder.map((violation) => violation.check)).toContain("every event once, in order");
    const missing = await checkSinkContract(() => createMemorySink(), {
      events: 3,
      readDelivered: () => [],
    });
    expect(missing).toEqual([
      { check: "every event once, in order", message: "0 of 6 events were delivered" },
    ]);
  });
});

describe("checkSinkContract with a sink that fails part-way", () => {
  it("passes a createSink whose deliver fails every third step", async () => {
    let calls = 0;
    const violations = await checkSinkContract(
      () => createSink({ name: "healthy", deliver: () => {} }),
      {
        failingFactory: () =>
          createSink({
            name: "flaky",
            batchSize: 4,
            onError: () => {},
            deliver: () => {
              calls += 1;
              if (calls % 3 === 0) throw new Error("503");
            },
          }),
      },
    );
    expect(violations).toEqual([]);
    expect(calls).toBe(3);
  });

  it("flags counters that disagree with the rejection, and a flush that hides the failure", async () => {
    const liar = (): Sink => {
      const counters = new SinkCounters();
      return {
        write: (event) => {
          counters.accept(1);
          counters.deliver(1);
          void event;
        },
        writeBatch: (events) => {
          counters.accept(events.length);
          counters.fail(events.length, 0, new Error("down"));
          return Promise.reject(new PartialDeliveryError(5, events.length));
        },
        flush: () => Promise.resolve(),
        close: () => Promise.resolve(),
        stats: () => counters.snapshot(),
      };
    };
    const violations = await checkSinkContract(() => createMemorySink(), {
      failingFactory: liar,
    });
    expect(violations).toEqual([
      {
        check: "a partial failure is counted as the rejection says",
        message: "the rejection said 5 of 40 were delivered; delivered grew by 0",
      },
      {
        check: "flush reports a failure",
        message: "flush resolved although 35 events had failed and no flush had said so",
      },
    ]);
  });
});

describe("checkSinkContract flags sinks that bend the contract", () => {
  const bending = (overrides: Partial<Sink>) => () => ({
    ...createMemorySink(),
    ...overrides,
  });
  const throwing = (): never => {
    throw new Error("thrown");
  };

  it("a writeBatch that returns undefined", async () => {
    const violations = await checkSinkContract(bending({ writeBatch: () => undefined as never }));
    expect(violations).toContainEqual({
      check: "writeBatch returns a promise that settles once",
      message: "Sink.writeBatch returned undefined instead of a promise.",
    });
  });

  it("a writeBatch whose thenable calls both callbacks", async () => {
    const twice = {
      // biome-ignore lint/suspicious/noThenProperty: a deliberately broken thenable
      then(resolve: () => void, reject: (error: unknown) => void) {
        resolve();
        reject(new Error("and failed"));
      },
    };
    const violations = await checkSinkContract(bending({ writeBatch: () => twice as never }));
    expect(violations).toContainEqual({
      check: "writeBatch returns a promise that settles once",
      message:
        "Sink.writeBatch returned a thenable that settled more than once; its first outcome was kept.",
    });
  });

  it("a flush that throws synchronously", async () => {
    const violations = await checkSinkContract(bending({ flush: throwing }));
    expect(violations).toContainEqual({
      check: "flush returns a promise that settles once",
      message: "Sink.flush threw instead of returning a promise.",
    });
  });

  it("a close that throws synchronously", async () => {
    const violations = await checkSinkContract(bending({ close: throwing }));
    expect(violations).toContainEqual({
      check: "close never throws synchronously",
      message: "Sink.close threw: Error: thrown",
    });
  });

  it("an abandon that leaves events pending, or a pending call unsettled", async () => {
    const violations = await checkSinkContract(
      () => {
        const sink = createSink({ name: "stuck", deliver: () => {} });
        // Forgets what it holds without counting it, and leaves its callers waiting.
        return Object.assign(sink, {
          abandon: () => {},
          writeBatch: () => new Promise<void>(() => {}),
        });
      },
      { timeoutMs: 100 },
    );
    expect(violations.map((violation) => violation.check)).toEqual(
      expect.arrayContaining([
        "abandon counts what was pending as dropped",
        "abandon settles pending calls",
      ]),
    );
  });
});

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
