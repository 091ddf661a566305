import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";

const writer = fileURLToPath(new URL("./fixtures/steady-writer.mjs", import.meta.url));
const logrotate = ["/usr/sbin/logrotate", "/usr/bin/logrotate"].find((path) => existsSync(path));
const events = 100_000;

let directory: string;
beforeEach(() => {
  directory = mkdtempSync(join(tmpdir(), "sluice-logrotate-"));
});
afterEach(() => {
  rmSync(directory, { recursive: true, force: true });
});

/** Runs the writer while logrotate rotates every 150 ms; returns every event number found. */
async function writeWhileRotating(
  mode: "create" | "copytruncate",
): Promise<{ numbers: number[]; rotations: number; torn: number }> {
  const path = join(directory, "app.log");
  const config = join(directory, "logrotate.conf");
  writeFileSync(config, `${path} {\n  rotate 1000\n  ${mode}\n  missingok\n  nocompress\n}\n`);
  const child = spawn(process.execPath, [writer, path, String(events)], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
  let running = true;
  void exited.then(() => {
    running = false;
  });
  let rotations = 0;
  while (running) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    if (!running) break;
    const result = spawnSync(logrotate as string, ["-f", "-s", join(directory, "state"), config]);
    if (result.status === 0) rotations += 1;
  }
  expect(await exited).toBe(0);
  expect(stderr).toBe("");
  expect(rotations).toBeGreaterThan(1);
  let torn = 0;
  const numbers = readdirSync(directory)
    .filter((name) => name.startsWith("app.log"))
    .flatMap((name) => readFileSync(join(directory, name), "utf8").split("\n"))
    .filter((line) => line.length > 0)
    .flatMap((line) => {
      try {
        return [(JSON.parse(line) as { N: number }).N];
      } catch {
        torn += 1;
        return [];
      }
    });
  return { numbers, rotations, torn };
}

const title = "createFileSink under logrotate (needs logrotate: apt-get install logrotate)";
describe.skipIf(logrotate === undefined)(title, () => {
  it("create mode: every one of 100k events is present exactly once across the files", async () => {
    const { numbers, torn } = await writeWhileRotating("create");
    expect(torn).toBe(0);
    expect(numbers).toHaveLength(events);
    expect(new Set(numbers).size).toBe(events);
  }, 120_000);

  it("copytruncate mode: no event twice, and only copytruncate's documented window can lose any", async () => {
    const { numbers, rotations, torn } = await writeWhileRotating("copytruncate");
    // The copy can also end inside a line being appended while logrotate read the file; at most
    // one such torn line per rotation.
    expect(torn).toBeLessThanOrEqual(rotations);
    const unique = new Set(numbers);
    expect(unique.size).toBe(numbers.length);
    // logrotate copies, then truncates: lines written between the two are gone. That window is
    // logrotate's, not the sink's, and its length depends on how long the copy takes; what the
    // sink owes is that each rotation loses at most one contiguous run of events (the window)
    // and nothing else. Measured here: 400-2000 events per rotation at 100k events/s.
    let gaps = 0;
    for (let n = 0; n < events; n++) {
      if (!unique.has(n) && (n === 0 || unique.has(n - 1))) gaps += 1;
    }
    expect(gaps).toBeLessThanOrEqual(rotations);
  }, 120_000);
});
