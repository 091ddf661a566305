// Example 6, faults: a file sink whose disk is full, then whose file is deleted, recovering from
// each by itself, with the counts. The full disk is /dev/full (every write fails with ENOSPC),
// reached through a symbolic link at the log's path; "freeing space" replaces the link with a
// regular file, which the sink's periodic check notices and reopens.

import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createLogger } from "@sluice/core";
import { createFileSink } from "@sluice/sink-file";

if (!existsSync("/dev/full")) {
  console.log("skipped: this example needs /dev/full (Linux)");
  process.exit(0);
}
const directory = mkdtempSync(join(tmpdir(), "sluice-faults-"));
const path = join(directory, "app.log");
symlinkSync("/dev/full", path);

const errors = new Map<string, number>();
const file = createFileSink({
  path,
  checkIntervalMs: 100,
  maxRetryDelayMs: 200,
  // Failures are counted here instead of printed by the self-log.
  onError: (error) => {
    const code = errorCode(error);
    errors.set(code, (errors.get(code) ?? 0) + 1);
  },
});
const log = createLogger({ sinks: [file] });

async function logFor(phase: string, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (let index = 0; Date.now() < until; index++) {
    log.info("Order {OrderId} shipped ({Phase})", { OrderId: index, Phase: phase });
    await sleep(5);
  }
  // A flush reports a failure once; a flush with nothing new resolves.
  await log.flush().catch((error: Error) => console.log(`  flush reported: ${error.message}`));
  const { accepted, delivered, failed, pending, reopens } = file.stats();
  console.log(
    `  after "${phase}": accepted ${accepted}, delivered ${delivered}, failed ${failed}, pending ${pending}, reopens ${reopens}`,
  );
}

console.log("== 1. The disk is full (ENOSPC on every write)");
await logFor("disk full", 600);
console.log(
  `  errors reported: ${[...errors].map(([code, count]) => `${code} x${count}`).join(", ")}`,
);

console.log("== 2. Space is back: the path is a regular file again");
unlinkSync(path);
await logFor("space back", 600);

console.log("== 3. The log file is deleted from outside");
const deliveredBefore = file.stats().delivered;
unlinkSync(path);
await logFor("file deleted", 600);

await log.close();
const lines = readFileSync(path, "utf8").split("\n").filter(Boolean).length;
const { accepted, delivered, failed } = file.stats();
console.log(
  `  ${lines} lines in the recreated file; the ${delivered - deliveredBefore - lines} before them went to the deleted file before the check (every 100 ms) noticed`,
);
console.log(`${accepted} events: ${delivered} delivered, ${failed} failed (on the full disk)`);
rmSync(directory, { recursive: true, force: true });

/** The first `code` along an error's `cause` chain (the sink wraps the system error). */
function errorCode(error: unknown): string {
  for (let current = error; current instanceof Error; current = current.cause) {
    const { code } = current as Error & { code?: unknown };
    if (typeof code === "string" && code.startsWith("E")) return code;
  }
  return "unknown";
}
