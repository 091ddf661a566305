import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createLogger } from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import { createMemorySink } from "@sluice/core/testing";
import { withQueue } from "@sluice/queue";
import { createShutdown, installProcessHooks } from "@sluice/shutdown";
import { afterEach, beforeEach, describe, expect, test } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/shutdown-child.mjs", import.meta.url));

interface ChildResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
  readonly wallMs: number;
}

interface ChildReport {
  readonly code: number;
  readonly elapsedMs: number | null;
  readonly report: {
    readonly strategy: string;
    readonly escalated: boolean;
    readonly ok: boolean;
    readonly totals: {
      readonly accepted: number;
      readonly delivered: number;
      readonly abandoned: number;
    };
  } | null;
}

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-shutdown-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const paths = (name: string) => ({
  file: join(directory, `${name}.log`),
  report: join(directory, `${name}.json`),
});

function start(command: string, args: readonly string[]): ChildProcess {
  return spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
}

/** Waits for "ready", sends the signals (spaced by `gapMs`), and waits for the exit. */
async function signalWhenReady(
  child: ChildProcess,
  signals: readonly NodeJS.Signals[],
  gapMs = 200,
  target: () => number = () => child.pid as number,
): Promise<ChildResult> {
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  await new Promise<void>((resolve) => {
    let output = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("ready")) resolve();
    });
  });
  const startedAt = performance.now();
  for (const [index, signal] of signals.entries()) {
    if (index > 0) await new Promise((resolve) => setTimeout(resolve, gapMs));
    process.kill(target(), signal);
  }
  const { code, signal } = await exited;
  return { code, signal, stderr, wallMs: performance.now() - startedAt };
}

function readLines(file: string): string[] {
  const text = readFileSync(file, "utf8");
  return text.length === 0 ? [] : text.trimEnd().split("\n");
}

/** Asserts the file holds events 0..count-1, each once, in order. */
function expectSequence(file: string, count: number): void {
  const lines = readLines(file);
  expect(lines.length).toBe(count);
  for (let n = 0; n < count; n++) {
    const line = lines[n] as string;
    if (!line.includes(`"N":${n}`)) expect.fail(`line ${n} is ${line.slice(0, 200)}`);
  }
}

const readReport = (file: string): ChildReport => JSON.parse(readFileSync(file, "utf8"));

describe("installProcessHooks in a real process", () => {
  test("SIGTERM with 1,000,000 queued events: every one on disk, in order, exit 143", async () => {
    const { file, report } = paths("burst");
    // The deadline is generous so the test holds on a loaded machine; the drain takes about
    // 2.5 s here (see the shutdown scenario of apps/bench).
    const child = start(process.execPath, [fixture, "burst", file, report, "1000000", "30000"]);
    const result = await signalWhenReady(child, ["SIGTERM"]);
    expect(result.code).toBe(143);
    const { report: shutdownReport } = readReport(report);
    expect(shutdownReport?.totals).toMatchObject({
      accepted: 1_000_000,
      delivered: 1_000_000,
      abandoned: 0,
    });
    expectSequence(file, 1_000_000);
  }, 60_000);

  test("a sink that never settles cannot hold the process past the deadline", async () => {
    const { file, report } = paths("hung");
    const child = start(process.execPath, [fixture, "hung", file, report, "100", "500"]);
    const result = await signalWhenReady(child, ["SIGTERM"]);
    expect(result.code).toBe(143);
    const written = readReport(report);
    expect(written.elapsedMs).toBeLessThan(600);
    expect(written.report).toMatchObject({
      strategy: "graceful",
      ok: false,
      totals: { accepted: 100, delivered: 0, abandoned: 100 },
    });
  }, 30_000);

  test("a second signal during shutdown escalates to immediate", async () => {
    const { file, report } = paths("escalate");
    const child = start(process.execPath, [fixture, "hung", file, report, "10", "60000"]);
    const result = await signalWhenReady(child, ["SIGTERM", "SIGTERM"], 300);
    expect(result.code).toBe(143);
    expect(result.wallMs).toBeLessThan(10_000);
    expect(readReport(report).report).toMatchObject({ escalated: true, ok: false });
  }, 30_000);

  test("process.exit(0) right after logging: every event on disk, 100 runs", async () => {
    const runs = 100;
    const failures: string[] = [];
    const runOne = async (run: number): Promise<void> => {
      const { file, report } = paths(`exit-${run}`);
      const child = start(process.execPath, [fixture, "exit", file, report, "1000"]);
      const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
      const lines = readLines(file);
      if (code !== 0 || lines.length !== 1000 || !lines[999]?.includes('"N":999')) {
        failures.push(`run ${run}: exit ${code}, ${lines.length} lines`);
      }
    };
    for (let run = 0; run < runs; run += 4) {
      await Promise.all([run, run + 1, run + 2, run + 3].map(runOne));
    }
    expect(failures).toEqual([]);
  }, 180_000);

  test("process.exit(0) with a sink that cannot write synchronously says so once", async () => {
    const { file, report } = paths("hung-exit");
    const child = spawnSync(process.execPath, [fixture, "hung-exit", file, report, "42"], {
      encoding: "utf8",
    });
    expect(child.status).toBe(0);
    const lines = child.stderr.split("\n").filter((line) => line.startsWith("sluice:"));
    expect(lines).toEqual([
      "sluice: the process exited with 42 log events still held by file, which could not write " +
        "them synchronously (no flushSync, or an asynchronous write still in flight); they count " +
        "as lost (process_exit). Await shutdown.execute() before exiting to deliver them.",
    ]);
    expect(readReport(report).report).toMatchObject({
      strategy: "exit",
      totals: { accepted: 42, abandoned: 42 },
    });
  });

  for (const mode of ["exception", "rejection"] as const) {
    test(`an ${mode === "exception" ? "uncaught exception" : "unhandled rejection"} is logged as fatal, flushed, exit 1`, async () => {
      const { file, report } = paths(mode);
      const child = spawnSync(process.execPath, [fixture, mode, file, report, "500"], {
        encoding: "utf8",
      });
      expect(child.status).toBe(1);
      const lines = readLines(file);
      expect(lines).toHaveLength(501);
      const fatal = JSON.parse(lines[500] as string);
      expect(JSON.stringify(fatal)).toMatch(
        mode === "exception"
          ? /Uncaught exception; shutting down/
          : /Unhandled rejection; shutting down/,
      );
      expect(JSON.stringify(fatal)).toContain(mode === "exception" ? "boom" : "rejected boom");
      expect(readReport(report).report).toMatchObject({
        strategy: "graceful",
        totals: { accepted: 501, delivered: 501, abandoned: 0 },
      });
    }, 30_000);
  }

  const unshare = spawnSync("unshare", ["--pid", "--fork", "--mount-proc", "true"]);
  test.skipIf(unshare.status !== 0)(
    "SIGTERM to PID 1 of a new PID namespace flushes and exits 143 (skipped where `unshare --pid` is refused)",
    async () => {
      const { file, report } = paths("pid1");
      const child = start("unshare", [
        "--pid",
        "--fork",
        "--kill-child",
        process.execPath,
        fixture,
        "burst",
        file,
        report,
        "20000",
      ]);
      // The node process is unshare's only child, and PID 1 of its namespace.
      const target = (): number => {
        const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, "utf8");
        return Number(children.trim().split(" ")[0]);
      };
      const result = await signalWhenReady(child, ["SIGTERM"], 0, target);
      expect(result.code).toBe(143);
      expectSequence(file, 20_000);
    },
    30_000,
  );
});

