import {
  closeSync,
  fstatSync,
  fsync,
  openSync,
  readSync,
  write as writeAsync,
  writeSync,
} from "node:fs";
import { invalidOption, positiveIntegerOption as positiveInteger, waitOption } from "./errors.ts";
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
   * The most text held, in UTF-16 code units (bytes, for ASCII text); `write` refuses more. Text
   * is held encoded as UTF-8, so wide text can take up to three bytes a code unit.
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
  /**
   * How long, in milliseconds, a destination that takes no byte (a full pipe whose reader holds
   * it open but stopped reading) keeps the process alive. Until then the EAGAIN retry timer is
   * referenced, so a reader that is merely slow gets everything before the process exits; past
   * it, the timer is `unref()`ed: writing goes on while the process lives, and holds it again as
   * soon as a write takes a byte, but a process with nothing else to do reaches `beforeExit`,
   * where its exit machinery counts what is left. `0` never holds the process for a full pipe;
   * `Infinity` holds it for as long as the reader keeps the pipe open (as Node's own stdout does).
   * @default Infinity
   */
  readonly holdOnStallMs?: number;
}

/**
 * Texts encoded as UTF-8, one chunk's worth: what one write system call takes. Each text's length
 * and events are kept (numbers, not the text) to credit whole events when a write fails
 * part-way.
 */
interface Block {
  /** Holds the encoded bytes; reused for a later block once its write is done. */
  storage: Buffer;
  /** The first byte not yet written: a block put back after a partial write starts later. */
  start: number;
  /** The end of the encoded bytes. */
  end: number;
  /** Each text's length in UTF-16 code units. */
  readonly lengths: number[];
  /** How many events each text completes; `undefined` while every text completes one. */
  events: number[] | undefined;
  /**
   * Each text's UTF-8 size in bytes, from the first byte not yet written: worked out only when a
   * write fails part-way (see {@link utf8Sizes}), and kept up to date from then on.
   */
  sizes: number[] | undefined;
  /** Whether every byte encoded so far is ASCII, so that each text's size is its length. */
  ascii: boolean;
  /** The sum of `lengths`. */
  textLength: number;
  /** The sum of `events`. */
  eventCount: number;
}

interface InFlight {
  readonly block: Block;
  /** The block's bytes, after the separator owed to a torn record if there is one. */
  readonly buffer: Buffer;
  offset: number;
  /** The write's length in UTF-16 code units, prefix included. */
  readonly textLength: number;
  readonly prefix: string;
  readonly prefixBytes: number;
  /** Bytes at the start of `buffer` already credited as written (the prefix and whole texts). */
  creditedBytes: number;
  /** The descriptor of the outstanding system call. */
  callFd: number;
  /**
   * For a write to a regular file, the file's size once the outstanding write call is done
   * (its size when the call was made, plus the bytes asked for); -1 for any other descriptor.
   */
  callEnd: number;
  /** The outstanding call is the `fsync` after the write: the write itself is done. */
  syncing: boolean;
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
  /** Told the same as `resolve`, synchronously: see {@link FdWriter.flushBatch}. */
  readonly settled: ((written: number) => void) | undefined;
  readonly reject: (error: unknown) => void;
}

const eagainInitialMs = 1;
// How many separate discards a batch can learn of after the fact (see `#recentDiscards`): a
// batch's own writes hold more only when drains inside them fail and succeed in turn.
const recentDiscardsKept = 64;
// How long flushSync waits, without a timeout of its own, for an asynchronous write to a file to
// show in the file's size: threadpool writes take micro- to milliseconds, so a second means the
// threadpool is stuck behind other work.
const outstandingWaitMs = 1000;
// Atomics.wait on it sleeps the thread without spinning; nothing ever notifies it.
const sleeper = new Int32Array(new SharedArrayBuffer(4));
// How far past where it was issued an outstanding write is looked for: other processes appending
// to the file may have put that much ahead of it.
const landingSearchBytes = 16 * 1024 * 1024;

/**
 * Whether `data` is in the file `fd` somewhere from `start` (up to its `size`). A file that
 * cannot be read back is taken at its size's word: `data` counts as there.
 */
