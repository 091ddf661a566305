import { createClefFormatter, type ErrorHandler, type Formatter } from "@sluice/core";
import { invalidOption, positiveIntegerOption, waitOption } from "@sluice/core/sink";

/**
 * When written data is forced to stable storage.
 *
 * - `"os"`: handed to the operating system; survives a crash or SIGKILL of the process, not a
 *   power loss or kernel crash.
 * - `"batch"`: `fsync` after every write (each chunk of up to 1 MiB); survives power loss for
 *   everything reported delivered, at the cost of a disk flush per chunk.
 * - `"flush"`: `fsync` when `flush()` or `close()` is called; what was flushed survives power loss.
 */
export type Durability = "os" | "batch" | "flush";

/** Rolling by size: the active file is rolled once it reaches this many bytes. */
export interface RollingOptions {
  /**
   * Roll when the active file reaches this size, in bytes.
   * @default no size limit
   */
  readonly maxSize?: number;
  /**
   * Roll when the calendar period changes (in UTC).
   * @default no time rolling
   */
  readonly interval?: "minute" | "hour" | "day" | "week" | "month";
  /**
   * Compress each rolled file with gzip (to `<name>.gz`, the original removed), off the write
   * path. An archive appears under its name only once complete; a gzip that fails or is killed
   * leaves the original, compressed again after the next roll or at the next start.
   * @default false
   */
  readonly compress?: boolean;
  /**
   * How many rolled files to keep (the active file aside); older ones are deleted after each roll
   * and at startup.
   * @default keep all
   */
  readonly maxFiles?: number;
  /**
   * Delete rolled files older than this, in milliseconds (by their roll time), after each roll
   * and at startup.
   * @default keep all
   */
  readonly maxAgeMs?: number;
}

/** Options for `createFileSink`. */
export interface FileSinkOptions {
  /** The active file's path; used as given, never expanded from event data. */
  readonly path: string;
  /**
   * How events become text.
   * @default createClefFormatter()
   */
  readonly formatter?: Formatter;
  /**
   * The most formatted text held in memory while the disk is slow or failing; events past it are
   * dropped (`buffer_full`).
   * @default 16777216 (16 MiB)
   */
  readonly maxBufferBytes?: number;
  /**
   * When data is forced to stable storage.
   * @default "os"
   */
  readonly durability?: Durability;
  /** Rolling and retention. */
  readonly rolling?: RollingOptions;
  /**
   * The mode of files the sink creates.
   * @default 0o640
   */
  readonly fileMode?: number;
  /**
   * The mode of directories the sink creates.
   * @default 0o750
   */
  readonly directoryMode?: number;
  /**
   * Whether a `path` that is a symbolic link is followed (the events go to its target) or refused
   * (`false`: the file is opened with `O_NOFOLLOW`, and the open fails with `ELOOP`, counted and
   * retried like any open failure). Only the last component of the path is checked.
   * @default true
   */
  readonly followSymlinks?: boolean;
  /**
   * How often the sink checks that its path still leads to its open file (deleted or moved
   * files are reopened), in milliseconds.
   * @default 500
   */
  readonly checkIntervalMs?: number;
  /**
   * The longest pause between two attempts while writes fail, in milliseconds.
   * @default 5000
   */
  readonly maxRetryDelayMs?: number;
  /**
   * How long a path that is a FIFO whose reader holds it open but takes no byte (a stopped or
   * wedged log shipper) keeps the process alive, in milliseconds. Until then a full pipe is
   * waited out, so a reader that is merely slow gets every line before the process exits; past
   * it, writing goes on while the process lives (and holds it again once the reader takes a
   * byte), but a process with nothing else to do exits, and its exit path counts what is left
   * (see the README's failure table). `0` never holds the process for a full pipe; `Infinity`
   * holds it as long as the reader keeps the pipe open. Regular files never stall.
   * @default 5000
   */
  readonly holdOnStallMs?: number;
  /**
   * The clock for time rolling, roll names and age retention, in milliseconds since the epoch.
   * A reading that throws or is no date (NaN, an infinity, past the range of `Date`) never stops
   * size rolling: the roll name takes the system time, and time rolling and age retention wait.
   * @default Date.now
   */
  readonly now?: () => number;
  /**
   * Receives write failures.
   * @default failures go to the self-log
   */
  readonly onError?: ErrorHandler;
}

