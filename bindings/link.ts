// link(): a user's wasm module linked against the standalone allocator module at load time.
//
// The allocator build asked for is instantiated (a Heap), then the user module against it: its
// imports from "rcalloc" get the allocator's exports of the same names, `env.memory` (or
// `rcalloc.memory`) the allocator's memory. The user module is compiled once; the same bytes run
// against either build. Also the leak report of a linked module (programReport), which leaves out
// the live GC objects of rcalloc's AS runtime (runtime/blocks.ts).
//
// Elsewhere: reading binaries (wasm-reader.ts), the link checks and LinkError (linkable.ts), the
// allocator builds (allocator-builds.ts), wasm stack sites (wasm-sites.ts), wasm-merge (static-link.ts).
//
// ╒═══════════════ Linear memory of a linked module (one memory, the allocator's) ═══════════════╕
// 0 ............ allocator's static data: records, TLSF roots, messages (< 16 KiB today)
// 65536 ........ user module's static data, placed there by `--memoryBase 65536` (USER_MEMORY_BASE)
// __data_end ... user module's shadow stack (`--stackSize`, 32 KiB by default with a custom
//                runtime), growing down from __heap_base
// heap base .... rcalloc's heap: the program's objects, its AS runtime's blocks, the handle table
//                (checked build); grows at the end of memory. link() calls reserveBelow(heap base)
//                before the user module runs; rcalloc's AS runtime then lowers it to the module's
//                exact __heap_base at instantiation (runtime/linked.ts).
// The heap base link() reserves: the module's exported `__heap_base` global if it has one, else
// the end of the pages its memory import asks for (asc sizes that import to hold data + stack).
// A C, C++ or Rust module (wasm-ld) gets the same layout from -Wl,--import-memory,
// --global-base=65536 (its data, then its stack) and --export=__heap_base (include/rcalloc.h).
import { loadBuild, wasmFileName } from "./allocator-builds.js";
import { RcError } from "./errors.js";
import { checkMark, Heap, refuseDebugOption, type HeapOptions, type SharedHeapInit } from "./heap.js";
import { attachHeap, createSharedHeap, sharedHeapMaximum } from "./shared-heap.js";
import { checkLinkable, LinkError } from "./linkable.js";
import { plural } from "./format.js";
import { createdSince, liveStats, renderReport, reportLeaks, type Report, type ReportOptions } from "./report.js";
import { inspectModule, toBytes, type ModuleInfo } from "./wasm-reader.js";
import { exposeGlobals, globalRoots } from "./module-globals.js";
import { assemblyScriptImports, missingImports, type HostPrint, type StringReader } from "./host-imports.js";
import { dwarfSourceMap } from "./wasm-dwarf.js";
import { minimalWasi, WASI_MODULE, WasiExitError } from "./wasi.js";
import { ModuleCode, WasmSites, WasmSourceMap, withSite } from "./wasm-sites.js";
import { readWasmString } from "./views.js";
import { leaveOutRuntimeObjects, markReachable } from "./reachability.js";

const PAGE = 65536;
/** The heap's page limit when `maxPages` is not given (MAX_PAGES in assembly/config.ts). */
const DEFAULT_MAX_PAGES = 65535;

