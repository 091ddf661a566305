import {
  createClefFormatter,
  createLogger,
  createPinoFormatter,
  createSink,
  createTextFormatter,
  type Formatter,
  formatEvent,
  type LogEvent,
  toJson,
  toJsonString,
} from "@sluice/core";
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
