import {
  close as closeCallback,
  closeSync,
  constants as fsConstants,
  fstat as fstatCallback,
  fstatSync,
  fsync as fsyncCallback,
  fsyncSync,
  mkdirSync,
  openSync,
  readSync,
  writeSync,
} from "node:fs";
import { rename, stat } from "node:fs/promises";
import { dirname } from "node:path";
import { promisify } from "node:util";
import {
  type BatchSettled,
  type DropReason,
  type LogEvent,
  LoggingError,
  type Sink,
  type SinkStats,
} from "@sluice/core";
import {
  type DeliveryObserver,
  DeliveryObservers,
  DeliveryTimestamps,
  FdWriter,
  formatEvent,
  PartialDeliveryError,
  reportError,
  SinkCounters,
} from "@sluice/core/sink";
import { readClock } from "./clock.ts";
import {
  type FileSinkOptions,
  type ResolvedFileSinkOptions,
  resolveFileSinkOptions,
} from "./file-sink-options.ts";
import { compressRolledFile, repairRolledFiles } from "./rolled-compression.ts";
import {
  applyRetention,
  listRolledFiles,
  periodStart,
  type RolledNaming,
  rolledNaming,
  rolledPath,
} from "./rolled-files.ts";
import { acquireWriterLock, type WriterLock } from "./writer-lock.ts";

/** The counters of a file sink. */
export interface FileSinkStats extends SinkStats {
  /** The active file's path. */
  readonly file: string;
  /** Formatted text waiting for the disk, in UTF-16 code units. */
  readonly bufferedBytes: number;
  /** Rolls since the sink was created. */
  readonly rolls: number;
  /** Reopens since the sink was created (deleted or moved file, `reopen()`, recovery). */
  readonly reopens: number;
}

/** The sink `createFileSink` returns. */
export interface FileSink extends Sink {
  /** The active file's path, as configured. */
  readonly path: string;
  /**
   * Closes and reopens the active file by its path: for external rotation (logrotate's `create`
   * mode, or a SIGHUP handler). Data already buffered goes to the new file.
   */
  reopen(): Promise<void>;
  /**
   * Writes everything buffered with synchronous calls, for exit paths.
   *
   * @param timeoutMs how long to wait for a full pipe (a FIFO as the path); see `Sink.flushSync`.
   */
  flushSync(timeoutMs?: number): void;
  /**
   * Gives up the text still buffered or in flight (see `Sink.abandon`): its events count as
   * dropped for `reason`, pending calls settle at once, and the sink is closed; `close()` still
   * closes the descriptor.
   *
   * @param reason the drop reason, e.g. `shutdown_timeout`.
   */
  abandon(reason: DropReason): void;
  /**
   * Observes deliveries (see `Sink.observeDelivery`): the timestamps of events whose text a
   * write system call took (after `fsync` with `durability: "batch"`).
   *
   * @param observer receives the delivered events' timestamps.
   * @returns a function that stops the observation.
   */
  observeDelivery(observer: DeliveryObserver): () => void;
  /** The sink's counters. */
  stats(): FileSinkStats;
}

/** Tells a batch's synchronous listener (see `Sink.writeBatch`); its throw is its own. */
function report(settled: BatchSettled | undefined, delivered: number, error?: unknown): void {
  try {
    if (error === undefined) settled?.(delivered);
    else settled?.(delivered, error);
  } catch {
    // Ignored, as the contract says: the promise still settles.
  }
}

const close = promisify(closeCallback);
const fstat = promisify(fstatCallback);
const fsync = promisify(fsyncCallback);

// A descriptor no process has: writes to it fail with EBADF, which routes them through the
// normal failure path (counted, reported, retried) while the file cannot be opened.
const unopenedDescriptor = 2_147_483_647;

