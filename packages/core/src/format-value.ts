import { maxMessageLength } from "./message-length.ts";
import type { Alignment } from "./message-template.ts";

/**
 * Pads text to an alignment's width: `right` pads on the left, `left` on the right. Text longer
 * than the width is kept whole. A width past 65,536 characters, the bound of a rendered message,
 * pads to 65,536: the parser takes widths up to 2^31 - 1, and padding to them would build a
 * gigabyte string for one hole.
 *
 * @param text the rendered value.
 * @param alignment the alignment, or `undefined` for none.
 * @returns the padded text.
 */
export function alignText(text: string, alignment: Alignment | undefined): string {
  if (alignment === undefined || text.length >= alignment.width) return text;
  const width = Math.min(alignment.width, maxMessageLength);
  return alignment.direction === "right" ? text.padStart(width) : text.padEnd(width);
}

const standardNumber = /^([CcDdEeFfGgNnPpRrXx])(\d{0,2})$/;

/**
 * Formats a number with a .NET-style format string, in the invariant culture: standard formats
 * (`N2`, `F3`, `D5`, `X8`, `P1`, `E2`, `C`, `G`, `R`) and custom ones built from `0`, `#`, `,`,
 * `.` and `%` (`"0.00"`, `"#,##0.##"`, `"000"`). A format it cannot apply gives the plain value.
 *
 * @param value the number.
 * @param format the format string.
 * @returns the formatted number.
 * @example
 * ```ts
 * formatNumber(1234.5, "N2"); // "1,234.50"
 * formatNumber(0.125, "P1");  // "12.5 %"
 * ```
 */
export function formatNumber(value: number | bigint, format: string): string {
  try {
    if (typeof value === "bigint") return formatBigInt(value, format);
    if (!Number.isFinite(value)) return String(value);
    const standard = standardNumber.exec(format);
    if (standard !== null)
      return formatStandard(value, standard[1] as string, standard[2] as string);
    return formatCustom(value, format);
  } catch {
    return String(value);
  }
}

function formatBigInt(value: bigint, format: string): string {
  const standard = standardNumber.exec(format);
  if (standard === null) return value.toString();
  const precision = standard[2] === "" ? 0 : Number(standard[2]);
  const negative = value < 0n;
  const digits = (negative ? -value : value).toString();
  switch (standard[1]) {
    case "D":
    case "d":
      return (negative ? "-" : "") + digits.padStart(precision, "0");
    case "X":
    case "x": {
      const hex = (negative ? -value : value).toString(16).padStart(precision, "0");
      return (negative ? "-" : "") + (standard[1] === "X" ? hex.toUpperCase() : hex);
    }
    case "N":
    case "n":
      return (
        (negative ? "-" : "") + group(digits) + (precision > 0 ? `.${"0".repeat(precision)}` : "")
      );
    default:
      return value.toString();
  }
}

function formatStandard(value: number, letter: string, precisionText: string): string {
  const precision = precisionText === "" ? undefined : Number(precisionText);
  switch (letter) {
    case "N":
    case "n":
      return withGrouping(value.toFixed(precision ?? 2));
    case "F":
    case "f":
      return value.toFixed(precision ?? 2);
    case "C":
    case "c":
      return (value < 0 ? "-¤" : "¤") + withGrouping(Math.abs(value).toFixed(precision ?? 2));
    case "P":
    case "p":
      return `${withGrouping((value * 100).toFixed(precision ?? 2))} %`;
    case "D":
    case "d": {
      if (!Number.isInteger(value)) return String(value);
      const digits = Math.abs(value)
        .toString()
        .padStart(precision ?? 0, "0");
      return value < 0 ? `-${digits}` : digits;
    }
    case "X":
    case "x": {
      if (!Number.isInteger(value)) return String(value);
      // .NET formats negative integers in two's complement.
      const hex = (value < 0 ? value >>> 0 : value).toString(16).padStart(precision ?? 0, "0");
      return letter === "X" ? hex.toUpperCase() : hex;
    }
    case "E":
    case "e": {
      const [mantissa, exponent] = value.toExponential(precision ?? 6).split("e") as [
        string,
        string,
      ];
      const sign = exponent.startsWith("-") ? "-" : "+";
      const digits = exponent.replace(/^[+-]/, "").padStart(3, "0");
      return `${mantissa}${letter}${sign}${digits}`;
    }
    default:
      return String(value);
  }
}

