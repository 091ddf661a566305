// Time from SIGTERM to exit, through @sluice/shutdown's process hooks, on tmpfs:
//   idle    a logger with a queued file sink and nothing pending
//   queued  the same with --events events logged and still queued when the signal arrives
// The parent spawns this file again as the child, sends SIGTERM once the child says it is
// ready, and times until the exit; it then checks the exit code (143) and every line.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@sluice/core";
import { withQueue } from "@sluice/queue";
import { createShutdown, installProcessHooks } from "@sluice/shutdown";
import { createFileSink } from "@sluice/sink-file";
import { argument, checkLines, report } from "../measure.ts";

const subject = argument("subject", "idle");
const events = subject === "idle" ? 0 : Number(argument("events", "1000000"));

if (argument("role", "parent") === "child") {
  const path = argument("path", "");
  const sink = withQueue(createFileSink({ path }), {
    maxEvents: Math.max(events, 1000),
    maxBytes: 2 ** 30,
  });
  const log = createLogger({ sinks: [sink] });
  const shutdown = createShutdown();
  shutdown.register("logger", log);
  shutdown.register("file", sink);
  installProcessHooks(shutdown, { strategy: { graceful: 30_000 } });
  for (let index = 0; index < events; index++) {
    log.info("Request {Path} took {Elapsed} ms", { Path: "/api/items", Elapsed: index });
  }
  // Keeps the child alive until the signal, as a server's listening socket would.
  setInterval(() => {}, 60_000);
  process.stdout.write("ready\n");
} else {
  // tmpfs, so the figure is the pipeline's, not the disk's.
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
  const directory = mkdtempSync(join(base, "sluice-bench-shutdown-"));
  const path = join(directory, "bench.log");
  const child = spawn(
    process.execPath,
    [
      fileURLToPath(import.meta.url),
      "--role=child",
      `--subject=${subject}`,
      `--events=${events}`,
      `--path=${path}`,
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  await new Promise<void>((resolve) => {
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve();
    });
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const start = process.hrtime.bigint();
  child.kill("SIGTERM");
  const code = await exited;
  const wallNs = Number(process.hrtime.bigint() - start);
  const text = existsSync(path) ? readFileSync(path, "utf8") : "";
  const check = checkLines(text, "/api/items", 0);
  if (check.problem !== undefined) throw new Error(`shutdown ${subject}: ${check.problem}`);
  const lines = check.lines;
  rmSync(directory, { recursive: true, force: true });
  if (code !== 143 || lines !== events) {
    throw new Error(`shutdown ${subject}: exit code ${code}, ${lines} of ${events} lines`);
  }
  report({
    scenario: "shutdown",
    subject,
    nsPerOp: wallNs / Math.max(events, 1),
    extra: {
      "SIGTERM to exit ms": (wallNs / 1e6).toFixed(1),
      ...(events > 0
        ? { "drain events/s": Math.round(events / (wallNs / 1e9)), "lines checked": lines }
        : {}),
    },
  });
}