/**
 * Creates a file sink: events are formatted (CLEF by default) into a bounded buffer and written
 * off the caller's path, one write in flight at a time, in large chunks. The file rolls by size
 * and by calendar period with retention; a deleted or moved file is reopened within
 * `checkIntervalMs`; disk faults never crash the process: events that cannot be written are
 * counted as failed, `flush()` rejects, and writing resumes by itself once the fault clears.
 *
 * @param options the path and everything else.
 * @returns the sink.
 * @throws {LoggingError} `invalid_option` for a bad option (never for an I/O failure).
 * @example
 * ```ts
 * const sink = createFileSink({
 *   path: "logs/app.log",
 *   rolling: { maxSize: 50 * 1024 * 1024, interval: "day", maxFiles: 14 },
 * });
 * process.on("SIGHUP", () => void sink.reopen());
 * ```
 */
export function createFileSink(options: FileSinkOptions): FileSink {
  return new FileSinkImplementation(resolveFileSinkOptions(options));
}

class FileSinkImplementation implements FileSink {
  readonly name = "file";
  // One writer takes every batch's text in call order.
  readonly acceptsOverlappingBatches = true;
  readonly path: string;
  readonly #options: ResolvedFileSinkOptions;
  readonly #counters = new SinkCounters();
  readonly #writer: FdWriter;
  readonly #naming: RolledNaming;
  /** Whether this sink renames or deletes files (rolling, retention), and so needs the lock. */
  readonly #rolling: boolean;
  #lock: WriterLock | undefined;
  #tidyPending = false;
  #compressionQueued = false;
  #fd: number = unopenedDescriptor;
  #openError: unknown;
  #fileSize = 0;
  #period: number | undefined;
  #rollSequence = -1;
  #rolls = 0;
  #reopens = 0;
  #maintenance: Promise<void> | undefined;
  #sizeRollQueued = false;
  #retryDelayMs = 0;
  #retryTimer: NodeJS.Timeout | undefined;
  #checkTimer: NodeJS.Timeout;
  #checking = false;
  #closed = false;
  #closing: Promise<void> | undefined;
  #abandonError: LoggingError | undefined;
  // Batches written whole whose report waits for an fsync (durability "flush"): their promise's
  // own, or that of a synchronous drain, which at exit is the only one that ends.
  readonly #awaitingFsync = new Set<(failure: unknown) => void>();
  readonly #observers = new DeliveryObservers((active) => this.#timestamps.track(active));
  readonly #timestamps = new DeliveryTimestamps(this.#observers, () => this.#writer.pendingEvents);

