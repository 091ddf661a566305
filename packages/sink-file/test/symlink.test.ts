import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkConservation } from "@sluice/core/sink";
import { createFileSink } from "@sluice/sink-file";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { numberedEvent } from "./fixtures/numbered-event.ts";

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-symlink-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

const event = numberedEvent;

function numbers(path: string): number[] {
  return readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => (JSON.parse(line) as { N: number }).N);
}

describe("a path that is a symbolic link", () => {
  it("is followed by default: the events are appended to its target", async () => {
    const target = join(directory, "target.log");
    const path = join(directory, "app.log");
    writeFileSync(target, `${JSON.stringify({ N: -1 })}\n`);
    symlinkSync(target, path);
    const sink = createFileSink({ path });
    for (let n = 0; n < 5; n++) sink.write(event(n));
    await sink.close();
    expect(numbers(target)).toEqual([-1, 0, 1, 2, 3, 4]);
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
  });

  it("that dangles into a missing directory fails with ENOENT, counted", async () => {
    const path = join(directory, "app.log");
    symlinkSync(join(directory, "missing", "target.log"), path);
    const sink = createFileSink({ path, onError: () => {} });
    for (let n = 0; n < 3; n++) sink.write(event(n));
    await expect(sink.flush()).rejects.toMatchObject({ code: "ENOENT" });
    await sink.close().catch(() => {});
    expect(sink.stats()).toMatchObject({ accepted: 3, delivered: 0, failed: 3, pending: 0 });
  });

  it("is refused with followSymlinks: false (O_NOFOLLOW): ELOOP, counted, the target untouched", async () => {
    const target = join(directory, "target.log");
    const path = join(directory, "app.log");
    writeFileSync(target, "");
    symlinkSync(target, path);
    const errors: NodeJS.ErrnoException[] = [];
    const sink = createFileSink({
      path,
      followSymlinks: false,
      onError: (error) => errors.push(error as NodeJS.ErrnoException),
    });
    for (let n = 0; n < 4; n++) sink.write(event(n));
    await expect(sink.flush()).rejects.toMatchObject({ code: "ELOOP" });
    await sink.close().catch(() => {});
    expect(readFileSync(target, "utf8")).toBe("");
    expect(errors[0]?.code).toBe("ELOOP");
    const stats = sink.stats();
    expect(stats).toMatchObject({ accepted: 4, delivered: 0, failed: 4, pending: 0 });
    expect(checkConservation(stats)).toBeUndefined();
  });

  it("does not matter with followSymlinks: false when the path is a plain file", async () => {
    const path = join(directory, "app.log");
    const sink = createFileSink({ path, followSymlinks: false });
    sink.write(event(7));
    await sink.close();
    expect(existsSync(path) && numbers(path)).toEqual([7]);
  });

  it("validates followSymlinks", () => {
    expect(() =>
      createFileSink({ path: join(directory, "x.log"), followSymlinks: "no" as never }),
    ).toThrow(/"followSymlinks": expected a boolean/);
  });
});
