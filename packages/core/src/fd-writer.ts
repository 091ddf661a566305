import { fsync, write as writeAsync, writeSync } from "node:fs";
import { invalidOption, positiveIntegerOption as positiveInteger } from "./errors.ts";

/** What {@link FdWriterOptions.onWriteError} decides for data a failed write could not deliver. */
export type WriteErrorDecision = "retry" | "discard";

/**
 * A failed system call as Node reports it: the fields of Node's `ErrnoException`, declared here so
 * that the public declarations need no Node type definitions.
 */
export interface SystemCallError extends Error {
  readonly errno?: number | undefined;
  readonly code?: string | undefined;
  readonly path?: string | undefined;
  readonly syscall?: string | undefined;
}

/** Options for {@link FdWriter}. */
export interface FdWriterOptions {
  /** The file descriptor to write to. The writer never closes it. */
  readonly fd: number;
  /**
   * The most text held, in UTF-16 code units (bytes, for ASCII text); `write` refuses more.
   * @default 16777216 (16 MiB)
   */
  readonly maxBufferBytes?: number;
  /**
   * The most text handed to one write system call. Large chunks matter: a write completes once
   * per event-loop turn, so the chunk size caps throughput (measured in apps/bench: 64 KiB chunks
   * left a fast producer's file 3x slower than 1 MiB chunks).
   * @default 1048576 (1 MiB)
   */
  readonly chunkBytes?: number;
  /** Called when data completing `events` events reached the OS; `bytes` is its size in bytes. */
  readonly onWritten?: (events: number, bytes: number) => void;
  /**
   * Called when a write fails with anything but EAGAIN (which the writer retries by itself).
   * Return `"retry"` to keep the data and try again after a capped exponential backoff, or
   * `"discard"` to drop everything held: those `events` (and `bytes`, in UTF-16 code units) are
   * then forgotten (the caller counts them).
   * @default () => "discard"
   */
  readonly onWriteError?: (
    error: SystemCallError,
    events: number,
    bytes: number,
  ) => WriteErrorDecision;
  /**
   * Backoff bounds for `"retry"`, in milliseconds.
   * @default { initialMs: 50, maxMs: 5000 }
   */
  readonly retry?: { readonly initialMs?: number; readonly maxMs?: number };
  /**
   * `fsync` after every completed write, before it is reported as written.
   * @default false
   */
  readonly fsync?: boolean;
  /**
   * Written before the next data after a write failed part-way and its rest was discarded, so
   * the torn record ends and the next one starts on a line of its own. `""` writes nothing.
   * @default "\n"
   */
  readonly recordSeparator?: string;
}

interface InFlight {
  readonly buffer: Buffer;
  offset: number;
  events: number;
  readonly textLength: number;
  /** The texts joined into `buffer` and the events each completes, to credit whole events when a write fails part-way. */
  readonly pieces: string[];
  readonly pieceEvents: number[];
  readonly prefix: string;
}

interface Chunk {
  /** The chunk's length in UTF-16 code units, prefix included. */
  readonly textLength: number;
  readonly events: number;
  readonly pieces: string[];
  readonly pieceEvents: number[];
  readonly prefix: string;
}

