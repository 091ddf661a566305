import type { LogEvent } from "@sluice/core";
import { checkConservation, createLogEvent, createSink } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { withCircuitBreaker, withFallback, withRetry } from "@sluice/resilience";
import { describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe("the resilience wrappers' abandon", () => {
  it("withRetry gives up a batch in its pause: counted once, never tried again", async () => {
    let attempts = 0;
    const inner = createSink({
      name: "flaky",
      onError: () => {},
      deliver: () => {
        attempts += 1;
        throw Object.assign(new Error("reset"), { code: "ECONNRESET" });
      },
    });
    const retry = withRetry(inner, { initialDelayMs: 10_000, maxAttempts: 5, onError: () => {} });
    const batch = retry.writeBatch([event(0), event(1)]).catch((error: unknown) => error);
    retry.write(event(2));
    const flushed = retry.flush().catch((error: unknown) => error);
    await wait(20);
    expect(attempts).toBe(1);
    expect(retry.stats().pending).toBe(3);
    retry.abandon("shutdown_timeout");
    retry.abandon("shutdown_timeout");
    expect(retry.stats()).toMatchObject({ pending: 0, delivered: 0 });
    expect(retry.stats().dropped.shutdown_timeout).toBe(3);
    expect(await batch).toMatchObject({ code: "timeout" });
    expect(await flushed).toMatchObject({ code: "timeout" });
    await wait(20);
    expect(attempts).toBe(1);
    expect(checkConservation(retry.stats())).toBeUndefined();
    retry.write(event(3));
    expect(retry.stats().dropped.closed).toBe(1);
  });

  it("a breaker passes abandon inward, and a fallback to every destination", async () => {
    const hung = createSink({ name: "hung", deliver: () => new Promise<void>(() => {}) });
    const spare = createMemorySink({ name: "spare" });
    const fallback = withFallback(withCircuitBreaker(hung), spare);
    const batch = fallback.writeBatch([event(0), event(1)]).catch((error: unknown) => error);
    await wait(20);
    expect(hung.stats().pending).toBe(2);
    fallback.abandon("process_exit");
    expect(await batch).toMatchObject({ code: "timeout" });
    for (const sink of [fallback, fallback.inner[0], hung]) {
      const stats = sink?.stats?.();
      expect(stats).toMatchObject({ pending: 0, delivered: 0, dropped: { process_exit: 2 } });
    }
    expect(spare.closed).toBe(true);
    await expect(fallback.close()).resolves.toBeUndefined();
  });
});
