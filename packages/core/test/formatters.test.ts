import {
  createClefFormatter,
  createLogger,
  createPinoFormatter,
  createTextFormatter,
  type Formatter,
  type LogEvent,
} from "@sluice/core";
import {
  compileOutputTemplate,
  createLogEvent,
  createSink,
  escapeControlCharacters,
  formatEvent,
  toJson,
  toJsonString,
} from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { describe, expect, it } from "vitest";

const time = Date.UTC(2026, 10, 28, 5, 52, 37, 123);

function logOne(write: (log: ReturnType<typeof createLogger>) => void): LogEvent {
  const sink = createMemorySink();
  const log = createLogger({ sinks: [sink], clock: () => time, level: "trace" });
  write(log);
  expect(sink.events).toHaveLength(1);
  return sink.events[0] as LogEvent;
}

describe("formatters through the public API", () => {
  it("format a logged event as CLEF, pino JSON and text", () => {
    const event = logOne((log) =>
      log.warn("Disk {Disk} is {Percent:0.0}% full", {
        Disk: "/var",
        Percent: 93.456,
        Host: "db1",
      }),
    );
    const clef = JSON.parse(createClefFormatter().format(event));
    expect(clef).toEqual({
      "@t": "2026-11-28T05:52:37.123Z",
      "@mt": "Disk {Disk} is {Percent:0.0}% full",
      "@i": event.template.id,
      "@l": "Warning",
      "@r": ["93.5"],
      Disk: "/var",
      Percent: 93.456,
      Host: "db1",
    });
    const pino = JSON.parse(createPinoFormatter({ includeHostname: false }).format(event));
    expect(pino).toEqual({
      level: 40,
      time,
      pid: process.pid,
      Disk: "/var",
      Percent: 93.456,
      Host: "db1",
      msg: "Disk /var is 93.5% full",
    });
    expect(createTextFormatter({ utc: true }).format(event)).toBe(
      "05:52:37.123 [WRN] Disk /var is 93.5% full\n",
    );
  });

  it("writes the rendered message as @m in CLEF when asked", () => {
    const event = logOne((log) =>
      log.info("User {User.Id} paid {Amount:0.00} for {Item}", {
        "User.Id": 7,
        Amount: 5,
        Item: "tea",
      }),
    );
    expect(JSON.parse(createClefFormatter().format(event))["@m"]).toBeUndefined();
    const clef = JSON.parse(createClefFormatter({ includeMessage: true }).format(event));
    expect(clef["@m"]).toBe('User 7 paid 5.00 for "tea"');
    expect(clef["@mt"]).toBe("User {User.Id} paid {Amount:0.00} for {Item}");
  });

  it("writes a thrown error's cause chain into @x", () => {
    const event = logOne((log) =>
      log.error(
        new Error("request failed", { cause: new TypeError("bad header") }),
        "Request {Id} failed",
        {
          Id: 7,
        },
      ),
    );
    const x: string = JSON.parse(createClefFormatter().format(event))["@x"];
    expect(x.startsWith("Error: request failed\n    at ")).toBe(true);
    expect(x).toMatch(/\n\[cause\]: TypeError: bad header\n {4}at /);
  });

  it("exports the JSON helpers", () => {
    expect(toJsonString("a\u2028")).toBe('"a\\u2028"');
    expect(toJson([1n, Number.NaN, null])).toBe('[1,"NaN",null]');
  });

  it("formats an event once per formatter however many sinks share it", async () => {
    const clef = createClefFormatter();
    let calls = 0;
    const counting: Formatter = {
      name: "counting",
      format(event) {
        calls += 1;
        return clef.format(event);
      },
    };
    const lines: string[][] = [[], [], []];
    const sinks = lines.map((output) =>
      createSink({
        name: "lines",
        deliver: (events) => {
          for (const event of events) output.push(formatEvent(event, counting));
        },
      }),
    );
    const log = createLogger({ sinks, clock: () => time });
    log.info("one {N}", { N: 1 });
    log.info("two {N}", { N: 2 });
    await log.close();
    expect(calls).toBe(2);
    expect(lines[0]).toHaveLength(2);
    expect(lines[1]).toEqual(lines[0]);
    expect(lines[2]).toEqual(lines[0]);
  });
});

