import {
  configureContext,
  configureSelfLog,
  createLogger,
  getContext,
  getContextSize,
  withContext,
  withoutContext,
} from "@sluice/core";
import { createMemorySink } from "@sluice/core/testing";
import { afterEach, describe, expect, it } from "vitest";

afterEach(() => {
  configureContext();
  configureSelfLog();
});

describe("ambient context", () => {
  it("nests scopes, inner names winning, and ends with the scope", () => {
    expect(getContextSize()).toBe(0);
    withContext({ A: 1, B: "outer" }, () => {
      withContext({ B: "inner", C: true }, () => {
        expect({ ...getContext() }).toEqual({ A: 1, B: "inner", C: true });
        expect(getContextSize()).toBe(3);
        withoutContext(() => expect(getContextSize()).toBe(0));
      });
      expect({ ...getContext() }).toEqual({ A: 1, B: "outer" });
    });
    expect({ ...getContext() }).toEqual({});
  });

  it("snapshots values when the scope opens", () => {
    const sink = createMemorySink();
    const log = createLogger({ sinks: [sink] });
    const user = { name: "ann" };
    withContext({ User: user }, () => {
      user.name = "changed";
      log.info("hi");
    });
    expect(sink.has({ properties: { User: { name: "ann" } } })).toBe(true);
  });

  it("bounds its size and reports what it left out", () => {
    const lines: string[] = [];
    configureSelfLog({ write: (line) => lines.push(line), intervalMs: 0 });
    configureContext({ maxProperties: 3 });
    withContext({ A: 1, B: 2 }, () => {
      withContext({ A: 10, C: 3, D: 4, E: 5 }, () => {
        expect({ ...getContext() }).toEqual({ A: 10, B: 2, C: 3 });
      });
    });
    expect(lines).toEqual([
      "[sluice] context: 2 ambient context properties left out: the context holds at most 3",
    ]);
    expect(() => configureContext({ maxProperties: 0 })).toThrow(/"maxProperties"/);
  });
});
