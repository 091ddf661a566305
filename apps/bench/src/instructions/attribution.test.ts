import { describe, expect, it } from "vitest";
import { codeName, functionCounts, parsePerfMap, partOf, partTotals } from "./attribution.ts";

describe("codeName", () => {
  it("drops the tier and the directories above the package", () => {
    expect(
      codeName("JS:*#take file:///home/someone/sluice/packages/sink-file/dist/file-sink.js:210:10"),
    ).toBe("JS:#take sink-file/dist/file-sink.js:210");
    expect(
      codeName("JS:~#take file:///elsewhere/packages/sink-file/dist/file-sink.js:210:10"),
    ).toBe("JS:#take sink-file/dist/file-sink.js:210");
    expect(codeName("JS:^ node:internal/timers:512:15")).toBe(
      "JS:(anonymous) node:internal/timers:512",
    );
    expect(codeName("Builtin:ArrayPush")).toBe("Builtin:ArrayPush");
  });
});

describe("functionCounts", () => {
  const map = parsePerfMap(
    [
      "1000 100 JS:~write file:///x/packages/metrics/dist/metered-sink.js:58:5",
      "2000 80 JS:*captureRecord file:///x/packages/core/dist/capture.js:440:1",
      // The memory of the first entry reused later for other code: the newer name wins.
      "1000 40 JS:*#emit file:///x/packages/core/dist/logger.js:283:5",
      "not a map line",
    ].join("\n"),
  );
  const listing = [
    "--------------------------------------------------------------------------------",
    "1,000,000 (100.0%)  PROGRAM TOTALS",
    "   500 ( 0.05%)  ???:0x0000000000001010 [???]",
    "   300 ( 0.03%)  ???:0x0000000000001050'2 [???]",
    "   200 ( 0.02%)  ???:0x0000000000002010 [???]",
    "    70 ( 0.01%)  ???:0x0000000000002050 [???]",
    "    40 ( 0.00%)  ???:0x0000000000009000 [???]",
    "9,000 ( 0.90%)  ???:v8::internal::Scavenger::ScavengeObject(v8::internal::HeapObject) [/usr/bin/node]",
    "  800 ( 0.08%)  ???:v8::internal::compiler::GraphReducer::ReduceTop() [/usr/bin/node]",
    "   60 ( 0.01%)  ./malloc/./malloc/malloc.c:malloc [/usr/lib/x86_64-linux-gnu/libc.so.6]",
  ].join("\n");
  const counts = new Map(functionCounts(listing, map).map(({ name, count }) => [name, count]));

  it("names code by the newest perf map entry holding its address and sums each name", () => {
    expect(counts.get("JS:#emit core/dist/logger.js:283")).toBe(500);
    expect(counts.get("JS:write metrics/dist/metered-sink.js:58")).toBe(300);
    expect(counts.get("JS:captureRecord core/dist/capture.js:440")).toBe(270);
    expect(counts.get("(unnamed code)")).toBe(40);
    expect(counts.get("malloc")).toBe(60);
    expect(counts.has("PROGRAM TOTALS")).toBe(false);
  });

  it("sorts functions into metering, collector, compilers and the rest", () => {
    expect(partOf("JS:write metrics/dist/metered-sink.js:58")).toBe("metering");
    expect(partOf("JS:push core/dist/delivery-observers.js:104")).toBe("metering");
    expect(partOf("JS:#take sink-file/dist/file-sink.js:210")).toBe("metering");
    expect(partOf("JS:#emit core/dist/logger.js:283")).toBe("metering");
    expect(partOf("JS:captureRecord core/dist/capture.js:440")).toBe("other");
    expect(partTotals(functionCounts(listing, map))).toEqual({
      metering: 800,
      collector: 9000,
      compiler: 800,
      other: 370,
    });
  });
});
