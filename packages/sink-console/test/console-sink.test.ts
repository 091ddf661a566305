import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  configureSelfLog,
  createLogger,
  type LogEvent,
  type Logger,
  type LogLevel,
} from "@sluice/core";
import { createLogEvent } from "@sluice/core/sink";
import { checkSinkContract } from "@sluice/core/testing";
import {
  type ConsoleSinkOptions,
  createConsoleSink,
  escapeControlCharacters,
} from "@sluice/sink-console";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-console-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const moment = Date.UTC(2026, 10, 28, 9, 30, 15, 250);

function event(
  level: LogLevel,
  template: string,
  properties: Record<string, unknown> = {},
  error?: unknown,
): LogEvent {
  return createLogEvent({ level, template, properties, error, timestamp: moment });
}

/** Runs a sink against temporary files standing in for stdout and stderr. */
async function capture(
  options: ConsoleSinkOptions,
  events: readonly LogEvent[],
): Promise<{ stdout: string; stderr: string }> {
  const stdoutPath = join(directory, `out-${Math.random()}`);
  const stderrPath = join(directory, `err-${Math.random()}`);
  const stdoutFd = openSync(stdoutPath, "a");
  const stderrFd = openSync(stderrPath, "a");
  const sink = createConsoleSink({
    isTTY: false,
    env: {},
    utc: true,
    ...options,
    stdoutFd,
    stderrFd,
  });
  for (const item of events) sink.write(item);
  await sink.close();
  closeSync(stdoutFd);
  closeSync(stderrFd);
  return { stdout: readFileSync(stdoutPath, "utf8"), stderr: readFileSync(stderrPath, "utf8") };
}