function group(digits: string): string {
  let result = "";
  for (let index = 0; index < digits.length; index++) {
    if (index > 0 && (digits.length - index) % 3 === 0) result += ",";
    result += digits[index];
  }
  return result;
}

function withGrouping(fixed: string): string {
  const negative = fixed.startsWith("-");
  const unsigned = negative ? fixed.slice(1) : fixed;
  const point = unsigned.indexOf(".");
  const whole = point === -1 ? unsigned : unsigned.slice(0, point);
  const fraction = point === -1 ? "" : unsigned.slice(point);
  return (negative ? "-" : "") + group(whole) + fraction;
}

function formatCustom(value: number, format: string): string {
  const firstPlaceholder = format.search(/[0#]/);
  if (firstPlaceholder === -1) return String(value);
  let lastPlaceholder = firstPlaceholder;
  for (let index = format.length - 1; index >= 0; index--) {
    if (format[index] === "0" || format[index] === "#") {
      lastPlaceholder = index;
      break;
    }
  }
  const prefix = format.slice(0, firstPlaceholder);
  const suffix = format.slice(lastPlaceholder + 1);
  const pattern = format.slice(firstPlaceholder, lastPlaceholder + 1);
  const percent = (prefix + suffix).includes("%");
  const scaled = percent ? value * 100 : value;
  const point = pattern.indexOf(".");
  const wholePattern = point === -1 ? pattern : pattern.slice(0, point);
  const fractionPattern = point === -1 ? "" : pattern.slice(point + 1);
  const minimumFraction = (fractionPattern.match(/0/g) ?? []).length;
  const maximumFraction = (fractionPattern.match(/[0#]/g) ?? []).length;
  const minimumWhole = (wholePattern.match(/0/g) ?? []).length;
  const grouped = wholePattern.includes(",");
  let fixed = Math.abs(scaled).toFixed(maximumFraction);
  if (maximumFraction > minimumFraction) {
    fixed = fixed.replace(new RegExp(`0{1,${maximumFraction - minimumFraction}}$`), "");
    if (fixed.endsWith(".")) fixed = fixed.slice(0, -1);
  }
  const dot = fixed.indexOf(".");
  let whole = dot === -1 ? fixed : fixed.slice(0, dot);
  const fraction = dot === -1 ? "" : fixed.slice(dot);
  if (whole === "0" && minimumWhole === 0) whole = "";
  whole = whole.padStart(minimumWhole, "0");
  if (grouped) whole = group(whole);
  const negative = scaled < 0 && /[1-9]/.test(whole + fraction);
  return `${negative ? "-" : ""}${prefix}${whole}${fraction}${suffix}`;
}

const monthNames = [
  "January",
  "February",
  "March",
  "April",
  "May",
  "June",
  "July",
  "August",
  "September",
  "October",
  "November",
  "December",
];
const dayNames = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

interface DateParts {
  readonly year: number;
  readonly month: number;
  readonly day: number;
  readonly weekday: number;
  readonly hours: number;
  readonly minutes: number;
  readonly seconds: number;
  readonly milliseconds: number;
  /** Minutes east of UTC. */
  readonly offset: number;
}

function dateParts(epochMilliseconds: number, utc: boolean): DateParts {
  const date = new Date(epochMilliseconds);
  if (utc) {
    return {
      year: date.getUTCFullYear(),
      month: date.getUTCMonth(),
      day: date.getUTCDate(),
      weekday: date.getUTCDay(),
      hours: date.getUTCHours(),
      minutes: date.getUTCMinutes(),
      seconds: date.getUTCSeconds(),
      milliseconds: date.getUTCMilliseconds(),
      offset: 0,
    };
  }
  return {
    year: date.getFullYear(),
    month: date.getMonth(),
    day: date.getDate(),
    weekday: date.getDay(),
    hours: date.getHours(),
    minutes: date.getMinutes(),
    seconds: date.getSeconds(),
    milliseconds: date.getMilliseconds(),
    offset: -date.getTimezoneOffset(),
  };
}

const dateToken =
  /yyyy|yy|MMMM|MMM|MM|M|dddd|ddd|dd|d|HH|H|hh|h|mm|m|ss|s|fff|ff|f|FFF|tt|zzz|zz|z|K|'[^']*'|"[^"]*"|\\./g;

function pad(value: number, width: number): string {
  return String(value).padStart(width, "0");
}

function offsetText(offset: number, width: "hours" | "short" | "full"): string {
  const sign = offset < 0 ? "-" : "+";
  const absolute = Math.abs(offset);
  const hours = Math.floor(absolute / 60);
  if (width === "hours") return `${sign}${hours}`;
  if (width === "short") return `${sign}${pad(hours, 2)}`;
  return `${sign}${pad(hours, 2)}:${pad(absolute % 60, 2)}`;
}

/**
 * Formats a timestamp with a .NET-style date format: the standard `o` (round-trip ISO-8601),
 * `s` (sortable), `u` (universal sortable), or a custom pattern from `yyyy yy MMMM MMM MM M dddd
 * ddd dd d HH H hh h mm m ss s fff ff f tt zzz zz z K` with `'literal'` and `\x` escapes.
 *
 * @param epochMilliseconds the time, in milliseconds since the epoch.
 * @param format the format.
 * @param utc render in UTC rather than local time.
 * @returns the formatted time.
 * @example
 * ```ts
 * formatDate(Date.UTC(2026, 10, 28, 5, 52, 37, 123), "HH:mm:ss.fff", true); // "05:52:37.123"
 * ```
 */
export function formatDate(epochMilliseconds: number, format: string, utc = false): string {
  if (!Number.isFinite(epochMilliseconds)) return "Invalid Date";
  switch (format) {
    case "o":
    case "O":
      return formatDate(epochMilliseconds, "yyyy-MM-dd'T'HH:mm:ss.fff'0000'K", utc);
    case "s":
      return formatDate(epochMilliseconds, "yyyy-MM-dd'T'HH:mm:ss", utc);
    case "u":
      return formatDate(epochMilliseconds, "yyyy-MM-dd HH:mm:ss'Z'", true);
    default:
      break;
  }
  const parts = dateParts(epochMilliseconds, utc);
  return format.replace(dateToken, (token) => {
    switch (token) {
      case "yyyy":
        return pad(parts.year, 4);
      case "yy":
        return pad(parts.year % 100, 2);
      case "MMMM":
        return monthNames[parts.month] as string;
      case "MMM":
        return (monthNames[parts.month] as string).slice(0, 3);
      case "MM":
        return pad(parts.month + 1, 2);
      case "M":
        return String(parts.month + 1);
      case "dddd":
        return dayNames[parts.weekday] as string;
      case "ddd":
        return (dayNames[parts.weekday] as string).slice(0, 3);
      case "dd":
        return pad(parts.day, 2);
      case "d":
        return String(parts.day);
      case "HH":
        return pad(parts.hours, 2);
      case "H":
        return String(parts.hours);
      case "hh":
        return pad(parts.hours % 12 || 12, 2);
      case "h":
        return String(parts.hours % 12 || 12);
      case "mm":
        return pad(parts.minutes, 2);
      case "m":
        return String(parts.minutes);
      case "ss":
        return pad(parts.seconds, 2);
      case "s":
        return String(parts.seconds);
      case "fff":
      case "FFF":
        return pad(parts.milliseconds, 3);
      case "ff":
        return pad(Math.floor(parts.milliseconds / 10), 2);
      case "f":
        return String(Math.floor(parts.milliseconds / 100));
      case "tt":
        return parts.hours < 12 ? "AM" : "PM";
      case "zzz":
        return offsetText(parts.offset, "full");
      case "zz":
        return offsetText(parts.offset, "short");
      case "z":
        return offsetText(parts.offset, "hours");
      case "K":
        return utc ? "Z" : offsetText(parts.offset, "full");
      default:
        if (token.startsWith("\\")) return token.slice(1);
        return token.slice(1, -1);
    }
  });
}
