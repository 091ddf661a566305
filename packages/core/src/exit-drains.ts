import { reportError } from "./self-log.ts";

// A component whose timers are unref()ed never keeps the process alive; in exchange it asks to
// be drained when the event loop runs dry ("beforeExit"), so a script that logs and ends still
// delivers its last events. One listener serves every component of every copy of core, and a
// shutdown orchestrator can take the listener over, so that each process event has one owner.

interface ExitDrainState {
  readonly drains: Set<() => void>;
  readonly listener: () => void;
  claims: number;
  listening: boolean;
}

const stateKey = Symbol.for("sluice.exitDrains");

function exitDrainState(): ExitDrainState {
  const holder = globalThis as unknown as Record<symbol, ExitDrainState | undefined>;
  if (holder[stateKey] === undefined) {
    const drains = new Set<() => void>();
    holder[stateKey] = {
      drains,
      listener: () => runDrains(drains),
      claims: 0,
      listening: false,
    };
  }
  return holder[stateKey];
}

function runDrains(drains: ReadonlySet<() => void>): void {
  for (const drain of drains) {
    try {
      drain();
    } catch (error) {
      reportError(error, { source: "exit-drain", operation: "drain" }, undefined);
    }
  }
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
 * schedule I/O, which keeps the process alive until it completes) and do nothing when nothing is
 * pending or a delivery is already under way, so that a stuck destination cannot keep the
 * process spinning. One process listener serves every registered drain.
 *
 * @param drain called on every `beforeExit`; must not throw (a throw goes to the self-log).
 * @returns a function that unregisters it, for `close()`.
 * @example
 * ```ts
 * const unregister = registerExitDrain(() => { if (buffer.length > 0) startDelivery(); });
 * ```
 */
export function registerExitDrain(drain: () => void): () => void {
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
  /** Runs every registered drain once. */
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
