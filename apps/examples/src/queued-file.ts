// A burst through a small queue into a file: the queue overflows, and every event is still
// accounted for, as delivered (a line in the file) or as dropped with its reason.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createLogger, type Logger } from "@sluice/core";
import { withQueue } from "@sluice/queue";
import { createFileSink } from "@sluice/sink-file";

/**
 * Writes `burst` events at once through a queue that holds 1,000, then reports on `report` what
 * became of them.
 */
export async function queuedFileDemo(report: Logger, burst = 10_000): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), "sluice-demo-"));
  try {
    const path = join(directory, "app.log");
    const queue = withQueue(createFileSink({ path }), { maxEvents: 1_000 });
    const log = createLogger({ sinks: [queue] });
    for (let index = 0; index < burst; index++) {
      log.info("Order {OrderId} shipped", { OrderId: index });
    }
    await log.close();
    const { accepted, delivered, dropped } = queue.stats();
    const lines = readFileSync(path, "utf8").split("\n").filter(Boolean);
    const last = JSON.parse(lines.at(-1) ?? "{}") as { OrderId?: number };
    report.info(
      "A burst of {Accepted} events into a queue of 1000: {Delivered} written ({Lines} lines, the newest ending at order {LastOrder}), {Dropped} dropped as queue_full",
      {
        Accepted: accepted,
        Delivered: delivered,
        Lines: lines.length,
        LastOrder: last.OrderId,
        Dropped: dropped.queue_full,
      },
    );
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
}
