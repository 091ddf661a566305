import {
  createClefFormatter,
  createLogger,
  createPinoFormatter,
  type LogLevel,
  logLevels,
} from "@sluice/core";
import { formatEvent } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import fc from "fast-check";
import { describe, expect, it } from "vitest";

// Values chosen to break serializers: cycles, throwing getters and toJSON, Proxies whose traps
// throw, BigInt, Symbols, lone surrogates, control characters, odd keys.
function hostileValue(): fc.Arbitrary<unknown> {
  const cyclic = fc.constant(null).map(() => {
    const node: Record<string, unknown> = { name: "node" };
    node.self = node;
    node.list = [node, { parent: node }];
    return node;
  });
  const throwingGetter = fc.string().map((message) => {
    const value = {};
    Object.defineProperty(value, "boom", {
      enumerable: true,
      get() {
        throw new Error(message);
      },
    });
    return value;
  });
  const throwingProxy = fc.constant(null).map(
    () =>
      new Proxy(
        {},
        {
          ownKeys() {
            throw new Error("trap");
          },
          get() {
            throw new Error("trap");
          },
        },
      ),
  );
  const badJson = fc.constant({
    toJSON() {
      throw new Error("no json");
    },
  });
  const oddStrings = fc.string({ unit: "binary" }).map((text) => `${text}\ud800\n\u2028\u001b[31m`);
  return fc.oneof(
    fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
    }),
    cyclic,
    throwingGetter,
    throwingProxy,
    badJson,
    oddStrings,
    fc.bigInt(),
    fc.string().map((text) => Symbol(text)),
    fc.string().map((message) => Object.freeze(new Error(message, { cause: new Error("inner") }))),
  );
}

describe("logging arbitrary input", () => {
  it("never throws, and every CLEF and pino line is one JSON object ending in one newline", () => {
    const clef = createClefFormatter();
    const pino = createPinoFormatter();
    fc.assert(
      fc.property(
        fc.constantFrom<LogLevel>(...logLevels),
        fc.string({ unit: "binary" }),
        fc.dictionary(fc.string({ unit: "binary" }), hostileValue(), { maxKeys: 6 }),
        fc.option(hostileValue(), { nil: undefined }),
        (level, template, properties, error) => {
          const sink = createMemorySink();
          const log = createLogger({ level: "trace", sinks: [sink], onError: () => {} });
          expect(() => {
            if (error === undefined) log[level](template, properties);
            else log[level](error, template, properties);
          }).not.toThrow();
          expect(sink.events).toHaveLength(1);
          for (const formatter of [clef, pino]) {
            const line = formatEvent(sink.events[0]!, formatter);
            expect(line.endsWith("\n")).toBe(true);
            expect(line.indexOf("\n")).toBe(line.length - 1);
            const parsed: unknown = JSON.parse(line);
            expect(typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)).toBe(
              true,
            );
          }
        },
      ),
      { numRuns: 400 },
    );
  });
});