/** @internal */
export interface ResolvedFileSinkOptions {
  readonly path: string;
  readonly formatter: Formatter;
  readonly maxBufferBytes: number;
  readonly durability: Durability;
  readonly maxSize: number | undefined;
  readonly interval: RollingOptions["interval"];
  readonly maxFiles: number | undefined;
  readonly maxAgeMs: number | undefined;
  readonly compress: boolean;
  readonly fileMode: number;
  readonly directoryMode: number;
  readonly followSymlinks: boolean;
  readonly checkIntervalMs: number;
  readonly maxRetryDelayMs: number;
  readonly holdOnStallMs: number;
  readonly now: () => number;
  readonly onError: ErrorHandler | undefined;
}

const intervals = ["minute", "hour", "day", "week", "month"] as const;
const durabilities: readonly Durability[] = ["os", "batch", "flush"];

function optionalPositive(name: string, value: unknown): number | undefined {
  return value === undefined ? undefined : positiveIntegerOption(name, value, 0);
}

function mode(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isInteger(value) || value < 0 || value > 0o7777) {
    throw invalidOption(name, "a file mode such as 0o640", value);
  }
  return value;
}

/** @internal */
export function resolveFileSinkOptions(options: FileSinkOptions): ResolvedFileSinkOptions {
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object with a path", options);
  }
  if (typeof options.path !== "string" || options.path.length === 0) {
    throw invalidOption("path", "a non-empty string", options.path);
  }
  const formatter = options.formatter ?? createClefFormatter();
  if (
    formatter === null ||
    typeof formatter !== "object" ||
    typeof formatter.format !== "function"
  ) {
    throw invalidOption("formatter", "a formatter such as createClefFormatter()", formatter);
  }
  const durability = options.durability ?? "os";
  if (!durabilities.includes(durability)) {
    throw invalidOption("durability", `one of ${durabilities.join(", ")}`, durability);
  }
  const rolling = options.rolling ?? {};
  if (rolling === null || typeof rolling !== "object") {
    throw invalidOption("rolling", "an object", rolling);
  }
  if (rolling.interval !== undefined && !intervals.includes(rolling.interval)) {
    throw invalidOption("rolling.interval", `one of ${intervals.join(", ")}`, rolling.interval);
  }
  if (rolling.compress !== undefined && typeof rolling.compress !== "boolean") {
    throw invalidOption("rolling.compress", "a boolean", rolling.compress);
  }
  if (options.followSymlinks !== undefined && typeof options.followSymlinks !== "boolean") {
    throw invalidOption("followSymlinks", "a boolean", options.followSymlinks);
  }
  for (const name of ["now", "onError"] as const) {
    if (options[name] !== undefined && typeof options[name] !== "function") {
      throw invalidOption(name, "a function", options[name]);
    }
  }
  return {
    path: options.path,
    formatter,
    maxBufferBytes: optionalPositive("maxBufferBytes", options.maxBufferBytes) ?? 16 << 20,
    durability,
    maxSize: optionalPositive("rolling.maxSize", rolling.maxSize),
    interval: rolling.interval,
    maxFiles: optionalPositive("rolling.maxFiles", rolling.maxFiles),
    maxAgeMs: optionalPositive("rolling.maxAgeMs", rolling.maxAgeMs),
    compress: rolling.compress ?? false,
    fileMode: mode("fileMode", options.fileMode, 0o640),
    directoryMode: mode("directoryMode", options.directoryMode, 0o750),
    followSymlinks: options.followSymlinks ?? true,
    checkIntervalMs: optionalPositive("checkIntervalMs", options.checkIntervalMs) ?? 500,
    maxRetryDelayMs: optionalPositive("maxRetryDelayMs", options.maxRetryDelayMs) ?? 5000,
    holdOnStallMs: waitOption("holdOnStallMs", options.holdOnStallMs, 5000),
    now: options.now ?? Date.now,
    onError: options.onError,
  };
}
