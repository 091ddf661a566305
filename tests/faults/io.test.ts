// I/O faults, each a real one: a full disk, permissions, a read-only file system, descriptor and
// file size limits, the file taken away, a FIFO reader leaving, a slow and a closed stdout.
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  conclude,
  conservationViolations,
  figures,
  isRoot,
  mountReadOnly,
  mountTmpfs,
  outputViolations,
  parseEvents,
  quote,
  type Report,
  readText,
  runScenario,
  scale,
  scratchDirectory,
  shell,
  skipScenario,
  startScenario,
  workDirectory,
} from "./harness.ts";

const group = "I/O";

/** The innermost component of the first chain: the file or console sink itself. */
function innermost(report: Report | undefined) {
  return report?.chains[0]?.at(-1)?.stats;
}

function notes(report: Report | undefined, extra = ""): string {
  const errors = (report?.errors as string[] | undefined) ?? [];
  return [errors.length > 0 ? `errors: ${errors.join(", ")}` : "", extra]
    .filter(Boolean)
    .join("; ");
}

describe("I/O faults", () => {
  test("ENOSPC: /dev/full fails every write, each event counted failed", () => {
    const scenario = "ENOSPC, /dev/full";
    const count = scale(2_000, 20_000);
    const result = runScenario({ fixture: "file-writer.mjs", args: { path: "/dev/full", count } });
    const file = innermost(result.final);
    const violations = [...conservationViolations(result.final)];
    if (file?.delivered !== 0)
      violations.push(`${file?.delivered} counted delivered into /dev/full`);
    if (file?.failed !== count) violations.push(`${file?.failed} failed of ${count}`);
    conclude({ group, scenario, ...figures(result.final), notes: notes(result.final) }, violations);
  });

  test("ENOSPC: a full tmpfs, then freed: the failures are counted, the rest lands once", (context) => {
    const scenario = "ENOSPC, 64 KiB tmpfs filled then freed";
    const disk = mountTmpfs(64);
    if (disk === undefined)
      skipScenario(context, group, scenario, "mounting a tmpfs is not permitted");
    try {
      const filler = join(disk.directory, "filler");
      // Fill the disk but for a few KiB, so the first phase fails part-way.
      writeFileSync(filler, Buffer.alloc(56 * 1024));
      const path = join(disk.directory, "app.log");
      const count = 400;
      const result = runScenario({
        fixture: "file-writer.mjs",
        args: { path, count, phases: 2, between: "free", filler },
      });
      const file = innermost(result.final);
      const found = parseEvents(...readText(path));
      const violations = [
        ...conservationViolations(result.final),
        ...outputViolations(found, file?.delivered ?? -1, { allowInvalid: true }),
      ];
      if ((file?.failed ?? 0) === 0) violations.push("the full disk failed no write");
      const secondPhase = found.numbers.filter((n) => n >= count).length;
      if (secondPhase !== count) violations.push(`${secondPhase} of ${count} events after freeing`);
      conclude(
        {
          group,
          scenario,
          ...figures(result.final),
          notes: notes(result.final, `torn lines: ${found.invalid.length}`),
        },
        violations,
      );
    } finally {
      disk.unmount();
    }
  });

  test("EACCES: a folder the process may not write (run as nobody)", (context) => {
    const scenario = "EACCES, run as nobody";
    if (!isRoot) skipScenario(context, group, scenario, "needs root to run the child as nobody");
    if (!existsSync("/usr/bin/setpriv")) skipScenario(context, group, scenario, "needs setpriv");
    const directory = scratchDirectory();
    try {
      const path = join(directory, "locked", "app.log");
      mkdirSync(join(directory, "locked"), { mode: 0o755 });
      const count = scale(1_000, 10_000);
      const result = runScenario({
        fixture: "file-writer.mjs",
        args: { path, count },
        wrap: (command) => [
          "setpriv",
          "--reuid=65534",
          "--regid=65534",
          "--clear-groups",
          ...command,
        ],
      });
      const file = innermost(result.final);
      const violations = [...conservationViolations(result.final)];
      if (file?.failed !== count) violations.push(`${file?.failed} failed of ${count}`);
      if (existsSync(path)) violations.push("nobody created the file");
      conclude(
        { group, scenario, ...figures(result.final), notes: notes(result.final) },
        violations,
      );
    } finally {
      shell(`rm -rf ${quote(directory)}`);
    }
  });

  test("EROFS: a read-only bind mount", (context) => {
    const scenario = "EROFS, read-only bind mount";
    const mount = mountReadOnly();
    if (mount === undefined)
      skipScenario(context, group, scenario, "bind mounts are not permitted");
    try {
      const count = scale(1_000, 10_000);
      const result = runScenario({
        fixture: "file-writer.mjs",
        args: { path: join(mount.directory, "app.log"), count },
      });
      const file = innermost(result.final);
      const violations = [...conservationViolations(result.final)];
      if (file?.failed !== count) violations.push(`${file?.failed} failed of ${count}`);
      conclude(
        { group, scenario, ...figures(result.final), notes: notes(result.final) },
        violations,
      );
    } finally {
      mount.unmount();
    }
  });

  test("EMFILE: no descriptor left (ulimit -n 64), then released: the sink recovers", () => {
    const scenario = "EMFILE, ulimit -n 64, then released";
    const path = join(workDirectory(), "app.log");
    const count = scale(500, 5_000);
    const result = runScenario({
      fixture: "file-writer.mjs",
      args: { path, count, phases: 2, between: "release-descriptors", holdDescriptors: true },
      wrap: (command) => ["sh", "-c", `ulimit -n 64; exec ${command.map(quote).join(" ")}`],
    });
    const file = innermost(result.final);
    const found = parseEvents(...readText(path));
    const violations = [
      ...conservationViolations(result.final),
      ...outputViolations(found, file?.delivered ?? -1),
    ];
    if (!((result.final?.errors as string[] | undefined) ?? []).includes("EMFILE")) {
      violations.push("no EMFILE was reported");
    }
    if (found.numbers.filter((n) => n >= count).length !== count) {
      violations.push("the events after the release did not all land");
    }
    conclude({ group, scenario, ...figures(result.final), notes: notes(result.final) }, violations);
  });

  test("EFBIG: a file size limit (ulimit -f 8): what fits lands, the rest is counted failed", () => {
    const scenario = "EFBIG, ulimit -f 8";
    const path = join(workDirectory(), "app.log");
    const count = scale(2_000, 20_000);
    const result = runScenario({
      fixture: "file-writer.mjs",
      args: { path, count },
      wrap: (command) => ["sh", "-c", `ulimit -f 8; exec ${command.map(quote).join(" ")}`],
    });
    const file = innermost(result.final);
    const found = parseEvents(...readText(path));
    const violations = [
      ...conservationViolations(result.final),
      ...outputViolations(found, file?.delivered ?? -1, { allowInvalid: true }),
    ];
    if ((file?.failed ?? 0) === 0) violations.push("nothing failed past the limit");
    conclude(
      {
        group,
        scenario,
        ...figures(result.final),
        notes: notes(result.final, `torn lines: ${found.invalid.length}`),
      },
      violations,
    );
  });

  for (const between of ["unlink", "remove-directory"] as const) {
    test(`the active file taken away (${between}): every event once, in the old inode or the new file`, () => {
      const scenario = between === "unlink" ? "active file unlinked" : "log directory removed";
      const directory = workDirectory();
      const path = join(directory, "logs", "app.log");
      const keep = join(directory, "old-inode.log");
      const count = scale(2_000, 20_000);
      const result = runScenario({
        fixture: "file-writer.mjs",
        args: { path, count, phases: 2, between, keep },
      });
      const file = innermost(result.final);
      const found = parseEvents(...readText(keep, path));
      const violations = [
        ...conservationViolations(result.final),
        ...outputViolations(found, file?.delivered ?? -1),
      ];
      if (file?.delivered !== 2 * count)
        violations.push(`${file?.delivered} of ${2 * count} delivered`);
      if ((file?.reopens as number | undefined) === 0) violations.push("the sink never reopened");
      conclude(
        { group, scenario, ...figures(result.final), notes: notes(result.final) },
        violations,
      );
    });
  }

  test("FIFO reader leaving: what it read is a prefix, the rest is counted; the pipe buffer is the loss window", async () => {
    const scenario = "FIFO reader leaves after 4000 bytes";
    const directory = workDirectory();
    const path = join(directory, "app.fifo");
    const received = join(directory, "received.log");
    execFileSync("mkfifo", [path]);
    // dd reads byte by byte, so it takes exactly what it keeps and leaves the rest in the pipe.
    const reader = spawn("sh", [
      "-c",
      `dd if=${quote(path)} of=${quote(received)} bs=1 count=4000 2>/dev/null`,
    ]);
    const readerDone = new Promise((resolve) => reader.on("close", resolve));
    const count = scale(5_000, 50_000);
    const running = startScenario({ fixture: "file-writer.mjs", args: { path, count } });
    const result = await running.done;
    await readerDone;
    const file = innermost(result.final);
    const found = parseEvents(...readText(received));
    const violations = [...conservationViolations(result.final)];
    const prefix = found.numbers.every((n, index) => n === index);
    if (!prefix) violations.push("the reader did not get a prefix of the events, in order");
    if (found.invalid.length > 1) violations.push(`${found.invalid.length} invalid lines`);
    if ((file?.failed ?? 0) === 0) violations.push("nothing counted failed after the reader left");
    const inPipe = (file?.delivered ?? 0) - found.numbers.length - (found.tornEnd ? 1 : 0);
    conclude(
      {
        group,
        scenario,
        ...figures(result.final),
        notes: notes(
          result.final,
          `read ${found.numbers.length}; ${inPipe} counted delivered were in the pipe buffer when the reader left (discarded by the kernel)`,
        ),
      },
      violations,
    );
  });

  test("stdout EAGAIN: a slow reader gets every line once, in order", async () => {
    const scenario = "stdout EAGAIN, slow reader";
    const count = scale(50_000, 500_000);
    const running = startScenario({ fixture: "console-writer.mjs", args: { count, chunk: 1000 } });
    const stream = running.child.stdout;
    // Read about 64 KiB, then pause, so the child's pipe fills and its writes meet EAGAIN.
    let sincePause = 0;
    stream?.on("data", (text: string) => {
      sincePause += text.length;
      if (sincePause > 64 * 1024) {
        sincePause = 0;
        stream.pause();
        setTimeout(() => stream.resume(), 20);
      }
    });
    const result = await running.done;
    const sink = innermost(result.final);
    const found = parseEvents(result.stdout);
    const violations = [
      ...conservationViolations(result.final),
      ...outputViolations(found, sink?.delivered ?? -1),
    ];
    // Past its buffer (4 MiB) the sink refuses events as buffer_full; everything else arrives.
    const refused = sink?.dropped.buffer_full ?? 0;
    if ((sink?.delivered ?? 0) + refused !== count) {
      violations.push(`${sink?.delivered} delivered + ${refused} buffer_full of ${count}`);
    }
    conclude({ group, scenario, ...figures(result.final), notes: notes(result.final) }, violations);
  });

  test("EPIPE: | head -1 gets the first line; the rest is counted epipe, exit code untouched", () => {
    const scenario = "EPIPE, | head -1";
    const count = scale(20_000, 200_000);
    const result = runScenario({
      fixture: "console-writer.mjs",
      args: { count, chunk: 500 },
      wrap: (command) => ["sh", "-c", `${command.map(quote).join(" ")} | head -1`],
    });
    const sink = innermost(result.final);
    const found = parseEvents(result.stdout);
    const violations = [...conservationViolations(result.final)];
    if (found.numbers.join() !== "0")
      violations.push(`head read ${found.numbers.slice(0, 3).join()}`);
    if ((sink?.dropped.epipe ?? 0) === 0) violations.push("no event counted epipe");
    if (result.status !== 0)
      violations.push(`exit status ${result.status}: ${result.stderr.slice(0, 200)}`);
    if (/Error|EPIPE/.test(result.stderr))
      violations.push(`stderr: ${result.stderr.slice(0, 200)}`);
    conclude({ group, scenario, ...figures(result.final), notes: notes(result.final) }, violations);
    expect(found.invalid).toEqual([]);
  });
});
