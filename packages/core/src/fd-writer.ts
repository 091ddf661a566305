import { fsync, write as writeAsync, writeSync } from "node:fs";
import { invalidOption, positiveIntegerOption as positiveInteger } from "./errors.ts";
import { UnreportedFailures } from "./unreported-failures.ts";

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
  /** Bytes at the start of `buffer` already credited as written (the prefix and whole pieces). */
  creditedBytes: number;
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
  /** The event count that settles it: everything accepted before it was made. */
  readonly target: number;
  /** A flush's mark in the failure ledger; `undefined` for a batch's waiter. */
  readonly mark: number | undefined;
  /** The sequence number of a batch's first event. */
  readonly batchStart: number;
  /** The sequence number of the first event discarded while it waited. */
  firstDiscarded: number;
  /** Receives, for a batch, how many of its leading events reached the OS. */
  readonly resolve: (written: number) => void;
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
  readonly #failures = new UnreportedFailures();
  #lastError: unknown;
  #waiters: FlushWaiter[] = [];
  #idleWaiters: (() => void)[] = [];
  #stopped = false;
  // An asynchronous write or fsync has not called back yet: the OS may still be writing.
  #outstanding = false;

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

  /** True while a write is in flight, a system call is outstanding, or a retry is scheduled. */
  get busy(): boolean {
    return this.#inFlight !== undefined || this.#retryTimer !== undefined || this.#outstanding;
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
    this.#schedule();
    return true;
  }

  /** Starts a write on the next turn of the event loop, unless one is coming anyway. */
  #schedule(): void {
    if (this.#scheduled || this.busy || this.#stopped) return;
    this.#scheduled = true;
    // Writes made in the same tick coalesce into one chunk.
    setImmediate(() => {
      this.#scheduled = false;
      this.#startWrite();
    });
  }

  /**
   * Resolves when everything buffered before the call reached the OS or was discarded; rejects
   * with the write error when text was discarded that no flush settled earlier reported (the
   * rule of `Sink.flush`).
   */
  flush(): Promise<void> {
    const target = this.#accepted;
    const mark = this.#failures.mark();
    if (this.#settled >= target) {
      try {
        this.#failures.throwIfFailedSince(mark);
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    }
    const done = new Promise<void>((resolve, reject) => {
      this.#waiters.push({
        target,
        mark,
        batchStart: 0,
        firstDiscarded: target,
        resolve: () => resolve(),
        reject,
      });
    });
    if (this.#retryTimer !== undefined) {
      // A flush is a good moment to try again rather than wait out the backoff; the write that
      // was waiting (in flight, when one is) goes on at once.
      clearTimeout(this.#retryTimer);
      this.#retryTimer = undefined;
      this.#writeNext();
    } else {
      this.#startWrite();
    }
    return done;
  }

  /**
   * Waits for a batch: the last `count` events given to {@link FdWriter.write}. Resolves, once
   * they and everything before them reached the OS or were discarded, with how many of the
   * batch's leading events reached the OS (what reached it is always a prefix). Starts no write
   * of its own, so a `flushSync` right after it writes the batch synchronously.
   *
   * @param count how many of the most recently written events form the batch.
   * @returns the number of the batch's leading events written, from 0 to `count`.
   */
  flushBatch(count: number): Promise<number> {
    const target = this.#accepted;
    const batchStart = target - Math.max(0, Math.min(count, target));
    if (this.#settled >= target) return Promise.resolve(target - batchStart);
    return new Promise<number>((resolve, reject) => {
      this.#waiters.push({
        target,
        mark: undefined,
        batchStart,
        firstDiscarded: target,
        resolve,
        reject,
      });
    });
  }

  /**
   * Writes everything buffered with synchronous system calls, for `process.on("exit")` and crash
   * paths. While an asynchronous system call is outstanding it writes nothing: text written
   * beside it could land ahead of it, or inside it on a pipe; the buffer waits for the
   * asynchronous writer (an exit path then counts what is left, see `Sink.abandon`). A write
   * waiting out a full pipe or a failure backoff is taken over and finished first. Never throws:
   * failures go to `onWriteError` (a `"retry"` decision leaves the data buffered). When a write
   * fails part-way, the events written whole count as written and a later record never
   * continues the torn one, as with asynchronous writes.
   *
   * @param timeoutMs how long to wait for a full pipe (EAGAIN) to take data, after which the rest
   *   stays buffered for the asynchronous writer. Without it, a pipe that stays full for about a
   *   second counts as failed, since on an exit path nothing will write the rest later.
   */
  flushSync(timeoutMs?: number): void {
    if (this.#outstanding) return;
    if (this.#inFlight !== undefined) this.#takeOverInFlight(this.#inFlight);
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    let eagainRetries = 0;
    while (this.#head < this.#texts.length) {
      const chunk = this.#takeChunk();
      const attempt: InFlight = {
        // A write in flight still reads the scratch buffer.
        buffer: this.#encode(chunk, this.#inFlight === undefined),
        offset: 0,
        events: chunk.events,
        textLength: chunk.textLength,
        pieces: chunk.pieces,
        pieceEvents: chunk.pieceEvents,
        prefix: chunk.prefix,
        creditedBytes: 0,
      };
      while (attempt.offset < attempt.buffer.length) {
        try {
          attempt.offset += writeSync(
            this.#fd,
            attempt.buffer,
            attempt.offset,
            attempt.buffer.length - attempt.offset,
          );
        } catch (error) {
          const failure = error as NodeJS.ErrnoException;
          if (failure.code === "EAGAIN") {
            const waitMs = deadline === undefined ? 1 : Math.min(1, deadline - performance.now());
            if (deadline === undefined ? eagainRetries < 1000 : waitMs > 0) {
              eagainRetries += 1;
              // A full non-blocking pipe: wait a millisecond for the reader, without spinning.
              Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, waitMs);
              continue;
            }
            if (deadline !== undefined) {
              this.#creditWrittenPieces(attempt);
              this.#restoreUnwritten(attempt);
              this.#schedule();
              return;
            }
          }
          const torn = this.#creditWrittenPieces(attempt);
          this.#restoreUnwritten(attempt);
          this.#handleError(failure, true, torn);
          return;
        }
      }
      this.#completed(attempt.events, attempt.buffer.length);
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

  /**
   * Stops starting new writes; buffered text stays until `flushSync` or a later `resume`. A write
   * in flight runs to its end, waiting out a full pipe as long as the reader does: abandoning it
   * would leave the writer busy for ever (see {@link FdWriter.idle}).
   */
  stop(): void {
    this.#stopped = true;
  }

  /**
   * Resolves once no write is in flight (at once when none is), e.g. before switching the
   * descriptor after `stop()`.
   */
  idle(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /**
   * Gives up everything held, for exit paths and shutdowns past their deadline: the buffered text
   * is forgotten, a write in flight is no longer waited for (whatever of it the OS still takes is
   * not reported to `onWritten`), and the writer stops as after `stop()`. Pending flushes reject
   * with `error` (the rule of `Sink.flush`); batches settle with the part written before.
   *
   * @param error the failure pending flushes reject with, when anything was given up.
   * @returns how many events were given up; the caller counts them.
   */
  abandon(error: unknown): number {
    this.#stopped = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const events = this.pendingEvents;
    this.#inFlight = undefined;
    this.#texts = [];
    this.#textEvents = [];
    this.#head = 0;
    this.#bufferedLength = 0;
    this.#bufferedEvents = 0;
    if (events > 0) this.#settleDiscarded(this.#accepted - events, events, error);
    else this.#releaseIdleWaiters();
    return events;
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

  /**
   * Puts what a synchronous write left unwritten back at the head of the buffer, after
   * {@link FdWriter.#creditWrittenPieces} took out the whole events written: the first text
   * keeps only its unwritten end, so writing it later completes the record it began.
   */
  #restoreUnwritten(attempt: InFlight): void {
    const unwritten = attempt.buffer.length - attempt.offset;
    let remaining = 0;
    for (const piece of attempt.pieces) remaining += Buffer.byteLength(piece);
    if (unwritten > remaining) {
      // A separator is owed before the rest (this chunk's own, or a credited record's end).
      this.#tornRecord = true;
    } else if (remaining > unwritten) {
      const first = attempt.pieces[0] as string;
      attempt.pieces[0] = Buffer.from(first)
        .subarray(remaining - unwritten)
        .toString();
    }
    let length = 0;
    for (const piece of attempt.pieces) length += piece.length;
    this.#texts = attempt.pieces.concat(this.#texts.slice(this.#head));
    this.#textEvents = attempt.pieceEvents.concat(this.#textEvents.slice(this.#head));
    this.#head = 0;
    this.#bufferedLength += length;
    this.#bufferedEvents += attempt.events;
  }

  /**
   * Puts a write that waits for its next system call (a retry timer) back at the head of the
   * buffer, crediting what reached the OS, so a synchronous drain writes its rest first.
   */
  #takeOverInFlight(inFlight: InFlight): void {
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#inFlight = undefined;
    this.#creditWrittenPieces(inFlight);
    this.#restoreUnwritten(inFlight);
  }

  #startWrite(): void {
    if (this.busy || this.#stopped) return;
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
      creditedBytes: 0,
    };
    this.#continueWrite();
  }

  /** Goes on with the write in flight, or starts the next one. */
  #writeNext(): void {
    if (this.#inFlight !== undefined) this.#continueWrite();
    else this.#startWrite();
  }

  #continueWrite(): void {
    const inFlight = this.#inFlight as InFlight;
    this.#outstanding = true;
    writeAsync(
      this.#fd,
      inFlight.buffer,
      inFlight.offset,
      inFlight.buffer.length - inFlight.offset,
      null,
      (error, written) => this.#afterWrite(inFlight, error, written),
    );
  }

  #afterWrite(inFlight: InFlight, error: NodeJS.ErrnoException | null, written: number): void {
    this.#outstanding = false;
    if (this.#inFlight !== inFlight) {
      this.#afterAbandonedCall();
      return;
    }
    if (error !== null) {
      if (error.code === "EAGAIN") {
        this.#eagainMs = Math.min(eagainMaxMs, Math.max(eagainInitialMs, this.#eagainMs * 2));
        // Left ref'd on purpose: a reader that is merely slow will take the data, and the
        // process should not exit with it unwritten (as Node's own stdout behaves).
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#writeNext();
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
      this.#outstanding = true;
      fsync(this.#fd, (syncError) => {
        this.#outstanding = false;
        if (this.#inFlight !== inFlight) {
          this.#afterAbandonedCall();
          return;
        }
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
   * reported as failed. A record written but for its final separator counts as written too: the
   * separator that starts the next write completes it.
   *
   * @returns whether the file now ends inside a record (or still lacks a pending separator).
   */
  #creditWrittenPieces(inFlight: InFlight): boolean {
    const prefixBytes = Buffer.byteLength(inFlight.prefix);
    if (inFlight.offset < prefixBytes) return inFlight.prefix !== "" || inFlight.offset > 0;
    const separator = this.#recordSeparator;
    // A write retried after a failure was credited once already, up to `creditedBytes`.
    let end = Math.max(prefixBytes, inFlight.creditedBytes);
    let events = 0;
    let pieces = 0;
    let owesSeparator = false;
    while (pieces < inFlight.pieces.length) {
      const piece = inFlight.pieces[pieces] as string;
      const next = end + Buffer.byteLength(piece);
      if (next > inFlight.offset) {
        owesSeparator =
          separator !== "" &&
          piece.endsWith(separator) &&
          next - inFlight.offset === Buffer.byteLength(separator);
        if (!owesSeparator) break;
      }
      end = next;
      events += inFlight.pieceEvents[pieces] as number;
      pieces += 1;
      if (owesSeparator) break;
    }
    if (pieces > 0) {
      inFlight.pieces.splice(0, pieces);
      inFlight.pieceEvents.splice(0, pieces);
      inFlight.events -= events;
      this.#completed(events, Math.min(end, inFlight.offset) - inFlight.creditedBytes);
    }
    inFlight.creditedBytes = Math.max(inFlight.creditedBytes, end);
    return owesSeparator || inFlight.offset > end;
  }

  /** A system call of a write given up by `abandon()` returned: the writer may go on. */
  #afterAbandonedCall(): void {
    this.#releaseIdleWaiters();
    this.#startWrite();
  }

  #finishInFlight(inFlight: InFlight): void {
    this.#inFlight = undefined;
    this.#backoffMs = 0;
    this.#completed(inFlight.events, inFlight.buffer.length - inFlight.creditedBytes);
    this.#startWrite();
    this.#releaseIdleWaiters();
  }

  #releaseIdleWaiters(): void {
    if (this.#idleWaiters.length === 0 || this.busy) return;
    const waiting = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiting) resolve();
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

  /**
   * A failed write: ask the owner, then retry later or discard everything held. `torn` tells
   * that a synchronous write ended inside a record.
   */
  #handleError(error: NodeJS.ErrnoException, synchronous: boolean, torn = false): void {
    this.#lastError = error;
    const inFlight = this.#inFlight;
    // A synchronous failure leaves a write in flight to settle on its own; only the buffered
    // text is at stake.
    const events = this.#bufferedEvents + (synchronous ? 0 : (inFlight?.events ?? 0));
    const bytes = this.#bufferedLength + (synchronous ? 0 : (inFlight?.textLength ?? 0));
    // The callback may log, and so write, again: what it adds is not part of this failure.
    const held = {
      texts: this.#texts.length,
      length: this.#bufferedLength,
      events: this.#bufferedEvents,
      accepted: this.#accepted,
    };
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
        this.#writeNext();
      }, this.#backoffMs);
      this.#retryTimer.unref();
      return;
    }
    if (inFlight !== undefined && !synchronous) {
      if (this.#inFlightTorn) this.#tornRecord = true;
      this.#inFlight = undefined;
    }
    if (torn) this.#tornRecord = true;
    this.#texts = this.#texts.slice(held.texts);
    this.#textEvents = this.#textEvents.slice(held.texts);
    this.#head = 0;
    this.#bufferedLength -= held.length;
    this.#bufferedEvents -= held.events;
    // What is discarded is always the newest text held before the callback ran.
    this.#settleDiscarded(held.accepted - events, events, error);
    if (!synchronous) this.#startWrite();
  }

  /**
   * Settles `events` discarded events, numbered from `firstDiscarded`: batches waiting for them
   * learn where what was written ends, and flushes report `error`.
   */
  #settleDiscarded(firstDiscarded: number, events: number, error: unknown): void {
    for (const waiter of this.#waiters) {
      if (firstDiscarded < waiter.firstDiscarded) waiter.firstDiscarded = firstDiscarded;
    }
    this.#settled += events;
    this.#failures.record(error);
    this.#releaseWaiters();
    this.#releaseIdleWaiters();
  }

  #releaseWaiters(): void {
    if (this.#waiters.length === 0) return;
    const waiting: FlushWaiter[] = [];
    for (const waiter of this.#waiters) {
      if (this.#settled < waiter.target) {
        waiting.push(waiter);
        continue;
      }
      if (waiter.mark === undefined) {
        const written = Math.max(0, waiter.firstDiscarded - waiter.batchStart);
        waiter.resolve(Math.min(written, waiter.target - waiter.batchStart));
        continue;
      }
      try {
        this.#failures.throwIfFailedSince(waiter.mark);
        waiter.resolve(0);
      } catch (error) {
        waiter.reject(error);
      }
    }
    this.#waiters = waiting;
  }
}