  constructor(options: ResolvedFileSinkOptions) {
    this.#options = options;
    this.path = options.path;
    this.#naming = rolledNaming(options.path);
    this.#rolling =
      options.maxSize !== undefined ||
      options.interval !== undefined ||
      options.maxFiles !== undefined ||
      options.maxAgeMs !== undefined;
    this.#openActive();
    this.#writer = new FdWriter({
      fd: this.#fd,
      maxBufferBytes: options.maxBufferBytes,
      fsync: options.durability === "batch",
      holdOnStallMs: options.holdOnStallMs,
      onWritten: (events, bytes) => this.#written(events, bytes),
      onWriteError: (error, events) => this.#writeFailed(error, events),
    });
    this.#period = this.#currentPeriod();
    this.#checkTimer = setInterval(() => this.#check(), options.checkIntervalMs);
    this.#checkTimer.unref();
    if (this.#rolling) this.#runMaintenance(() => this.#tidyRolledFiles());
  }

  write(event: LogEvent): void {
    if (this.#closed) this.#counters.refuse("closed");
    else this.#take(event);
  }

  writeBatch(events: readonly LogEvent[], settled?: BatchSettled): Promise<void> {
    if (this.#closed) {
      this.#counters.refuse("closed", events.length);
      const error = new LoggingError("sink_closed", `File sink "${this.path}" is closed.`);
      report(settled, 0, error);
      return Promise.reject(error);
    }
    let taken = 0;
    let refusal: DropReason | undefined;
    for (const event of events) {
      refusal = this.#take(event);
      if (refusal !== undefined) break;
      taken += 1;
    }
    // What is delivered must be a prefix of the batch: after one refused event, none is taken.
    const untried = events.length - taken - (refusal === undefined ? 0 : 1);
    if (refusal !== undefined && untried > 0) this.#counters.refuse(refusal, untried);
    this.#retryNow();
    const outcome = (written: number): unknown => {
      if (written === events.length) return undefined;
      const cause =
        written < taken
          ? (this.#abandonError ?? this.#writeCause(this.#writer.lastError))
          : new LoggingError(
              "sink_failure",
              `${events.length - taken} events were dropped (${refusal}) by the file sink "${this.path}".`,
            );
      return written === 0 ? cause : new PartialDeliveryError(written, events.length, { cause });
    };
    const fsyncs = this.#options.durability === "flush";
    let awaitingFsync: ((failure: unknown) => void) | undefined;
    const tellNow =
      settled === undefined
        ? undefined
        : (written: number): void => {
            if (!fsyncs || written < taken) {
              report(settled, written, outcome(written));
              return;
            }
            // Delivered once on disk: told after the first fsync that follows, the promise's or
            // a synchronous drain's (a batch written before the exit hook waits on a promise
            // whose fsync never ends).
            awaitingFsync = (failure) => {
              if (failure === undefined) report(settled, written, outcome(written));
              else report(settled, 0, failure);
            };
            this.#awaitingFsync.add(awaitingFsync);
          };
    // The batch's promise follows its events to the OS, not into the buffer.
    return this.#writer.flushBatch(taken, tellNow).then(async (written) => {
      if (written === taken && fsyncs) {
        try {
          await this.#fsyncActive();
        } finally {
          // The promise tells from here on.
          if (awaitingFsync !== undefined) this.#awaitingFsync.delete(awaitingFsync);
        }
      }
      const error = outcome(written);
      if (error !== undefined) throw error;
    });
  }

  async flush(): Promise<void> {
    // A flush tries at once rather than waiting out a failure backoff, so it settles promptly:
    // delivered, or rejected with the fault.
    this.#retryNow();
    await this.#writer.flush().catch((error: unknown) => {
      throw this.#writeCause(error);
    });
    if (this.#options.durability === "flush") await this.#fsyncActive();
  }

  flushSync(timeoutMs?: number): void {
    const deadline = timeoutMs === undefined ? undefined : performance.now() + timeoutMs;
    for (;;) {
      this.#writer.flushSync(
        deadline === undefined ? undefined : Math.max(0, deadline - performance.now()),
      );
      let failure: unknown;
      if (this.#options.durability !== "os" && this.#fd !== unopenedDescriptor) {
        try {
          fsyncSync(this.#fd);
        } catch (error) {
          failure = error;
          this.#report(error, "fsync", 0);
        }
      }
      // Batches written whole, above or before, whose delivery waits on an fsync (durability
      // "flush"); a failed fsync fails them whole, as their promise would.
      const awaiting = [...this.#awaitingFsync];
      this.#awaitingFsync.clear();
      const pending = this.#writer.pendingEvents;
      for (const tell of awaiting) tell(failure);
      // A caller told of one batch may hand over the next at once (a wrapper that delivers one
      // batch at a time does): it is written in this drain too, as it is when no fsync stands
      // between the write and the telling. Ends when the telling brought nothing new, or at the
      // caller's deadline.
      if (failure !== undefined || this.#writer.pendingEvents <= pending) return;
      if (deadline !== undefined && performance.now() >= deadline) return;
    }
  }

  abandon(reason: DropReason): void {
    if (this.#abandonError !== undefined) return;
    this.#closed = true;
    clearInterval(this.#checkTimer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    const stalledMs = this.#writer.stalledMs;
    const held = this.#writer.pendingEvents;
    this.#abandonError = new LoggingError(
      "timeout",
      `File sink "${this.path}" gave up ${held} events it still held (${reason})` +
        (stalledMs > 0
          ? `: its destination took no data for ${Math.round(stalledMs)} ms (EAGAIN, a pipe whose reader stopped reading).`
          : "."),
    );
    const events = this.#writer.abandon(this.#abandonError);
    this.#counters.drop(reason, events);
    // A stall is no write failure, so nothing else keeps its trace: the last error says why the
    // events were given up, for a report at exit to name the cause.
    if (events > 0 && stalledMs > 0) this.#counters.lastError = this.#abandonError;
    this.#timestamps.discard(events);
  }

  observeDelivery(observer: DeliveryObserver): () => void {
    return this.#observers.add(observer);
  }

  reopen(): Promise<void> {
    return this.#runMaintenance(() => this.#swapFile(false));
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  stats(): FileSinkStats {
    return {
      ...this.#counters.snapshot(),
      pending: this.#writer.pendingEvents,
      pendingBytes: this.#writer.pendingBytes,
      file: this.path,
      bufferedBytes: this.#writer.pendingBytes,
      rolls: this.#rolls,
      reopens: this.#reopens,
    };
  }

  async #close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#checkTimer);
    let failure: unknown;
    try {
      // Each compression task queues the next: wait for the chain, not only its current task.
      while (this.#maintenance !== undefined) await this.#maintenance;
      await this.flush();
    } catch (error) {
      failure = error;
    }
    this.#writer.stop();
    if (this.#fd !== unopenedDescriptor) {
      await close(this.#fd).catch(() => {});
      this.#fd = unopenedDescriptor;
    }
    this.#lock?.release();
    this.#lock = undefined;
    if (failure !== undefined) throw failure;
  }

  /** Formats and buffers one event; returns why it was refused, if it was. */
  #take(event: LogEvent): DropReason | undefined {
    let text: string;
    try {
      text = formatEvent(event, this.#options.formatter);
    } catch (error) {
      this.#counters.refuse("sink_error");
      this.#report(error, "format", 1);
      return "sink_error";
    }
    if (!this.#writer.write(text)) {
      this.#counters.refuse("buffer_full");
      return "buffer_full";
    }
    this.#counters.accept(1);
    this.#timestamps.push(event.timestamp);
    return undefined;
  }

  /**
   * While the file cannot be opened, the reason a write failed is the open's failure, not the
   * placeholder descriptor's EBADF.
   */
  #writeCause(error: unknown): unknown {
    return this.#fd === unopenedDescriptor && this.#openError !== undefined
      ? this.#openError
      : error;
  }

  async #fsyncActive(): Promise<void> {
    if (this.#fd !== unopenedDescriptor) await fsync(this.#fd);
  }

  #retryNow(): void {
    if (this.#retryTimer === undefined) return;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#writer.resume();
  }

  #openActive(): void {
    const options = this.#options;
    try {
      mkdirSync(dirname(options.path), { recursive: true, mode: options.directoryMode });
      if (this.#rolling && this.#lock === undefined) {
        // Two sinks rolling one path would rename, compress and delete under each other and lose
        // delivered events: the second is refused until the first is gone.
        this.#lock = acquireWriterLock(
          options.path,
          options.fileMode,
          Math.max(30_000, 4 * options.checkIntervalMs),
        );
        this.#tidyPending = true;
      }
      const fd = openSync(
        options.path,
        // O_NONBLOCK matters only for a FIFO: without a reader the open fails (ENXIO, retried)
        // instead of blocking the process, and a full pipe gives EAGAIN, which the writer waits out.
        fsConstants.O_WRONLY |
          fsConstants.O_APPEND |
          fsConstants.O_CREAT |
          fsConstants.O_NONBLOCK |
          (options.followSymlinks ? 0 : fsConstants.O_NOFOLLOW),
        options.fileMode,
      );
      const info = fstatSync(fd);
      this.#fileSize = info.size;
      this.#fd = fd;
      this.#openError = undefined;
      if (info.isFile() && info.size > 0) this.#endTornLine(fd, info.ino, info.size);
    } catch (error) {
      this.#fd = unopenedDescriptor;
      this.#openError = error;
      this.#report(error, "open", 0);
    }
  }

  /**
   * A process killed in the middle of a write (SIGKILL, a power loss) can leave the file ending
   * inside a line; the first event appended after a restart would be glued onto it, unreadable
   * although counted delivered. Such a file gets its line ended before anything else is written.
   */
  #endTornLine(fd: number, inode: number, size: number): void {
    const options = this.#options;
    const last = Buffer.alloc(1);
    try {
      const reader = openSync(
        options.path,
        fsConstants.O_RDONLY | (options.followSymlinks ? 0 : fsConstants.O_NOFOLLOW),
      );
      try {
        // The path may already name another file; only the one open for writing matters.
        if (fstatSync(reader).ino !== inode || readSync(reader, last, 0, 1, size - 1) !== 1) return;
      } finally {
        closeSync(reader);
      }
    } catch {
      // Not readable (a write-only file): nothing can be checked, nothing is changed.
      return;
    }
    if (last[0] === 0x0a) return;
    try {
      this.#fileSize += writeSync(fd, "\n");
    } catch (error) {
      this.#report(error, "open", 0);
    }
  }

  #written(events: number, bytes: number): void {
    this.#counters.deliver(events);
    this.#timestamps.deliver(events);
    this.#counters.bytes += bytes;
    this.#fileSize += bytes;
    this.#retryDelayMs = 0;
    const maxSize = this.#options.maxSize;
    if (maxSize !== undefined && this.#fileSize >= maxSize && !this.#sizeRollQueued) {
      // Queued behind whatever maintenance runs now (startup retention, a reopen), so the roll
      // happens as soon as that finishes rather than on some later write.
      this.#sizeRollQueued = true;
      this.#runMaintenance(() => {
        this.#sizeRollQueued = false;
        return this.#fileSize >= maxSize ? this.#swapFile(true) : Promise.resolve();
      }).catch(() => {});
    }
  }

  #writeFailed(error: NodeJS.ErrnoException, events: number): "discard" {
    const cause = this.#writeCause(error);
    this.#counters.fail(events, 0, cause);
    this.#timestamps.discard(events);
    this.#report(cause, "write", events);
    // Stop writing for a while; newer events wait in the (bounded) buffer and are tried again.
    this.#writer.stop();
    this.#retryDelayMs = Math.min(
      this.#options.maxRetryDelayMs,
      this.#retryDelayMs === 0 ? 100 : this.#retryDelayMs * 2,
    );
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (this.#closed) return;
      const needsReopen =
        this.#fd === unopenedDescriptor ||
        ["ENOENT", "EBADF", "ESTALE", "EIO"].includes(error.code ?? "");
      if (needsReopen) {
        this.#runMaintenance(() => this.#swapFile(false)).finally(() => this.#writer.resume());
      } else {
        this.#writer.resume();
      }
    }, this.#retryDelayMs);
    this.#retryTimer.unref();
    return "discard";
  }

  /** Runs one maintenance task at a time (roll, reopen, retention) off the caller's path. */
  #runMaintenance(task: () => Promise<void>): Promise<void> {
    const previous = this.#maintenance ?? Promise.resolve();
    const next = previous
      .then(task)
      .catch((error: unknown) => this.#report(error, "maintenance", 0));
    this.#maintenance = next;
    void next.finally(() => {
      if (this.#maintenance === next) this.#maintenance = undefined;
    });
    return next;
  }

  /** Switches to a fresh file at the configured path; with `roll`, renames the old one first. */
  async #swapFile(roll: boolean): Promise<void> {
    if (this.#closed) return;
    const options = this.#options;
    this.#writer.stop();
    await this.#writer.idle();
    const oldFd = this.#fd;
    let rolled: string | undefined;
    try {
      if (roll && oldFd !== unopenedDescriptor) {
        if (this.#rollSequence < 0) {
          const files = await listRolledFiles(this.#naming);
          this.#rollSequence = files.at(-1)?.sequence ?? -1;
        }
        this.#rollSequence += 1;
        // The name needs a date, never the configured clock's validity: size rolling goes on
        // with the system clock's when the configured one gives no usable reading.
        rolled = rolledPath(this.#naming, this.#rollSequence, readClock(options.now) ?? Date.now());
        await rename(options.path, rolled);
        this.#rolls += 1;
      }
      this.#openActive();
      if (this.#fd !== unopenedDescriptor) {
        this.#writer.setFd(this.#fd);
        if (!roll) this.#reopens += 1;
      } else {
        // The old descriptor is closed below, and its number may be reused by anything: writes
        // must fail (and be retried) rather than land there.
        this.#writer.setFd(unopenedDescriptor);
      }
      if (oldFd !== unopenedDescriptor && oldFd !== this.#fd) await close(oldFd).catch(() => {});
      this.#period = this.#currentPeriod() ?? this.#period;
    } finally {
      if (!this.#closed || this.#writer.pendingEvents > 0) this.#writer.resume();
    }
    // The old descriptor is closed and the writer has moved on: the rolled file is complete.
    // Also when this sink has just taken the lock over: the startup tidy was skipped without it.
    if (rolled !== undefined || this.#tidyPending) await this.#tidyRolledFiles();
  }

  /**
   * After a roll and at startup: repairs what an interrupted compression left, applies retention,
   * then queues the compression of what is still plain. Retention comes first so that it runs
   * whatever gzip does (a full disk fails every gzip), and no file is compressed only to be
   * deleted.
   */
  async #tidyRolledFiles(): Promise<void> {
    const options = this.#options;
    // Only the lock's holder touches rolled files; a refused sink tidies once it takes the lock.
    if (this.#rolling && this.#lock === undefined) return;
    this.#tidyPending = false;
    await repairRolledFiles(this.#naming);
    const files = await listRolledFiles(this.#naming);
    this.#rollSequence = Math.max(this.#rollSequence, files.at(-1)?.sequence ?? -1);
    await applyRetention(files, options.maxFiles, options.maxAgeMs, readClock(options.now));
    this.#queueCompression();
  }

  /**
   * Compresses the oldest plain rolled file, one per maintenance task, so that a size roll queued
   * meanwhile waits for one gzip at most, not for a whole backlog. A failure is reported and ends
   * the run; the rest is tried after the next roll or at the next start.
   */
  #queueCompression(): void {
    if (!this.#options.compress || this.#compressionQueued) return;
    this.#compressionQueued = true;
    this.#runMaintenance(async () => {
      this.#compressionQueued = false;
      const next = (await listRolledFiles(this.#naming)).find((file) => !file.compressed);
      if (next === undefined) return;
      await compressRolledFile(next.path, this.#options.fileMode);
      this.#queueCompression();
    }).catch(() => {});
  }

  /** The calendar period the clock is in now; `undefined` without time rolling or a clock. */
  #currentPeriod(): number | undefined {
    const interval = this.#options.interval;
    const now = readClock(this.#options.now);
    if (interval === undefined || now === undefined) return undefined;
    const period = periodStart(now, interval);
    return Number.isNaN(period) ? undefined : period;
  }

  /** The periodic check: time rolling, and a deleted or moved active file. */
  #check(): void {
    if (this.#closed) return;
    // The heartbeat goes on whatever else runs (a long gzip), so the lock never looks stale.
    if (this.#lock !== undefined && !this.#lock.refresh()) {
      const lockPath = this.#lock.path;
      this.#lock = undefined;
      this.#report(
        new LoggingError(
          "sink_failure",
          `The lock file "${lockPath}" of file sink "${this.path}" was removed or taken over; ` +
            "the sink reopens its file, which takes the lock again if it is free.",
        ),
        "lock",
        0,
      );
      this.#runMaintenance(() => this.#swapFile(false)).catch(() => {});
      return;
    }
    if (this.#checking || this.#maintenance !== undefined) return;
    const options = this.#options;
    const period = this.#currentPeriod();
    // A clock that gives no reading neither rolls nor counts as a new period; the first reading
    // after a sink started without one only sets the period.
    if (period !== undefined && this.#period === undefined) this.#period = period;
    if (period !== undefined && period !== this.#period) {
      this.#runMaintenance(() => this.#swapFile(true)).catch(() => {});
      return;
    }
    if (this.#fd === unopenedDescriptor) return;
    this.#checking = true;
    const fd = this.#fd;
    Promise.all([stat(options.path).catch(() => undefined), fstat(fd)])
      .then(([onDisk, open]) => {
        if (onDisk === undefined || onDisk.ino !== open.ino || onDisk.dev !== open.dev) {
          return this.#runMaintenance(() => this.#swapFile(false));
        }
        // copytruncate shrank the file under us; the size counter follows it.
        if (open.size < this.#fileSize) this.#fileSize = open.size;
        return undefined;
      })
      .catch((error: unknown) => this.#report(error, "check", 0))
      .finally(() => {
        this.#checking = false;
      });
  }

  #report(error: unknown, operation: string, events: number): void {
    reportError(
      error,
      { source: "file", operation, sink: this.path, events },
      this.#options.onError,
    );
  }
}