// Every character some line reader takes as a line break or an escape: LF, CR, ANSI CSI and OSC,
// NUL, BS, VT and FF (Python's `splitlines`), the file and group separators, DEL, NEL, the 8-bit
// CSI, U+2028 and U+2029.
const hostileTexts: readonly string[] = [
  "a\nb",
  "a\rb",
  "a\r\n12:00:00.000 [INF] forged",
  "\u001b[31mred\u001b[0m",
  "\u001b]0;title\u0007",
  "nul\u0000",
  "back\u0008space",
  "v\u000bf\u000c",
  "\u001c\u001d\u001e",
  "del\u007f",
  "nel\u0085",
  "csi\u009b2J",
  "ls\u2028",
  "ps\u2029",
  "tab\tkept",
];

/** 45 events: each hostile text in the message's own text, in a value, and in a property name. */
function hostileEvents(): LogEvent[] {
  return hostileTexts.flatMap((text) => [
    createLogEvent({ level: "info", template: `Said ${text}`, timestamp: time }),
    createLogEvent({
      level: "warn",
      template: "Value {Value}",
      properties: { Value: text },
      timestamp: time,
    }),
    createLogEvent({
      level: "error",
      template: "Named",
      properties: { [text]: text, Nested: { [text]: [text] } },
      timestamp: time,
    }),
  ]);
}

// The line breaks of Python's `str.splitlines`, a superset of what JavaScript, Go and most log
// shippers split on.
const lineBreaks = /\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/;

function linesOf(output: string): string[] {
  expect(output.endsWith("\n")).toBe(true);
  return output.slice(0, -1).split(lineBreaks);
}

describe("one event, one line", () => {
  it("the text formatter escapes control characters wherever the event supplies text", () => {
    const events = hostileEvents();
    expect(events).toHaveLength(45);
    const outputTemplate =
      "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {Message:lj} {Properties}{NewLine}";
    const text = createTextFormatter({ outputTemplate, utc: true });
    const output = events.map((event) => text.format(event)).join("");
    const lines = linesOf(output);
    expect(lines).toHaveLength(45);
    expect(output).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    for (const line of lines) expect(line).toMatch(/^05:52:37\.123 \[(INF|WRN|ERR)\] /);
    expect(lines[6]).toBe("05:52:37.123 [INF] Said a\\r\\n12:00:00.000 [INF] forged {}");
    expect(lines[10]).toBe("05:52:37.123 [WRN] Value \\e[31mred\\e[0m {}");
    expect(lines[35]).toBe(
      '05:52:37.123 [ERR] Named { csi\\x9b2J: "csi\\x9b2J", Nested: { csi\\x9b2J: ["csi\\x9b2J"] } }',
    );
    // The pieces a console sink colours are escaped the same way.
    const render = compileOutputTemplate(outputTemplate, { utc: true });
    let pieces = "";
    for (const event of events) render(event, { write: (piece) => (pieces += piece) });
    expect(pieces).toBe(output);
  });

  it("the text formatter indents and escapes every line of an error", () => {
    const error = new Error("boom\n12:00:00.000 [INF] forged\u001b[2J");
    error.stack = `Error: ${error.message}\n    at work (app.js:1:1)`;
    const line = createTextFormatter({ utc: true }).format(
      createLogEvent({ level: "error", template: "Failed", error, timestamp: time }),
    );
    expect(line).toBe(
      "05:52:37.123 [ERR] Failed\n  Error: boom\n  12:00:00.000 [INF] forged\\e[2J\n      at work (app.js:1:1)\n",
    );
  });

  it("JSON formatters escape NEL, U+2028 and U+2029 as well as the controls", () => {
    const events = hostileEvents();
    for (const formatter of [createClefFormatter(), createPinoFormatter()]) {
      const output = events.map((event) => formatter.format(event)).join("");
      const lines = linesOf(output);
      expect(lines).toHaveLength(45);
      for (const line of lines) JSON.parse(line);
      expect(output).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u0085\u2028\u2029]/);
    }
    expect(toJsonString("a\u0085b")).toBe('"a\\u0085b"');
  });

  it("exports the escaping the text formatter uses", () => {
    expect(escapeControlCharacters("a\u0000\u0085\u2028\tb")).toBe("a\\x00\\x85\\u2028\tb");
  });
});