function containsAfter(fd: number, data: Buffer, start: number, size: number): boolean {
  const end = Math.min(size, start + data.length + landingSearchBytes);
  const region = readRegion(fd, start, end - start);
  if (region === undefined) return true;
  // Where it was issued, when nobody else appended: compared before searched.
  if (region.subarray(0, data.length).equals(data)) return true;
  return region.indexOf(data) >= 0;
}

/**
 * How many leading bytes of `data`, written from `start`, end the file `fd` of `size` bytes (for
 * a file that cannot be read back, what it grew by).
 */
function prefixAtEnd(fd: number, data: Buffer, start: number, size: number): number {
  const grown = Math.min(size - start, data.length);
  if (grown <= 0) return 0;
  const tail = readRegion(fd, size - grown, grown);
  if (tail === undefined) return grown;
  return tail.equals(data.subarray(0, grown)) ? grown : 0;
}

/**
 * Reads `length` bytes of the file `fd` from `position`, through a descriptor of its own when
 * `fd` is write-only (a log file is opened so); `undefined` when the file cannot be read.
 */
function readRegion(fd: number, position: number, length: number): Buffer | undefined {
  const region = Buffer.allocUnsafe(length);
  if (readFully(fd, region, position)) return region;
  let reader: number | undefined;
  try {
    // Linux reopens the open file itself, renamed or unlinked as it may be, for reading.
    reader = openSync(`/proc/self/fd/${fd}`, "r");
    return readFully(reader, region, position) ? region : undefined;
  } catch {
    return undefined;
  } finally {
    if (reader !== undefined) closeSync(reader);
  }
}

function readFully(fd: number, region: Buffer, position: number): boolean {
  let filled = 0;
  try {
    while (filled < region.length) {
      const read = readSync(fd, region, filled, region.length - filled, position + filled);
      if (read === 0) return false;
      filled += read;
    }
  } catch {
    return false;
  }
  return true;
}
const eagainMaxMs = 100;
// Texts are joined into runs of about this many code units, and each run is encoded into its
// block as soon as it is full, so the texts die young instead of waiting on the heap for their
// chunk's write: measured in apps/bench's file scenario, holding texts until the write cost a
// quarter of the wall time in scavenges that copied them and flattened their joins. One
// `Buffer.write` per text costs more than the join (a native call each).
const encodeRunLength = 16_384;
// UTF-8 takes at most three bytes for one UTF-16 code unit.
const maxBytesPerCodeUnit = 3;
// Blocks' storage kept for reuse: one is written while the next fills.
const pooledStorages = 2;

/**
 * The UTF-8 size of each of the texts encoded one after another from `start`, given their lengths
 * in UTF-16 code units. A surrogate pair split between two texts was encoded as one character,
 * whose four bytes count for the first.
 */
function utf8Sizes(bytes: Buffer, start: number, lengths: readonly number[]): number[] {
  const sizes: number[] = [];
  let position = start;
  let counted = 0;
  for (const length of lengths) {
    const begin = position;
    while (counted < length) {
      const lead = bytes[position] as number;
      position += lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4;
      counted += lead < 0xf0 ? 1 : 2;
    }
    counted -= length;
    sizes.push(position - begin);
  }
  return sizes;
}

