// The fault suite's harness: runs a scenario's child script from the staged copy of the built
// packages, reads the counters it reported, checks the conservation law for every component of
// every chain and that what was counted delivered is really in the output, once and in order,
// and records one row of the table per scenario.
import { type SpawnSyncOptions, spawn, spawnSync } from "node:child_process";
import {
  appendFileSync,
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { inject, type TestContext } from "vitest";

/** Heavy counts (millions of events, minute-long soaks) run only with `SLUICE_FAULTS_FULL=1`. */
export const full: boolean = process.env.SLUICE_FAULTS_FULL === "1";

/** Picks the count for the default run or for the full run. */
export function scale(defaultCount: number, fullCount: number): number {
  return full ? fullCount : defaultCount;
}

/** The groups of the table, in the order they are printed. */
export const groups = [
  "I/O",
  "sink faults",
  "resilience",
  "rolling",
  "process",
  "crash",
  "time",
  "bad input",
  "regressions",
  "scale",
  "memory",
] as const;
export type Group = (typeof groups)[number];

/** What a child reports about one component of a chain. */
export interface ComponentReport {
  readonly name: string;
  readonly stats: {
    readonly accepted: number;
    readonly delivered: number;
    readonly dropped: Readonly<Record<string, number>>;
    readonly failed: number;
    readonly pending: number;
    readonly lastError: string | null;
    readonly [key: string]: unknown;
  };
}

/** One report line of a child: every chain, outermost component first, plus its own findings. */
export interface Report {
  readonly kind: "final" | "progress";
  readonly chains: readonly (readonly ComponentReport[])[];
  readonly [key: string]: unknown;
}

/** What a finished child left behind. */
export interface ChildResult {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly reports: readonly Report[];
  /** The last `final` report, if the child got that far. */
  readonly final: Report | undefined;
}

/** How to start a scenario's child. */
export interface ScenarioRun {
  /** The script in `fixtures/`. */
  readonly fixture: string;
  /** Its arguments (`args` in the child). */
  readonly args?: Readonly<Record<string, unknown>>;
  /** Flags for node itself, e.g. `--max-old-space-size=64`. */
  readonly nodeOptions?: readonly string[];
  /** Turns `node <flags> <script>` into the real command (a shell, `setpriv`, `unshare`). */
  readonly wrap?: (command: readonly string[]) => readonly string[];
  readonly timeoutMs?: number;
  readonly env?: Readonly<Record<string, string>>;
}

let rowCounter = 0;

/** The folder the built packages and child scripts were staged in, readable by every user. */
export function stage(): string {
  return inject("faultStage");
}

/** A fresh folder for one scenario's files, writable by every user. */
export function workDirectory(): string {
  const directory = mkdtempSync(join(stage(), "runs", "run-"));
  chmodSync(directory, 0o777);
  return directory;
}

/** A fresh folder outside the stage, for faults that mount over it. */
export function scratchDirectory(): string {
  const directory = mkdtempSync(join(tmpdir(), "sluice-fault-"));
  chmodSync(directory, 0o755);
  return directory;
}

function commandOf(
  run: ScenarioRun,
  reportFile: string,
): { argv: string[]; env: NodeJS.ProcessEnv } {
  const node = [
    process.execPath,
    ...(run.nodeOptions ?? []),
    join(stage(), "fixtures", run.fixture),
  ];
  const argv = [...(run.wrap?.(node) ?? node)];
  const env = {
    ...process.env,
    NO_COLOR: "1",
    SLUICE_FAULT_REPORT: reportFile,
    SLUICE_FAULT_ARGS: JSON.stringify(run.args ?? {}),
    ...run.env,
  };
  return { argv, env };
}

/** Reads the report lines a child wrote, ignoring a torn last line (a kill mid-write). */
export function readReports(reportFile: string): Report[] {
  if (!existsSync(reportFile)) return [];
  const reports: Report[] = [];
  for (const line of readFileSync(reportFile, "utf8").split("\n")) {
    if (line.length === 0) continue;
    try {
      reports.push(JSON.parse(line) as Report);
    } catch {
      // Only the last line can be torn, by a kill while it was written.
    }
  }
  return reports;
}

function resultOf(
  reportFile: string,
  status: number | null,
  signal: NodeJS.Signals | null,
  stdout: string,
  stderr: string,
): ChildResult {
  const reports = readReports(reportFile);
  const final = reports.filter((report) => report.kind === "final").at(-1);
  return { status, signal, stdout, stderr, reports, final };
}

/** Runs a scenario's child to its end. */
export function runScenario(run: ScenarioRun, options: SpawnSyncOptions = {}): ChildResult {
  const reportFile = join(workDirectory(), "report.jsonl");
  const { argv, env } = commandOf(run, reportFile);
  const child = spawnSync(argv[0] as string, argv.slice(1), {
    encoding: "utf8",
    timeout: run.timeoutMs ?? 60_000,
    maxBuffer: 256 * 1024 * 1024,
    env,
    ...options,
  });
  return resultOf(
    reportFile,
    child.status,
    child.signal,
    String(child.stdout ?? ""),
    String(child.stderr ?? ""),
  );
}

/** A running child, for scenarios that signal or kill it, or read its output slowly. */
export interface RunningScenario {
  readonly pid: number;
  readonly child: ReturnType<typeof spawn>;
  /** Resolves when the child ended, with what it left behind. */
  readonly done: Promise<ChildResult>;
  /** The report lines written so far. */
  reports(): Report[];
}

/** Starts a scenario's child without waiting for it. */
export function startScenario(
  run: ScenarioRun,
  stdio: "pipe" | "ignore" = "pipe",
): RunningScenario {
  const reportFile = join(workDirectory(), "report.jsonl");
  const { argv, env } = commandOf(run, reportFile);
  const child = spawn(argv[0] as string, argv.slice(1), { env, stdio: ["ignore", stdio, stdio] });
  let stdout = "";
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (text: string) => {
    stderr += text;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), run.timeoutMs ?? 60_000);
  const done = new Promise<ChildResult>((resolve) => {
    child.on("close", (status, signal) => {
      clearTimeout(timer);
      resolve(resultOf(reportFile, status, signal, stdout, stderr));
    });
  });
  if (stdio === "pipe" && child.stdout !== null) {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (text: string) => {
      stdout += text;
    });
  }
  return { pid: child.pid as number, child, done, reports: () => readReports(reportFile) };
}

