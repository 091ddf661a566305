// How long logging takes to return to its primary destination after a fault clears, through the
// recommended chain withQueue(withFallback(withCircuitBreaker(withRetry(primary)), fallback file))
// with resetTimeoutMs 50 and default queue options, while the application logs one event a
// millisecond. Each of 10 cycles: 300 ms healthy, 300 ms of fault (the circuit opens and events
// go to the fallback file), then the fault clears and the time until the circuit closes (the first
// probe that succeeds) is the recovery time.
//   sink   a sink whose delivery fails with ENOSPC while the fault is on (the breaker alone)
//   tmpfs  a file sink on a real 64 KiB tmpfs, filled and freed (needs root to mount)
import { execFileSync } from "node:child_process";
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Sink } from "@sluice/core";
import { createSink } from "@sluice/core/sink";
import { withQueue } from "@sluice/queue";
import { withCircuitBreaker, withFallback, withRetry } from "@sluice/resilience";
import { createFileSink } from "@sluice/sink-file";
import { argument, report } from "../measure.ts";

const subject = argument("subject", "sink");
const cycles = Number(argument("cycles", "10"));
const resetTimeoutMs = 50;
const directory = mkdtempSync(join(tmpdir(), "sluice-recovery-"));
const disk = join(directory, "disk");
const fallbackPath = join(directory, "fallback.log");

interface Fault {
  readonly primary: Sink;
  start(): void;
  clear(): void;
}

function switchedFault(): Fault {
  let on = false;
  const primary = createSink({
    name: "switched",
    deliver: () => {
      if (on) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
    },
    onError: () => {},
  });
  return {
    primary,
    start: () => {
      on = true;
    },
    clear: () => {
      on = false;
    },
  };
}

function tmpfsFault(): Fault | undefined {
  execFileSync("mkdir", ["-p", disk]);
  try {
    execFileSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", disk], { stdio: "ignore" });
  } catch {
    return undefined;
  }
  const filler = join(disk, "filler");
  // The primary file is truncated at each fault so the 64 KiB disk holds ten cycles of events.
  const path = join(disk, "app.log");
  return {
    primary: createFileSink({ path, onError: () => {} }),
    start: () => {
      const fd = openSync(filler, "w");
      const page = Buffer.alloc(4096, 0x78);
      for (;;) {
        try {
          writeSync(fd, page);
        } catch {
          break;
        }
      }
      closeSync(fd);
    },
    clear: () => {
      unlinkSync(filler);
      closeSync(openSync(path, "w"));
    },
  };
}

const fault = subject === "tmpfs" ? tmpfsFault() : switchedFault();
if (fault === undefined) {
  process.stderr.write("recovery/tmpfs skipped: mounting a tmpfs needs root\n");
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}

let closedAt = Number.NaN;
const breaker = withCircuitBreaker(withRetry(fault.primary), {
  resetTimeoutMs,
  failureThreshold: 3,
  onStateChange: (_from, to) => {
    if (to === "closed") closedAt = performance.now();
  },
});
const fallback = createFileSink({ path: fallbackPath });
const chain = withFallback(breaker, fallback, { onError: () => {} });
const queue = withQueue(chain, { onError: () => {} });
const log = createLogger({ sinks: [queue] });

let logged = 0;
const ticker = setInterval(() => {
  log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: logged });
  logged += 1;
}, 1);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const recoveries: number[] = [];
let unrecovered = 0;
for (let cycle = 0; cycle < cycles; cycle++) {
  await sleep(300);
  fault.start();
  await sleep(300);
  closedAt = Number.NaN;
  fault.clear();
  const clearedAt = performance.now();
  while (Number.isNaN(closedAt) && performance.now() - clearedAt < 5000) await sleep(1);
  if (Number.isNaN(closedAt)) unrecovered += 1;
  else recoveries.push(closedAt - clearedAt);
}
clearInterval(ticker);
await log.close();

const routes = chain.stats().routes;
const inFallback = readFileSync(fallbackPath, "utf8").split("\n").length - 1;
recoveries.sort((a, b) => a - b);
const median = recoveries[(recoveries.length - 1) >> 1] ?? Number.NaN;
report({
  scenario: "recovery",
  subject,
  nsPerOp: median * 1e6,
  extra: {
    "recovery p50 ms": median.toFixed(1),
    "recovery max ms": (recoveries.at(-1) ?? Number.NaN).toFixed(1),
    "target ms": 100,
    cycles,
    unrecovered,
    "events logged": logged,
    "to primary": routes[0]?.delivered ?? 0,
    "to fallback": routes[1]?.delivered ?? 0,
    "fallback lines": inFallback,
    lost: chain.stats().failed + queue.stats().failed,
  },
});
if (subject === "tmpfs") execFileSync("umount", [disk]);
rmSync(directory, { recursive: true, force: true });
process.exit(0);