interface FlushWaiter {
  readonly target: number;
  readonly discards: number;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const eagainInitialMs = 1;
const eagainMaxMs = 100;
// Texts are joined into runs of about this many code units before each is encoded into the
// chunk's buffer: `Buffer.from` on one large joined string costs some 9 ns a byte (V8 flattens it
// the slow way), while encoding 64 KiB runs into one buffer costs under 0.5 ns a byte.
const encodeRunLength = 65_536;
// UTF-8 takes at most three bytes for one UTF-16 code unit.
const maxBytesPerCodeUnit = 3;

/** `buffer`, or a larger copy of its first `used` bytes, with room for `more` bytes after them. */
function withCapacity(buffer: Buffer, used: number, more: number): Buffer {
  if (used + more <= buffer.length) return buffer;
  const bigger = Buffer.allocUnsafe(Math.max(used + more, buffer.length * 2));
  buffer.copy(bigger, 0, 0, used);
  return bigger;
}

/**
 * Writes text to a file descriptor off the caller's path: `write` buffers (bounded) and returns
 * at once; one write system call is in flight at a time, with many small texts joined into
 * large chunks; partial writes continue where they stopped; EAGAIN (a full non-blocking pipe) is
 * retried with a short capped backoff, never a busy loop; other errors go to `onWriteError`,
 * which retries or discards. Failure backoff timers are `unref()`ed; the EAGAIN timer is not,
 * so a program does not exit with output a slow reader would still have taken. Used by the file and console sinks, and
 * available to any sink that writes to a descriptor.
 *
 * @example
 * ```ts
 * const writer = new FdWriter({ fd, onWritten: (events, bytes) => counters.deliver(events, bytes) });
 * if (!writer.write(line)) counters.refuse("buffer_full");
 * process.on("exit", () => writer.flushSync());
 * ```
 */
export class FdWriter {
  #fd: number;
  readonly #maxBufferBytes: number;
  readonly #chunkBytes: number;
  readonly #onWritten: ((events: number, bytes: number) => void) | undefined;
  readonly #onWriteError: FdWriterOptions["onWriteError"];
  readonly #retryInitialMs: number;
  readonly #retryMaxMs: number;
  readonly #fsync: boolean;
  readonly #recordSeparator: string;
  #tornRecord = false;
  #scratch: Buffer | undefined;
  #inFlightTorn = false;
  #texts: string[] = [];
  #textEvents: number[] = [];
  #head = 0;
  #bufferedLength = 0;
  #bufferedEvents = 0;
  #inFlight: InFlight | undefined;
  #scheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #backoffMs = 0;
  #eagainMs = 0;
  #accepted = 0;
  #settled = 0;
  #discards = 0;
  #lastError: unknown;
  #waiters: FlushWaiter[] = [];
  #stopped = false;

  /**
   * @param options the descriptor, bounds and callbacks.
   * @throws {LoggingError} `invalid_option` for a bad option.
   */
  constructor(options: FdWriterOptions) {
    if (options === null || typeof options !== "object") {
      throw invalidOption("options", "an object with fd", options);
    }
    if (!Number.isSafeInteger(options.fd) || options.fd < 0) {
      throw invalidOption("fd", "a file descriptor (an integer of 0 or more)", options.fd);
    }
    this.#fd = options.fd;
    this.#maxBufferBytes = positiveInteger("maxBufferBytes", options.maxBufferBytes, 16 << 20);
    this.#chunkBytes = positiveInteger("chunkBytes", options.chunkBytes, 1_048_576);
    for (const name of ["onWritten", "onWriteError"] as const) {
      if (options[name] !== undefined && typeof options[name] !== "function") {
        throw invalidOption(name, "a function", options[name]);
      }
    }
    this.#onWritten = options.onWritten;
    this.#onWriteError = options.onWriteError;
    this.#retryInitialMs = positiveInteger("retry.initialMs", options.retry?.initialMs, 50);
    this.#retryMaxMs = positiveInteger("retry.maxMs", options.retry?.maxMs, 5000);
    this.#fsync = options.fsync === true;
    this.#recordSeparator = options.recordSeparator ?? "\n";
  }

  /** Text held and not yet written, in UTF-16 code units (including a write in flight). */
  get pendingBytes(): number {
    return this.#bufferedLength + (this.#inFlight?.textLength ?? 0);
  }

  /** Events held and not yet written (including a write in flight). */
  get pendingEvents(): number {
    return this.#bufferedEvents + (this.#inFlight?.events ?? 0);
  }

  /** True while a write is in flight or a retry is scheduled. */
  get busy(): boolean {
    return this.#inFlight !== undefined || this.#retryTimer !== undefined;
  }

