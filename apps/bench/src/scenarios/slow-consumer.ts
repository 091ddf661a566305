// The caller's cost when the destination is slow: `withQueue(createFileSink(...))` writing into a
// FIFO that a reader drains at 5 MB/s, beside the same queue writing to a regular file. The
// producer logs 300,000 events, yielding every 1000; the queue is bounded at 16 MiB and the file
// sink's buffer at 4 MiB, so most events to the slow pipe are dropped (and counted) instead of
// piling up in memory.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger } from "@sluice/core";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";
import { argument, produce, quantile, report } from "../measure.ts";

const subject = argument("subject", "fast");
const total = Number(argument("events", "300000"));
const directory = mkdtempSync(join(tmpdir(), "sluice-slow-"));
const path = join(directory, subject === "slow" ? "pipe" : "bench.log");

const readerSource = `
const fs = require("node:fs");
const fd = fs.openSync(process.argv[1], "r");
const buffer = Buffer.alloc(65536);
const tick = () => {
  // 0 bytes means no writer has the FIFO open yet (or for a moment): keep reading until killed.
  try { fs.readSync(fd, buffer); } catch {}
  setTimeout(tick, 13); // at most 64 KiB every 13 ms: about 5 MB/s
};
tick();
`;

let reader: ReturnType<typeof spawn> | undefined;
if (subject === "slow") {
  execFileSync("mkfifo", [path]);
  reader = spawn(process.execPath, ["-e", readerSource, path], { stdio: "ignore" });
  // The sink opens the FIFO without blocking, which fails until the reader has opened it.
  for (;;) {
    try {
      closeSync(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

const file = createFileSink({ path, checkIntervalMs: 60_000, maxBufferBytes: 4 << 20 });
const queue = withQueue(file, {
  maxBytes: 16 << 20,
  onError: () => {},
});
const log = createLogger({ sinks: [queue] });
const caller = await produce(
  (index) => log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: index }),
  total,
  50,
);
const stats = queue.stats();
const fileStats = file.stats();
const peakRssMiB = process.resourceUsage().maxRSS / 1024;
report({
  scenario: "slow-consumer",
  subject,
  nsPerOp: caller.totalNs / total,
  extra: {
    "caller p50 ns": quantile(caller.sortedLatencies, 0.5),
    "caller p99 ns": quantile(caller.sortedLatencies, 0.99),
    "queue MiB (bound 16)": (stats.depthBytes / (1 << 20)).toFixed(1),
    "file buffer MiB (bound 4)": (fileStats.bufferedBytes / (1 << 20)).toFixed(1),
    "peak RSS MiB": peakRssMiB.toFixed(0),
    dropped: stats.dropped.queue_full + stats.dropped.shed + fileStats.dropped.buffer_full,
    failed: stats.failed,
  },
});
reader?.kill();
rmSync(directory, { recursive: true, force: true });
process.exit(0);
