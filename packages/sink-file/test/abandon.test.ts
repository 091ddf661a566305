import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { LogEvent } from "@sluice/core";
import { checkConservation, createLogEvent } from "@sluice/core/sink";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { readAvailable } from "../../../tests/support/fifo.ts";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-file-abandon-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

function event(n: number): LogEvent {
  return createLogEvent({
    level: "info",
    template: "Event {N} {Padding}",
    properties: { N: n, Padding: "x".repeat(200) },
  });
}

describe("the file sink's abandon", () => {
  it("counts what a stalled FIFO left buffered and in flight, once, and settles every caller", async () => {
    const fifo = join(directory, "fifo");
    execFileSync("mkfifo", [fifo]);
    // A reader that is there (so the open succeeds) but reads nothing until the end.
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const sink = createFileSink({ path: fifo, onError: () => {} });
    for (let n = 0; n < 2000; n++) sink.write(event(n));
    const batch = sink.writeBatch([event(2000), event(2001)]).catch((error: unknown) => error);
    const flushed = sink.flush().catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const before = sink.stats();
    expect(before.pending).toBeGreaterThan(0);
    sink.abandon("shutdown_timeout");
    sink.abandon("shutdown_timeout");
    const after = sink.stats();
    expect(after.pending).toBe(0);
    expect(after.dropped.shutdown_timeout).toBe(before.pending);
    expect(after.delivered).toBe(before.delivered);
    expect(checkConservation(after)).toBeUndefined();
    expect(await flushed).toMatchObject({ code: "timeout" });
    expect(await batch).toMatchObject({ code: "timeout" });
    await sink.close().catch(() => {});
    // What the pipe still holds was handed to the OS before; nothing is counted again.
    readAvailable(reader);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sink.stats()).toMatchObject({ delivered: after.delivered, failed: after.failed });
    sink.write(event(2002));
    expect(sink.stats().dropped.closed).toBe(1);
    closeSync(reader);
  });
});
