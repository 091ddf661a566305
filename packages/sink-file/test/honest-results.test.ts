import type { LogEvent } from "@sluice/core";
import { createLogEvent, PartialDeliveryError } from "@sluice/core/sink";
import { createFileSink } from "@sluice/sink-file";
import { describe, expect, it } from "vitest";

const event = (n: number): LogEvent =>
  createLogEvent({ level: "info", template: "Event {N}", properties: { N: n } });

describe("a file sink's flush and close are honest", () => {
  it("flush and close reject after 100 events failed on /dev/full, even when the failure came first", async () => {
    const sink = createFileSink({ path: "/dev/full", onError: () => {} });
    for (let n = 0; n < 100; n++) sink.write(event(n));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sink.stats()).toMatchObject({ accepted: 100, failed: 100, pending: 0 });
    await expect(sink.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    // Reported once: a later flush with nothing new to say resolves.
    await expect(sink.flush()).resolves.toBeUndefined();
    sink.write(event(100));
    await expect(sink.close()).rejects.toMatchObject({ code: "ENOSPC" });
  });

  it("writeBatch resolves only once its events reached the OS, and rejects when none did", async () => {
    const sink = createFileSink({ path: "/dev/full", onError: () => {} });
    const batch = Array.from({ length: 10 }, (_, n) => event(n));
    const failure = await sink.writeBatch(batch).catch((error: unknown) => error);
    expect(PartialDeliveryError.is(failure)).toBe(false);
    expect(failure).toMatchObject({ code: "ENOSPC" });
    expect(sink.stats()).toMatchObject({ accepted: 10, delivered: 0, failed: 10 });
    await sink.close().catch(() => {});
  });
});
