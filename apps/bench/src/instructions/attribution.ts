// Splits a callgrind profile of a pipeline run into functions, names the compiled JavaScript from
// V8's perf map (`node --perf-basic-prof` writes `/tmp/perf-<pid>.map`; callgrind itself knows
// such code only by address), and sorts each function's own (exclusive) count into a part.
// `run.ts --attribute` compares the parts of metered and unmetered runs of the same size: the
// `metering` part holds the code metering adds by design, so its difference is metering's cost
// without the collector's and the compilers' run-to-run wander.

/** V8's garbage collector, by function name. */
export const collector =
  /v8::internal::(Scaveng|MarkCompact|MinorMarkCompact|Marking|MainMarking|ConcurrentMarking|IncrementalMarking|Sweeper|Evacuat|Heap::|MarkBit|WriteBarrier|LiveObject|RecordMigrated|SemiSpace|PagedSpace|NewSpace|RememberedSet|SlotSet|TypedSlot|GCTracer|ArrayBufferSweeper|PointersUpdating|FreeList|MemoryAllocator)|v8::internal::BodyDescriptor\w*<[^>]*(Scaveng|Marking|RecordMigrated|PointersUpdating)|heap::base::|Builtins_RecordWrite|IterateAndScavenge|HeapObject::SizeFromMap|PretenuringHandler|IterateObjectCache|RememberedSetUpdating|RootScavengeVisitor/;

// Parsing, bytecode generation, the optimizing compilers, deoptimization and writing the perf
// map: work whose amount follows V8's decisions of what to compile when, not the events; and the
// prime search for V8's random hash seeds (`detail::sprp`), whose length is chance.
const compiler =
  /detail::sprp|HashSeed::|v8::internal::(compiler::|maglev::|baseline::|turboshaft::|wasm::|Parser|PreParser|Scanner|Parse|AstValueFactory|AstNode|\w*Scope\b|Scope::|DeclarationScope|BytecodeGenerator|interpreter::(Bytecode(ArrayBuilder|ArrayWriter|Generator|RegisterOptimizer|ArrayIterator|Decoder)|ConstantArrayBuilder|HandlerTable)|Compiler|\w*CompilationJob|OptimizedCompilation|Zone|\w*Assembler|Reloc|Deoptimizer|TranslatedState|TranslationArray|CalculateLineEnds|Script::|SourcePositionTable|LinuxPerfBasicLogger|CodeEventLogger|Logger::|FeedbackVector::|TieringManager|SharedFunctionInfo::)|Builtins_(CompileLazy|InterpreterEntryTrampoline|BaselineOutOfLinePrologue|Deoptimization)/;

/**
 * What metering adds by design: `@sluice/metrics` (the metered write, the delivery observer, the
 * histograms), core's delivery-timestamp tracking that the file sink does only while observed,
 * and the functions those are compiled into: the file sink's `#take` and `writeBatch` (which
 * keep taken events' timestamps) and `#written` (which hands delivered ones to the observer), the
 * logger's `#emit` (which calls one sink more, the metered one, and may inline it), and the clock
 * read that times one write in 64 (`performance.now`).
 */
const metering =
  /^JS:(\S+ (@sluice\/)?metrics\/(dist|src)\/|\S+ (@sluice\/)?core\/(dist|src)\/delivery-observers\.|(#take|#written|writeBatch) (@sluice\/)?sink-file\/(dist|src)\/file-sink\.|#emit (@sluice\/)?core\/(dist|src)\/logger\.|now node:internal\/perf\/performance:)/;

/** The parts a profile is split into. */
export type Part = "metering" | "collector" | "compiler" | "other";

/** One entry of V8's perf map: code at `[start, start + size)` named `name`. */
interface MapEntry {
  readonly start: number;
  readonly end: number;
  readonly name: string;
}

/**
 * Reads a perf map (`<hex start> <hex size> <name>` a line), in the order V8 wrote it.
 *
 * @param text the map file's content.
 * @returns its entries, with each name shortened by {@link codeName}.
 */
export function parsePerfMap(text: string): MapEntry[] {
  const entries: MapEntry[] = [];
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]+) ([0-9a-f]+) (.*)$/.exec(line);
    if (match === null) continue;
    const start = Number.parseInt(match[1] as string, 16);
    entries.push({
      start,
      end: start + Number.parseInt(match[2] as string, 16),
      name: codeName(match[3] as string),
    });
  }
  return entries;
}

