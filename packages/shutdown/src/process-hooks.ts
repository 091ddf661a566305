import { constants } from "node:os";
import { inspect } from "node:util";
import type { Logger } from "@sluice/core";
import { claimExitDrains, type ExitDrainClaim, invalidOption } from "@sluice/core/sink";
import type { Shutdown } from "./shutdown.ts";
import { resolveStrategy, type ShutdownStrategy } from "./strategy.ts";

/** Options for {@link installProcessHooks}. */
export interface ProcessHooksOptions {
  /**
   * What a signal, an uncaught exception or an unhandled rejection runs.
   * @default { graceful: 5000 }
   */
  readonly strategy?: ShutdownStrategy;
  /**
   * The signals that shut the process down. A second one during shutdown escalates to
   * `"immediate"`.
   * @default ["SIGTERM", "SIGINT", "SIGHUP"]
   */
  readonly signals?: readonly string[];
  /**
   * How the process ends after a signal: `"exit-code"` exits with 128 + the signal's number (143
   * for SIGTERM), which works the same as PID 1; `"reraise"` removes the hooks and sends the
   * signal again, so the parent sees a death by signal (as PID 1, where that does nothing, the
   * process exits with the code after 100 ms).
   * @default "exit-code"
   */
  readonly signalExit?: "exit-code" | "reraise";
  /**
   * Whether an uncaught exception or an unhandled rejection is logged as `fatal` (through
   * `logger`, or printed to stderr without one), runs the strategy and exits with code 1.
   * @default true
   */
  readonly crashes?: boolean;
  /**
   * Whether `process.exit()` called by the application drains every resource that can do it
   * synchronously (`flushSync`), has every resource give up what it still holds (each counts it
   * as `process_exit`), and reports those events once on stderr.
   * @default true
   */
  readonly exit?: boolean;
  /**
   * Whether the moment the event loop runs out of work (`beforeExit`) flushes the resources,
   * so a script that logs and ends delivers everything. A resource that makes no progress is
   * not flushed again, so the process still ends.
   * @default true
   */
  readonly beforeExit?: boolean;
  /**
   * The logger crashes are logged through.
   * @default crashes are printed to stderr
   */
  readonly logger?: Logger;
}

interface Installation {
  readonly shutdown: Shutdown;
  readonly strategy: ShutdownStrategy;
  readonly signals: ReadonlySet<string>;
  readonly reraise: boolean;
  readonly crashes: boolean;
  readonly exit: boolean;
  readonly beforeExit: boolean;
  readonly logger: Logger | undefined;
  beforeExitFlush: Promise<void> | undefined;
  beforeExitProgress: number | undefined;
}

// One listener per process event serves every installation (and every copy of this package):
// listeners never pile up into MaxListenersExceededWarning, and uninstalling the last
// installation leaves the process exactly as it was.
interface HookState {
  readonly installations: Set<Installation>;
  readonly listeners: Map<string, (...args: unknown[]) => void>;
  // While our beforeExit listener is installed it also runs the drains sinks registered with
  // core (the queue's), and core's own listener steps aside: one listener for the event.
  exitDrains: ExitDrainClaim | undefined;
  terminating: boolean;
}

const stateKey = Symbol.for("sluice.shutdown.processHooks");

function hookState(): HookState {
  const holder = globalThis as unknown as Record<symbol, HookState | undefined>;
  holder[stateKey] ??= {
    installations: new Set(),
    listeners: new Map(),
    exitDrains: undefined,
    terminating: false,
  };
  return holder[stateKey];
}

const defaultSignals = ["SIGTERM", "SIGINT", "SIGHUP"] as const;

/**
 * Connects a shutdown to the process: signals run its strategy and then exit (143 for SIGTERM),
 * a crash is logged as fatal and exits with 1 after the strategy, `process.exit()` drains what
 * can be drained synchronously and says what could not, and `beforeExit` flushes. However many
 * shutdowns are installed, each process event has at most one listener of ours.
 *
 * @param shutdown the shutdown to run.
 * @param options which hooks, the strategy, and a logger for crashes.
 * @returns a function that uninstalls these hooks, removing the listeners once no installation
 *   needs them.
 * @throws {LoggingError} `invalid_option` for a bad option.
 * @example
 * ```ts
 * const shutdown = createShutdown();
 * shutdown.register("logger", log);
 * installProcessHooks(shutdown, { strategy: { graceful: 3000 }, logger: log });
 * ```
 */
