import { hostname } from "node:os";
import { invalidOption } from "./errors.ts";
import { flatten } from "./flat-string.ts";
import type { Formatter } from "./formatter.ts";
import { errorToJson, isJsonClean, toJson, toJsonString } from "./json-writer.ts";
import type { LogLevel } from "./level.ts";
import { type CapturedObject, type LogEvent, LogEventRecord } from "./log-event.ts";
import { maxMessageLength } from "./message-length.ts";
import type { MessageTemplate } from "./message-template.ts";
import { PropertyKeys } from "./property-keys.ts";
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
   * The key of the rendered message: not one of the other keys the formatter writes (`level`,
   * `time`, `pid`, `hostname`, `err`), and not starting with `_`, the escape of property names.
   * @default "msg"
   */
  readonly messageKey?: string;
}

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
 * Values are written as the CLEF formatter writes them; lines are always valid JSON.
 *
 * A line never repeats a key, so every JSON reader sees the formatter's own `level`, `time` and
 * message: a property named like one of pino's keys (`level`, `time`, `pid`, `hostname`, `err`,
 * `msg` and the configured `messageKey`), or like one preceded by underscores, is written with one
 * more leading underscore: `level` as `_level`, `_level` as `__level`. The rule is the same
 * whichever keys a line holds, and no two property names end up as one key (as CLEF writes `@t`
 * as `@@t`).
 *
 * @param options which members to write and the message key.
 * @returns the formatter; share one between sinks.
 * @throws {LoggingError} `invalid_option` for a non-boolean flag, or a `messageKey` that is not a
 * non-empty string, starts with `_` or is another key of the line.
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
  if (
    typeof messageKey !== "string" ||
    messageKey.length === 0 ||
    messageKey.startsWith("_") ||
    (messageKey !== "msg" && pinoKeys.includes(messageKey))
  ) {
    throw invalidOption(
      "messageKey",
      "a non-empty string not starting with _ and other than level, time, pid, hostname and err",
      messageKey,
    );
  }
  // Constant for the life of the process: written once into the fragment after `time`.
  let fixed = "";
  if (includePid) fixed += `,"pid":${process.pid}`;
  if (includeHostname) fixed += `,"hostname":${toJsonString(hostname())}`;
  flatten(fixed);
  const messageFragment = flatten(`,${toJsonString(messageKey)}:`);
  const reserved = new Set([...pinoKeys, messageKey]);
  // `,"Name":` per property name, as in the CLEF formatter.
  const keys = new PropertyKeys((name) =>
    flatten(`,${toJsonString(propertyKey(name, reserved))}:`),
  );

  // The text of a logger's bound properties, written once per bound record (pino's
  // "chindings"): the last one used, and the rest by record, forgotten with it.
  const boundTexts = new WeakMap<CapturedObject, BoundText | null>();
  let lastBound: CapturedObject | undefined;
  let lastBoundText: BoundText | null = null;

  function boundText(bound: CapturedObject): BoundText | null {
    if (bound === lastBound) return lastBoundText;
    let text = boundTexts.get(bound);
    if (text === undefined) {
      text = prepareBound(bound, (name) => keys.of(name));
      boundTexts.set(bound, text);
    }
    lastBound = bound;
    lastBoundText = text;
    return text;
  }

  // The line's start up to the properties, for the last level and millisecond: events come in
  // bursts within one millisecond, so the time is written once per millisecond, not per event.
  let lastLevel: LogLevel | undefined;
  let lastTime = Number.NaN;
  let lastStart = "";
  // Flattened at its first reuse, not when built: a start used once is not worth the copy.
  let lastStartFlat = false;
  // The last template's prepared message and the text from the message key to its first hole:
  // consecutive events mostly share a template, and a hit costs no lookup and no concatenation.
  let lastTemplate: MessageTemplate | undefined;
  let lastPrepared: PreparedMessage | null = null;
  let lastHead = "";
  // The last bound text joined to `lastHead`, for a child's events: one string, not two.
  let lastTail: string | undefined;
  let lastTailHead = "";

  return {
    name: "pino",
    format(event: LogEvent): string {
      const level = event.level;
      const time = event.timestamp;
      let line: string;
      if (time === lastTime && level === lastLevel) {
        if (!lastStartFlat) {
          flatten(lastStart);
          lastStartFlat = true;
        }
        line = lastStart;
      } else {
        // `??`: an event built by hand with an unknown level still gives valid JSON.
        line = `${levelFragments[level] ?? levelFragments.info}${timeToJson(time)}${fixed}`;
        lastLevel = level;
        lastTime = time;
        lastStart = line;
        lastStartFlat = false;
      }
      const properties = event.properties;
      const bound =
        event instanceof LogEventRecord && event.bound !== undefined
          ? boundText(event.bound)
          : null;
      let position = 0;
      // The bound properties' text, not yet appended: it joins the message's head in one piece.
      let tail = "";
      if (bound === null) {
        for (const name in properties) {
          line += keys.member(name, position++, properties[name]);
        }
      } else {
        // The event's own properties, then the bound ones, which end the record.
        for (const name in properties) {
          if (name === bound.first) break;
          line += keys.member(name, position++, properties[name]);
        }
        tail = bound.text;
      }
      if (event.error !== undefined) {
        line += `${tail},"err":${errorToJson(event.error, "type")}`;
        tail = "";
      }
      const template = event.template;
      if (template !== lastTemplate) {
        lastTemplate = template;
        lastPrepared = preparedMessage(template);
        lastHead = lastPrepared === null ? "" : messageFragment + lastPrepared.texts[0];
        lastTail = undefined;
      }
      if (lastPrepared !== null) {
        if (tail !== "" && tail !== lastTail) {
          lastTail = tail;
          lastTailHead = flatten(tail + lastHead);
        }
        const head = tail === "" ? lastHead : lastTailHead;
        const written = writeMessage(line + head, lastPrepared, properties);
        if (written !== undefined) return written;
      }
      return `${line}${tail}${messageFragment}${toJsonString(safeRenderMessage(event))}}\n`;
    },
  };
}