/** The user module called `abort` (an AssemblyScript `assert`, `throw`, bounds check, ...). */
export class ModuleAbortError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  constructor(message: string, file: string, line: number, column: number) {
    super(file ? `${message} (at ${file}:${line}:${column})` : message);
    this.name = "ModuleAbortError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

/**
 * Options of link(): those of createHeap (checked, maxPages, ...) and more. With `stacks` (checked
 * build), every alloc/get/put/resize... the user module calls records the wasm call stack as its
 * site: function names from the name section (asc --debug), file:line:column with `sourceMap`.
 * That costs a stack capture per call (a few microseconds); without `stacks` the module calls the
 * allocator's exports directly.
 */
export interface LinkOptions extends Omit<HeapOptions, "imports"> {
  /**
   * Imports of the user module besides "rcalloc" and env.memory / env.abort (merged over them).
   * A module importing "wasi_snapshot_preview1" gets a minimal WASI (bindings/wasi.ts) unless
   * this supplies one (node:wasi's `wasiImport`, say).
   */
  imports?: Record<string, Record<string, unknown>>;
  /**
   * Imports that need the memory (a module's host functions reading its strings): called once the
   * memory exists, its result merged like `imports` (rcalloc check/bench `--imports host.mjs`).
   */
  hostImports?: (memory: WebAssembly.Memory, getString: StringReader) => Record<string, Record<string, unknown>>;
  /** Where the module's output goes, a line at a time: the default AssemblyScript host imports'
   *  (console.log, trace, ...) and, given, the minimal WASI's stdout and stderr (default
   *  console.log, and console.error for WASI's stderr). */
  print?: HostPrint;
  /** The folder of the allocator builds (default: the package's build/ folder); `wasm` wins. */
  baseUrl?: string | URL;
  /** The user module's source map (asc --sourceMap), so sites read file:line:column (default, with
   *  `stacks`: the lines of the module's DWARF, when it was built with -g). */
  sourceMap?: string | { sources: string[]; mappings: string };
  /**
   * The module grows memory on purpose, for its own use (a buffer of its own past its data).
   * Without it, a module whose code holds a memory.grow is refused (LinkError GROWS_MEMORY): that
   * is nearly always an allocator of its own (AssemblyScript's TLSF, libc's malloc) that would
   * share the memory with rcalloc's heap. Default false.
   */
  ownsMemoryGrowth?: boolean;
  /**
   * In a worker: link against the shared heap another thread linked with `{ shared: true }`
   * (what its `linked.shareable()` returned, posted here) instead of a new heap. The module
   * (built with --sharedMemory, AS: --enable threads) gets its own instance on the heap's memory.
   */
  attach?: SharedHeapInit;
}

export interface LinkLayout {
  /** End of the allocator's static data. */
  allocatorDataEnd: number;
  /** First and end address of the user module's static data (0, 0 if it has none). */
  dataStart: number;
  dataEnd: number;
  /** The heap starts at or above this address: user data and stack are below it. */
  heapBase: number;
  /** Pages the user module's memory import asks for. */
  pages: number;
}

/** What the loader adds to a module's exports (see @assemblyscript/loader). */
export interface LoaderHelpers {
  __getString(ptr: number): string;
  __getArray(ptr: number): number[];
  __getArrayView(ptr: number): ArrayBufferView;
  __getArrayBuffer(ptr: number): ArrayBuffer;
  __newString?(text: string): number;
  [name: string]: unknown;
}

/** A report of a linked module: its own objects and references, without its runtime's blocks. */
export interface LinkedReport extends Report {
  /** Blocks rcalloc's AS runtime holds (live GC objects, buffers): not leaks of the program. */
  runtime: { objects: number; bytes: number };
}

export interface Linked<T = Record<string, unknown>> {
  /** The allocator instance (typed errors, report, stats). */
  heap: Heap;
  /** The user module's instance and its compiled module (reuse it to link again). */
  instance: WebAssembly.Instance;
  module: WebAssembly.Module;
  /** The user module's exports, through @assemblyscript/loader (demangled, string helpers). */
  exports: T & LoaderHelpers;
  layout: LinkLayout;
  /** The user module's code: tells its wasm frames from the allocator's (wasmStack(error.stack, code)). */
  code: ModuleCode;
  /** An AssemblyScript string of the user module (by pointer). */
  getString(ptr: number): string;
  /** Runs the module's garbage collector if it exports one (__collect, --exportRuntime). */
  collect(): boolean;
  /** Linked with `{ shared: true }`: what a worker passes as link()'s `attach` to join the heap. */
  shareable(): SharedHeapInit;
  /**
   * The heap report without the blocks of rcalloc's AS runtime: what the program itself
   * allocated and took. With `{ scan: true }`, the module's data and stack are scanned too. A
   * reference a global of the module holds is marked held by it (not a leak), and so is one the
   * `returned` value of an export is (JS got it: the caller's to put). Checked build: validates
   * the heap first, so a write after free still in the quarantine throws WriteAfterFreeError.
   */
  report(request?: { scan?: boolean; returned?: { entry: string; value: unknown } }): LinkedReport;
  /** A mark for leaksSince(): checked, the heap's (heap.mark()); unchecked, the program's leak
   *  count now (not heap.mark()'s count of live objects: the two marks do not mix there). */
  mark(): number;
  /**
   * What the program leaked since `mark`, as report({ scan: true }) states leaks (not the AS
   * runtime's live GC objects, nor what a root holds): checked, the leaked references and objects
   * created after the mark; unchecked, `leakCount` only (leaks now minus then). So
   * `leakCheck(() => linked)` (rcalloc/vitest) checks a linked module test by test; the heap's own
   * leaksSince counts the runtime's GC objects and the module's global buffers as leaks.
   */
  leaksSince(mark: number): LinkedReport;
  /** The heap's validate(): a write after free still in the quarantine throws. */
  validate(): void;
}

type Fn = (...args: number[]) => number | void;

/**
 * Links `userWasm` (bytes or a compiled module) against the allocator build `options.checked`
 * asks for, and instantiates it. The user module imports the functions it needs from "rcalloc"
 * (the allocator's export names) and its memory as `env.memory` or `rcalloc.memory`; it must not
 * define a memory of its own. Build it once, link it against either build (see README, "Use it in
 * your module", for the asc flags). Traps of the allocator surface as RcError subclasses; an
 * `abort` of the module as ModuleAbortError; what stops the link as LinkError.
 */
export async function link<T = Record<string, unknown>>(
  userWasm: BufferSource | WebAssembly.Module, options: LinkOptions = {},
): Promise<Linked<T>> {
  const attach = options.attach;
  if (!attach) refuseDebugOption(options, "link()");
  const checked = attach ? attach.checked : options.checked ?? false;
  const shared = !!attach || !!options.shared;
  const build = attach
    ? { module: attach.module, exports: new Set(WebAssembly.Module.exports(attach.module).map((x) => x.name)), dataEnd: 0 }
    : await loadBuild(checked, options.wasm ??
      (options.baseUrl === undefined ? undefined : new URL(wasmFileName(checked, false, shared), options.baseUrl)), shared);
  let module: WebAssembly.Module;
  let info: ModuleInfo;
  let shift: number;
  let bytes: Uint8Array;
  if (userWasm instanceof WebAssembly.Module) {
    const known = compiledInfo.get(userWasm);
    if (!known) {
      throw new TypeError("rcalloc: link: pass the module's bytes (its memory layout is read from them), " +
        "or the `module` of an earlier link()");
    }
    module = userWasm;
    ({ info, shift, bytes } = known);
  } else {
    bytes = toBytes(userWasm).slice(); // kept for the sites (ModuleCode), safe from later changes
    info = inspectModule(bytes);
    // Its globals exported, so the leak scan sees the handles they hold (module-globals.ts).
    const exposed = exposeGlobals(bytes, info);
    shift = exposed.shift;
    try {
      module = await WebAssembly.compile(exposed.bytes as BufferSource);
    } catch (e) {
      throw new LinkError("NOT_WASM", `rcalloc: link: the module does not compile: ${(e as Error).message}`, { cause: e });
    }
    compiledInfo.set(module, { info, shift, bytes });
  }
  checkLinkable(info, build.exports, build.dataEnd, { bytes, ownsMemoryGrowth: options.ownsMemoryGrowth });

  const heapOptions = { ...options, imports: undefined, wasm: undefined }; // options.imports are the user module's
  const heap = attach ? await attachHeap(attach, { stacks: options.stacks })
    : shared ? await createSharedHeap(build.module, heapOptions)
    : await Heap.instantiateBuild(build.module, heapOptions);
  try {
    return await instantiateLinked<T>(heap, module, info, shift, bytes, build.dataEnd, options);
  } catch (e) {
    // Nobody can reach the heap now: give back what garbage collection would not (a shared
    // heap's tag, a worker's thread number), or failed links use up the 15 tags for good.
    try {
      if (attach) heap.detach();
      else heap.dispose();
    } catch {
      // the link's own error is the one to report
    }
    throw e;
  }
}

/**
 * Why WebAssembly refused the heap's memory for the module's memory import, and the fix (its own
 * message names neither the build flag nor link()'s option): AssemblyScript's own
 * features/threads test, built with --sharedMemory --maximumMemory 10, read only "memory import 5
 * has no maximum limit, expected at most 4294967295". Told from the import's limits and the
 * heap's memory, not from the engine's wording, which differs per case and per engine.
 * `heapMax`: the shared heap's declared maximum (shared-heap.ts: maxPages, at most 65535).
 */
function memoryImportHint(info: ModuleInfo, heapShared: boolean, heapMax: number): string {
  const limits = info.memoryImport?.limits;
  if (!limits) return "";
  // A shared heap fits a maximum of M pages when it declares M too; an unshared heap's memory
  // (the allocator's own) declares none, so a module with a maximum can only be built without it.
  const sharedFix = limits.max !== undefined && limits.max < heapMax ? `{ shared: true, maxPages: ${limits.max} }` : "{ shared: true }";
  if (limits.shared && !heapShared) return `: the module imports a shared memory (built with --sharedMemory): link it with ${sharedFix}`;
  if (!limits.shared && heapShared) return ": the module imports an unshared memory and the heap is shared: link it without { shared: true }, or build it with --sharedMemory";
  if (limits.max === undefined || limits.max >= heapMax) return "";
  if (heapShared) {
    return `: the module's memory import declares a maximum of ${limits.max} pages (asc --maximumMemory, wasm-ld --max-memory) ` +
      `and the heap's memory ${heapMax}: link it with ${sharedFix}`;
  }
  return `: the module's memory import declares a maximum of ${limits.max} pages (asc --maximumMemory, wasm-ld --max-memory), ` +
    "which the heap's memory does not declare: build it without one (link()'s maxPages limits the heap)";
}

/** link(), once the heap exists: the layout, the imports, the instance. */
async function instantiateLinked<T>(
  heap: Heap, module: WebAssembly.Module, info: ModuleInfo, shift: number, bytes: Uint8Array, allocatorDataEnd: number, options: LinkOptions,
): Promise<Linked<T>> {
  const attach = options.attach;
  const e = heap.exports as unknown as Record<string, Fn> & { memory: WebAssembly.Memory };
  const memory = heap.memory;

  // Layout: grow to the pages the module asks for, keep the heap above its data and stack.
  const pages = info.memoryImport?.limits?.min ?? 0;
  const heapBase = Math.max(info.heapBase ?? pages * PAGE, info.dataEnd);
  const limit = options.maxPages ?? DEFAULT_MAX_PAGES;
  const below = Math.max(pages, Math.ceil(heapBase / PAGE)); // pages the heap starts above
  if (below >= limit) {
    throw new LinkError("MEMORY_LIMIT",
      `rcalloc: link: the module's memory asks for ${below} pages before the heap starts, which leaves no room ` +
      `below the heap's limit of ${limit} pages: build it with less static data or a smaller --stackSize` +
      `${options.maxPages !== undefined ? ", or raise maxPages" : ""} (its memory import's minimum is ${pages} pages)`);
  }
  const have = memory.buffer.byteLength / PAGE;
  if (pages > have) memory.grow(pages - have);
  // A worker joining a shared heap: the thread that created it set the layout up.
  if (!attach && heapBase > 0 && !e.reserveBelow(heapBase)) {
    throw new LinkError("INSTANTIATE", "rcalloc: link: the heap has already started");
  }
  const layout: LinkLayout = {
    allocatorDataEnd, dataStart: info.dataStart ?? 0, dataEnd: info.dataEnd, heapBase, pages,
  };

  // Imports: "rcalloc" from the allocator (with sites from wasm frames when asked), env.
  const wantSites = heap.checked && !!options.stacks;
  // No source map given: a C, C++ or Rust module built with -g has the lines in its DWARF.
  const sourceMap = options.sourceMap ?? (wantSites ? dwarfSourceMap(bytes) : undefined);
  const code = new ModuleCode(info, sourceMap ? new WasmSourceMap(sourceMap) : undefined, shift, bytes);
  const sites = wantSites ? new WasmSites(heap, code) : undefined;
  const rcalloc: Record<string, unknown> = { memory };
  for (const name of info.rcallocImports) rcalloc[name] = sites ? withSite(e, name, sites) : e[name];
  const abort = (message: number, file: number, line: number, column: number): never => {
    throw new ModuleAbortError(readWasmString(memory, message) || "abort", readWasmString(memory, file), line, column);
  };
  // Theirs first (imports, then hostImports), then AssemblyScript's defaults (host-imports.ts).
  const given = options.imports ?? {};
  const host = options.hostImports?.(memory, (ptr) => readWasmString(memory, ptr)) ?? {};
  const extra: Record<string, Record<string, unknown>> = { ...host, ...given };
  for (const name of Object.keys(host)) if (given[name]) extra[name] = { ...host[name], ...given[name] };
  const imports: Record<string, Record<string, unknown>> = { ...extra };
  const print = options.print ?? ((line: string) => console.log(line));
  imports.env = {
    abort, memory,
    ...assemblyScriptImports(info.imports, extra.env ?? {}, (ptr) => readWasmString(memory, ptr), print),
    ...extra.env,
  };
  imports.rcalloc = { ...rcalloc, ...extra.rcalloc };
  // A C, C++ or Rust module that prints or reads the clock imports WASI: a minimal one unless given.
  if (!extra[WASI_MODULE] && info.imports.some((i) => i.module === WASI_MODULE)) {
    // rcalloc check's stdout is its report (or JSON): the module's printf goes where print says.
    const print = options.print;
    imports[WASI_MODULE] = minimalWasi(() => memory, print && ((_fd, line) => print(line)));
  }

  const missing = missingImports(info.imports, imports);
  if (missing.length) {
    throw new LinkError("MISSING_IMPORT", `rcalloc: link: the module imports ${missing.join(", ")}, which nothing provides: ` +
      "pass it in link()'s `imports` (rcalloc check and bench: --imports host.mjs)");
  }

  const loader = await import("@assemblyscript/loader");
  let result: { instance: WebAssembly.Instance; exports: Record<string, unknown> };
  try {
    result = await loader.instantiate(module, imports as never) as unknown as typeof result;
    // A reactor (clang -mexec-model=reactor: C, C++, Rust) runs its static constructors in
    // _initialize, which the host calls once, before any other export.
    const initialize = result.instance.exports._initialize;
    if (typeof initialize === "function") initialize();
    // A module built with --exportStart runs its top level when the host calls _start (as after
    // `rcalloc merge`): once, here, before any other export.
    const start = result.instance.exports._start;
    if (typeof start === "function") start();
  } catch (err) {
    if (err instanceof RcError || err instanceof ModuleAbortError || err instanceof WasiExitError) throw err;
    // An import missing or of the wrong kind: a LinkError, or a TypeError naming the import.
    if (err instanceof WebAssembly.LinkError || (err instanceof TypeError && /\bImport #\d+/.test(err.message))) {
      const hint = err instanceof WebAssembly.LinkError ? memoryImportHint(info, heap.shared, sharedHeapMaximum(options.maxPages)) : "";
      throw new LinkError("INSTANTIATE", `rcalloc: link: ${err.message}${hint}`, { cause: err });
    }
    throw err;
  }
  const exports = result.exports as T & LoaderHelpers;
  const exportsMemory = result.instance.exports.memory instanceof WebAssembly.Memory;
  const getString = (ptr: number): string => exportsMemory ? exports.__getString(ptr) : readWasmString(memory, ptr);
  if (!exportsMemory) exports.__getString = getString; // the loader reads strings via exported memory only

  return {
    heap, instance: result.instance, module, exports, layout, code, getString,
    shareable: () => heap.shareable(),
    collect() {
      const collect = result.instance.exports.__collect;
      if (typeof collect !== "function") return false;
      collect();
      return true;
    },
    report,
    mark: () => (heap.checked ? heap.mark() : report({ scan: true }).leakCount),
    leaksSince(mark: number): LinkedReport {
      checkMark(mark, "linked.mark()");
      const all = report({ scan: true });
      // unchecked: a count only, as the heap's (the objects listed would be every leak, old ones too)
      if (!all.checked) return { ...all, since: mark, objects: [], references: [], leakCount: Math.max(0, all.leakCount - mark) };
      const { objects, references } = createdSince(all, mark);
      const since: LinkedReport = { ...all, since: mark, objects, references, stats: liveStats(all.stats, objects, references) };
      since.leakCount = reportLeaks(since).count;
      return since;
    },
    validate: () => heap.validate(),
  };

  function report(request: { scan?: boolean; returned?: { entry: string; value: unknown } } = {}): LinkedReport {
    // A report states the program's end: a write after free still in the quarantine (its
    // poison checked only when the block leaves) would go unsaid, so check it first.
    if (heap.checked) heap.validate();
    const roots: [number, number][] = layout.dataEnd ? [[layout.dataStart, heapBase]] : [];
    const whole = request.scan ? heap.report({ scan: true, roots }) : heap.report();
    const js = new Map<number, string>();
    const value = request.returned?.value;
    if (typeof value === "number" && value) js.set(value >>> 0, `JS (returned by ${request.returned!.entry})`);
    const statics = staticWords(memory, layout.dataStart, layout.dataEnd);
    return programReport(heap, whole, { globals: globalRoots(result.instance.exports), statics, js });
  }
}

/** Module infos of modules link() compiled (how far their code moved when their globals were
 *  exported, and a copy of their bytes for the sites), so linking the same Module again needs no bytes. */
const compiledInfo = new WeakMap<WebAssembly.Module, { info: ModuleInfo; shift: number; bytes: Uint8Array }>();

/** What holds references besides the heap in a linked program: value (handle, raw block or, in
 *  the unchecked build, object address) → what holds it ("global `cache`", "JS (returned by main)"). */
export interface ProgramRoots {
  globals?: ReadonlyMap<number, string>;
  /** The words of the module's static data (a C or Rust static, an AS static array), value →
   *  the first word's address: a root, as LeakSanitizer and kmemleak count data and bss. Never its
   *  stack: stale frames hold old values. */
  statics?: ReadonlyMap<number, number>;
  js?: ReadonlyMap<number, string>;
}

/** What a value found in the module's static data is held by: "static data at 0x…", the word,
 *  so a user can tell a live pointer from a stale one (a conservative root cannot: a freed
 *  block's address left in a static or a global holds a new block at that address, as in
 *  LeakSanitizer). */
export function staticDataAt(address: number): string {
  return `static data at 0x${(address >>> 0).toString(16).padStart(8, "0")}`;
}

/** The 32-bit words of [start, end) (the module's data segments: its static data, C's bss too):
 *  value → the address of its first word. */
function staticWords(memory: WebAssembly.Memory, start: number, end: number): Map<number, number> {
  const from = (start + 3) >>> 2;
  const to = end >>> 2;
  const words = new Map<number, number>();
  if (to <= from) return words;
  const view = new Uint32Array(memory.buffer, from << 2, to - from);
  for (let i = 0; i < view.length; i++) if (view[i] && !words.has(view[i])) words.set(view[i], (from + i) << 2);
  return words;
}

/** The roots of a linked program, in the order they name what they hold: its globals, its static
 *  data's words, then JS. */
function* rootsOf(roots: ProgramRoots): Iterable<[number, string, boolean?]> {
  yield* roots.globals ?? [];
  for (const [value, address] of roots.statics ?? []) yield [value, staticDataAt(address), true];
  yield* roots.js ?? [];
}

/**
 * `report` without the live GC objects of rcalloc's AS runtime (raw blocks the collector links),
 * as a linked module's report: a reference (a raw block: its address) or, unchecked, an object
 * that a global of the module, its static data or JS holds (`roots`), or that an object one of
 * them reaches holds (bindings/reachability.ts), is marked `heldBy` (not a leak), and
 * "unreachable" reads "not found in wasm memory" (`linked`).
 */
export function programReport(heap: Heap, report: Report, roots: ProgramRoots = {}): LinkedReport {
  markReachable(heap.memory.buffer, report.checked, report.objects, report.references, rootsOf(roots), !!report.scanned);
  const objects = [...report.objects];
  const references = [...report.references];
  const runtime = leaveOutRuntimeObjects(heap.memory.buffer, objects, references);
  const program: LinkedReport = {
    ...report, objects, references, stats: liveStats(report.stats, objects, references), leakCount: 0, runtime, linked: true,
    toString(options?: ReportOptions) { return renderReport(this, options); },
  };
  // The same leaks every output states: ignored objects and their references are none.
  program.leakCount = report.since !== undefined && !report.checked ? report.leakCount : reportLeaks(program).count;
  return program;
}
