import {
  createClefFormatter,
  createLogger,
  createPinoFormatter,
  createTextFormatter,
  type LogEvent,
} from "@sluice/core";
import { compileOutputTemplate, parseTemplate, renderPropertyValue } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { describe, expect, it } from "vitest";

// The documented bound of a rendered message and of an alignment's padding.
const bound = 65_536;

function logOne(
  template: string,
  properties: Record<string, unknown>,
  capture?: { readonly maxStringLength: number },
): LogEvent {
  const sink = createMemorySink();
  const log = createLogger(capture === undefined ? { sinks: [sink] } : { sinks: [sink], capture });
  log.info(template, properties);
  expect(sink.events).toHaveLength(1);
  return sink.events[0] as LogEvent;
}

const pino = createPinoFormatter({ includeHostname: false, includePid: false });
const clef = createClefFormatter({ includeMessage: true });

function pinoMessage(event: LogEvent): { readonly line: string; readonly message: string } {
  const line = pino.format(event);
  const parsed = JSON.parse(line) as { msg: string };
  return { line, message: parsed.msg };
}

function clefLine(event: LogEvent): { readonly line: string; readonly m: string; r?: string[] } {
  const line = clef.format(event);
  const parsed = JSON.parse(line) as { "@m": string; "@r"?: string[] };
  return parsed["@r"] === undefined
    ? { line, m: parsed["@m"] }
    : { line, m: parsed["@m"], r: parsed["@r"] };
}

/** The message as the text formatter and as the compiled output template's pieces give it. */
function textMessages(event: LogEvent, outputTemplate: string): [string, string] {
  const formatted = createTextFormatter({ outputTemplate }).format(event);
  let pieces = "";
  compileOutputTemplate(outputTemplate)(event, {
    write: (text) => {
      pieces += text;
    },
  });
  return [formatted, pieces];
}

function marker(count: number): string {
  return `…[truncated ${count} chars]`;
}

describe("an alignment pads to at most the message bound", () => {
  it("clamps a width of 536,870,000 in every formatter", () => {
    const event = logOne("{A,536870000}", { A: 1 });
    const expected = `${" ".repeat(bound - 1)}1`;
    const { line, message } = pinoMessage(event);
    expect(message).toBe(expected);
    expect(line.length).toBeLessThan(bound + 200);
    expect(clefLine(event).m).toBe(expected);
    expect(textMessages(event, "{Message:l}")).toEqual([expected, expected]);
  });

  it("clamps a left alignment and the CLEF rendering of a formatted hole", () => {
    const event = logOne("{A,-100000000:x}", { A: 255 });
    const expected = `ff${" ".repeat(bound - 2)}`;
    const { r, m } = clefLine(event);
    expect(r).toEqual([expected]);
    expect(m).toBe(expected);
    expect(pinoMessage(event).message).toBe(expected);
  });

  it("clamps an output template's own alignments", () => {
    const event = logOne("Hi", {});
    const text = createTextFormatter({ outputTemplate: "{Level,200000000}|{Message,-300000000}" });
    const line = text.format(event);
    expect(line).toBe(`${" ".repeat(bound - 11)}Information|Hi${" ".repeat(bound - 2)}`);
  });

  it("pads exactly as before within the bound", () => {
    expect(pinoMessage(logOne("[{A,5}]", { A: 1 })).message).toBe("[    1]");
    expect(pinoMessage(logOne("[{A,-5}]", { A: "ab" })).message).toBe("[ab   ]");
    const exact = pinoMessage(logOne("{A,65536}", { A: "x" })).message;
    expect(exact).toBe(`${" ".repeat(bound - 1)}x`);
  });
});