/** The numbered events found in output text: every valid line's `N`, and the lines that are not. */
export interface OutputEvents {
  readonly numbers: number[];
  /** Valid lines without `N`: events the libraries log themselves (a crash's `fatal`, a report). */
  readonly others: number;
  readonly invalid: string[];
  /** Whether the text ends inside a line (no final newline). */
  readonly tornEnd: boolean;
}

/**
 * Reads the events written as JSON lines (CLEF or the console's JSON) with their `N`.
 *
 * @param texts the output, in the order it was written (e.g. a rolled file before the active one).
 */
export function parseEvents(...texts: readonly string[]): OutputEvents {
  const numbers: number[] = [];
  const invalid: string[] = [];
  let others = 0;
  let tornEnd = false;
  for (const text of texts) {
    if (text.length === 0) continue;
    tornEnd = !text.endsWith("\n");
    for (const line of text.split("\n")) {
      if (line.length === 0) continue;
      try {
        const value = JSON.parse(line) as { N?: unknown };
        if (typeof value.N === "number") numbers.push(value.N);
        else others++;
      } catch {
        invalid.push(line.slice(0, 120));
      }
    }
  }
  return { numbers, others, invalid, tornEnd };
}

/** Reads files that may be missing as empty text. */
export function readText(...paths: readonly string[]): string[] {
  return paths.map((path) => (existsSync(path) ? readFileSync(path, "utf8") : ""));
}

function sum(record: Readonly<Record<string, number>>): number {
  let total = 0;
  for (const value of Object.values(record)) total += value;
  return total;
}

/**
 * The conservation law at the end of a run, for every component of every chain:
 * `accepted = delivered + dropped + failed`, with nothing pending.
 */
export function conservationViolations(report: Report | undefined): string[] {
  if (report === undefined) return ["the child reported no final counters"];
  const violations: string[] = [];
  for (const chain of report.chains) {
    for (const { name, stats } of chain) {
      const dropped = sum(stats.dropped);
      if (stats.pending !== 0) violations.push(`${name}: ${stats.pending} events still pending`);
      if (stats.accepted !== stats.delivered + dropped + stats.failed + stats.pending) {
        violations.push(
          `${name}: accepted ${stats.accepted} != delivered ${stats.delivered} + dropped ` +
            `${dropped} + failed ${stats.failed} + pending ${stats.pending}`,
        );
      }
    }
  }
  return violations;
}

/**
 * Checks that the events found in the output are exactly the delivered ones: as many as counted,
 * each once, in the order they were logged.
 *
 * @param found the events read back.
 * @param delivered what the innermost component counted delivered.
 * @param options `allowInvalid`: lines that may be torn by a failed write (not counted
 *   delivered); `allowTornEnd`: the last line may be cut by a kill.
 */