describe("process listeners", () => {
  const events = [
    "SIGTERM",
    "SIGINT",
    "SIGHUP",
    "uncaughtException",
    "unhandledRejection",
    "exit",
    "beforeExit",
  ];
  const counts = () => events.map((event) => process.listenerCount(event));

  test("one listener per event, whatever the number of shutdowns; uninstall restores the state", () => {
    const before = counts();
    const warnings: unknown[] = [];
    const onWarning = (warning: unknown) => warnings.push(warning);
    process.on("warning", onWarning);
    const uninstalls: (() => void)[] = [];
    try {
      for (let n = 0; n < 100; n++) {
        const shutdown = createShutdown();
        for (let logger = 0; logger < 100; logger++) {
          shutdown.register(`logger-${logger}`, createLogger({ sinks: [createMemorySink()] }));
        }
        uninstalls.push(installProcessHooks(shutdown));
      }
      expect(counts()).toEqual(before.map((count) => count + 1));
      uninstalls.pop()?.();
      expect(counts()).toEqual(before.map((count) => count + 1));
    } finally {
      for (const uninstall of uninstalls) uninstall();
      process.off("warning", onWarning);
    }
    expect(counts()).toEqual(before);
    expect(warnings).toEqual([]);
  });

  test("with hooks installed, a queue's exit drain runs from the one beforeExit listener", async () => {
    const beforeExit = () => process.listenerCount("beforeExit");
    const before = beforeExit();
    const memory = createMemorySink();
    const queue = withQueue(memory, { flushIntervalMs: 60_000 });
    expect(beforeExit()).toBe(before + 1);
    const uninstall = installProcessHooks(createShutdown());
    try {
      expect(beforeExit()).toBe(before + 1);
      queue.write(createLogEvent({ level: "info", template: "queued" }));
      const ours = process.listeners("beforeExit").at(-1) as () => void;
      ours();
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      expect(memory.messages()).toEqual(["queued"]);
    } finally {
      uninstall();
    }
    expect(beforeExit()).toBe(before + 1);
    await queue.close();
    expect(beforeExit()).toBe(before);
  });

  test("only the hooks asked for are installed", () => {
    const before = counts();
    const uninstall = installProcessHooks(createShutdown(), {
      signals: ["SIGTERM"],
      crashes: false,
      beforeExit: false,
    });
    try {
      expect(counts()).toEqual(
        before.map((count, index) => count + (index === 0 || index === 5 ? 1 : 0)),
      );
    } finally {
      uninstall();
    }
    expect(counts()).toEqual(before);
  });

  test("options are validated, naming the option", () => {
    const shutdown = createShutdown();
    expect(() => installProcessHooks(shutdown, { signals: ["SIGNOPE"] })).toThrow(/"signals"/);
    expect(() => installProcessHooks(shutdown, { strategy: "later" as never })).toThrow(
      /"strategy"/,
    );
    expect(() => installProcessHooks(shutdown, { signalExit: "die" as never })).toThrow(
      /"signalExit"/,
    );
    expect(() => installProcessHooks(shutdown, { exit: "yes" as never })).toThrow(/"exit"/);
    expect(() => installProcessHooks({} as never)).toThrow(/"shutdown"/);
  });
});