/**
 * A perf map name without the tier V8 compiled the function in (`~` interpreted, `^` baseline,
 * `+` Maglev, `*` TurboFan) and without the directories above the package, so that one function's
 * code at every tier, in any clone path, has one name: `JS:#take sink-file/dist/file-sink.js:210`.
 */
export function codeName(name: string): string {
  const match = /^JS:[~^+*]?(\S*) (\S*?)(?::(\d+):\d+)?$/.exec(name);
  if (match === null) return name;
  const where = (match[2] as string).replace(/^file:\/\/.*\/(packages|apps|node_modules)\//, "");
  return `JS:${match[1] === "" ? "(anonymous)" : match[1]} ${where}${match[3] === undefined ? "" : `:${match[3]}`}`;
}

/** A function's own count in one profile. */
export interface FunctionCount {
  readonly name: string;
  readonly count: number;
}

/**
 * Reads `callgrind_annotate --inclusive=no` output into each function's own count, naming code
 * callgrind knows only by address from the perf map: the newest entry holding the address (V8
 * may reuse the memory of code it dropped).
 *
 * @param listing the annotate output.
 * @param map the perf map's entries, in the order written.
 * @returns the functions, counts of one name summed.
 */
export function functionCounts(listing: string, map: readonly MapEntry[]): FunctionCount[] {
  const sorted = [...map.keys()].sort(
    (a, b) => (map[a] as MapEntry).start - (map[b] as MapEntry).start,
  );
  const counts = new Map<string, number>();
  for (const line of listing.split("\n")) {
    const match = /^\s*([\d,]+)\s+\([^)]*\)\s+(.*)$/.exec(line);
    if (match === null || (match[2] as string).startsWith("PROGRAM TOTALS")) continue;
    const count = Number((match[1] as string).replaceAll(",", ""));
    // `file:function [object]`, the file `???` where there is no debugging information.
    const described = (match[2] as string).replace(/^\S*?:/, "").replace(/ \[[^\]]*\]$/, "");
    // Callgrind tells apart calls of one function from different contexts by a `'N` suffix.
    const address = /^0x([0-9a-f]+)(?:'\d+)?$/.exec(described);
    const name = address === null ? described : lookUp(Number.parseInt(address[1] as string, 16));
    counts.set(name, (counts.get(name) ?? 0) + count);
  }
  return [...counts].map(([name, count]) => ({ name, count }));

  function lookUp(address: number): string {
    // The last entry starting at or below the address, then back while entries may still hold it.
    let low = 0;
    let high = sorted.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      if ((map[sorted[middle] as number] as MapEntry).start <= address) low = middle + 1;
      else high = middle;
    }
    let newest = -1;
    for (let index = low - 1; index >= 0 && low - index <= 64; index--) {
      const position = sorted[index] as number;
      const entry = map[position] as MapEntry;
      if (address < entry.end && position > newest) newest = position;
    }
    return newest === -1 ? "(unnamed code)" : (map[newest] as MapEntry).name;
  }
}

/** Which part a function's count belongs to. */
export function partOf(name: string): Part {
  if (metering.test(name)) return "metering";
  if (collector.test(name)) return "collector";
  if (compiler.test(name)) return "compiler";
  return "other";
}

/** Sums the counts of each part. */
export function partTotals(functions: readonly FunctionCount[]): Record<Part, number> {
  const totals: Record<Part, number> = { metering: 0, collector: 0, compiler: 0, other: 0 };
  for (const { name, count } of functions) totals[partOf(name)] += count;
  return totals;
}