export function installProcessHooks(
  shutdown: Shutdown,
  options: ProcessHooksOptions = {},
): () => void {
  if (shutdown === null || typeof shutdown !== "object" || typeof shutdown.execute !== "function") {
    throw invalidOption("shutdown", "a shutdown from createShutdown", shutdown);
  }
  if (options === null || typeof options !== "object") {
    throw invalidOption("options", "an object", options);
  }
  const strategy = options.strategy ?? { graceful: 5000 };
  resolveStrategy("strategy", strategy);
  const signals = options.signals ?? defaultSignals;
  if (!Array.isArray(signals) || signals.some((signal) => !isSignalName(signal))) {
    throw invalidOption("signals", 'an array of signal names such as "SIGTERM"', signals);
  }
  const signalExit = options.signalExit ?? "exit-code";
  if (signalExit !== "exit-code" && signalExit !== "reraise") {
    throw invalidOption("signalExit", '"exit-code" or "reraise"', signalExit);
  }
  for (const name of ["crashes", "exit", "beforeExit"] as const) {
    const value = options[name];
    if (value !== undefined && typeof value !== "boolean") {
      throw invalidOption(name, "a boolean", value);
    }
  }
  if (options.logger !== undefined && typeof options.logger?.fatal !== "function") {
    throw invalidOption("logger", "a logger from createLogger", options.logger);
  }
  const installation: Installation = {
    shutdown,
    strategy,
    signals: new Set(signals),
    reraise: signalExit === "reraise",
    crashes: options.crashes ?? true,
    exit: options.exit ?? true,
    beforeExit: options.beforeExit ?? true,
    logger: options.logger,
    beforeExitFlush: undefined,
    beforeExitProgress: undefined,
  };
  const state = hookState();
  state.installations.add(installation);
  syncListeners(state);
  let installed = true;
  return () => {
    if (!installed) return;
    installed = false;
    state.installations.delete(installation);
    syncListeners(state);
  };
}

function isSignalName(value: unknown): value is string {
  return typeof value === "string" && Object.hasOwn(constants.signals, value);
}

/** Adds the listeners some installation needs and removes those none needs. */
function syncListeners(state: HookState): void {
  const wanted = new Set<string>();
  for (const installation of state.installations) {
    for (const signal of installation.signals) wanted.add(signal);
    if (installation.crashes) {
      wanted.add("uncaughtException");
      wanted.add("unhandledRejection");
    }
    if (installation.exit) wanted.add("exit");
    if (installation.beforeExit) wanted.add("beforeExit");
  }
  for (const [event, listener] of state.listeners) {
    if (wanted.has(event)) continue;
    process.off(event, listener);
    state.listeners.delete(event);
  }
  if (wanted.has("beforeExit")) state.exitDrains ??= claimExitDrains();
  else {
    state.exitDrains?.release();
    state.exitDrains = undefined;
  }
  for (const event of wanted) {
    if (state.listeners.has(event)) continue;
    const listener = makeListener(state, event);
    state.listeners.set(event, listener);
    process.on(event, listener);
  }
}

function makeListener(state: HookState, event: string): (...args: unknown[]) => void {
  switch (event) {
    case "uncaughtException":
    case "unhandledRejection":
      return (error: unknown) => onCrash(state, event, error);
    case "exit":
      return () => onExit(state);
    case "beforeExit":
      return () => onBeforeExit(state);
    default:
      return () => onSignal(state, event);
  }
}

function onSignal(state: HookState, signal: string): void {
  const targets = [...state.installations].filter((installation) =>
    installation.signals.has(signal),
  );
  const code = 128 + (constants.signals[signal as keyof typeof constants.signals] ?? 0);
  if (state.terminating) {
    for (const installation of targets) void installation.shutdown.execute("immediate");
    return;
  }
  state.terminating = true;
  void runAll(targets).then(() => {
    if (targets.some((installation) => installation.reraise)) {
      reraise(state, signal, code);
    } else {
      process.exit(code);
    }
  });
}

