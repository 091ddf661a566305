import { createSink, type LogEvent, type Sink } from "@sluice/core";
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

function replacer(_key: string, value: unknown): unknown {
  return typeof value === "bigint" ? value.toString() : value;
}