/** Calls a batch's synchronous listener, which belongs to the sink: its bugs stay there. */
function tell(settled: ((written: number) => void) | undefined, written: number): void {
  try {
    settled?.(written);
  } catch {
    // Ignored, as documented: the promise still settles.
  }
}

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
 * so a program does not exit with output a slow reader would still have taken, until the
 * destination has taken no byte for `holdOnStallMs`. Used by the file and console sinks, and
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
  readonly #separatorBytes: Buffer;
  #tornRecord = false;
  // True while `onWriteError` decides what becomes of the held text (see `flushSync`).
  #deciding = false;
  // The latest discards, as [first event, end) pairs, oldest first: a batch whose events were
  // discarded before it asked (a drain inside its own writes) learns it from them.
  #recentDiscards: [number, number][] = [];
  #inFlightTorn = false;
  /** Blocks complete and encoded, oldest first. */
  #blocks: Block[] = [];
  /** The block taking texts, after all of `#blocks`; its last texts wait in `#run`. */
  #open: Block | undefined;
  /** The open block's texts not yet encoded, joined. */
  #run = "";
  readonly #storagePool: Buffer[] = [];
  readonly #storageBytes: number;
  #bufferedLength = 0;
  #bufferedEvents = 0;
  #inFlight: InFlight | undefined;
  #scheduled = false;
  #retryTimer: NodeJS.Timeout | undefined;
  #backoffMs = 0;
  #eagainMs = 0;
  readonly #holdOnStallMs: number;
  // When the destination first refused a write (EAGAIN) since it last took a byte, in
  // `performance.now()` time; `undefined` while it takes what it is given.
  #stalledSince: number | undefined;
  #accepted = 0;
  #settled = 0;
  readonly #failures = new UnreportedFailures();
  #lastError: unknown;
  #waiters: FlushWaiter[] = [];
  #idleWaiters: (() => void)[] = [];
  #stopped = false;
  // An asynchronous write or fsync has not called back yet: the OS may still be writing.
  #outstanding = false;
  // flushSync saw the outstanding call's write complete in the file and credited it: text may be
  // written beside it, while its callback (if it ever runs) is ignored.
  #outstandingDone = false;
  // Whether `#fd` is a regular file, checked once per descriptor (`undefined`: not yet).
  #regularFile: boolean | undefined;

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
    this.#holdOnStallMs = waitOption(
      "holdOnStallMs",
      options.holdOnStallMs,
      Number.POSITIVE_INFINITY,
    );
    this.#separatorBytes = Buffer.from(this.#recordSeparator);
    // Room for a chunk of ASCII text and one run of the widest; wider text grows the storage.
    this.#storageBytes =
      this.#chunkBytes + Math.min(this.#chunkBytes, encodeRunLength) * maxBytesPerCodeUnit;
  }

  /** Text held and not yet written, in UTF-16 code units (including a write in flight). */
  get pendingBytes(): number {
    return this.#bufferedLength + (this.#inFlight?.textLength ?? 0);
  }

  /** Events held and not yet written (including a write in flight). */
  get pendingEvents(): number {
    return this.#bufferedEvents + (this.#inFlight?.block.eventCount ?? 0);
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
    let block = this.#open;
    if (block === undefined) {
      block = this.#newOpenBlock();
    } else if (block.textLength + text.length > this.#chunkBytes) {
      this.#closeOpenBlock();
      block = this.#newOpenBlock();
    }
    block.lengths.push(text.length);
    if (block.events !== undefined) {
      block.events.push(events);
    } else if (events !== 1) {
      block.events = new Array<number>(block.lengths.length - 1).fill(1);
      block.events.push(events);
    }
    block.textLength += text.length;
    block.eventCount += events;
    this.#run += text;
    this.#bufferedLength += text.length;
    this.#bufferedEvents += events;
    this.#accepted += events;
    if (this.#run.length >= encodeRunLength) this.#encodeRun(block);
    this.#schedule();
    return true;
  }

  #newOpenBlock(): Block {
    const storage = this.#storagePool.pop() ?? Buffer.allocUnsafe(this.#storageBytes);
    const block: Block = {
      storage,
      start: 0,
      end: 0,
      lengths: [],
      events: undefined,
      sizes: undefined,
      ascii: true,
      textLength: 0,
      eventCount: 0,
    };
    this.#open = block;
    return block;
  }

  /**
   * Encodes the open block's last texts and queues it for writing. A block closed before it is
   * full moves to storage of its own size when `compact` is set, so that blocks closed early
   * again and again (on every failed write) hold no more memory than their text.
   */
  #closeOpenBlock(compact = false): void {
    const block = this.#open;
    if (block === undefined) return;
    this.#encodeRun(block);
    this.#open = undefined;
    if (compact && block.end * 2 < block.storage.length) {
      const storage = Buffer.allocUnsafe(block.end);
      block.storage.copy(storage, 0, 0, block.end);
      this.#recycle(block);
      block.storage = storage;
    }
    this.#blocks.push(block);
  }

  /** Encodes the run into the open block. */
  #encodeRun(block: Block): void {
    const run = this.#run;
    if (run.length === 0) return;
    block.storage = withCapacity(block.storage, block.end, run.length * maxBytesPerCodeUnit);
    const bytes = block.storage.write(run, block.end);
    // Only ASCII takes one byte a code unit.
    if (bytes !== run.length) block.ascii = false;
    block.end += bytes;
    this.#run = "";
  }

  /** The block's texts' sizes in bytes, worked out the first time a failure needs them. */
  #sizes(block: Block): number[] {
    block.sizes ??= block.ascii
      ? block.lengths.slice()
      : utf8Sizes(block.storage, block.start, block.lengths);
    return block.sizes;
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
        settled: undefined,
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
   * @param settled told the same number synchronously, the moment it is known (inside
   *   `flushSync`, a write's callback or `abandon`, or before `flushBatch` returns when the batch
   *   is settled already): on an exit path the promise's reactions never run. Must not throw (a
   *   throw is ignored).
   * @returns the number of the batch's leading events written, from 0 to `count`.
   */
  flushBatch(count: number, settled?: (written: number) => void): Promise<number> {
    const target = this.#accepted;
    const batchStart = target - Math.max(0, Math.min(count, target));
    const firstDiscarded = this.#firstDiscardedFrom(batchStart, target);
    if (this.#settled >= target) {
      tell(settled, firstDiscarded - batchStart);
      return Promise.resolve(firstDiscarded - batchStart);
    }
    return new Promise<number>((resolve, reject) => {
      this.#waiters.push({
        target,
        mark: undefined,
        batchStart,
        firstDiscarded,
        resolve,
        settled,
        reject,
      });
    });
  }

  /**
   * Writes everything buffered with synchronous system calls, for `process.on("exit")` and crash
   * paths, where the event loop never runs again.
   *
   * An asynchronous write still outstanding must land before anything written beside it. On a
   * regular file its completion shows in the file (the threadpool writes it even though its
   * callback never comes): flushSync sleeps in 1 ms steps until the write's own bytes are in the
   * file after where it was issued (read back through a descriptor of its own; growth alone
   * would be fooled by another process appending to the same file), counts the write as written
   * (its callback, should it still run, is ignored), then writes the rest. The wait is bounded by
   * `timeoutMs`; when it runs out, a beginning of the write that ends the file counts as a write
   * the OS cut short (a full disk, a size limit): the whole events in it are credited and the
   * rest is written after them; otherwise everything stays buffered. A file that cannot be read
   * back is judged by its growth. A file truncated under the write (copytruncate) is searched
   * from its start, where the write then lands. On a pipe,
   * a terminal or a socket nothing shows how much of a write was taken, and text written beside
   * it could land ahead of it or inside it: flushSync writes nothing while a call is outstanding
   * there, and the buffer waits for the asynchronous writer (an exit path then counts what is
   * left, see `Sink.abandon`). An outstanding `fsync` means the write itself is done.
   *
   * A write waiting out a full pipe or a failure backoff is taken over and finished first. Never
   * throws: failures go to `onWriteError` (a `"retry"` decision leaves the data buffered). When a
   * write fails part-way, the events written whole count as written and a later record never
   * continues the torn one, as with asynchronous writes.
   *
   * @param timeoutMs how long to wait, in all, for an outstanding write to a file to complete and
   *   for a full pipe (EAGAIN) to take data. Without it, an outstanding write gets about a
   *   second, and a full pipe about a second. Either way, what a full pipe did not take stays
   *   buffered, never failed (a stalled reader is not a failed write): for the asynchronous
   *   writer, or for an exit path's `abandon` to count as given up.
   * Called from inside `onWriteError`, it does nothing: the held text is that failure's to decide.
   */
  flushSync(timeoutMs?: number): void {
    // Called from inside `onWriteError` (an owner's error callback that drains): the held text is
    // the failure's, already counted by the owner as failed or about to be retried; writing it
    // here would fail it a second time, or deliver what was counted failed.
    if (this.#deciding) return;
    const started = performance.now();
    const deadline = timeoutMs === undefined ? undefined : started + timeoutMs;
    if (this.#outstanding && !this.#outstandingDone) {
      if (!this.#awaitOutstanding(deadline ?? started + outstandingWaitMs)) return;
    }
    if (this.#inFlight !== undefined) this.#takeOverInFlight(this.#inFlight);
    let eagainRetries = 0;
    for (let attempt = this.#takeBlock(); attempt !== undefined; attempt = this.#takeBlock()) {
      while (attempt.offset < attempt.buffer.length) {
        try {
          const taken = writeSync(
            this.#fd,
            attempt.buffer,
            attempt.offset,
            attempt.buffer.length - attempt.offset,
          );
          if (taken > 0) this.#stalledSince = undefined;
          attempt.offset += taken;
        } catch (error) {
          const failure = error as NodeJS.ErrnoException;
          if (failure.code === "EAGAIN") {
            this.#stalledSince ??= performance.now();
            const waitMs = deadline === undefined ? 1 : Math.min(1, deadline - performance.now());
            if (deadline === undefined ? eagainRetries < 1000 : waitMs > 0) {
              eagainRetries += 1;
              // A full non-blocking pipe: wait a millisecond for the reader, without spinning.
              Atomics.wait(sleeper, 0, 0, waitMs);
              continue;
            }
            // A destination that is merely full is not a failed one: the whole events it took
            // are credited and the rest stays buffered, for the asynchronous writer, or for the
            // exit path's `abandon` to count under its own reason (`process_exit`), whether the
            // caller gave a timeout or not.
            this.#creditWrittenPieces(attempt);
            this.#restoreUnwritten(attempt);
            this.#schedule();
            return;
          }
          const torn = this.#creditWrittenPieces(attempt);
          this.#restoreUnwritten(attempt);
          this.#handleError(failure, true, torn);
          return;
        }
      }
      this.#completed(attempt.block.eventCount, attempt.buffer.length);
      this.#recycle(attempt.block);
    }
  }

  /**
   * Waits, without the event loop, until the outstanding write of the write in flight shows in
   * its file, and moves the write's offset past what reached the file, so that
   * {@link FdWriter.#takeOverInFlight} credits it; the write's callback is ignored from then on.
   * The file's growth alone proves nothing: another process appending to it makes it grow while
   * the write still waits for a thread, so the write's own bytes are looked for.
   *
   * @returns whether text may now be written beside the outstanding call.
   */
  #awaitOutstanding(deadline: number): boolean {
    const inFlight = this.#inFlight;
    // A call of a write `abandon()` gave up: nothing tells where it ends.
    if (inFlight === undefined) return false;
    if (!inFlight.syncing) {
      if (inFlight.callEnd < 0) return false;
      const data = inFlight.buffer.subarray(inFlight.offset);
      let start = inFlight.callEnd - data.length;
      let searchedSize = -1;
      let landed = 0;
      for (;;) {
        let size: number;
        try {
          size = fstatSync(inFlight.callFd).size;
        } catch {
          return false;
        }
        // Truncated under the write (copytruncate): it appends at the file's new end.
        if (size < start) start = 0;
        if (size !== searchedSize && size - start >= data.length) {
          searchedSize = size;
          if (containsAfter(inFlight.callFd, data, start, size)) {
            landed = data.length;
            break;
          }
        }
        const left = deadline - performance.now();
        if (left <= 0) {
          // A write the OS cut short (a full disk, a size limit) left a prefix at the file's end.
          landed = prefixAtEnd(inFlight.callFd, data, start, size);
          if (landed <= 0) return false;
          break;
        }
        Atomics.wait(sleeper, 0, 0, Math.min(1, left));
      }
      inFlight.offset += landed;
    }
    this.#outstandingDone = true;
    return true;
  }

  /**
   * Switches to another descriptor (after a reopen); buffered text goes to the new one. A write
   * in flight finishes on the old one.
   *
   * @param fd the new descriptor.
   */
  setFd(fd: number): void {
    this.#fd = fd;
    this.#regularFile = undefined;
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
   * is forgotten, a write in flight is no longer waited for, and the writer stops as after
   * `stop()`. The whole events of a write in flight that the OS took before it stalled (a full
   * pipe took part of the chunk) are reported to `onWritten` first, once; whatever of it an
   * outstanding system call still takes is not reported. Pending flushes reject
   * with `error` (the rule of `Sink.flush`); batches settle with the part written before.
   *
   * @param error the failure pending flushes reject with, when anything was given up.
   * @returns how many events were given up; the caller counts them.
   */
  abandon(error: unknown): number {
    this.#stopped = true;
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    // Whole events whose bytes the OS took before the write stalled or its call went out are
    // delivered, not given up (what the outstanding call itself takes is never known). With
    // `fsync`, only a completed sync makes them written.
    if (this.#inFlight !== undefined && !this.#fsync) this.#creditWrittenPieces(this.#inFlight);
    const events = this.pendingEvents;
    this.#inFlight = undefined;
    this.#blocks = [];
    this.#open = undefined;
    this.#run = "";
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

  /**
   * How long, in milliseconds, the destination has refused text that waits for it (a full pipe,
   * EAGAIN) without taking a byte; 0 while it takes what it is given. For an owner that gives the
   * text up to say why (a reader that stopped reading), since a stall is not a write failure.
   */
  get stalledMs(): number {
    return this.#stalledSince === undefined ? 0 : performance.now() - this.#stalledSince;
  }

  /** The last write error, if any. */
  get lastError(): unknown {
    return this.#lastError;
  }

  /**
   * Takes the oldest block for writing (the open one, encoded, when no other is waiting), after
   * the separator a torn record is owed.
   */
  #takeBlock(): InFlight | undefined {
    let block = this.#blocks.shift();
    if (block === undefined) {
      block = this.#open;
      if (block === undefined) return undefined;
      this.#encodeRun(block);
      this.#open = undefined;
    }
    this.#bufferedLength -= block.textLength;
    this.#bufferedEvents -= block.eventCount;
    let buffer = block.storage.subarray(block.start, block.end);
    let prefix = "";
    if (this.#tornRecord) {
      this.#tornRecord = false;
      prefix = this.#recordSeparator;
      buffer = Buffer.concat([this.#separatorBytes, buffer]);
    }
    return {
      block,
      buffer,
      offset: 0,
      textLength: prefix.length + block.textLength,
      prefix,
      prefixBytes: prefix === "" ? 0 : this.#separatorBytes.length,
      creditedBytes: 0,
      callFd: this.#fd,
      callEnd: -1,
      syncing: false,
    };
  }

  /** Keeps a written block's storage for a later block. */
  #recycle(block: Block): void {
    // Storage grown for a wide or huge text is left to the garbage collector.
    if (this.#storagePool.length < pooledStorages && block.storage.length === this.#storageBytes) {
      this.#storagePool.push(block.storage);
    }
  }

  /**
   * Puts what a synchronous write left unwritten back at the head of the buffer, after
   * {@link FdWriter.#creditWrittenPieces} took out the whole events written: the first text
   * keeps only its unwritten end, so writing it later completes the record it began.
   */
  #restoreUnwritten(attempt: InFlight): void {
    const block = attempt.block;
    const sizes = this.#sizes(block);
    const unwritten = attempt.buffer.length - attempt.offset;
    let remaining = 0;
    for (const size of sizes) remaining += size;
    if (unwritten > remaining) {
      // A separator is owed before the rest (this chunk's own, or a credited record's end).
      this.#tornRecord = true;
    } else if (remaining > unwritten) {
      // The first text's rest starts where the write stopped.
      const restSize = (sizes[0] as number) - (remaining - unwritten);
      const restStart = block.end - unwritten;
      const restLength = block.storage.toString("utf8", restStart, restStart + restSize).length;
      block.textLength += restLength - (block.lengths[0] as number);
      sizes[0] = restSize;
      block.lengths[0] = restLength;
    }
    block.start = block.end - Math.min(unwritten, remaining);
    if (sizes.length === 0) return;
    this.#blocks.unshift(block);
    this.#bufferedLength += block.textLength;
    this.#bufferedEvents += block.eventCount;
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
    const attempt = this.#takeBlock();
    if (attempt === undefined) return;
    this.#inFlight = attempt;
    this.#continueWrite();
  }

  /** Goes on with the write in flight, or starts the next one. */
  #writeNext(): void {
    if (this.#inFlight !== undefined) this.#continueWrite();
    else this.#startWrite();
  }

  #continueWrite(): void {
    const inFlight = this.#inFlight as InFlight;
    const length = inFlight.buffer.length - inFlight.offset;
    inFlight.callFd = this.#fd;
    inFlight.callEnd = this.#fileEndAfter(length);
    inFlight.syncing = false;
    this.#outstanding = true;
    writeAsync(this.#fd, inFlight.buffer, inFlight.offset, length, null, (error, written) =>
      this.#afterWrite(inFlight, error, written),
    );
  }

  /**
   * The size a regular file will have once `length` more bytes are appended, for flushSync to
   * see an outstanding write complete without its callback; -1 for a pipe, a terminal or a
   * socket, whose size says nothing. One `fstat` per chunk (about 1.7 us here, per 1 MiB by
   * default), measured as noise in apps/bench's file scenario.
   */
  #fileEndAfter(length: number): number {
    if (this.#regularFile === false) return -1;
    try {
      const info = fstatSync(this.#fd);
      this.#regularFile = info.isFile();
      return this.#regularFile ? info.size + length : -1;
    } catch {
      // The write reports what is wrong with the descriptor; flushSync only waits less.
      return -1;
    }
  }

  #afterWrite(inFlight: InFlight, error: NodeJS.ErrnoException | null, written: number): void {
    this.#outstanding = false;
    this.#outstandingDone = false;
    if (this.#inFlight !== inFlight) {
      this.#afterAbandonedCall();
      return;
    }
    if (error !== null) {
      if (error.code === "EAGAIN") {
        const now = performance.now();
        this.#stalledSince ??= now;
        // What the pipe took is delivered now, not when the rest goes: a give-up later (an exit
        // path's abandon) must not count lines the reader already has as lost.
        if (!this.#fsync) this.#creditWrittenPieces(inFlight);
        this.#eagainMs = Math.min(eagainMaxMs, Math.max(eagainInitialMs, this.#eagainMs * 2));
        this.#retryTimer = setTimeout(() => {
          this.#retryTimer = undefined;
          this.#writeNext();
        }, this.#eagainMs);
        // Referenced while the reader may be merely slow: it will take the data, and the process
        // should not exit with it unwritten. A reader that took nothing for the bound may never
        // read again: the process is free to end, and its exit path counts what is left.
        if (now - this.#stalledSince >= this.#holdOnStallMs) this.#retryTimer.unref();
        return;
      }
      this.#inFlightTorn = this.#creditWrittenPieces(inFlight);
      this.#handleError(error, false);
      return;
    }
    this.#eagainMs = 0;
    if (written > 0) this.#stalledSince = undefined;
    inFlight.offset += written;
    if (inFlight.offset < inFlight.buffer.length) {
      this.#continueWrite();
      return;
    }
    if (this.#fsync) {
      this.#outstanding = true;
      inFlight.syncing = true;
      fsync(this.#fd, (syncError) => {
        this.#outstanding = false;
        this.#outstandingDone = false;
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
    const prefixBytes = inFlight.prefixBytes;
    if (inFlight.offset < prefixBytes) return inFlight.prefix !== "" || inFlight.offset > 0;
    const block = inFlight.block;
    const sizes = this.#sizes(block);
    const separator = this.#separatorBytes;
    // A write retried after a failure was credited once already, up to `creditedBytes`.
    let end = Math.max(prefixBytes, inFlight.creditedBytes);
    let events = 0;
    let length = 0;
    let texts = 0;
    let owesSeparator = false;
    while (texts < sizes.length) {
      const size = sizes[texts] as number;
      const next = end + size;
      if (next > inFlight.offset) {
        // The text ends with the separator, and only the separator is unwritten.
        const textEnd = block.end - (inFlight.buffer.length - next);
        owesSeparator =
          separator.length > 0 &&
          size >= separator.length &&
          next - inFlight.offset === separator.length &&
          block.storage.compare(
            separator,
            0,
            separator.length,
            textEnd - separator.length,
            textEnd,
          ) === 0;
        if (!owesSeparator) break;
      }
      end = next;
      events += block.events?.[texts] ?? 1;
      length += block.lengths[texts] as number;
      texts += 1;
      if (owesSeparator) break;
    }
    if (texts > 0) {
      sizes.splice(0, texts);
      block.lengths.splice(0, texts);
      block.events?.splice(0, texts);
      block.eventCount -= events;
      block.textLength -= length;
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
    this.#completed(inFlight.block.eventCount, inFlight.buffer.length - inFlight.creditedBytes);
    this.#recycle(inFlight.block);
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
    const events = this.#bufferedEvents + (synchronous ? 0 : (inFlight?.block.eventCount ?? 0));
    const bytes = this.#bufferedLength + (synchronous ? 0 : (inFlight?.textLength ?? 0));
    // The callback may log, and so write, again: what it adds is not part of this failure, and
    // goes to a block of its own.
    this.#closeOpenBlock(true);
    const held = {
      blocks: this.#blocks.length,
      length: this.#bufferedLength,
      events: this.#bufferedEvents,
      accepted: this.#accepted,
    };
    let decision: WriteErrorDecision = "discard";
    this.#deciding = true;
    try {
      decision = this.#onWriteError?.(error, events, bytes) ?? "discard";
    } catch {
      decision = "discard";
    } finally {
      this.#deciding = false;
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
    this.#blocks = this.#blocks.slice(held.blocks);
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
    if (events > 0) {
      // Discards one after another (every drain failing) make one range: a batch learns where
      // the first of them began however many there were.
      const last = this.#recentDiscards.at(-1);
      if (last !== undefined && last[1] >= firstDiscarded) {
        last[1] = Math.max(last[1], firstDiscarded + events);
      } else {
        this.#recentDiscards.push([firstDiscarded, firstDiscarded + events]);
        if (this.#recentDiscards.length > recentDiscardsKept) this.#recentDiscards.shift();
      }
    }
    for (const waiter of this.#waiters) {
      if (firstDiscarded < waiter.firstDiscarded) waiter.firstDiscarded = firstDiscarded;
    }
    this.#settled += events;
    this.#failures.record(error);
    this.#releaseWaiters();
    this.#releaseIdleWaiters();
  }

  /** The first event from `start` that a discard already took, or `end` if none did. */
  #firstDiscardedFrom(start: number, end: number): number {
    for (const [first, past] of this.#recentDiscards) {
      if (past > start) return Math.min(end, Math.max(first, start));
    }
    return end;
  }

  #releaseWaiters(): void {
    if (this.#waiters.length === 0) return;
    // Settled ones leave the list before anyone is told: a batch's synchronous listener may
    // write, and wait, again.
    const waiters = this.#waiters;
    this.#waiters = [];
    const ready: [FlushWaiter, number][] = [];
    for (const waiter of waiters) {
      if (this.#settled < waiter.target) {
        this.#waiters.push(waiter);
        continue;
      }
      const written = Math.min(
        Math.max(0, waiter.firstDiscarded - waiter.batchStart),
        waiter.target - waiter.batchStart,
      );
      ready.push([waiter, written]);
    }
    for (const [waiter, written] of ready) {
      if (waiter.mark === undefined) {
        tell(waiter.settled, written);
        waiter.resolve(written);
        continue;
      }
      try {
        this.#failures.throwIfFailedSince(waiter.mark);
        waiter.resolve(0);
      } catch (error) {
        waiter.reject(error);
      }
    }
  }
}