function reraise(state: HookState, signal: string, code: number): void {
  state.installations.clear();
  syncListeners(state);
  try {
    process.kill(process.pid, signal);
  } catch {
    // Nothing to re-raise into; the exit code below says the same.
  }
  // As PID 1 a signal without a handler does nothing: end the process anyway.
  setTimeout(() => process.exit(code), 100);
}

function onCrash(state: HookState, event: string, error: unknown): void {
  const targets = [...state.installations].filter((installation) => installation.crashes);
  const origin = event === "uncaughtException" ? "Uncaught exception" : "Unhandled rejection";
  let logged = false;
  for (const installation of targets) {
    if (installation.logger === undefined) continue;
    try {
      installation.logger.fatal(error, `${origin}; shutting down`);
      logged = true;
    } catch {
      // Logging never throws, but a crash path trusts nothing; stderr below still says it.
    }
  }
  if (!logged) writeStderr(`${origin}; shutting down:\n${inspect(error)}`);
  process.exitCode = 1;
  if (state.terminating) {
    for (const installation of targets) void installation.shutdown.execute("immediate");
    return;
  }
  state.terminating = true;
  void runAll(targets).then(() => process.exit(1));
}

function onExit(state: HookState): void {
  let lost = 0;
  const sinks = new Set<string>();
  // What the sinks that held the events say of why (a full disk, a stalled pipe), by resource.
  const causes = new Map<string, string>();
  for (const installation of state.installations) {
    // A running shutdown counts too: a cleanup step of its own may call process.exit() before
    // the resources after it were flushed, and nothing else would drain them.
    if (!installation.exit || installation.shutdown.state === "done") continue;
    const report = installation.shutdown.flushSync();
    for (const resource of report.resources) {
      const abandoned = resource.events?.abandoned ?? 0;
      if (abandoned === 0) continue;
      lost += abandoned;
      sinks.add(resource.name);
      if (resource.error !== undefined) causes.set(resource.name, describeCause(resource.error));
    }
  }
  if (lost === 0) return;
  const count = `${lost} log event${lost === 1 ? "" : "s"}`;
  const held = [...sinks].join(", ");
  const inFlight = "no flushSync, or an asynchronous write still in flight";
  if (causes.size === 0) {
    writeStderr(
      `sluice: the process exited with ${count} still held by ${held}, which could not write ` +
        `them synchronously (${inFlight}); they count as lost (process_exit). Await ` +
        "shutdown.execute() before exiting to deliver them.",
    );
    return;
  }
  const reasons = [...causes].map(([name, cause]) => `${name}: ${cause}`);
  const unexplained = [...sinks].filter((name) => !causes.has(name));
  if (unexplained.length > 0) reasons.push(`${unexplained.join(", ")}: ${inFlight}`);
  writeStderr(
    `sluice: the process exited with ${count} still held by ${held}, which could not write ` +
      `them (${reasons.join("; ")}); they count as lost (process_exit).`,
  );
}

/** One line of what an error says, for the exit message. */
function describeCause(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const line = (text.split("\n")[0] ?? "").replace(/\.$/, "");
  // A system error's code (ENOSPC) names the cause; the message of most already starts with it.
  return typeof code === "string" && /^E[A-Z]+$/.test(code) && !line.includes(code)
    ? `${code}: ${line}`
    : line;
}

function onBeforeExit(state: HookState): void {
  state.exitDrains?.run();
  for (const installation of state.installations) {
    if (!installation.beforeExit || installation.shutdown.state !== "idle") continue;
    if (installation.beforeExitFlush !== undefined) continue;
    const progress = installation.shutdown.progress();
    // Flush once when the loop first runs dry, then again only while the last flush moved
    // events on: a sink that never settles must not keep the process alive or spinning.
    if (installation.beforeExitProgress !== undefined) {
      if (progress.pending === 0 || progress.settled === installation.beforeExitProgress) continue;
    }
    installation.beforeExitProgress = progress.settled;
    installation.beforeExitFlush = installation.shutdown.flush().finally(() => {
      installation.beforeExitFlush = undefined;
    });
  }
}

function runAll(installations: readonly Installation[]): Promise<unknown> {
  return Promise.all(
    installations.map((installation) => installation.shutdown.execute(installation.strategy)),
  );
}

function writeStderr(line: string): void {
  try {
    process.stderr.write(`${line}\n`);
  } catch {
    // stderr is gone; there is nowhere left to say it.
  }
}