describe("createConsoleSink", () => {
  it("honours the sink contract", async () => {
    let path = "";
    let count = 0;
    const violations = await checkSinkContract(
      () => {
        path = join(directory, `contract-${count++}`);
        return createConsoleSink({ stdoutFd: openSync(path, "a"), format: "json" });
      },
      {
        readDelivered: () =>
          readFileSync(path, "utf8")
            .split("\n")
            .filter((line) => line.length > 0),
        failingFactory: () => {
          const full = openSync("/dev/full", "w");
          return createConsoleSink({
            stdoutFd: full,
            stderrFd: full,
            format: "json",
            onError: () => {},
          });
        },
      },
    );
    expect(violations).toEqual([]);
  });

  it("chooses text on a terminal and JSON elsewhere, and honours NO_COLOR and FORCE_COLOR", () => {
    const fd = openSync(join(directory, "x"), "a");
    const stdoutOf = (options: ConsoleSinkOptions) =>
      createConsoleSink({ stdoutFd: fd, stderrFd: fd, ...options }).outputs.stdout;
    expect(stdoutOf({ isTTY: true, env: {} })).toEqual({ format: "text", colors: true });
    expect(stdoutOf({ isTTY: false, env: {} })).toEqual({ format: "json", colors: false });
    expect(stdoutOf({ isTTY: true, env: { NO_COLOR: "1" } }).colors).toBe(false);
    expect(stdoutOf({ isTTY: false, format: "text", env: { FORCE_COLOR: "1" } }).colors).toBe(true);
    expect(stdoutOf({ isTTY: true, env: { FORCE_COLOR: "0" } }).colors).toBe(false);
    expect(stdoutOf({ isTTY: true, env: { NO_COLOR: "1", FORCE_COLOR: "1" } }).colors).toBe(true);
    closeSync(fd);
  });

  it("decides format and colours for each stream from whether that stream is a terminal", async () => {
    const fd = openSync(join(directory, "y"), "a");
    const sink = createConsoleSink({
      stdoutFd: fd,
      stderrFd: fd,
      isTTY: { stdout: false, stderr: true },
      env: {},
    });
    expect(sink.outputs).toEqual({
      stdout: { format: "json", colors: false },
      stderr: { format: "text", colors: true },
    });
    expect(
      createConsoleSink({ stdoutFd: fd, stderrFd: fd, isTTY: { stderr: false }, format: "text" })
        .outputs.stderr,
    ).toMatchObject({ format: "text", colors: false });
    closeSync(fd);
    const { stdout, stderr } = await capture(
      { isTTY: { stdout: false, stderr: true }, stderrLevel: "warn" },
      [
        event("info", "Handled {Path}", { Path: "/a" }),
        event("warn", "Slow {Path}", { Path: "/b" }),
      ],
    );
    expect(JSON.parse(stdout.trim())).toMatchObject({ "@mt": "Handled {Path}", Path: "/a" });
    expect(stderr).toContain("\u001b[");
    expect(stderr.replace(/\u001b\[[0-9;]*m/g, "")).toBe("09:30:15.250 [WRN] Slow /b\n");
    for (const bad of ["yes", null, { stdout: 1 }]) {
      expect(() => createConsoleSink({ isTTY: bad as unknown as boolean })).toThrow(
        /isTTY.*a boolean, or an object with optional boolean stdout and stderr/,
      );
    }
  });

  it("writes readable text lines, with the error's cause chain indented below", async () => {
    const cause = new Error("connection refused");
    const { stdout } = await capture({ format: "text" }, [
      event("info", "User {UserId} logged in from {City}", { UserId: 42, City: "Oslo" }),
      event(
        "error",
        "Payment {OrderId} failed",
        { OrderId: "A-17" },
        new Error("gateway failed", { cause }),
      ),
    ]);
    const lines = stdout.split("\n");
    expect(lines[0]).toBe("09:30:15.250 [INF] User 42 logged in from Oslo");
    expect(lines[1]).toBe("09:30:15.250 [ERR] Payment A-17 failed");
    expect(lines[2]).toBe("  Error: gateway failed");
    expect(stdout).toContain("\n  [cause]: Error: connection refused");
    expect(lines.slice(2, -1).every((line) => line.startsWith("  "))).toBe(true);
  });

  it("colours levels and values on a terminal", async () => {
    const { stdout } = await capture({ format: "text", colors: true }, [
      event("warn", "Disk at {Percent}", { Percent: 91 }),
    ]);
    expect(stdout).toContain("\u001b[33mWRN\u001b[0m");
    expect(stdout).toContain("\u001b[35m91\u001b[0m");
  });

  it("writes CLEF JSON lines when not on a terminal", async () => {
    const { stdout } = await capture({}, [event("warn", "Disk at {Percent}", { Percent: 91 })]);
    expect(JSON.parse(stdout)).toMatchObject({
      "@mt": "Disk at {Percent}",
      "@l": "Warning",
      Percent: 91,
    });
  });

  it("sends warn and above to stderr when asked", async () => {
    const { stdout, stderr } = await capture({ format: "text", stderrLevel: "warn" }, [
      event("info", "fine"),
      event("warn", "careful"),
      event("fatal", "gone"),
    ]);
    expect(stdout.trimEnd().split("\n")).toHaveLength(1);
    expect(
      stderr
        .trimEnd()
        .split("\n")
        .map((line) => line.slice(13)),
    ).toEqual(["[WRN] careful", "[FTL] gone"]);
  });

  it("neutralises log injection: one event is one line, no escape sequence survives", async () => {
    const hostile = "evil\r\n09:30:15.250 [INF] forged\u001b[2J\u0085\u2028\u2029\u007f\u009b\tend";
    const { stdout } = await capture({ format: "text", colors: true }, [
      event("info", `Template ${hostile} {Value}`, { Value: hostile, [hostile]: 1 }),
    ]);
    const withoutOurColours = stdout.replace(/\u001b\[[0-9;]*m/g, "");
    expect(withoutOurColours.split("\n")).toHaveLength(2);
    expect(withoutOurColours).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(withoutOurColours).toContain(
      "evil\\r\\n09:30:15.250 [INF] forged\\e[2J\\x85\\u2028\\u2029\\x7f\\x9b\tend",
    );
    expect(escapeControlCharacters("plain\ttext")).toBe("plain\ttext");
  });

  it("keeps exactly one line per event for arbitrary templates and values", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ unit: "binary" }),
        fc.string({ unit: "binary" }),
        async (template, value) => {
          const { stdout } = await capture(
            {
              format: "text",
              colors: true,
              outputTemplate: "[{Level:u3}] {Message:lj} {Properties}{NewLine}",
            },
            [
              event("info", template, { Value: value, Other: [value] }),
              event("warn", `${template} {Value}`, { Value: value }),
            ],
          );
          const plain = stdout.replace(/\u001b\[[0-9;]*m/g, "");
          expect(plain.split("\n")).toHaveLength(3);
          expect(plain).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
        },
      ),
      { numRuns: 150 },
    );
  });

  it("validates options with messages that name them", () => {
    expect(() => createConsoleSink({ format: "yaml" as never })).toThrow(/"format"/);
    expect(() => createConsoleSink({ stderrLevel: "loud" as never })).toThrow(/"stderrLevel"/);
    expect(() => createConsoleSink({ stdoutFd: -1 })).toThrow(/"stdoutFd"/);
    expect(() => createConsoleSink({ maxBufferBytes: 0 })).toThrow(/"maxBufferBytes"/);
  });
});

describe("createConsoleSink whose onError logs through the same logger", () => {
  afterEach(() => configureSelfLog());

  it("on /dev/full: the logged report is kept and fails once more, then the feedback stops", async () => {
    configureSelfLog({ write: () => {} });
    const fd = openSync("/dev/full", "w");
    let log: Logger | undefined;
    const sink = createConsoleSink({
      format: "json",
      stdoutFd: fd,
      onError: (error) => log?.error(error, "Console output failed"),
    });
    log = createLogger({ sinks: [sink] });
    for (let n = 0; n < 10; n++) log.info("Event {N}", { N: n });
    await expect(sink.flush()).rejects.toMatchObject({ code: "ENOSPC" });
    // Without a bound, each failure's report would fail and be reported again, for ever.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const settled = await log.close().then(
      () => "settled",
      () => "settled",
    );
    expect(settled).toBe("settled");
    const stats = sink.stats();
    expect(stats).toMatchObject({ accepted: 11, delivered: 0, failed: 11, pending: 0 });
    expect(log.stats()).toMatchObject({ accepted: 12, emitted: 11 });
    expect(log.stats().dropped.reentrant).toBe(1);
    closeSync(fd);
  });
});