  /** The descriptor written to. */
  get fd(): number {
    return this.#fd;
  }

  /**
   * Buffers text that completes `events` events. Never throws.
   *
   * @param text the text, usually one or more formatted events.
   * @param events how many events the text completes.
   * @returns `false`, buffering nothing, when the text would pass `maxBufferBytes`.
   */
  write(text: string, events = 1): boolean {
    if (this.#bufferedLength + text.length > this.#maxBufferBytes) return false;
    this.#texts.push(text);
    this.#textEvents.push(events);
    this.#bufferedLength += text.length;
    this.#bufferedEvents += events;
    this.#accepted += events;
    if (!this.#scheduled && !this.busy && !this.#stopped) {
      this.#scheduled = true;
      // Writes made in the same tick coalesce into one chunk.
      setImmediate(() => {
        this.#scheduled = false;
        this.#startWrite();
      });
    }
    return true;
  }

  /**
   * Resolves when everything buffered before the call reached the OS; rejects with the write
   * error if any of it was discarded.
   */
  flush(): Promise<void> {
    const target = this.#accepted;
    if (this.#settled >= target) return Promise.resolve();
    const discards = this.#discards;
    const done = new Promise<void>((resolve, reject) => {
      this.#waiters.push({ target, discards, resolve, reject });
    });
    if (this.#retryTimer !== undefined) {
      // A flush is a good moment to try again rather than wait out the backoff.
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
    }
    this.#startWrite();
    return done;
  }

  /**
   * Writes everything buffered with synchronous system calls, for `process.on("exit")` and crash
   * paths. A write already in flight is left to finish on its own. Never throws: failures go to
   * `onWriteError` (a `"retry"` decision leaves the data buffered).
   */
  flushSync(): void {
    let eagainRetries = 0;
    while (this.#head < this.#texts.length) {
      const chunk = this.#takeChunk();
      // A write in flight still reads the scratch buffer.
      const buffer = this.#encode(chunk, this.#inFlight === undefined);
      let offset = 0;
      while (offset < buffer.length) {
        try {
          offset += writeSync(this.#fd, buffer, offset, buffer.length - offset);
        } catch (error) {
          const failure = error as NodeJS.ErrnoException;
          if (failure.code === "EAGAIN" && eagainRetries < 1000) {
            eagainRetries += 1;
            // A full non-blocking pipe: wait a millisecond for the reader, without spinning.
            Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1);
            continue;
          }
          this.#restoreChunk(chunk, buffer.subarray(offset).toString());
          this.#handleError(failure, true);
          return;
        }
      }
      this.#completed(chunk.events, buffer.length);
    }
  }

  /**
   * Switches to another descriptor (after a reopen); buffered text goes to the new one. A write
   * in flight finishes on the old one.
   *
   * @param fd the new descriptor.
   */
  setFd(fd: number): void {
    this.#fd = fd;
  }

  /** Stops retry timers; buffered text stays until `flushSync` or a later `resume`. */
  stop(): void {
    this.#stopped = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
  }

  /** Starts writing again after `stop()`. */
  resume(): void {
    this.#stopped = false;
    this.#startWrite();
  }

  /** The last write error, if any. */
  get lastError(): unknown {
    return this.#lastError;
  }

  #takeChunk(): Chunk {
    let textLength = 0;
    let events = 0;
    const pieces: string[] = [];
    const pieceEvents: number[] = [];
    while (this.#head < this.#texts.length) {
      const next = this.#texts[this.#head] as string;
      if (textLength > 0 && textLength + next.length > this.#chunkBytes) break;
      textLength += next.length;
      pieces.push(next);
      pieceEvents.push(this.#textEvents[this.#head] as number);
      events += this.#textEvents[this.#head] as number;
      this.#texts[this.#head] = "";
      this.#head += 1;
    }
    this.#bufferedLength -= textLength;
    this.#bufferedEvents -= events;
    if (this.#head > 1024 && this.#head * 2 > this.#texts.length) {
      this.#texts = this.#texts.slice(this.#head);
      this.#textEvents = this.#textEvents.slice(this.#head);
      this.#head = 0;
    }
    let prefix = "";
    if (this.#tornRecord) {
      this.#tornRecord = false;
      prefix = this.#recordSeparator;
    }
    return { textLength: prefix.length + textLength, events, pieces, pieceEvents, prefix };
  }

  /**
   * Encodes a chunk as UTF-8: into the scratch buffer kept between writes when `reuse` is set
   * (it grows as needed and is only read by the one write in flight), else into a new buffer.
   */
  #encode(chunk: Chunk, reuse: boolean): Buffer {
    // Room for the widest text when the chunk is small, else for ASCII text plus one run of the
    // widest; wider text grows the buffer.
    const expected = Math.min(
      chunk.textLength * maxBytesPerCodeUnit,
      chunk.textLength + encodeRunLength * maxBytesPerCodeUnit,
    );
    let buffer = reuse ? this.#scratch : undefined;
    if (buffer === undefined || buffer.length < expected) buffer = Buffer.allocUnsafe(expected);
    let offset = buffer.write(chunk.prefix, 0);
    let run = "";
    for (const piece of chunk.pieces) {
      run += piece;
      if (run.length < encodeRunLength) continue;
      buffer = withCapacity(buffer, offset, run.length * maxBytesPerCodeUnit);
      offset += buffer.write(run, offset);
      run = "";
    }
    buffer = withCapacity(buffer, offset, run.length * maxBytesPerCodeUnit);
    offset += buffer.write(run, offset);
    if (reuse) this.#scratch = buffer;
    return buffer.subarray(0, offset);
  }

  #restoreChunk(chunk: { events: number }, remainder: string): void {
    this.#head -= 1;
    if (this.#head < 0) {
      this.#texts.unshift(remainder);
      this.#textEvents.unshift(chunk.events);
      this.#head = 0;
    } else {
      this.#texts[this.#head] = remainder;
      this.#textEvents[this.#head] = chunk.events;
    }
    this.#bufferedLength += remainder.length;
    this.#bufferedEvents += chunk.events;
  }

  #startWrite(): void {
    if (this.#inFlight !== undefined || this.#retryTimer !== undefined || this.#stopped) return;
    if (this.#head >= this.#texts.length) return;
    const chunk = this.#takeChunk();
    this.#inFlight = {
      buffer: this.#encode(chunk, true),
      offset: 0,
      events: chunk.events,
      textLength: chunk.textLength,
      pieces: chunk.pieces,
      pieceEvents: chunk.pieceEvents,
      prefix: chunk.prefix,
    };
    this.#continueWrite();
  }

  #continueWrite(): void {
    const inFlight = this.#inFlight as InFlight;
    writeAsync(
      this.#fd,
      inFlight.buffer,
      inFlight.offset,
      inFlight.buffer.length - inFlight.offset,
      null,
      (error, written) => this.#afterWrite(error, written),
    );
  }

