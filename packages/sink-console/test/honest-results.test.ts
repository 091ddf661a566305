import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogEvent, LogLevel } from "@sluice/core";
import { createLogEvent, PartialDeliveryError } from "@sluice/core/sink";
import { createConsoleSink } from "@sluice/sink-console";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

let directory: string;
const descriptors: number[] = [];
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-console-honest-"));
});
afterEach(() => {
  for (const fd of descriptors.splice(0)) closeSync(fd);
  rmSync(directory, { recursive: true, force: true });
});

const event = (level: LogLevel, n: number): LogEvent =>
  createLogEvent({ level, template: "Event {N}", properties: { N: n } });

function open(path: string): number {
  const fd = openSync(path, "a");
  descriptors.push(fd);
  return fd;
}

describe("the console sink's results are honest", () => {
  it("flush and close reject after 100 events failed on /dev/full", async () => {
    const sink = createConsoleSink({
      stdoutFd: open("/dev/full"),
      format: "json",
      onError: () => {},
    });
    for (let n = 0; n < 100; n++) sink.write(event("info", n));
    // The writes fail off the caller's thread: wait for the outcome, however loaded the machine.
    await vi.waitFor(
      () => expect(sink.stats()).toMatchObject({ accepted: 100, failed: 100, pending: 0 }),
      { timeout: 10_000, interval: 5 },
    );
    await expect(sink.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    await expect(sink.flush()).resolves.toBeUndefined();
    sink.write(event("info", 100));
    await expect(sink.close()).rejects.toMatchObject({ code: "ENOSPC" });
  });

  it("writeBatch rejects with the prefix delivered across both streams", async () => {
    const stderrPath = join(directory, "stderr");
    const sink = createConsoleSink({
      stdoutFd: open("/dev/full"),
      stderrFd: open(stderrPath),
      stderrLevel: "error",
      format: "json",
      onError: () => {},
    });
    const batch = [event("error", 0), event("error", 1), event("info", 2), event("error", 3)];
    const failure = await sink.writeBatch(batch).catch((error: unknown) => error);
    expect(PartialDeliveryError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ delivered: 2, total: 4 });
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
    // The stderr event after the failed one was written, but what a batch reports is a prefix.
    expect(readFileSync(stderrPath, "utf8").trimEnd().split("\n")).toHaveLength(3);
    expect(sink.stats()).toMatchObject({ accepted: 4, delivered: 3, failed: 1 });
    await sink.close().catch(() => {});
  });

  it("writeBatch resolves when every event reached the descriptor", async () => {
    const sink = createConsoleSink({ stdoutFd: open(join(directory, "out")), format: "json" });
    await sink.writeBatch([event("info", 0), event("warn", 1)]);
    expect(sink.stats()).toMatchObject({ accepted: 2, delivered: 2, failed: 0 });
    await sink.close();
  });

  it("observeDelivery tells the timestamps written on both streams, never of failed ones", async () => {
    const sink = createConsoleSink({
      stdoutFd: open("/dev/full"),
      stderrFd: open(join(directory, "stderr")),
      stderrLevel: "error",
      format: "json",
      onError: () => {},
    });
    const seen: number[] = [];
    sink.observeDelivery((timestamps, from, to) => {
      for (let index = from; index < to; index++) seen.push(timestamps[index] as number);
    });
    const stamped = (level: LogLevel, n: number): LogEvent => ({
      ...event(level, n),
      timestamp: n,
    });
    for (let n = 0; n < 6; n++) sink.write(stamped(n % 2 === 0 ? "error" : "info", n));
    await sink.flush().catch(() => {});
    expect(seen).toEqual([0, 2, 4]);
    expect(sink.stats()).toMatchObject({ delivered: 3, failed: 3 });
  });
});
