import { hostname } from "node:os";
import { invalidOption } from "./errors.ts";
import type { Formatter } from "./formatter.ts";
import { errorToJson, toJson, toJsonString } from "./json-writer.ts";
import type { LogLevel } from "./level.ts";
import type { LogEvent } from "./log-event.ts";
import { renderMessage } from "./render-message.ts";

/** Options for {@link createPinoFormatter}. */
export interface PinoFormatterOptions {
  /**
   * Write `pid`, the process id (read once, when the formatter is made).
   * @default true
   */
  readonly includePid?: boolean;
  /**
   * Write `hostname`, the machine's host name (read once, when the formatter is made).
   * @default true
   */
  readonly includeHostname?: boolean;
  /**
   * The key of the rendered message.
   * @default "msg"
   */
  readonly messageKey?: string;
}

const keyCacheLimit = 10_000;

/** pino's numeric level of each level. */
export const pinoLevelNumbers: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
});

const levelFragments: Readonly<Record<LogLevel, string>> = Object.freeze({
  trace: '{"level":10,"time":',
  debug: '{"level":20,"time":',
  info: '{"level":30,"time":',
  warn: '{"level":40,"time":',
  error: '{"level":50,"time":',
  fatal: '{"level":60,"time":',
});

/**
 * Creates a formatter writing pino's line format, which pino's tools (`pino-pretty`, transports)
 * read: `{"level":30,"time":<epoch ms>,"pid":..,"hostname":"..",<properties>,"err":{..},"msg":".."}`.
 * The message is the template rendered with string values unquoted; the error is written as
 * pino's error serializer does (`type`, `message`, `stack`, its fields, `cause`, `errors`).
 * Properties are written as they are, so one named like a pino key (`level`, `msg`) repeats that
 * key. Values are written as the CLEF formatter writes them; lines are always valid JSON.
 *
 * @param options which members to write and the message key.
 * @returns the formatter; share one between sinks.
 * @throws {LoggingError} `invalid_option` for a non-boolean flag or an empty or non-string `messageKey`.
 * @example
 * ```ts
 * createPinoFormatter({ includeHostname: false }).format(event);
 * // {"level":30,"time":1795845157123,"pid":4242,"UserId":42,"msg":"User 42 logged in"}\n
 * ```
 */
export function createPinoFormatter(options: PinoFormatterOptions = {}): Formatter {
  const includePid = booleanOption(options.includePid, "includePid");
  const includeHostname = booleanOption(options.includeHostname, "includeHostname");
  const messageKey = options.messageKey ?? "msg";
  if (typeof messageKey !== "string" || messageKey.length === 0) {
    throw invalidOption("messageKey", "a non-empty string", messageKey);
  }
  // Constant for the life of the process: written once into the fragment after `time`.
  let fixed = "";
  if (includePid) fixed += `,"pid":${process.pid}`;
  if (includeHostname) fixed += `,"hostname":${toJsonString(hostname())}`;
  const messageFragment = `,${toJsonString(messageKey)}:`;
  // `,"Name":` per property name, as in the CLEF formatter; bounded for names built from data.
  const keys = new Map<string, string>();

  function keyFragment(name: string): string {
    const fragment = `,${toJsonString(name)}:`;
    if (keys.size < keyCacheLimit) keys.set(name, fragment);
    return fragment;
  }

  return {
    name: "pino",
    format(event: LogEvent): string {
      // `??`: an event built by hand with an unknown level still gives valid JSON.
      let line = `${levelFragments[event.level] ?? levelFragments.info}${timeToJson(event.timestamp)}${fixed}`;
      const properties = event.properties;
      for (const name in properties) {
        line += (keys.get(name) ?? keyFragment(name)) + toJson(properties[name]);
      }
      if (event.error !== undefined) line += `,"err":${errorToJson(event.error, "type")}`;
      const message = safeRenderMessage(event);
      return `${line}${messageFragment}${toJsonString(message)}}\n`;
    },
  };
}

const messageOptions = Object.freeze({ quoteStrings: false });

function safeRenderMessage(event: LogEvent): string {
  // A template without holes parses to at most one text token (escapes resolved).
  const tokens = event.template.tokens;
  if (tokens.length === 0) return "";
  if (tokens.length === 1 && tokens[0]?.kind === "text") return tokens[0].text;
  try {
    return renderMessage(event.template, event.properties, messageOptions);
  } catch {
    // `format` never throws: the template's text still says what happened.
    return event.template.text;
  }
}

function timeToJson(time: number): string {
  // A clock that returns something other than a finite number must not break the line.
  return Number.isFinite(time) ? `${time}` : "null";
}

function booleanOption(value: boolean | undefined, name: string): boolean {
  if (value === undefined) return true;
  if (typeof value !== "boolean") throw invalidOption(name, "a boolean", value);
  return value;
}