/** The keys the formatter writes itself (the message key aside, which is an option). */
const pinoKeys: readonly string[] = ["level", "time", "pid", "hostname", "err", "msg"];

/**
 * The key of a property: a reserved name, or a reserved name after leading underscores, gets one
 * more underscore. Escaped keys all start with `_`, so none is reserved, and two names never share
 * a key.
 */
function propertyKey(name: string, reserved: ReadonlySet<string>): string {
  let start = 0;
  while (name.charCodeAt(start) === 0x5f /* _ */) start += 1;
  return reserved.has(start === 0 ? name : name.slice(start)) ? `_${name}` : name;
}

const messageOptions = Object.freeze({ quoteStrings: false });

/** A logger's bound properties as written: the first name, and the text of them all. */
interface BoundText {
  readonly first: string;
  readonly text: string;
}

/**
 * Prepares the text of bound properties, or `null` when the general path must write them: none
 * at all, or a name that is an array index, which an object lists before every other name, so
 * the bound names would not be the record's last.
 */
function prepareBound(bound: CapturedObject, key: (name: string) => string): BoundText | null {
  const names = Object.keys(bound);
  if (names.length === 0 || names.some((name) => arrayIndex.test(name))) return null;
  let text = "";
  for (const name of names) text += key(name) + toJson(bound[name]);
  return { first: names[0] as string, text: flatten(text) };
}

// Names an object orders first (integer keys up to 2^32 - 2); a superset is harmless here.
const arrayIndex = /^(?:0|[1-9]\d{0,9})$/;

/**
 * A template prepared for rendering straight into the line: its text between holes, already
 * escaped (`texts`, one more than `names`; the first opens the message's quotes and the last closes
 * them and the line), and the property of each hole. Only for templates whose holes have no format
 * and no alignment, so a string, number or boolean renders as itself.
 */
interface PreparedMessage {
  readonly texts: readonly string[];
  readonly names: readonly string[];
}

// Templates are cached and shared by every event that uses them; `null` marks one that has to
// take the general path.
const preparedMessages = new WeakMap<MessageTemplate, PreparedMessage | null>();

function preparedMessage(template: MessageTemplate): PreparedMessage | null {
  let prepared = preparedMessages.get(template);
  if (prepared === undefined) {
    prepared = prepareMessage(template);
    preparedMessages.set(template, prepared);
  }
  return prepared;
}

function prepareMessage(template: MessageTemplate): PreparedMessage | null {
  const texts: string[] = [];
  const names: string[] = [];
  let text = "";
  for (const token of template.tokens) {
    if (token.kind === "text") {
      text += token.text;
      continue;
    }
    if (token.format !== undefined || token.alignment !== undefined) return null;
    texts.push(text);
    names.push(token.name);
    text = "";
  }
  texts.push(text);
  // Past the bound the message is cut, which the general path does.
  let constantLength = 0;
  for (const part of texts) constantLength += part.length;
  if (constantLength > maxMessageLength) return null;
  const escaped: string[] = [];
  for (const part of texts) {
    // Escaped apart, a surrogate pair split by a hole would not be the pair it is in the message.
    if (/^[\udc00-\udfff]|[\ud800-\udbff]$/.test(part)) return null;
    escaped.push(toJsonString(part).slice(1, -1));
  }
  escaped[0] = `"${escaped[0]}`;
  escaped[escaped.length - 1] = `${escaped[escaped.length - 1]}"}\n`;
  return { texts: escaped.map(flatten), names };
}

/**
 * Ends `line` (which ends with the message key and the message's first text) with the rendered
 * message and the line's close, as `toJsonString` of the rendered message would write it, when
 * every hole holds a string with nothing to escape, a number or a boolean and the message stays
 * within `maxMessageLength`; `undefined` otherwise. Appending to the line itself, not building the
 * message apart, saves a string per piece.
 */
function writeMessage(
  line: string,
  prepared: PreparedMessage,
  properties: CapturedObject,
): string | undefined {
  const { texts, names } = prepared;
  // The line's length where the message would pass its bound. Escaped text is never shorter than
  // the text, so a message within it needs no cut; one past it may, which the general path
  // decides. One comparison per hole, and the work stops within a piece of the bound.
  const end = line.length - (texts[0] as string).length + maxMessageLength;
  for (let index = 0; index < names.length; index++) {
    const name = names[index] as string;
    // A site per position for the first holes stays monomorphic (see capture).
    const value =
      index === 0 ? properties[name] : index === 1 ? properties[name] : properties[name];
    if (typeof value === "string") {
      if (!isJsonClean(value)) return undefined;
      line += value;
    } else if (typeof value === "number") {
      line += `${value}`;
    } else if (typeof value === "boolean") {
      line += value ? "true" : "false";
    } else {
      // Missing, undefined, objects, dates, errors, big integers: the general path.
      return undefined;
    }
    line += texts[index + 1] as string;
    if (line.length > end) return undefined;
  }
  return line;
}

function safeRenderMessage(event: LogEvent): string {
  // A template without holes parses to at most one text token (escapes resolved).
  const tokens = event.template.tokens;
  if (tokens.length === 0) return "";
  if (
    tokens.length === 1 &&
    tokens[0]?.kind === "text" &&
    tokens[0].text.length <= maxMessageLength
  )
    return tokens[0].text;
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