  #afterWrite(error: NodeJS.ErrnoException | null, written: number): void {
    const inFlight = this.#inFlight as InFlight;
    if (error !== null) {
      if (error.code === "EAGAIN") {
        this.#eagainMs = Math.min(eagainMaxMs, Math.max(eagainInitialMs, this.#eagainMs * 2));
        // Left ref'd on purpose: a reader that is merely slow will take the data, and the
        // process should not exit with it unwritten (as Node's own stdout behaves).
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#continueWrite();
        }, this.#eagainMs);
        return;
      }
      this.#inFlightTorn = this.#creditWrittenPieces(inFlight);
      this.#handleError(error, false);
      return;
    }
    this.#eagainMs = 0;
    inFlight.offset += written;
    if (inFlight.offset < inFlight.buffer.length) {
      this.#continueWrite();
      return;
    }
    if (this.#fsync) {
      fsync(this.#fd, (syncError) => {
        if (syncError !== null) {
          this.#handleError(syncError, false);
          return;
        }
        this.#finishInFlight(inFlight);
      });
      return;
    }
    this.#finishInFlight(inFlight);
  }

  /**
   * A write failed after part of the chunk reached the file: the events whose text was written
   * whole count as written, and are removed from the chunk so they are neither retried nor
   * reported as failed.
   *
   * @returns whether the file now ends inside a record (or still lacks a pending separator).
   */
  #creditWrittenPieces(inFlight: InFlight): boolean {
    const prefixBytes = Buffer.byteLength(inFlight.prefix);
    if (inFlight.offset < prefixBytes) return inFlight.prefix !== "" || inFlight.offset > 0;
    let end = prefixBytes;
    let events = 0;
    let pieces = 0;
    while (pieces < inFlight.pieces.length) {
      const next = end + Buffer.byteLength(inFlight.pieces[pieces] as string);
      if (next > inFlight.offset) break;
      end = next;
      events += inFlight.pieceEvents[pieces] as number;
      pieces += 1;
    }
    if (pieces > 0) {
      inFlight.pieces.splice(0, pieces);
      inFlight.pieceEvents.splice(0, pieces);
      inFlight.events -= events;
      this.#completed(events, end);
    }
    return inFlight.offset > end;
  }

  #finishInFlight(inFlight: InFlight): void {
    this.#inFlight = undefined;
    this.#backoffMs = 0;
    this.#completed(inFlight.events, inFlight.buffer.length);
    this.#startWrite();
  }

  #completed(events: number, bytes: number): void {
    this.#settled += events;
    try {
      this.#onWritten?.(events, bytes);
    } catch {
      // The callback belongs to the sink; a bug there must not stop the writer.
    }
    this.#releaseWaiters();
  }

  /** A failed write: ask the owner, then retry later or discard everything held. */
  #handleError(error: NodeJS.ErrnoException, synchronous: boolean): void {
    this.#lastError = error;
    const inFlight = this.#inFlight;
    // A synchronous failure leaves a write in flight to settle on its own; only the buffered
    // text is at stake.
    const events = this.#bufferedEvents + (synchronous ? 0 : (inFlight?.events ?? 0));
    const bytes = this.#bufferedLength + (synchronous ? 0 : (inFlight?.textLength ?? 0));
    let decision: WriteErrorDecision = "discard";
    try {
      decision = this.#onWriteError?.(error, events, bytes) ?? "discard";
    } catch {
      decision = "discard";
    }
    if (decision === "retry") {
      if (synchronous) return;
      this.#backoffMs =
        this.#backoffMs === 0
          ? this.#retryInitialMs
          : Math.min(this.#retryMaxMs, this.#backoffMs * 2);
      this.#retryTimer = setTimeout(() => {
        this.#retryTimer = undefined;
        if (this.#inFlight !== undefined) this.#continueWrite();
        else this.#startWrite();
      }, this.#backoffMs);
      this.#retryTimer.unref();
      return;
    }
    if (inFlight !== undefined && !synchronous) {
      if (this.#inFlightTorn) this.#tornRecord = true;
      this.#inFlight = undefined;
    }
    this.#texts = [];
    this.#textEvents = [];
    this.#head = 0;
    this.#bufferedLength = 0;
    this.#bufferedEvents = 0;
    this.#settled += events;
    this.#discards += 1;
    this.#releaseWaiters();
  }

  #releaseWaiters(): void {
    if (this.#waiters.length === 0) return;
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (this.#settled < waiter.target) waiting.push(waiter);
      else if (waiter.discards === this.#discards) waiter.resolve();
      else waiter.reject(this.#lastError);
    }
    this.#waiters = waiting;
  }
}
