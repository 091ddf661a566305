import { reportError } from "./self-log.ts";

// A component whose timers are unref()ed never keeps the process alive; in exchange it asks to
// be drained when the event loop runs dry ("beforeExit"), so a script that logs and ends still
// delivers its last events. One listener serves every component of every copy of core, and a
// shutdown orchestrator can take the listener over, so that each process event has one owner.

/**
 * A drain run when the event loop runs dry. It returns how long, in milliseconds, the process
 * should be kept alive for a delivery already under way (nothing, or 0, for none).
 */
// biome-ignore lint/suspicious/noConfusingVoidType: a drain that only starts delivery returns nothing.
export type ExitDrain = () => number | void;

interface ExitDrainState {
  readonly drains: Set<ExitDrain>;
  readonly listener: () => void;
  claims: number;
  listening: boolean;
}

const stateKey = Symbol.for("sluice.exitDrains");

function exitDrainState(): ExitDrainState {
  const holder = globalThis as unknown as Record<symbol, ExitDrainState | undefined>;
  if (holder[stateKey] === undefined) {
    const drains = new Set<ExitDrain>();
    holder[stateKey] = {
      drains,
      listener: () => runDrains(drains),
      claims: 0,
      listening: false,
    };
  }
  return holder[stateKey];
}

function runDrains(drains: ReadonlySet<ExitDrain>): void {
  let graceMs = 0;
  for (const drain of drains) {
    try {
      const asked = drain();
      if (typeof asked === "number" && asked > graceMs) graceMs = asked;
    } catch (error) {
      reportError(error, { source: "exit-drain", operation: "drain" }, undefined);
    }
  }
  // Referenced on purpose: it is what keeps the process alive for the grace period. When it
  // fires the loop runs dry again and every drain gets its second look.
  if (graceMs > 0) setTimeout(() => {}, graceMs);
}

/** Listens for "beforeExit" exactly while some drain is registered and nobody claimed them. */
function syncListener(state: ExitDrainState): void {
  const wanted = state.claims === 0 && state.drains.size > 0;
  if (wanted === state.listening) return;
  state.listening = wanted;
  if (wanted) process.on("beforeExit", state.listener);
  else process.off("beforeExit", state.listener);
}

/**
 * Asks for `drain` to run when the event loop runs out of work (Node's `beforeExit`), for a sink
 * that buffers behind unref()ed timers: the timers never keep the process alive, and the drain
 * still delivers the last events of a script that ends. The drain should start delivery (it may
 * schedule I/O, which keeps the process alive until it completes). When a delivery is already
 * under way and waits on something that no longer keeps the process alive (an `unref()`ed
 * timer), the drain may return a grace period in milliseconds: the process is kept alive that
 * long, then the drain runs again, and a delivery still under way then will never settle: the
 * drain should give it up (counted as `shutdown_timeout`) and return nothing, so a stuck
 * destination can neither keep the process alive nor make it spin. One process listener serves
 * every registered drain.
 *
 * @param drain called on every `beforeExit`; must not throw (a throw goes to the self-log).
 * @returns a function that unregisters it, for `close()`.
 * @example
 * ```ts
 * const unregister = registerExitDrain(() => { if (buffer.length > 0) startDelivery(); });
 * ```
 */
export function registerExitDrain(drain: ExitDrain): () => void {
  const state = exitDrainState();
  state.drains.add(drain);
  syncListener(state);
  return () => {
    state.drains.delete(drain);
    syncListener(state);
  };
}

/** What {@link claimExitDrains} returns: the registered drains, run by their new owner. */
export interface ExitDrainClaim {
  /** Runs every registered drain once, keeping the process alive for any grace they ask. */
  run(): void;
  /** Gives the drains back; once nobody claims them, they run on `beforeExit` again. */
  release(): void;
}

/**
 * Takes over running the registered exit drains from core's own `beforeExit` listener, which is
 * removed while any claim is held: for a shutdown orchestrator that owns the process's exit
 * events and runs the drains from its own listener.
 *
 * @returns the claim; `release()` is idempotent.
 */
export function claimExitDrains(): ExitDrainClaim {
  const state = exitDrainState();
  state.claims += 1;
  syncListener(state);
  let held = true;
  return {
    run: () => runDrains(state.drains),
    release: () => {
      if (!held) return;
      held = false;
      state.claims -= 1;
      syncListener(state);
    },
  };
}
