// Example 1, basic: a logger writing readable text to the console, typed message templates,
// child loggers and ambient context.
import { createLogger, withContext } from "@sluice/core";
import { createConsoleSink } from "@sluice/sink-console";

const log = createLogger({
  level: "debug",
  sinks: [
    createConsoleSink({
      // Text on any output (the default is JSON lines when stdout is not a terminal), with the
      // properties the message does not show at the end of the line.
      format: "text",
      outputTemplate:
        "{Timestamp:HH:mm:ss} [{Level:u3}] {Message:lj} {Properties}{NewLine}{Exception}",
    }),
  ],
  properties: { App: "shop" },
});

// Each {Hole} names a property; TypeScript rejects a call that does not supply it.
log.info("User {UserId} logged in from {@Location}", {
  UserId: 42,
  Location: { City: "Oslo", Country: "NO" },
});
log.debug("Cache holds {Count} entries, {Ratio:0.0%} full", { Count: 812, Ratio: 0.4 });
// log.info("User {UserId} logged in", { UserID: 42 }); // does not compile: UserId is missing

// A child logger binds properties once for everything it logs.
const cart = log.child({ Component: "cart" });

// Ambient context: every event logged inside, by any logger, carries RequestId.
await withContext({ RequestId: "req-7f3a" }, async () => {
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

// The console sink writes off the caller's path: close the logger to write everything out.
await log.close();
