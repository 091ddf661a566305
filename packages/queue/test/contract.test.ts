import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSink } from "@sluice/core/sink";
import { checkSinkContract, createMemorySink, type MemorySink } from "@sluice/core/testing";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { describe, expect, it } from "vitest";

describe("withQueue and the sink contract", () => {
  it("passes around the memory sink, every event delivered once and in order", async () => {
    let inner: MemorySink | undefined;
    const violations = await checkSinkContract(
      () => {
        inner = createMemorySink();
        return withQueue(inner, { batchSize: 7 });
      },
      {
        readDelivered: () => (inner?.events ?? []).map((event) => String(event.properties.Marker)),
      },
    );
    expect(violations).toEqual([]);
  });

  it("passes with overflow block and level shedding off", async () => {
    const violations = await checkSinkContract(() =>
      withQueue(createMemorySink(), { overflow: "block", shedBelow: false, maxEvents: 5 }),
    );
    expect(violations).toEqual([]);
  });

  it("passes around the file sink, with the file read back", async () => {
    const directory = mkdtempSync(join(tmpdir(), "sluice-queue-file-"));
    try {
      let path = "";
      let count = 0;
      const violations = await checkSinkContract(
        () => {
          path = join(directory, `queued-${count++}.log`);
          return withQueue(createFileSink({ path }), { overflow: "block" });
        },
        {
          readDelivered: () =>
            existsSync(path)
              ? readFileSync(path, "utf8")
                  .split("\n")
                  .filter((line) => line.length > 0)
              : [],
        },
      );
      expect(violations).toEqual([]);
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("counts a failure part-way through as the inner sink reports it", async () => {
    let calls = 0;
    const violations = await checkSinkContract(() => withQueue(createMemorySink()), {
      failingFactory: () =>
        withQueue(
          createSink({
            name: "flaky",
            batchSize: 4,
            onError: () => {},
            deliver: () => {
              calls += 1;
              if (calls % 3 === 0) throw new Error("503");
            },
          }),
          { batchSize: 12, onError: () => {} },
        ),
    });
    expect(violations).toEqual([]);
  });

  it("counts a file sink that fails entirely, on /dev/full", async () => {
    const violations = await checkSinkContract(() => withQueue(createMemorySink()), {
      failingFactory: () =>
        withQueue(createFileSink({ path: "/dev/full", onError: () => {} }), { onError: () => {} }),
    });
    expect(violations).toEqual([]);
  });
});
