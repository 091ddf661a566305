import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BatchSettled, LogEvent, LogLevel } from "@sluice/core";
import { createLogEvent, PartialDeliveryError } from "@sluice/core/sink";
import { createConsoleSink } from "@sluice/sink-console";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let directory: string;
const descriptors: number[] = [];
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-console-settled-"));
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

function listener(): { told: [number, unknown][]; settled: BatchSettled } {
  const told: [number, unknown][] = [];
  return { told, settled: (delivered, error) => told.push([delivered, error]) };
}

describe("the console sink tells a batch's outcome synchronously", () => {
  it("tells a batch split across both streams delivered inside flushSync, once", async () => {
    const stdoutPath = join(directory, "stdout");
    const stderrPath = join(directory, "stderr");
    const sink = createConsoleSink({
      stdoutFd: open(stdoutPath),
      stderrFd: open(stderrPath),
      stderrLevel: "error",
      format: "json",
    });
    const { told, settled } = listener();
    const batch = [event("info", 0), event("error", 1), event("info", 2), event("error", 3)];
    const delivery = sink.writeBatch(batch, settled);
    expect(told).toEqual([]);
    // As the exit hook does; no promise reaction runs in between.
    sink.flushSync();
    expect(told).toEqual([[4, undefined]]);
    expect(readFileSync(stdoutPath, "utf8").trimEnd().split("\n")).toHaveLength(2);
    expect(readFileSync(stderrPath, "utf8").trimEnd().split("\n")).toHaveLength(2);
    await expect(delivery).resolves.toBeUndefined();
    expect(told).toHaveLength(1);
    expect(sink.stats()).toMatchObject({ accepted: 4, delivered: 4, pending: 0 });
  });

  it("tells the delivered prefix across both streams and the failure, as the promise rejects", async () => {
    const stderrPath = join(directory, "stderr");
    const sink = createConsoleSink({
      stdoutFd: open("/dev/full"),
      stderrFd: open(stderrPath),
      stderrLevel: "error",
      format: "json",
      onError: () => {},
    });
    const { told, settled } = listener();
    const batch = [event("error", 0), event("error", 1), event("info", 2), event("error", 3)];
    const delivery = sink.writeBatch(batch, settled);
    sink.flushSync();
    expect(told).toHaveLength(1);
    const [delivered, error] = told[0] ?? [];
    expect(delivered).toBe(2);
    expect(PartialDeliveryError.is(error)).toBe(true);
    expect(error).toMatchObject({ delivered: 2, total: 4 });
    expect(((error as Error).cause as NodeJS.ErrnoException).code).toBe("ENOSPC");
    await expect(delivery).rejects.toBe(error);
    expect(told).toHaveLength(1);
  });

  it("tells a batch with nothing to write, and one refused after close, at once", async () => {
    const sink = createConsoleSink({ stdoutFd: open(join(directory, "stdout")), format: "json" });
    const empty = listener();
    await expect(sink.writeBatch([], empty.settled)).resolves.toBeUndefined();
    expect(empty.told).toEqual([[0, undefined]]);
    await sink.close();
    const refused = listener();
    const delivery = sink.writeBatch([event("info", 0)], refused.settled);
    expect(refused.told).toHaveLength(1);
    expect(refused.told[0]?.[0]).toBe(0);
    await expect(delivery).rejects.toBe(refused.told[0]?.[1]);
  });

  it("tells the outcome when the write completes, before the promise settles", async () => {
    const sink = createConsoleSink({ stdoutFd: open(join(directory, "stdout")), format: "json" });
    const { told, settled } = listener();
    let toldFirst: boolean | undefined;
    await sink.writeBatch([event("info", 0), event("info", 1)], settled).then(() => {
      toldFirst = told.length === 1;
    });
    expect(toldFirst).toBe(true);
    expect(told).toEqual([[2, undefined]]);
  });
});
