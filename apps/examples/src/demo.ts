// `pnpm demo`: a few structured events printed as readable text, a burst through a small queue
// into a file with what became of every event, then the same events as CLEF JSON.
import { createLogger, LevelSwitch, type Sink, withContext } from "@sluice/core";
import { createConsoleSink } from "@sluice/sink-console";
import { queuedFileDemo } from "./queued-file.ts";

async function main(): Promise<void> {
  const verbosity = new LevelSwitch("info");
  const text = createConsoleSink({
    format: "text",
    utc: true,
    outputTemplate:
      "{Timestamp:HH:mm:ss.fff} [{Level:u3}] {Message:lj} {Properties}{NewLine}{Exception}",
  });
  const json = createConsoleSink({ format: "json" });

  for (const [title, sink] of [
    ["Text output template", text],
    ["CLEF (compact JSON, one event per line)", json],
  ] as const satisfies readonly (readonly [string, Sink])[]) {
    const log = createLogger({
      levelSwitch: verbosity,
      sinks: [sink],
      properties: { App: "shop" },
      clock: fixedClock(),
    });
    log.info("== {Title}", { Title: title });
    log.info("User {UserId} logged in from {@Location}", {
      UserId: 42,
      Location: { City: "Oslo", Country: "NO" },
    });
    log.debug("Not shown: the level is {Level}", { Level: verbosity.level });
    await withContext({ RequestId: "req-7f3a" }, async () => {
      const cart = log.child({ Component: "cart" });
      cart.warn("Cart {CartId} holds {Count} items worth {Total:0.00}", {
        CartId: "c-19",
        Count: 3,
        Total: 59.5,
      });
      const cause = Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
      cart.error(new Error("payment gateway failed", { cause }), "Payment {OrderId} failed", {
        OrderId: "A-17",
      });
    });
    if (sink === text) await queuedFileDemo(log);
    // Both sinks write to stdout from their own buffers: each section is flushed before the next
    // starts, so the output reads top to bottom.
    await log.flush();
  }
}

// A fixed, advancing clock keeps the demo's output the same on every run.
function fixedClock(): () => number {
  let now = Date.UTC(2026, 10, 28, 9, 30, 0, 0);
  return () => {
    now += 137;
    return now;
  };
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