export function outputViolations(
  found: OutputEvents,
  delivered: number,
  options: { allowInvalid?: boolean; allowTornEnd?: boolean } = {},
): string[] {
  const violations: string[] = [];
  const { numbers } = found;
  const seen = new Set<number>();
  let duplicates = 0;
  let disorder = 0;
  for (let index = 0; index < numbers.length; index++) {
    const n = numbers[index] as number;
    if (seen.has(n)) duplicates++;
    seen.add(n);
    if (index > 0 && n <= (numbers[index - 1] as number)) disorder++;
  }
  if (duplicates > 0) violations.push(`${duplicates} events written more than once`);
  if (disorder > 0) violations.push(`${disorder} events out of order`);
  if (numbers.length + found.others !== delivered) {
    const others = found.others > 0 ? ` (and ${found.others} of the libraries' own)` : "";
    violations.push(
      `${numbers.length} events${others} in the output, ${delivered} counted delivered`,
    );
  }
  const allowedInvalid = options.allowInvalid
    ? Number.POSITIVE_INFINITY
    : options.allowTornEnd && found.tornEnd
      ? 1
      : 0;
  if (found.invalid.length > allowedInvalid) {
    violations.push(`${found.invalid.length} invalid lines, e.g. ${found.invalid[0]}`);
  }
  return violations;
}

/** One row of the table. */
export interface Row {
  readonly group: Group;
  readonly scenario: string;
  readonly accepted?: number;
  readonly delivered?: number;
  readonly dropped?: Readonly<Record<string, number>>;
  readonly failed?: number;
  readonly notes?: string;
}

function append(row: Row & { verdict: string }): void {
  const order = groups.indexOf(row.group) * 1000 + rowCounter++;
  appendFileSync(inject("faultRows"), `${JSON.stringify({ ...row, order })}\n`);
}

/** A component of a chain by the start of its name (`"queue"` finds `queue(file)`). */
export function component(
  report: Report | undefined,
  name: string,
  chain = 0,
): ComponentReport["stats"] | undefined {
  return report?.chains[chain]?.find((entry) => entry.name.startsWith(name))?.stats;
}

/**
 * The figures of one component for a row: the chain's outermost one, or the one named.
 */
export function figures(report: Report | undefined, name?: string, chain = 0): Partial<Row> {
  const stats =
    name === undefined ? report?.chains[chain]?.[0]?.stats : component(report, name, chain);
  if (stats === undefined) return {};
  const dropped: Record<string, number> = {};
  for (const [reason, count] of Object.entries(stats.dropped))
    if (count > 0) dropped[reason] = count;
  return { accepted: stats.accepted, delivered: stats.delivered, dropped, failed: stats.failed };
}

/**
 * Records a scenario's row with its verdict, then fails the test if anything was violated.
 *
 * @param row the scenario and its figures.
 * @param violations what the checks found; empty for a pass.
 * @param knownFailure when set, the scenario is a known failure of a package (the test is marked
 *   `fails`), and this names it in the table.
 */
export function conclude(row: Row, violations: readonly string[], knownFailure?: string): void {
  const verdict =
    violations.length === 0
      ? "pass"
      : `${knownFailure === undefined ? "FAIL" : `known failure (${knownFailure})`}: ${violations.join("; ")}`;
  append({ ...row, verdict });
  if (violations.length > 0) throw new Error(`${row.scenario}: ${violations.join("; ")}`);
}

/** Records a scenario that cannot run here, with the reason, and skips the test. */
export function skipScenario(
  context: TestContext,
  group: Group,
  scenario: string,
  reason: string,
): never {
  append({ group, scenario, verdict: `skipped: ${reason}` });
  context.skip(reason);
  throw new Error("unreachable: skip throws");
}

/** Whether this process may mount file systems and switch users (root). */
export const isRoot: boolean = process.getuid?.() === 0;

/** Runs a shell command line, returning whether it succeeded. */
export function shell(line: string): boolean {
  return spawnSync("sh", ["-c", line], { stdio: "ignore" }).status === 0;
}

/** Quotes a value for `sh -c`. */
export function quote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Mounts a small tmpfs, the smallest disk that fills for real; `undefined` where mounting is not
 * permitted (not root, or a container that forbids it).
 */
export function mountTmpfs(sizeKiB: number): { directory: string; unmount(): void } | undefined {
  if (!isRoot) return undefined;
  const directory = scratchDirectory();
  if (!shell(`mount -t tmpfs -o size=${sizeKiB}k tmpfs ${quote(directory)}`)) return undefined;
  return {
    directory,
    unmount: () => {
      shell(`umount ${quote(directory)} && rmdir ${quote(directory)}`);
    },
  };
}