describe("a rendered message is cut at the bound, saying how much was cut", () => {
  it("cuts many holes of a long string (the prepared path) in pino, CLEF and text", () => {
    const value = "x".repeat(16_000);
    const event = logOne("{A}".repeat(5000), { A: value });
    const { line, message } = pinoMessage(event);
    expect(message).toBe("x".repeat(bound) + marker(5000 * 16_000 - bound));
    // The line holds the message, the property once and the template's own text in CLEF.
    expect(line.length).toBeLessThan(bound + 16_000 + 200);
    const { m, line: clefText } = clefLine(event);
    // CLEF quotes strings: each hole renders as 16,002 characters.
    const quoted = `"${value}"`;
    const full = quoted.repeat(5);
    expect(m).toBe(full.slice(0, bound) + marker(5000 * 16_002 - bound));
    expect(clefText.length).toBeLessThan(bound + 16_000 + 15_000 + 300);
    const unquoted = message;
    expect(textMessages(event, "{Message:l}")).toEqual([unquoted, unquoted]);
    expect(textMessages(event, "{Message}")).toEqual([m, m]);
  });

  it("cuts holes of distinct strings that only together pass the bound", () => {
    const properties = {
      A: "a".repeat(16_000),
      B: "b".repeat(16_000),
      C: "c".repeat(16_000),
      D: "d".repeat(16_000),
      E: "e".repeat(16_000),
    };
    const whole = Object.values(properties).join("");
    const { message } = pinoMessage(logOne("{A}{B}{C}{D}{E}", properties));
    expect(message).toBe(whole.slice(0, bound) + marker(whole.length - bound));
    // Four of them fit: the fast path writes them whole.
    const four = pinoMessage(logOne("{A}{B}{C}{D}", properties)).message;
    expect(four).toBe(whole.slice(0, 64_000));
  });

  it("cuts many holes of a 100 KB object, counting each rendering", () => {
    const object: Record<string, string> = {};
    for (let index = 0; index < 100; index++) object[`Key${index}`] = "v".repeat(1000);
    const event = logOne("{O}".repeat(1000), { O: object });
    const one = renderPropertyValue(
      event.properties.O,
      parseTemplate("{O}").properties[0] as never,
      {
        quoteStrings: false,
      },
    );
    expect(one.length).toBeGreaterThan(100_000);
    const { line, message } = pinoMessage(event);
    expect(message).toBe(one.slice(0, bound) + marker(1000 * one.length - bound));
    expect(line.length).toBeLessThan(bound + 2 * one.length);
    expect(textMessages(event, "{Message:l}")).toEqual([message, message]);
    const { m } = clefLine(event);
    expect(m.endsWith(marker(1000 * one.length - bound))).toBe(true);
    expect(m.length).toBe(bound + marker(1000 * one.length - bound).length);
  });

  it("cuts a template without holes that is longer than the bound", () => {
    const text = "y".repeat(70_000);
    const event = logOne(text, {}, { maxStringLength: 100_000 });
    const expected = "y".repeat(bound) + marker(70_000 - bound);
    expect(pinoMessage(event).message).toBe(expected);
    expect(clefLine(event).m).toBe(expected);
    expect(textMessages(event, "{Message}")).toEqual([expected, expected]);
  });

  it("never splits a surrogate pair at the cut", () => {
    const value = `${"z".repeat(bound - 1)}😀tail`;
    const event = logOne("{A}", { A: value }, { maxStringLength: 100_000 });
    const { message } = pinoMessage(event);
    expect(message).toBe("z".repeat(bound - 1) + marker(value.length - (bound - 1)));
    expect(textMessages(event, "{Message:l}")).toEqual([message, message]);
  });

  it("bounds CLEF's renderings of many aligned formatted holes together", () => {
    const event = logOne("{A,65536:x}".repeat(100), { A: 255 });
    const { r, line } = clefLine(event);
    expect(r).toHaveLength(100);
    expect(r?.[0]).toBe(`${" ".repeat(bound - 2)}ff`);
    for (const rendering of r?.slice(1) ?? []) expect(rendering).toBe(marker(bound));
    expect(line.length).toBeLessThan(2 * bound + 100 * 40);
  });
});
