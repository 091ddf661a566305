import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SinkStats } from "@sluice/core";
import { describe, expect, it } from "vitest";

const fixture = fileURLToPath(new URL("./fixtures/console-writer.mjs", import.meta.url));
const flushWriter = fileURLToPath(new URL("./fixtures/flush-writer.mjs", import.meta.url));
const streamStyles = fileURLToPath(new URL("./fixtures/stream-styles.mjs", import.meta.url));
// util-linux `script` runs a command on a new pseudo-terminal; both it and a pty must be present.
const canOpenTerminal =
  spawnSync("script", ["-q", "-e", "-c", "true", "/dev/null"], { timeout: 10_000 }).status === 0;

interface Report {
  readonly stats: SinkStats;
  readonly cpuMs: number;
  readonly wallMs: number;
}

function lastReport(stderr: string): Report {
  const lines = stderr.trim().split("\n");
  return JSON.parse(lines.at(-1) as string) as Report;
}

describe("createConsoleSink in a real process", () => {
  it("stops quietly when the reader leaves (| head -1): no crash, no stack, drops counted as epipe", () => {
    const child = spawnSync(
      "bash",
      [
        "-c",
        `"${process.execPath}" "${fixture}" 50000 end | head -1; echo "status=\${PIPESTATUS[0]}" >&2`,
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    expect(child.stdout.split("\n").filter((line) => line.length > 0)).toHaveLength(1);
    expect(child.stderr).not.toMatch(/EPIPE|Error|at /);
    expect(child.stderr).toContain("status=0");
    const report = lastReport(child.stderr.replace(/status=0\s*$/, ""));
    expect(report.stats.accepted).toBe(50_000);
    expect(report.stats.dropped.epipe).toBeGreaterThan(0);
    // Written in one synchronous burst, most events meet a full buffer before the reader is
    // even gone; every one is accounted for.
    const { delivered, dropped, failed, pending } = report.stats;
    expect(delivered + dropped.epipe + dropped.buffer_full + failed + pending).toBe(50_000);
    expect(failed).toBe(0);
  });

  it("writes JSON to a piped stdout and coloured text to a terminal stderr", (context) => {
    // The child's stderr is a real pseudo-terminal; its stdout is sent on to a file.
    if (!canOpenTerminal) context.skip("no pseudo-terminal: util-linux script could not open one");
    const directory = mkdtempSync(join(tmpdir(), "sluice-console-tty-"));
    const stdoutPath = join(directory, "stdout");
    try {
      const child = spawnSync(
        "script",
        [
          "-q",
          "-e",
          "-c",
          `"${process.execPath}" "${streamStyles}" > "${stdoutPath}"`,
          "/dev/null",
        ],
        { encoding: "utf8", timeout: 60_000, env: { ...process.env, NO_COLOR: "1" } },
      );
      expect(child.status).toBe(0);
      const terminal = child.stdout.replaceAll("\r", "");
      expect(terminal).toContain(
        '@@outputs {"stdout":{"format":"json","colors":false},"stderr":{"format":"text","colors":true}}',
      );
      expect(terminal).toMatch(/\u001b\[[0-9;]*mWRN\u001b\[0m\] Slow/);
      const line = JSON.parse(readFileSync(stdoutPath, "utf8")) as Record<string, unknown>;
      expect(line).toMatchObject({ "@mt": "Handled {Path}", Path: "/a" });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  });

  it("delivers every line through flushSync when the program calls process.exit()", () => {
    const child = spawnSync(process.execPath, [fixture, "20000", "exit"], {
      encoding: "utf8",
      maxBuffer: 64 << 20,
      timeout: 60_000,
    });
    expect(child.status).toBe(0);
    const numbers = child.stdout
      .trimEnd()
      .split("\n")
      .map((line) => (JSON.parse(line) as { N: number }).N);
    expect(numbers).toEqual(Array.from({ length: 20_000 }, (_, index) => index));
  });

  it("waits for a slow reader of a non-blocking pipe without spinning", async () => {
    const child = spawn(process.execPath, [fixture, "20000", "end"], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let received = 0;
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Read about 1 MB/s: 64 KiB, then a pause, so the child's pipe fills and its writes hit EAGAIN.
    child.stdout.on("data", (chunk: Buffer) => {
      received += chunk.toString().split("\n").length - 1;
      child.stdout.pause();
      setTimeout(() => child.stdout.resume(), 50);
    });
    const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(status).toBe(0);
    expect(received).toBe(20_000);
    const report = lastReport(stderr);
    expect(report.stats.delivered).toBe(20_000);
    expect(report.wallMs).toBeGreaterThan(1000);
    // A busy loop would burn the whole wait; backing off keeps the CPU mostly idle.
    expect(report.cpuMs).toBeLessThan(report.wallMs / 2);
  }, 60_000);

  it("settles a flush that meets a full pipe, and resumes when the paused reader comes back", () => {
    // The events fill the pipe before the flush is called, so the flush finds the writer waiting
    // out EAGAIN; the reader sleeps 1 s before it reads anything.
    const directory = mkdtempSync(join(tmpdir(), "sluice-console-flush-"));
    const output = join(directory, "stdout");
    try {
      const child = spawnSync(
        "bash",
        ["-c", `"${process.execPath}" "${flushWriter}" 3000 50 | (sleep 1; cat > "${output}")`],
        { encoding: "utf8", timeout: 30_000 },
      );
      expect(child.status).toBe(0);
      const numbers = readFileSync(output, "utf8")
        .trimEnd()
        .split("\n")
        .map((line) => (JSON.parse(line) as { N: number }).N);
      expect(numbers).toEqual(Array.from({ length: 3000 }, (_, index) => index));
      const report = JSON.parse(child.stderr.trim().split("\n").at(-1) ?? "null") as {
        flushed: string;
        stats: SinkStats;
      };
      expect(report.flushed).toBe("resolved");
      expect(report.stats).toMatchObject({ accepted: 3000, delivered: 3000, pending: 0 });
    } finally {
      rmSync(directory, { recursive: true, force: true });
    }
  }, 60_000);
});