/** A read-only bind mount of a fresh folder; `undefined` where mounting is not permitted. */
export function mountReadOnly(): { directory: string; unmount(): void } | undefined {
  if (!isRoot) return undefined;
  const directory = scratchDirectory();
  const target = quote(directory);
  if (!shell(`mount --bind ${target} ${target} && mount -o remount,bind,ro ${target}`)) {
    shell(`umount ${target}`);
    return undefined;
  }
  return {
    directory,
    unmount: () => {
      shell(`umount ${target} && rmdir ${target}`);
    },
  };
}

/** The logger's own law: `accepted = emitted + filtered + dropped + failed`. */
export function loggerViolations(report: Report | undefined): string[] {
  const stats = report?.logger as
    | {
        accepted: number;
        emitted: number;
        filtered: number;
        failed: number;
        dropped: Record<string, number>;
      }
    | undefined;
  if (stats === undefined) return ["the child reported no logger counters"];
  const dropped = sum(stats.dropped);
  if (stats.accepted === stats.emitted + stats.filtered + dropped + stats.failed) return [];
  return [
    `logger: accepted ${stats.accepted} != emitted ${stats.emitted} + filtered ${stats.filtered} + dropped ${dropped} + failed ${stats.failed}`,
  ];
}

/** The error codes a child's `onError` heard, for the notes. */
export function heard(report: Report | undefined): string {
  const errors = (report?.errors as string[] | undefined) ?? [];
  return errors.length > 0 ? `errors: ${errors.join(", ")}` : "";
}

/** Waits until a running child has reported progress (it is logging), or `timeoutMs` passed. */
export async function progressed(running: RunningScenario, timeoutMs = 20_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (running.reports().length > 0) return true;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return false;
}

/** Adds up the figures of several runs of one scenario, for its row. */
export function addFigures(runs: readonly Partial<Row>[]): Partial<Row> {
  const dropped: Record<string, number> = {};
  let accepted = 0;
  let delivered = 0;
  let failed = 0;
  for (const run of runs) {
    accepted += run.accepted ?? 0;
    delivered += run.delivered ?? 0;
    failed += run.failed ?? 0;
    for (const [reason, count] of Object.entries(run.dropped ?? {})) {
      dropped[reason] = (dropped[reason] ?? 0) + count;
    }
  }
  return { accepted, delivered, dropped, failed };
}

/**
 * The files a rolling file sink wrote at `path`, oldest first: the rolled ones by their sequence
 * number, then the active one.
 */
export function rolledFiles(path: string): string[] {
  const directory = dirname(path);
  const name = basename(path);
  const dot = name.lastIndexOf(".");
  const stem = dot === -1 ? name : name.slice(0, dot);
  const extension = dot === -1 ? "" : name.slice(dot);
  const rolled = readdirSync(directory)
    .map((entry) => ({
      entry,
      match: /\.(\d+)$/.exec(entry.slice(0, entry.length - extension.length)),
    }))
    .filter(
      ({ entry, match }) =>
        match !== null &&
        entry.startsWith(`${stem}.`) &&
        entry.endsWith(extension) &&
        entry !== name,
    )
    .sort((a, b) => Number(a.match?.[1]) - Number(b.match?.[1]))
    .map(({ entry }) => join(directory, entry));
  return [...rolled, path];
}

/**
 * {@link parseEvents} for files too large to hold as one string (millions of lines): reads them
 * in chunks, in order.
 */
export function parseFiles(...paths: readonly string[]): OutputEvents {
  const numbers: number[] = [];
  const invalid: string[] = [];
  let others = 0;
  let tornEnd = false;
  const buffer = Buffer.alloc(4 * 1024 * 1024);
  for (const path of paths) {
    if (!existsSync(path)) continue;
    const descriptor = openSync(path, "r");
    let rest = "";
    try {
      for (;;) {
        const read = readSync(descriptor, buffer, 0, buffer.length, null);
        if (read === 0) break;
        const text = rest + buffer.toString("utf8", 0, read);
        const end = text.lastIndexOf("\n");
        rest = text.slice(end + 1);
        const found = parseEvents(text.slice(0, end + 1));
        for (const n of found.numbers) numbers.push(n);
        invalid.push(...found.invalid);
        others += found.others;
      }
    } finally {
      closeSync(descriptor);
    }
    tornEnd = rest.length > 0;
    if (rest.length > 0) invalid.push(rest.slice(0, 120));
  }
  return { numbers, others, invalid, tornEnd };
}
