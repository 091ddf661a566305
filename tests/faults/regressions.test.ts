// Regressions of faults fixed in the packages before: logging from inside the pipeline, a reader
// that stalls during a flush, a shared budget with one dead sink, two processes on one path.
import { execFileSync, spawn } from "node:child_process";
import { closeSync, constants, openSync, readFileSync, readSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, test } from "vitest";
import {
  addFigures,
  component,
  conclude,
  conservationViolations,
  figures,
  loggerViolations,
  outputViolations,
  parseEvents,
  quote,
  readText,
  runScenario,
  scale,
  startScenario,
  workDirectory,
} from "./harness.ts";

const group = "regressions";

/** Whether `cat` is in one of these system calls (read is 0 on x86-64, 63 on arm64). */
function inSystemCall(pid: number, numbers: readonly string[]): boolean {
  try {
    const command = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    const call = readFileSync(`/proc/${pid}/syscall`, "utf8").split(" ")[0] ?? "";
    return command.startsWith("cat") && numbers.includes(call);
  } catch {
    return false;
  }
}

describe("regressions", () => {
  test("re-entrant logging (getters, toJSON, enrichers, onError of a full disk) stays bounded and counted", () => {
    const scenario = "re-entrant logging: getters, toJSON, enricher, onError into /dev/full";
    const path = join(workDirectory(), "app.log");
    const count = scale(1_000, 10_000);
    const result = runScenario({
      fixture: "reentrant-writer.mjs",
      args: { path, count },
      timeoutMs: 60_000,
    });
    const healthy = result.final?.chains[1]?.[0]?.stats;
    const found = parseEvents(...readText(path));
    const violations = [
      ...conservationViolations(result.final),
      ...loggerViolations(result.final),
      ...outputViolations(found, healthy?.delivered ?? -1),
    ];
    if (result.signal !== null) violations.push(`the child hung and was killed (${result.signal})`);
    if (found.numbers.length !== count)
      violations.push(`${found.numbers.length} of ${count} events in the healthy file`);
    const logger = result.final?.logger as
      | { accepted: number; dropped: { reentrant: number } }
      | undefined;
    conclude(
      {
        group,
        scenario,
        ...figures(result.final, undefined, 1),
        notes: `healthy sink; logger accepted ${logger?.accepted}, dropped reentrant ${logger?.dropped.reentrant}; nested events in the file: ${found.others}`,
      },
      violations,
    );
  });

  test("a FIFO reader stopped (SIGSTOP) during a flush: the flush waits, then every line arrives once, in order", async () => {
    const scenario = "FIFO reader stalls (SIGSTOP) during a flush, then resumes";
    const directory = workDirectory();
    const path = join(directory, "app.fifo");
    const received = join(directory, "received.log");
    execFileSync("mkfifo", [path]);
    const reader = spawn("sh", ["-c", `exec cat ${quote(path)} > ${quote(received)}`]);
    const readerDone = new Promise((resolve) => reader.on("close", resolve));
    // The writer opens the FIFO without blocking, so the reader must be waiting in open(2) first.
    const opened = Date.now() + 10_000;
    while (Date.now() < opened && !inSystemCall(reader.pid as number, ["257", "56"]))
      await sleep(1);
    const count = scale(5_000, 50_000);
    const running = startScenario({ fixture: "file-writer.mjs", args: { path, count } });
    // Stop the reader once it has the FIFO open and waits in read(2) (stopping it inside open(2)
    // would interrupt the open, so it would not count as a reader). The writer's flush then meets
    // a full pipe and must wait.
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && !inSystemCall(reader.pid as number, ["0", "63"]))
      await sleep(1);
    reader.kill("SIGSTOP");
    await sleep(500);
    reader.kill("SIGCONT");
    const result = await running.done;
    // The reader ends when the writer closes; one that never got a writer is ended here.
    const stray = setTimeout(() => reader.kill("SIGKILL"), 10_000);
    await readerDone;
    clearTimeout(stray);
    const file = figures(result.final);
    const violations = [
      ...conservationViolations(result.final),
      ...outputViolations(parseEvents(...readText(received)), file.delivered ?? -1),
    ];
    if (file.delivered !== count) violations.push(`${file.delivered} of ${count} delivered`);
    if ((result.final?.flushes as string[] | undefined)?.[0] !== "ok") {
      violations.push(
        `the flush settled with ${(result.final?.flushes as string[] | undefined)?.[0]}`,
      );
    }
    conclude({ group, scenario, ...file }, violations);
  });

  test("a shared memory budget with one dead sink: the healthy queues deliver everything", () => {
    const scenario = "shared 2 MiB budget, one of three sinks never answers";
    const directory = workDirectory();
    const count = scale(20_000, 200_000);
    const result = runScenario({
      fixture: "budget-writer.mjs",
      args: { directory, count },
      timeoutMs: 60_000,
    });
    const violations = [...conservationViolations(result.final), ...loggerViolations(result.final)];
    for (const [index, name] of ["a.log", "b.log"].entries()) {
      const delivered = result.final?.chains[index]?.[0]?.stats.delivered;
      violations.push(
        ...outputViolations(parseEvents(...readText(join(directory, name))), delivered ?? -1),
      );
      if (delivered !== count) violations.push(`${name}: ${delivered} of ${count} delivered`);
    }
    const dead = figures(result.final, undefined, 2);
    conclude(
      {
        group,
        scenario,
        ...addFigures([0, 1, 2].map((chain) => figures(result.final, undefined, chain))),
        notes: `the dead queue: dropped ${JSON.stringify(dead.dropped)}`,
      },
      violations,
    );
  });

  test("two processes appending to one path: each one's events whole, once and in order", async () => {
    const scenario = "two processes append to one path";
    const path = join(workDirectory(), "shared.log");
    const count = scale(20_000, 200_000);
    const offsets = [0, 1_000_000_000];
    const results = await Promise.all(
      offsets.map(
        (offset) =>
          startScenario({ fixture: "file-writer.mjs", args: { path, count, offset, phases: 2 } })
            .done,
      ),
    );
    const found = parseEvents(...readText(path));
    const violations: string[] = [];
    for (const [index, offset] of offsets.entries()) {
      const result = results[index];
      violations.push(...conservationViolations(result?.final));
      const mine = {
        ...found,
        numbers: found.numbers.filter((n) => n >= offset && n < offset + 1_000_000_000),
        invalid: [],
        others: 0,
      };
      violations.push(
        ...outputViolations(mine, figures(result?.final).delivered ?? -1).map(
          (text) => `process ${index}: ${text}`,
        ),
      );
    }
    if (found.invalid.length > 0)
      violations.push(`${found.invalid.length} torn or interleaved lines`);
    conclude(
      { group, scenario, ...addFigures(results.map((result) => figures(result.final))) },
      violations,
    );
  });
  for (const how of ["natural", "sigterm"] as const) {
    test(`a FIFO reader that never reads (${how}): the process exits, and what the pipe took counts as delivered`, () => {
      const scenario =
        how === "natural"
          ? "FIFO reader holds the pipe but never reads; queue + exit hooks, program ends"
          : "FIFO reader holds the pipe but never reads; SIGTERM with exit hooks";
      const directory = workDirectory();
      const path = join(directory, "app.fifo");
      execFileSync("mkfifo", [path]);
      // This process is the reader: it holds the FIFO open and reads nothing until the child ends.
      const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
      let received = "";
      let result: ReturnType<typeof runScenario>;
      const count = scale(20_000, 100_000);
      try {
        result = runScenario({
          fixture: "fifo-stall-writer.mjs",
          args: { path, count, how, holdOnStallMs: 1000 },
          timeoutMs: 60_000,
        });
        const buffer = Buffer.alloc(1 << 16);
        try {
          for (let read = readSync(reader, buffer); read > 0; read = readSync(reader, buffer))
            received += buffer.toString("utf8", 0, read);
        } catch {
          // EAGAIN: the pipe is empty.
        }
      } finally {
        closeSync(reader);
      }
      const file = component(result.final, "file");
      const violations = [
        ...conservationViolations(result.final),
        ...outputViolations(parseEvents(received), file?.delivered ?? -1, { allowTornEnd: true }),
      ];
      if (result.signal !== null)
        violations.push(`the child hung and was killed (${result.signal})`);
      if (how === "natural" && result.final?.beforeExit !== true)
        violations.push("beforeExit never came");
      if (file !== undefined && file.pending !== 0)
        violations.push(`${file.pending} still pending`);
      conclude(
        {
          group,
          scenario,
          ...figures(result.final, "file"),
          notes: `exited after ${result.final?.ms} ms (holdOnStallMs 1000)`,
        },
        violations,
      );
    });
  }
});
