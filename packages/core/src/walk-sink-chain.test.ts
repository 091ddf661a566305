import { describe, expect, it } from "vitest";
import { type Sink, walkSinkChain } from "./sink.ts";

function sink(name: string, extra: object = {}): Sink {
  return {
    name,
    write: () => {},
    writeBatch: () => Promise.resolve(),
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    ...extra,
  } as Sink;
}

describe("walkSinkChain", () => {
  it("lists a chain outermost first, each sink once, through arrays and shared inner sinks", () => {
    const leaf = sink("leaf");
    const left = sink("left", { inner: leaf });
    const right = sink("right", { inner: leaf });
    const outer = sink("outer", { inner: [left, right] });
    expect(walkSinkChain(outer).map((each) => each.name)).toEqual([
      "outer",
      "left",
      "right",
      "leaf",
    ]);
  });

  it("ends the walk at an inner that is null, not a sink, or a getter that throws", () => {
    const throwing = sink("throwing");
    Object.defineProperty(throwing, "inner", {
      get() {
        throw new Error("no inner today");
      },
    });
    const outer = sink("outer", { inner: [sink("null", { inner: null }), throwing, 42, "x"] });
    expect(walkSinkChain(outer).map((each) => each.name)).toEqual(["outer", "null", "throwing"]);
  });

  it("stops at a cycle", () => {
    const first = sink("first");
    const second = sink("second", { inner: first });
    Object.assign(first, { inner: second });
    expect(walkSinkChain(first).map((each) => each.name)).toEqual(["first", "second"]);
  });
});
