import { hostname } from "node:os";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { event, record, time } from "../test/support/events.ts";
import { withContext } from "./context.ts";
import { createLogEvent } from "./create-log-event.ts";
import { CapturedError, type CapturedValue, type LogEvent, LogEventRecord } from "./log-event.ts";
import { createLogger, type LoggerOptions } from "./logger.ts";
import { createPinoFormatter } from "./pino-formatter.ts";
import { renderMessage } from "./render-message.ts";
import { parseTemplate } from "./template-parser.ts";
import { createMemorySink } from "./testing/memory-sink.ts";

describe("createPinoFormatter", () => {
  it("writes level, time, pid, hostname, properties and the rendered message", () => {
    const pino = createPinoFormatter();
    const line = pino.format(
      event("info", "User {UserId} logged in as {Name}", { UserId: 42, Name: "ann" }),
    );
    expect(line).toBe(
      `{"level":30,"time":${time},"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"UserId":42,"Name":"ann","msg":"User 42 logged in as ann"}\n`,
    );
  });

  it("uses pino's numeric levels", () => {
    const pino = createPinoFormatter({ includePid: false, includeHostname: false });
    const numbers = (["trace", "debug", "info", "warn", "error", "fatal"] as const).map(
      (level) => JSON.parse(pino.format(event(level, "x"))).level,
    );
    expect(numbers).toEqual([10, 20, 30, 40, 50, 60]);
  });

  it("honours includePid, includeHostname and messageKey", () => {
    const pino = createPinoFormatter({
      includePid: false,
      includeHostname: false,
      messageKey: "message",
    });
    expect(pino.format(event("warn", "hello"))).toBe(
      `{"level":40,"time":${time},"message":"hello"}\n`,
    );
  });

  it("resolves brace escapes in a message without holes", () => {
    const pino = createPinoFormatter({ includePid: false, includeHostname: false });
    expect(JSON.parse(pino.format(event("info", "a {{literal}} b"))).msg).toBe("a {literal} b");
    expect(JSON.parse(pino.format(event("info", ""))).msg).toBe("");
  });

  it("never repeats a key: properties named like pino's keys get one more leading underscore", () => {
    const pino = createPinoFormatter();
    const error = new CapturedError({
      name: "Error",
      message: "boom",
      stack: "Error: boom",
      fields: record({}),
      cause: undefined,
      errors: undefined,
    });
    const line = pino.format(
      event(
        "info",
        "x",
        { level: "a", time: "b", msg: "c", pid: 1, hostname: "h", err: "e", _level: "u", Level: 2 },
        error,
      ),
    );
    expect(line).toBe(
      `{"level":30,"time":${time},"pid":${process.pid},"hostname":${JSON.stringify(hostname())},` +
        `"_level":"a","_time":"b","_msg":"c","_pid":1,"_hostname":"h","_err":"e","__level":"u","Level":2,` +
        `"err":{"type":"Error","message":"boom","stack":"Error: boom"},"msg":"x"}\n`,
    );
    const custom = createPinoFormatter({ includePid: false, messageKey: "message" });
    expect(
      JSON.parse(custom.format(event("info", "x", { message: 1, msg: 2, pid: 3 }))),
    ).toMatchObject({ message: "x", _message: 1, _msg: 2, _pid: 3, level: 30 });
  });

  it("writes every property under its own key, whatever the names", () => {
    const reservedLike = fc.constantFrom(
      "level",
      "time",
      "msg",
      "pid",
      "hostname",
      "err",
      "message",
    );
    const name = fc.oneof(
      reservedLike,
      fc.tuple(fc.integer({ min: 1, max: 3 }), reservedLike).map(([n, key]) => "_".repeat(n) + key),
      fc.string(),
    );
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uniqueArray(name, { maxLength: 12 }),
        (withMessageKey, names) => {
          const pino = createPinoFormatter(withMessageKey ? { messageKey: "message" } : {});
          const properties = Object.fromEntries(names.map((key, index) => [key, index]));
          const parsed = JSON.parse(pino.format(event("warn", "m", properties)));
          // JSON.parse keeps the last of repeated keys, so a repeat shows as a missing key.
          expect(Object.keys(parsed)).toHaveLength(5 + names.length);
          expect(parsed.level).toBe(40);
          expect(parsed.time).toBe(time);
          expect(parsed[withMessageKey ? "message" : "msg"]).toBe("m");
        },
      ),
    );
  });

  it("rejects bad options", () => {
    expect(() => createPinoFormatter({ messageKey: "" })).toThrow(/messageKey/);
    expect(() => createPinoFormatter({ messageKey: "_msg" })).toThrow(/messageKey/);
    expect(() => createPinoFormatter({ messageKey: "level" })).toThrow(/messageKey/);
    expect(() => createPinoFormatter({ includePid: 1 as never })).toThrow(/includePid/);
  });

  it("writes the error as pino's serializer does", () => {
    const error = new CapturedError({
      name: "TypeError",
      message: "bad",
      stack: "TypeError: bad\n    at f (f.js:1:1)",
      fields: record({ code: "E_BAD" }),
      cause: undefined,
      errors: undefined,
    });
    const pino = createPinoFormatter({ includePid: false, includeHostname: false });
    const parsed = JSON.parse(pino.format(event("error", "failed", {}, error)));
    expect(parsed.err).toEqual({
      type: "TypeError",
      message: "bad",
      stack: "TypeError: bad\n    at f (f.js:1:1)",
      code: "E_BAD",
    });
    expect(parsed.msg).toBe("failed");
  });

  it("always writes exactly one JSON object and one trailing newline", () => {
    const pino = createPinoFormatter();
    const hostile = fc.oneof(
      fc.string({ unit: "binary" }),
      fc.constantFrom("\ud800", "\udc00x", "\u2029", "\u0085", "\u0000\u001b[31m"),
      fc.bigInt(),
      fc.double(),
      fc.constant(null),
      fc.array(fc.oneof(fc.string({ unit: "binary" }), fc.bigInt())),
    );
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.string({ unit: "binary" })),
        fc.dictionary(fc.string({ unit: "binary" }), hostile),
        (text, properties) => {
          const line = pino.format(
            event("info", text, properties as Record<string, CapturedValue>),
          );
          expect(line.endsWith("}\n")).toBe(true);
          expect(line.indexOf("\n")).toBe(line.length - 1);
          expect(line).not.toMatch(/[\r\u0085\u2028\u2029]/);
          expect(typeof JSON.parse(line).msg).toBe("string");
        },
      ),
    );
  });

  it("writes the message built straight into JSON exactly as rendering and escaping it would", () => {
    const pino = createPinoFormatter({ includePid: false, includeHostname: false });
    const piece = fc.oneof(
      fc.constantFrom("", " ", 'a"b', "c\\d", "\n", "\u2028", "\ud83d", "\ude00", "é", "{{", "}}"),
      fc.string({ maxLength: 6 }),
      fc.string({ unit: "grapheme", maxLength: 4 }),
    );
    const value = fc.oneof(
      piece,
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(undefined),
      fc.constant(null),
      fc.bigInt(),
      fc.array(fc.integer(), { maxLength: 2 }),
    );
    const hole = fc.constantFrom(
      "{A}",
      "{B}",
      "{A,5}",
      "{B:0.0}",
      "{@A}",
      "{$B}",
      "{Missing}",
      "{0}",
    );
    fc.assert(
      fc.property(
        fc.array(fc.oneof(piece, hole), { maxLength: 6 }),
        value,
        value,
        value,
        (parts, a, b, positional) => {
          const text = parts.join("");
          const properties = record({ A: a, B: b, "0": positional });
          const line = pino.format(event("info", text, properties));
          const rendered = renderMessage(parseTemplate(text), properties, { quoteStrings: false });
          const expected = JSON.stringify(rendered)
            .replace(/\u2028/g, "\\u2028")
            .replace(/\u2029/g, "\\u2029")
            .replace(/\u0085/g, "\\u0085");
          expect(line.slice(line.indexOf(',"msg":') + 7, -2)).toBe(expected);
          expect((JSON.parse(line) as { msg: string }).msg).toBe(rendered);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it("keeps a surrogate pair whole when a hole rendering empty splits it in the template", () => {
    const pino = createPinoFormatter({ includePid: false, includeHostname: false });
    const line = pino.format(event("info", "\ud83d{A}\ude00", { A: "" }));
    expect(line).toBe(`{"level":30,"time":${time},"A":"","msg":"\ud83d\ude00"}\n`);
  });

  it("writes each event's own level and time when consecutive events share one or the other", () => {
    const pino = createPinoFormatter({ includePid: false, includeHostname: false });
    const at = (level: LogEvent["level"], timestamp: number) =>
      pino.format(createLogEvent({ level, template: "x", timestamp }));
    const written = [
      at("info", 1000),
      at("info", 1000),
      at("warn", 1000),
      at("warn", 1001),
      at("info", 1001),
      at("info", Number.NaN),
      at("info", Number.NaN),
      at("info", 1001),
    ].map((line) => JSON.parse(line));
    expect(written.map((line) => [line.level, line.time])).toEqual([
      [30, 1000],
      [30, 1000],
      [40, 1000],
      [40, 1001],
      [30, 1001],
      [30, null],
      [30, null],
      [30, 1001],
    ]);
  });

  describe("a child's bound properties, written from text prepared once", () => {
    const pino = createPinoFormatter({ includePid: false, includeHostname: false });

    /** Logs through `use` and returns each event's line beside the line of a plain copy. */
    function lines(
      options: Omit<LoggerOptions, "sinks">,
      use: (log: ReturnType<typeof createLogger>) => void,
    ): { prepared: boolean[]; lines: string[]; plain: string[] } {
      const memory = createMemorySink();
      use(createLogger({ ...options, sinks: [memory] }));
      const events = memory.events as readonly LogEvent[];
      return {
        prepared: events.map(
          (event) => event instanceof LogEventRecord && event.bound !== undefined,
        ),
        lines: events.map((event) => pino.format(event)),
        // A copy carries no bound marker, so the formatter writes every property itself.
        plain: events.map((event) =>
          pino.format(
            new LogEventRecord(
              event.timestamp,
              event.level,
              event.template,
              event.properties,
              event.error,
            ),
          ),
        ),
      };
    }

    it("writes the same line as the general path, grandchildren and repeated calls included", () => {
      const result = lines({}, (log) => {
        const child = log.child({ Service: "api", Region: "eu\u2028west", Shard: 7 });
        child.info("Request {Path} took {Elapsed} ms", { Path: "/a", Elapsed: 1 });
        child.info("Request {Path} took {Elapsed} ms", { Path: "/b", Elapsed: 2 });
        child.child({ Pod: "p-1" }).warn("Grandchild {N}", { N: 3 });
        child.info("No properties");
      });
      expect(result.prepared).toEqual([true, true, true, true]);
      expect(result.lines).toEqual(result.plain);
      expect(JSON.parse(result.lines[2] as string)).toMatchObject({
        Service: "api",
        Region: "eu\u2028west",
        Shard: 7,
        Pod: "p-1",
        N: 3,
      });
    });

    it("writes the same line as the general path across errors, formats, escapes and children taking turns", () => {
      const result = lines({}, (log) => {
        const first = log.child({ Service: "api", Shard: 7 });
        const second = log.child({ Service: "db", Zone: "z\n1" });
        first.info("Request {Path} took {Elapsed} ms", { Path: "/a", Elapsed: 1 });
        second.info("Request {Path} took {Elapsed} ms", { Path: 'say "hi"', Elapsed: 2 });
        first.error(new Error("boom"), "Failed {Path}", { Path: "/c" });
        first.info("Took {Elapsed:0.00} ms", { Elapsed: 12.3456 });
        second.info("Request {Path} took {Elapsed} ms", { Path: "\u2028", Elapsed: true });
        first.info("Request {Path} took {Elapsed} ms", { Path: "/d", Elapsed: 4 });
        first.info("Failed {Path}", { Path: "/e" });
        second.warn("Request {Path} took {Elapsed} ms", { Path: "", Elapsed: -0 });
      });
      expect(result.prepared).toEqual(Array(8).fill(true));
      expect(result.lines).toEqual(result.plain);
      expect(result.lines.map((line) => JSON.parse(line).msg)).toEqual([
        "Request /a took 1 ms",
        'Request say "hi" took 2 ms',
        "Failed /c",
        "Took 12.35 ms",
        "Request \u2028 took true ms",
        "Request /d took 4 ms",
        "Failed /e",
        "Request  took 0 ms",
      ]);
      expect(JSON.parse(result.lines[2] as string)).toMatchObject({
        Service: "api",
        Shard: 7,
        Path: "/c",
        err: { type: "Error", message: "boom" },
      });
      expect(JSON.parse(result.lines[4] as string)).toMatchObject({ Service: "db", Zone: "z\n1" });
    });

    it("honours redaction of bound properties", () => {
      const result = lines({ capture: { redact: { keys: ["Token"] } } }, (log) => {
        log.child({ Token: "secret", User: "ann" }).info("Hello {Name}", { Name: "x" });
      });
      expect(result.prepared).toEqual([true]);
      expect(result.lines).toEqual(result.plain);
      expect(result.lines[0]).not.toContain("secret");
    });

    it("takes the general path when a call shadows a bound name, limits cut, or more sources add", () => {
      const result = lines({ capture: { maxCollectionLength: 4 } }, (log) => {
        const child = log.child({ A: 1, B: 2, C: 3 });
        child.info("Shadow {A}", { A: "mine" });
        child.info("Over the limit {D} {E}", { D: 4, E: 5 });
        withContext({ RequestId: "r-1" }, () => child.info("In a scope"));
        log.child({ "7": "index", Z: 1 }).info("Index names {Q}", { Q: 1 });
      });
      expect(result.prepared).toEqual([false, false, false, true]);
      expect(result.lines).toEqual(result.plain);
      expect(JSON.parse(result.lines[0] as string)).toMatchObject({ A: "mine", B: 2, C: 3 });
      expect(result.lines[1]).toContain("more keys");
      expect(JSON.parse(result.lines[2] as string)).toMatchObject({ A: 1, RequestId: "r-1" });
    });

    it("takes the general path with enrichers, whose properties follow the bound ones", () => {
      const result = lines({ enrichers: [() => ({ Host: "h" })] }, (log) => {
        log.child({ A: 1 }).info("Enriched");
      });
      expect(result.prepared).toEqual([false]);
      expect(JSON.parse(result.lines[0] as string)).toMatchObject({ A: 1, Host: "h" });
    });

    it("writes events built by hand, which carry no bound marker, as before", () => {
      const built = createLogEvent({ level: "info", template: "Hi {A}", properties: { A: 1 } });
      expect(pino.format(built)).toContain('"A":1,"msg":"Hi 1"');
    });
  });
});
