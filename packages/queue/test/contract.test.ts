import { checkSinkContract, createMemorySink, type MemorySink } from "@sluice/core/testing";
import { withQueue } from "@sluice/queue";
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
});
