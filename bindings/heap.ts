// The typed heap: one instance of the allocator module, its traps turned into typed errors,
// JS stacks captured as sites, the report decoded. Loading the module is the loaders' job
// (node.ts, browser.ts); this file uses no Node or DOM API.
// Symbol.dispose's type, kept in the emitted .d.ts: a consumer whose lib stops at ES2022 (no
// @types/node, which declares it too) would otherwise fail on it (TS2550).
/// <reference lib="esnext.disposable" preserve="true" />
import { wasmFileName, type WasmSource } from "./allocator-builds.js";
import { DetachedError, ERROR_CLASSES, HeapInUseError, HeapLockTimeoutError, hex, InvalidArgumentError, InvalidHandleError, RcError, type RcErrorDetails } from "./errors.js";
import { printable } from "./format.js";
import { claimTag, release as releaseTag, releaseSharedTag, reserveSharedTag, tagInUse } from "./heap-tags.js";
import {
  BlockKind as BLOCK, BlockWalk, ErrorCode, ErrorDetail, ErrorRecord, Handle, HeapStats as STATS, ObjectWalk, ReferenceWalk, ScanEntry,
} from "./records.js";
import { createdSince, liveStats, makeReport, type HeapStats, type ObjectRecord, type ReferenceRecord, type Report } from "./report.js";
import { enter, leave, LIBRARY_LOCATIONS } from "./js-stacks.js";
import { SITE_STRING, SiteTable, type Site } from "./sites.js";
import { exposeGlobals, globalRoots } from "./module-globals.js";
import { leaveOutRuntimeObjects, markReachable } from "./reachability.js";
import { inspectModule, toBytes } from "./wasm-reader.js";
import { ModuleCode, SITES_MODULE, WasmSites, WasmSourceMap, withSite } from "./wasm-sites.js";
import { allocRef, collectJsLeaks, jsLeaks, wrap, type JsLeak, type Ref, type RefOptions } from "./ref.js";
import {
  allocEncoded, bufferCovering, decode, HeapView, makeResizable, MemoryBytes, readWasmString, type StringEncoding,
  type TypedArrayConstructor,
} from "./views.js";
export type { Report };

export interface HeapOptions {
  /** The checked build: handles through a table, misuse traps, references tracked. Default false. */
  checked?: boolean;
  /**
   * The shared-memory build (build/rcalloc.shared-*.wasm): the heap lives in a shared
   * WebAssembly.Memory that workers attach to (heap.shareable(), attachHeap()). Every operation
   * takes the heap lock. Browsers need cross-origin isolation (COOP/COEP headers). With `debug`
   * (Node): the shared debug build, which validates the heap under the lock around every
   * operation; workers that attach get it too. Default false.
   */
  shared?: boolean;
  /**
   * Shared heaps: how long (ms, about) this thread waits for the heap lock while it does not
   * change hands before it throws HeapLockTimeoutError naming the holder: a worker terminated
   * in the middle of an operation never releases it. Default 10000.
   */
  lockTimeout?: number;
  /** The debug build (Node): the checked build plus validate() before and after every operation
   *  and checks of the allocator's internal preconditions; for tests, far slower. Default false. */
  debug?: boolean;
  /** Checked build: record the JS stack of every alloc/get/put/resize as its site. Default false. */
  stacks?: boolean;
  /** Memory limit in 64 KiB pages (default: 65535, the wasm32 maximum we manage). */
  maxPages?: number;
  /**
   * Checked build: freed objects are poisoned (first `poison` bytes, default 64) and held back
   * (up to `blocks`, default 256, and `bytes`, default 256 KiB) before reuse, so a write after free
   * is caught when they leave. `false` turns the holding off.
   */
  quarantine?: false | { blocks?: number; bytes?: number; poison?: number };
  /**
   * A merged module's source map (`rcalloc merge --checked --sites` writes OUT.wasm.map): with
   * `stacks`, its calls' sites read file:line:column. Pass the module's bytes to instantiate().
   */
  sourceMap?: string | { sources: string[]; mappings: string };
  /** Extra imports for modules that need more than `env.abort` (a user module merged with the
   *  allocator, say). `env.abort` stays rcalloc's, so traps still become typed errors. */
  imports?: WebAssembly.Imports;
  /**
   * Make memory's buffer resizable (WebAssembly.Memory.prototype.toResizableBuffer, where the
   * engine has it and the memory declares a maximum), so plain views survive growth. Off by
   * default: Web APIs such as TextDecoder and Blob refuse views of a resizable buffer.
   */
  resizable?: boolean;
  /**
   * Where the allocator build comes from, for setups that do not serve the package's build/
   * folder: a URL, a Response (or a promise of one, e.g. fetch(url)), the bytes, or a compiled
   * WebAssembly.Module. Default: the package's build/rcalloc.{checked,unchecked}.wasm.
   */
  wasm?: WasmSource;
}

/** Options of report(). */
export interface ReportRequest {
  /** Run the conservative scan: which live references still have a copy in linear memory. */
  scan?: boolean;
  /** Extra [start, end) address ranges to scan, e.g. a linked module's stack or globals. */
  roots?: ReadonlyArray<readonly [number, number]>;
}

/** The raw exports of the allocator module (assembly/index.ts). */
export interface RcallocExports {
  memory: WebAssembly.Memory;
  alloc(size: number): number;
  allocAt(size: number, site: number): number;
  get(h: number): number;
  getAt(h: number, site: number): number;
  put(h: number): void;
  putAt(h: number, site: number): void;
  resize(h: number, size: number): number;
  resizeAt(h: number, size: number, site: number): number;
  ptr(h: number): number;
  size(h: number): number;
  mallocAt(size: number, site: number): number;
  freeAt(ptr: number, site: number): void;
  reallocAt(ptr: number, size: number, site: number): number;
  freeCollected(ptr: number): void;
  refs(h: number): number;
  validate(): void;
  nextObject(after: number): number;
  nextReference(cursor: number): number;
  nextBlock(after: number): number;
  heapStats(): void;
  setHeapTag(tag: number): void;
  sealStaticData(): void;
  retireHeapTag(): void;
  setMemoryLimit(pages: number): void;
  reserveBelow(address: number): number;
  flushQuickLists(): void;
  sortQuickLists(): void;
  getFor(h: number, owner: number): number;
  getForAt(h: number, owner: number, site: number): number;
  putFor(h: number, owner: number): void;
  putForAt(h: number, owner: number, site: number): void;
  move(h: number, owner: number): number;
  moveAt(h: number, owner: number, site: number): number;
  weak(h: number): number;
  weakAt(h: number, site: number): number;
  upgrade(w: number): number;
  upgradeAt(w: number, site: number): number;
  putWeak(w: number): void;
  putWeakAt(w: number, site: number): void;
  ignore(h: number): void;
  mark(): number;
  scan(): number;
  scanRoot(start: number, end: number): number;
  scanResults(): number;
  scanResultCount(): number;
  scanClear(): void;
  setQuarantine(blocks: number, bytes: number, poison: number): void;
  isChecked(): number;
  errorRecord(): number;
  walkRecord(): number;
  statsRecord(): number;
  // The shared-memory build only (assembly/shared.ts).
  holdHeap?(): void;
  handOverHeap?(): void;
  letGoHeap?(): void;
  trapped?(): void;
  threadNumber?(): number;
  setThreadMayWait?(on: number): void;
  setLockPatience?(rounds: number): void;
  detachThread?(): void;
  threadsAttached?(): number;
  claimSiteRange?(): number;
  currentHeapTag?(): number;
  /** How many times this thread took the heap lock (a profile of the lock-free paths). */
  lockTakes?(): number;
  reclaimThread?(thread: number): number;
}

/** What a worker needs to attach to a shared heap (heap.shareable()): structured-cloneable, post
 *  it to the worker and pass it to attachHeap() there. */
export interface SharedHeapInit {
  /** The compiled shared build. */
  module: WebAssembly.Module;
  /** The heap's shared memory. */
  memory: WebAssembly.Memory;
  checked: boolean;
}


/** How a shared build is instantiated: on `memory`, as the heap's creator or as a worker that
 *  attaches (`attach`). */
export interface SharedInstance {
  memory: WebAssembly.Memory;
  attach: boolean;
}

/** HeapOptions.lockTimeout's default (ms). */
const DEFAULT_LOCK_TIMEOUT = 10_000;
/** What the shared build's reclaimThread() returns (assembly/shared.ts). */
const RECLAIMED = 0;
const NOT_IN_USE = 1;
const OWN_NUMBER = 2;
const ENDED_HOLDING_LOCK = 3;
const ENDED_IN_PASS = 4;

/** The exports a Heap uses after detach(): the memory, and functions that throw DetachedError. */
function detachedExports(exports: RcallocExports): RcallocExports {
  const refuse = (): never => {
    throw new DetachedError("rcalloc: this heap was detached (heap.detach()): its thread number went to the next worker; use the heap through another attached Heap");
  };
  const refusing = Object.fromEntries(Object.entries(exports).map(([name, value]) => [name, typeof value === "function" ? refuse : value]));
  return refusing as unknown as RcallocExports;
}

/** May this thread block in Atomics.wait? Everywhere but a browser page's main thread. */
function canBlock(): boolean {
  return typeof (globalThis as { document?: unknown }).document === "undefined";
}

/** Reads an AssemblyScript string from memory (a trap's message or file): at most 64 KiB. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  return readWasmString(memory, ptr, 1 << 16);
}

/** leaksSince's argument check (a Heap's, a linked program's). Anything but a u32 compares false
 *  with every order: a mistaken mark would hide every leak. */
export function checkMark(mark: number, madeBy = "heap.mark()"): void {
  if (!isU32(mark)) {
    throw new InvalidArgumentError(`rcalloc: leaksSince(mark): a mark is what ${madeBy} returns, an integer 0 .. 2^32 - 1; got ${shown(mark)}`);
  }
}

/** True for a number in 0 .. 2^32 - 1. Tests the type first: `>>>` throws a TypeError on a BigInt. */
function isU32(x: number): boolean {
  return typeof x === "number" && (x >>> 0) === x;
}

/** A bad argument as a message shows it: a BigInt with its `n` (`10n`, not `10`), a string
 *  quoted (`"8"`, not `8`, which would read as the number it is not). */
function shown(x: unknown): string {
  return printable(typeof x === "bigint" ? `${x}n` : typeof x === "string" ? JSON.stringify(x) : String(x));
}

const ENCODINGS: readonly string[] = ["utf-8", "utf-16"] satisfies StringEncoding[];

/** allocString / readString: the encoding is one of ours (an unknown one is not UTF-8 silently). */
function checkEncoding(method: string, encoding: StringEncoding): void {
  if (!ENCODINGS.includes(encoding)) {
    throw new InvalidArgumentError(`rcalloc: ${method}: the encoding is "utf-8" (the default) or "utf-16", got ${shown(encoding)}`);
  }
}

function checkHandle(h: number): void {
  if (!isU32(h)) {
    throw new InvalidHandleError(`rcalloc: invalid handle: ${shown(h)} is not a u32`, { handle: 0 });
  }
}

/**
 * Refuses a module of another build than `options` ask for (a `wasm` option of the wrong file):
 * else createHeap({ checked: true, wasm }) on the unchecked build would silently check nothing.
 * Only what the options say is compared; before any heap tag is claimed, so nothing is left held.
 */
function checkBuildAsked(exports: RcallocExports, options: HeapOptions): void {
  const checked = exports.isChecked() === 1;
  const shared = typeof exports.threadNumber === "function";
  // `debug` asks for a checked build whatever `checked` says: Node's createHeap loads the debug
  // build for it (node.ts), a build of the checked kind.
  const askedChecked = options.debug ? true : options.checked;
  const wrong: string[] = [];
  if (askedChecked !== undefined && !!askedChecked !== checked) {
    wrong.push(`${options.debug ? "debug" : "checked"}: ${askedChecked}, but the module is the ${checked ? "checked" : "unchecked"} build`);
  }
  if (options.shared !== undefined && !!options.shared !== shared) {
    wrong.push(`shared: ${options.shared}, but the module is ${shared ? "a shared-memory build" : "not a shared-memory build"}`);
  }
  if (wrong.length) {
    const given = options.wasm === undefined ? "the module loaded" : "the module given (the `wasm` option)";
    throw new InvalidArgumentError(
      `rcalloc: the options ask for another allocator build than ${given}: ${wrong.join("; ")}. ` +
      `Pass the package's build/${wasmFileName(askedChecked ?? checked, !!options.debug, options.shared ?? shared)}, or options that match the module`,
    );
  }
}

/** True when `module` exports rcalloc's API (every build, merged or compiled in, has isChecked). */
function exportsAllocator(module: WebAssembly.Module): boolean {
  return WebAssembly.Module.exports(module).some((e) => e.name === "isChecked");
}

/**
 * Heap.instantiate() wraps a module that exports the allocator's API. Any other failed on its
 * first call into it, after its start function ran: an AssemblyScript program built with
 * runtime/library but without `export * from "rcalloc/assembly"` threw a raw TypeError
 * ("exports.isChecked is not a function"), a module importing the allocator a raw LinkError.
 */
function refuseModuleWithoutAllocator(module: WebAssembly.Module): void {
  if (exportsAllocator(module)) return;
  const linked = WebAssembly.Module.imports(module).some((i) => i.module === "rcalloc");
  throw new InvalidArgumentError(linked
    ? "rcalloc: Heap.instantiate: the module imports the allocator (module \"rcalloc\"): link it instead (link(module, { checked }))"
    : "rcalloc: Heap.instantiate: the module exports no rcalloc API (no isChecked): a module with rcalloc compiled in " +
      "(--runtime ./node_modules/rcalloc/runtime/library) re-exports it with `export * from \"rcalloc/assembly\"`, or runs " +
      "without a Heap (WebAssembly.instantiate)");
}

/** Refuses `debug` without a `wasm` module where the debug builds are not loaded (link(), the
 *  browser entry): it would otherwise give the checked or unchecked build without saying so. */
export function refuseDebugOption(options: { debug?: boolean; wasm?: unknown }, where: string): void {
  if (options.debug && options.wasm === undefined) {
    throw new InvalidArgumentError(`rcalloc: ${where}: the \`debug\` option is for Node's createHeap only (the debug builds stay out of ${where}); pass checked: true for the checked build, or the debug build itself as \`wasm\``);
  }
}

function checkRange(offset: number, length: number, size: number): void {
  if (!isU32(offset) || !isU32(length) || offset + length > size) {
    throw new RangeError(`rcalloc: ${shown(length)} bytes at offset ${shown(offset)} do not fit in a payload of ${size} bytes`);
  }
}

function checkSize(size: number): void {
  if (!isU32(size)) {
    throw new InvalidArgumentError(`rcalloc: invalid argument: sizes, owners and page counts are integers in 0 .. 2^32 - 1, got ${shown(size)}`);
  }
}

/** Kinds of block (assembly/layout.ts, the table of block states): free (in TLSF), cached (quick
 *  list), live object, internal (the handle table and other bookkeeping), dead (a freed object
 *  held back). */
export type BlockKind = keyof typeof BLOCK;
const BLOCK_KINDS: readonly BlockKind[] = (() => {
  const kinds: BlockKind[] = [];
  for (const [name, code] of Object.entries(BLOCK)) kinds[code] = name as BlockKind;
  return kinds;
})();

export interface BlockRecord {
  /** Block address (the header starts here). */
  address: number;
  /** Whole block size in bytes, header included. */
  size: number;
  kind: BlockKind;
  /** Payload address of a live object. */
  ptr?: number;
}

/** `count` u32 words of wasm memory at `address` (a record the build wrote), through a buffer that
 *  covers them: a shared memory's buffer can be stale in this thread (views.ts bufferCovering). */
function words32(memory: WebAssembly.Memory, address: number, count: number): Uint32Array {
  return new Uint32Array(bufferCovering(memory, address + count * 4), address, count);
}

export class Heap {
  /** True for the checked build. */
  readonly checked: boolean;
  /** The raw wasm exports (for benchmarks and advanced use; no argument checks). */
  readonly exports: RcallocExports;
  private readonly sites: SiteTable | undefined;
  private readonly siteTable: SiteTable;
  private readonly memoryBytes: MemoryBytes;

  /**
   * Instantiates `module`: a compiled rcalloc build (prefer createHeap()), a module with the
   * allocator merged in or compiled in (the library path). Given its bytes instead, the module's
   * own globals are exported first, so the leak scan counts a reference a global holds as held by
   * it (module-globals.ts): those the name section names, since the allocator's are there too.
   */
  static async instantiate(module: WebAssembly.Module | BufferSource, options: HeapOptions, shared?: SharedInstance): Promise<Heap> {
    let code: ModuleCode | undefined;
    if (!(module instanceof WebAssembly.Module)) {
      const bytes = toBytes(module);
      const info = inspectModule(bytes);
      // a merged module's are exposed already; any other holds the allocator's own globals too
      const exposed = exposeGlobals(bytes, info, true);
      code = new ModuleCode(info, options.sourceMap ? new WasmSourceMap(options.sourceMap) : undefined, exposed.shift, bytes);
      module = await WebAssembly.compile(exposed.bytes as BufferSource);
    }
    refuseModuleWithoutAllocator(module);
    let heap: Heap | undefined;
    // The instance's own trapped(), not heap.exports': after detach() those refuse every call,
    // while a module linked on this thread still calls the raw exports, and a trap there must
    // still let go of the heap lock (or every other thread waits for it for good).
    let trapped: (() => void) | undefined;
    const extra = options.imports ?? {};
    const imports = {
      ...extra,
      ...siteImports(module, () => heap!, options, code),
      env: {
        ...(extra.env ?? {}),
        ...(shared ? { memory: shared.memory } : {}),
        abort(message: number, file: number, line: number, column: number): never {
          // Shared build: release the heap lock the failed operation holds before anything else.
          trapped?.();
          if (heap) throw heap.trap(message, file, line, column);
          throw new Error(shared ? readString(shared.memory, message) || "rcalloc: trap during instantiation" : "rcalloc: trap during instantiation");
        },
      },
    };
    const instance = await WebAssembly.instantiate(module, imports);
    checkBuildAsked(instance.exports as unknown as RcallocExports, options);
    trapped = (instance.exports as unknown as RcallocExports).trapped;
    heap = new Heap(instance.exports as unknown as RcallocExports, options, module);
    if (shared) {
      // Every thread but a browser page's main one may sleep while it waits for the heap lock.
      heap.exports.setThreadMayWait!(canBlock() ? 1 : 0);
      heap.exports.setLockPatience!(Math.max(1, Math.round(options.lockTimeout ?? DEFAULT_LOCK_TIMEOUT)));
    }
    if (shared?.attach) {
      // A worker joining a heap: the heap's tag and settings are in shared memory already. Its
      // tag is reserved in this realm too, so a private heap here cannot get the same one.
      heap.programInside = false; // a shared heap is one of the package's builds (shareable())
      if (heap.checked) heap.reserveTag();
      return heap;
    }
    // A start function that already took handles (a statically merged module) fixed tag 1.
    if (heap.checked && heap.exports.mark() === 0) {
      heap.tag = await claimTag(heap, heap.tagToken, shared !== undefined);
      heap.exports.setHeapTag(heap.tag);
    }
    return heap;
  }

  /**
   * Instantiates one of the package's own allocator builds (createHeap, link): as instantiate(),
   * and seals the allocator's static data, so validate() also reports a stray write into its
   * messages or constants. Not for modules that hold user code too (merged, library path).
   */
  static async instantiateBuild(module: WebAssembly.Module, options: HeapOptions, shared?: SharedInstance): Promise<Heap> {
    if (!exportsAllocator(module)) {
      // A module of the user's own (it would fail on its imports with a raw TypeError).
      throw new InvalidArgumentError(
        "rcalloc: the `wasm` option is not an rcalloc allocator build (it exports no isChecked): pass the package's " +
        "build/rcalloc.*.wasm there; a module of your own is link()'s first argument (link(module, { checked }))");
    }
    const heap = await Heap.instantiate(module, options, shared);
    heap.programInside = false;
    heap.exports.sealStaticData();
    return heap;
  }

  /** False for the package's own builds (instantiateBuild, attachHeap): a module linked against
   *  one reports through programReport. True for a module with the allocator compiled or merged
   *  in: the program, and maybe rcalloc's AS runtime, live in it (report() then does that here). */
  private programInside = true;
  /** Checked build: the tag in this heap's handles, unique among live heaps (0: none claimed). */
  private tag = 0;
  private readonly tagToken = {};
  /** Checked, attached to a shared heap: the heap's tag, reserved in this realm until detach(). */
  private sharedTag = 0;

  /** attachHeap: reserves the shared heap's tag in this realm (heap-tags.ts). */
  private reserveTag(): void {
    const tag = this.exports.currentHeapTag!() >>> 0;
    if (!tag) return; // the creator disposed it: the heap's handles are untagged
    if (!reserveSharedTag(tag)) {
      this.exports.detachThread!();
      throw new HeapInUseError(
        `rcalloc: attachHeap: a checked heap this thread created holds handle tag ${tag}, the shared heap's tag, so ` +
        `their handles could not be told apart; dispose() it first, or attach before creating private heaps here`,
        0,
      );
    }
    this.sharedTag = tag;
  }

  /**
   * Gives this heap's handle tag back for a new heap (a tag also comes back when a private heap is
   * garbage-collected; a shared heap's only here): from now on every handle of this heap is
   * refused, by this heap ("another heap") and by every other. Call it when done with a checked
   * heap; at most 15 can be alive. A shared heap's creator may dispose it only when no worker is
   * attached any more (HeapInUseError); on an attached worker's Heap it does nothing (detach()).
   * The heap still works after, but its new handles carry tag 0, which every disposed heap shares:
   * disposed heaps accept each other's handles, so stop using a heap once disposed.
   */
  dispose(): void {
    if (!this.tag) return;
    const threads = this.shared ? this.exports.threadsAttached!() >>> 0 : 0;
    if (threads > 1) {
      throw new HeapInUseError(
        `rcalloc: dispose(): ${threads - 1} other thread(s) still attached to this shared heap use its handle tag; ` +
        `dispose it after they detach()`,
        threads - 1,
      );
    }
    this.exports.retireHeapTag();
    releaseTag(this.tag, this.tagToken);
    this.tag = 0;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /**
   * Shared heaps: what a worker needs to attach (attachHeap(init) there). Structured-cloneable:
   * post it with postMessage (worker_threads or Web Workers). The checked build runs without
   * atomic steps on its lock-free paths until this is first called, so a checked (not debug)
   * heap refuses an instance started on its memory without it; the unchecked and debug shared
   * builds attach either way, but use this too: it is the one documented way.
   */
  shareable(): SharedHeapInit {
    if (!this.shared) throw new TypeError("rcalloc: shareable(): not a shared heap; create it with createHeap({ shared: true })");
    // First, on this thread: the checked build leaves its single-thread mode before any other
    // thread can attach (assembly/thread-slots.ts startAlone).
    this.exports.handOverHeap?.();
    return { module: this.module, memory: this.exports.memory, checked: this.checked };
  }

  /** Shared heaps: this thread's number (0: the thread that created the heap; sites name it). */
  get thread(): number {
    return this.shared ? this.exports.threadNumber!() >>> 0 : 0;
  }

  /**
   * Shared heaps: takes back the thread number of a worker that ended without detach() (it was
   * terminated, or threw), so a new worker can have it (64 at most at once). Call it from any
   * attached thread once that worker has exited — Node: in its `exit` event; browsers:
   * `worker.terminate()` ends the worker in parallel, so some time after it — never while it may
   * still run. `thread` is the worker's `heap.thread`
   * (have it post the number when it attaches). Its cached blocks go back to every thread;
   * references it held stay live (other threads may put them; otherwise report() lists them).
   * True when taken back; false when no thread had that number (it detached). Throws
   * HeapLockTimeoutError when the worker ended in the middle of an operation, holding the heap
   * lock: the heap cannot be used any more.
   */
  reclaimThread(thread: number): boolean {
    if (!this.shared) throw new TypeError("rcalloc: reclaimThread(): not a shared heap; create it with createHeap({ shared: true })");
    switch (this.exports.reclaimThread!(thread >>> 0) >>> 0) {
      case RECLAIMED: return true;
      case NOT_IN_USE: return false;
      case OWN_NUMBER: throw new TypeError(`rcalloc: reclaimThread(${thread}): that is this thread's own number; call detach() instead`);
      case ENDED_HOLDING_LOCK:
        throw new HeapLockTimeoutError(
          `rcalloc: reclaimThread(${thread}): thread ${thread} ended in the middle of an operation, holding the heap lock; the heap cannot be used any more`,
          { handle: 0, detail: thread >>> 0 },
        );
      case ENDED_IN_PASS:
        throw new HeapLockTimeoutError(
          `rcalloc: reclaimThread(${thread}): thread ${thread} ended in the middle of a lock-free get, put or alloc; what it was changing (a reference, its thread cache) is left half done, so the heap cannot be used safely any more (its next walk, or in the checked build its next table growth, waits for that thread for ever)`,
          { handle: 0, detail: thread >>> 0 },
        );
      default:
        throw new RangeError(`rcalloc: reclaimThread(${thread}): unknown result from the build`);
    }
  }

  /**
   * Shared heaps, in a worker: done with the heap (its thread number may go to a new worker).
   * The heap and its objects stay; references this thread still holds stay live, for other
   * threads to put: every later call on this Heap throws DetachedError. Terminate a worker only
   * after its detach() returned (wait for its exit): one stopped in the middle of an operation
   * holds the heap lock forever (HeapLockTimeoutError), and one that never detaches keeps its
   * thread number (at most 64 at once) and its cached blocks until reclaimThread().
   */
  detach(): void {
    if (!this.shared) return;
    this.exports.detachThread!();
    if (this.sharedTag) releaseSharedTag(this.sharedTag);
    this.sharedTag = 0;
    (this as { exports: RcallocExports }).exports = detachedExports(this.exports);
    // The fast paths the constructor bound to the raw exports give way to the methods, which now
    // reach only the refusing ones.
    for (const name of ["get", "put", "ptr", "size", "refs"] as const) delete (this as Partial<Heap>)[name];
  }

  /** Shared heaps: the sites this thread recorded, to post to the thread that reports (which
   *  passes them to importSites), so its reports name where each worker took references. */
  exportSites(): Site[] {
    return this.siteTable.exportSites();
  }

  /** Shared heaps: adds the sites another thread exported (exportSites). */
  importSites(sites: readonly Site[]): void {
    this.siteTable.importSites(sites);
  }

  /**
   * Runs `walk` holding the heap lock (shared heaps; otherwise just runs it): other threads'
   * operations wait until it returns, so a walk of many calls sees one consistent heap. This is
   * the safe point report(), stats(), blocks() and validate() use.
   */
  private holding<T>(walk: () => T): T {
    const e = this.exports;
    if (!e.holdHeap) return walk();
    e.holdHeap();
    try {
      return walk();
    } finally {
      e.letGoHeap!();
    }
  }

  /** The shared-memory build: workers attach to this heap (shareable()). */
  readonly shared: boolean;
  private readonly module: WebAssembly.Module;

  private constructor(exports: RcallocExports, options: HeapOptions, module: WebAssembly.Module) {
    this.exports = exports;
    this.module = module;
    this.checked = exports.isChecked() === 1;
    this.shared = typeof exports.threadNumber === "function";
    this.siteTable = new SiteTable(
      LIBRARY_LOCATIONS,
      () => exports.memory,
      this.shared ? { thread: exports.threadNumber!() >>> 0, claimRange: () => exports.claimSiteRange!() } : undefined,
    );
    if (options.resizable) makeResizable(exports.memory);
    this.memoryBytes = new MemoryBytes(exports.memory);
    this.sites = this.checked && options.stacks ? this.siteTable : undefined;
    if (options.maxPages !== undefined) {
      checkSize(options.maxPages);
      exports.setMemoryLimit(options.maxPages);
    }
    if (!this.sites && !this.checked) {
      // The unchecked build checks nothing by design: heap.get/put/ptr/size/refs cost what a raw
      // call costs, plus reading the result as unsigned (handles and addresses above 2 GiB).
      const { get, put, ptr, size, refs } = exports;
      this.get = (h: number) => get(h) >>> 0;
      this.put = put;
      this.ptr = (h: number) => ptr(h) >>> 0;
      this.size = (h: number) => size(h) >>> 0;
      this.refs = refs;
    } else if (!this.sites) {
      // Checked: JS would turn 1.5, "7" or 2^32 + h into some u32 before wasm saw it, so every
      // handle is checked to be a u32 first; then the raw call.
      const { get, put, ptr, size, refs } = exports;
      this.get = (h: number) => (checkHandle(h), get(h) >>> 0);
      this.put = (h: number) => (checkHandle(h), put(h));
      this.ptr = (h: number) => (checkHandle(h), ptr(h) >>> 0);
      this.size = (h: number) => (checkHandle(h), size(h) >>> 0);
      this.refs = (h: number) => (checkHandle(h), refs(h));
    }
    if (this.checked && options.quarantine !== undefined) {
      const q = options.quarantine || { blocks: 0, bytes: 0 };
      exports.setQuarantine(q.blocks ?? 256, q.bytes ?? 256 << 10, q.poison ?? 64);
    }
  }

  /** The site id of where the caller called the public method `method` (0, "unknown", without
   *  `stacks`): the *At exports take it. By name, so that without `stacks` nothing is looked up. */
  private siteHere(method: keyof Heap): number {
    return this.sites ? this.sites.capture(Heap.prototype[method] as Function) : 0;
  }

  /** The wasm memory. Its buffer is replaced when memory grows: re-read views after any call. */
  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** A new object of `size` bytes (contents undefined); the handle holds one reference. */
  alloc(size: number): number {
    checkSize(size);
    return this.exports.allocAt(size, this.siteHere("alloc")) >>> 0;
  }

  /** Another reference to the object of `h`. Checked build: a new, distinct handle. */
  get(h: number): number {
    checkHandle(h);
    return this.exports.getAt(h, this.siteHere("get")) >>> 0;
  }

  /** Gives back the reference `h`; the object is freed with its last reference. */
  put(h: number): void {
    checkHandle(h);
    this.exports.putAt(h, this.siteHere("put"));
  }

  /**
   * Resizes the object of `h` (which must hold its only reference), keeping its contents up to
   * the smaller size. Returns the handle that replaces `h`; `h` must not be used after.
   */
  resize(h: number, size: number): number {
    checkHandle(h);
    checkSize(size);
    return this.exports.resizeAt(h, size, this.siteHere("resize")) >>> 0;
  }

  /**
   * The one reference `owner` (an integer 1 .. 0xFFFFFFFD, e.g. the address or id of the holder)
   * holds on the object of `h`: taken now if it holds none, else the one it holds. Release it
   * with putFor(h, owner); reports group references by owner.
   */
  getFor(h: number, owner: number): number {
    checkHandle(h);
    checkSize(owner);
    return this.exports.getForAt(h, owner, this.siteHere("getFor")) >>> 0;
  }

  /** Releases the reference `owner` holds on the object of `h` (`h`: any strong handle to it). */
  putFor(h: number, owner: number): void {
    checkHandle(h);
    checkSize(owner);
    this.exports.putForAt(h, owner, this.siteHere("putFor"));
  }

  /**
   * Hands the reference `h` over to a new handle, owned by `owner` if given: the count does not
   * change. In the checked build `h` is dead after (UseAfterMoveError names where it moved).
   */
  move(h: number, owner = 0): number {
    checkHandle(h);
    checkSize(owner);
    return this.exports.moveAt(h, owner, this.siteHere("move")) >>> 0;
  }

  /** A weak handle to the object of `h`: it does not keep the object alive. Release with putWeak. */
  weak(h: number): number {
    checkHandle(h);
    return this.exports.weakAt(h, this.siteHere("weak")) >>> 0;
  }

  /** A new strong reference from weak handle `w`, or 0 once its object is gone. */
  upgrade(w: number): number {
    checkHandle(w);
    return this.exports.upgradeAt(w, this.siteHere("upgrade")) >>> 0;
  }

  /** Releases weak handle `w`. */
  putWeak(w: number): void {
    checkHandle(w);
    this.exports.putWeakAt(w, this.siteHere("putWeak"));
  }

  /** Marks the object of `h` as not a leak: leaksSince() and the report text leave it out. */
  ignore(h: number): void {
    checkHandle(h);
    this.exports.ignore(h);
  }

  /**
   * A mark for leaksSince(). Checked build: the order of the newest object or reference.
   * Unchecked build (no orders): the number of live objects not ignored, so leaks degrade to a count.
   */
  mark(): number {
    return this.checked ? this.exports.mark() >>> 0 : this.report().objects.filter((o) => !o.ignored).length;
  }

  /**
   * What leaked since `mark`: checked, the live references (and objects) created after it whose
   * object is not ignored; unchecked, `leakCount` only (live objects now minus then).
   */
  leaksSince(mark: number, request: ReportRequest = {}): Report {
    checkMark(mark);
    const all = this.report(request);
    if (!this.checked) {
      const live = all.objects.filter((o) => !o.ignored).length;
      return makeReport(false, [], [], all.stats, { since: mark, scanned: all.scanned, leakCount: Math.max(0, live - mark) });
    }
    const { objects, references } = createdSince(all, mark);
    return makeReport(true, objects, references, all.stats, { since: mark, scanned: all.scanned });
  }

  /**
   * malloc: a raw block of `size` bytes held by its address (no handle), or 0 when memory is
   * exhausted (C semantics). Checked build: free() of anything else throws, a double free names
   * where the block was allocated and first freed, and a live block is reported as a leak.
   */
  malloc(size: number): number {
    checkSize(size);
    return this.exports.mallocAt(size, this.siteHere("malloc")) >>> 0;
  }

  /** free: gives back a block of malloc()/realloc() (0: nothing). */
  free(ptr: number): void {
    checkSize(ptr);
    this.exports.freeAt(ptr, this.siteHere("free"));
  }

  /** realloc: the block at `ptr` (0: a new one) resized, contents kept; 0 when memory is exhausted. */
  realloc(ptr: number, size: number): number {
    checkSize(ptr);
    checkSize(size);
    return this.exports.reallocAt(ptr, size, this.siteHere("realloc")) >>> 0;
  }

  /** Payload address in `memory`. Valid until the reference is put or the object resized. */
  ptr(h: number): number {
    checkHandle(h);
    return this.exports.ptr(h) >>> 0;
  }

  /** Size in bytes, as asked for. */
  size(h: number): number {
    checkHandle(h);
    return this.exports.size(h) >>> 0;
  }

  /** Live references to the object of `h`. */
  refs(h: number): number {
    checkHandle(h);
    return this.exports.refs(h);
  }

  /**
   * The payload of `h` as a plain Uint8Array over wasm memory (not a copy). Valid until the next
   * call that can grow memory (alloc, get, getFor, move, weak, upgrade, resize, copy,
   * allocString: see views.ts) — after one, take it again, or hold a view(h) instead.
   */
  bytes(h: number): Uint8Array {
    checkHandle(h);
    const p = this.exports.ptr(h) >>> 0;
    const size = this.exports.size(h) >>> 0;
    // The constructor, not u8.subarray(): the same view, made in about half the time.
    return new Uint8Array(this.memoryBytes.covering(p + size).buffer, p, size);
  }

  /**
   * A view of the payload of `h` whose `.array` is a plain typed array of `Type` (default
   * Uint8Array), rebuilt when memory has grown. The checked build resolves `h` on every `.array`,
   * so a view of a put reference throws like the handle does.
   */
  view<C extends TypedArrayConstructor = Uint8ArrayConstructor>(h: number, Type?: C): HeapView<InstanceType<C>> {
    checkHandle(h);
    return new HeapView(this, h, Type ?? Uint8Array, this.checked);
  }

  /** A copy of the payload of `h` (or `length` bytes from `offset`), owned by JS: safe across growth. */
  read(h: number, offset = 0, length?: number): Uint8Array {
    const payload = this.bytes(h);
    checkRange(offset, length ?? (isU32(offset) ? payload.length - offset : 0), payload.length); // a BigInt offset: RangeError, not TypeError
    return payload.slice(offset, length === undefined ? undefined : offset + length);
  }

  /** Copies `data` into the payload of `h` at `offset` (RangeError past its end). */
  write(h: number, data: ArrayLike<number> | ArrayBufferView | ArrayBuffer, offset = 0): void {
    // A string is array-like too, of characters that would be written as zeros.
    if (typeof data !== "object" || data === null ||
      !(data instanceof ArrayBuffer || ArrayBuffer.isView(data) || typeof (data as ArrayLike<number>).length === "number")) {
      throw new InvalidArgumentError(
        `rcalloc: write(h, data): data is bytes (an array of numbers, a typed array or an ArrayBuffer), got ${shown(data)}` +
        (typeof data === "string" ? ": encode a string first (new TextEncoder().encode(text)), or allocString(text) for a new object" : ""));
    }
    const payload = this.bytes(h);
    const source = data instanceof ArrayBuffer ? new Uint8Array(data)
      : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      : data;
    checkRange(offset, source.length, payload.length);
    payload.set(source, offset);
  }

  /** A new object with the size and contents of the object of `h`; returns its handle. */
  copy(h: number): number {
    const size = this.size(h) >>> 0;
    const outer = enter(Heap.prototype.copy);
    let to: number;
    try {
      to = this.alloc(size);
    } finally {
      leave(outer);
    }
    const from = this.exports.ptr(h) >>> 0;
    const into = this.exports.ptr(to) >>> 0;
    const u8 = this.memoryBytes.covering(Math.max(from, into) + size); // after the alloc, which may have grown memory
    u8.copyWithin(into, from, from + size);
    return to;
  }

  /** A new object holding `text` (UTF-8 bytes, or UTF-16 code units), exactly its encoded size. */
  allocString(text: string, encoding: StringEncoding = "utf-8"): number {
    if (typeof text !== "string") {
      throw new InvalidArgumentError(`rcalloc: allocString(text): text is a string, got ${shown(text)}; bytes go in with alloc() and write()`);
    }
    checkEncoding("allocString", encoding);
    const outer = enter(Heap.prototype.allocString);
    try {
      return allocEncoded(this, text, encoding);
    } finally {
      leave(outer);
    }
  }

  /** The text the payload of `h` holds (see allocString), decoded. */
  readString(h: number, encoding: StringEncoding = "utf-8"): string {
    checkEncoding("readString", encoding);
    return decode(this.bytes(h), encoding);
  }

  /** True when plain views survive memory growth (HeapOptions.resizable, where the engine can). */
  get resizable(): boolean {
    return this.memoryBytes.resizable;
  }

  /** Walks every block, free list and table slot; throws CorruptHeapError naming a broken invariant. */
  validate(): void {
    this.exports.validate();
  }

  /** Memory and table statistics from a walk of every block. */
  stats(): HeapStats {
    return this.holding(() => this.readStats());
  }

  private readStats(): HeapStats {
    this.exports.heapStats();
    const r = words32(this.exports.memory, this.exports.statsRecord() >>> 0, STATS.WORDS);
    return {
      pages: r[STATS.pages], heapBytes: r[STATS.heapBytes], liveObjects: r[STATS.liveObjects],
      liveBytes: r[STATS.liveBytes], freeBytes: r[STATS.freeBytes], cachedBytes: r[STATS.cachedBytes],
      internalBytes: r[STATS.internalBytes], liveReferences: r[STATS.liveReferences],
      retiredSlots: r[STATS.retiredSlots], quarantinedBlocks: r[STATS.quarantinedBlocks],
      quarantinedBytes: r[STATS.quarantinedBytes], weakHeldBytes: r[STATS.weakHeldBytes],
    };
  }

  /**
   * Live objects and (checked build) live references, with their sites, owners and weak flags,
   * oldest first. With `{ scan: true }`, also where in linear memory each is still stored.
   */
  report(request: ReportRequest = {}): Report {
    return this.holding(() => this.walkReport(request));
  }

  private walkReport(request: ReportRequest): Report {
    const e = this.exports;
    const found = request.scan ? this.scanMemory(request.roots ?? []) : undefined;
    const record = e.walkRecord() >>> 0;
    const objects: ObjectRecord[] = [];
    for (let p = e.nextObject(0) >>> 0; p; p = e.nextObject(p) >>> 0) {
      const r = words32(e.memory, record, ObjectWalk.WORDS);
      const object: ObjectRecord = {
        ptr: r[ObjectWalk.payload], size: r[ObjectWalk.size], refs: r[ObjectWalk.refs], order: r[ObjectWalk.order],
        site: this.siteTable.get(r[ObjectWalk.site]), lastPutSite: this.siteTable.get(r[ObjectWalk.putSite]),
        ignored: r[ObjectWalk.ignored] === 1, weakHandles: r[ObjectWalk.weak], raw: r[ObjectWalk.raw] === 1 || undefined,
      };
      if (found && !this.checked) Object.assign(object, found.get(object.ptr) ?? { reachable: false });
      objects.push(object);
    }
    const references: ReferenceRecord[] = [];
    for (let c = e.nextReference(0) >>> 0; c; c = e.nextReference(c) >>> 0) {
      const r = words32(e.memory, record, ReferenceWalk.WORDS);
      const reference: ReferenceRecord = {
        handle: r[ReferenceWalk.handle], ptr: r[ReferenceWalk.payload], site: this.siteTable.get(r[ReferenceWalk.site]),
        order: r[ReferenceWalk.order], owner: r[ReferenceWalk.owner] || undefined, weak: r[ReferenceWalk.weak] === 1,
        size: r[ReferenceWalk.size],
      };
      if (found) Object.assign(reference, found.get(reference.handle & Handle.INDEX_MASK) ?? { reachable: false });
      references.push(reference);
    }
    // Checked build: a raw block (malloc) is held by its pointer, so it stands as one reference,
    // taken where it was allocated; a leaked malloc is then reported like a leaked handle.
    if (this.checked) {
      for (const o of objects) {
        if (o.raw) references.push({ handle: 0, ptr: o.ptr, size: o.size, order: o.order, site: o.site, weak: false, raw: true });
      }
    }
    // A module with the allocator merged in exports its globals for the scan (module-globals.ts):
    // what they hold, and what that reaches, is held (reachability.ts).
    const roots = globalRoots(e as unknown as WebAssembly.Exports);
    if (!this.programInside) {
      if (roots.size) markReachable(e.memory.buffer, this.checked, objects, references, roots, !!found);
      return makeReport(this.checked, objects, references, this.stats(), { scanned: !!found });
    }
    // The program is in this module (library path, merged): rcalloc's AS runtime may be in it too,
    // whose live GC objects the collector owns, as programReport leaves them out of a linked one's.
    markReachable(e.memory.buffer, this.checked, objects, references, roots, !!found);
    const runtime = leaveOutRuntimeObjects(e.memory.buffer, objects, references);
    return makeReport(this.checked, objects, references, liveStats(this.stats(), objects, references), { scanned: !!found, runtime });
  }

  /** Runs the conservative scan; keyed by slot index (checked) or payload address (unchecked). */
  private scanMemory(roots: ReadonlyArray<readonly [number, number]>): Map<number, { storedAt?: number; storedIn?: number; reachable: boolean }> {
    const e = this.exports;
    e.scan();
    for (const [start, end] of roots) e.scanRoot(start, end);
    const count = e.scanResultCount() >>> 0;
    const size = this.checked ? ScanEntry.WORDS_CHECKED : ScanEntry.WORDS_UNCHECKED;
    const words = words32(e.memory, e.scanResults() >>> 0, count * size);
    const found = new Map<number, { storedAt?: number; storedIn?: number; reachable: boolean }>();
    for (let i = 0; i < count; i++) {
      const at = size * i;
      // checked: [storedAt, storedIn] per slot index; unchecked: [payload, storedAt, storedIn, 0]
      const [key, storedAt, inside] = this.checked ? [i, words[at], words[at + 1]] : [words[at], words[at + 1], words[at + 2]];
      found.set(key, storedAt ? { storedAt, storedIn: inside || undefined, reachable: true } : { reachable: false });
    }
    e.scanClear();
    return found;
  }

  /** Every block of the heap in address order: for pictures of the heap. */
  blocks(): BlockRecord[] {
    return this.holding(() => this.walkBlocks());
  }

  private walkBlocks(): BlockRecord[] {
    const e = this.exports;
    const out: BlockRecord[] = [];
    for (let b = e.nextBlock(0) >>> 0; b; b = e.nextBlock(b) >>> 0) {
      const r = words32(e.memory, e.walkRecord() >>> 0, BlockWalk.WORDS);
      out.push({
        address: r[BlockWalk.block], size: r[BlockWalk.size], kind: BLOCK_KINDS[r[BlockWalk.kind]],
        ptr: r[BlockWalk.payload] || undefined,
      });
    }
    return out;
  }

  /** A JS Ref holding `h`: `put()` or `using` gives it back; one collected without a put is reported. */
  wrap(h: number, options?: RefOptions): Ref {
    const outer = enter(Heap.prototype.wrap);
    try {
      return wrap(this, h, options);
    } finally {
      leave(outer);
    }
  }

  /** alloc(size) wrapped in a Ref. */
  allocRef(size: number, options?: RefOptions): Ref {
    const outer = enter(Heap.prototype.allocRef);
    try {
      return allocRef(this, size, options);
    } finally {
      leave(outer);
    }
  }

  /**
   * Refs of this heap garbage-collected without a put, so far: the engine collects when it
   * chooses, so a short program may see none. `{ collect: true }` (needs `gc`, node --expose-gc)
   * forces full collections first and resolves to the list.
   */
  jsLeaks(): JsLeak[];
  jsLeaks(options: { collect: true }): Promise<JsLeak[]>;
  jsLeaks(options?: { collect?: boolean }): JsLeak[] | Promise<JsLeak[]> {
    return options?.collect ? collectJsLeaks(this) : jsLeaks(this);
  }

  /** A site id for `label` (1, 2, 3, ...), for AssemblyScript callers that pass site ids. */
  site(label: string, stack = ""): number {
    return this.siteTable.intern(stack, label);
  }

  /**
   * Labels a site id of the caller's choosing (1 .. 2^31-1), e.g. a constant AssemblyScript code
   * passes to allocAt: reports then print `label` for it instead of "site #id".
   */
  labelSite(id: number, label: string): void {
    if (!isU32(id) || id === 0 || id >= SITE_STRING) {
      throw new InvalidArgumentError(`rcalloc: labelSite(id, label): a site id is an integer in 1 .. 2^31 - 1, got ${shown(id)}`);
    }
    this.siteTable.label(id, label);
  }

  /** Builds the typed error for a trap (called from env.abort). */
  private trap(messagePtr: number, filePtr: number, line: number, column: number): Error {
    const memory = this.exports.memory;
    const message = readString(memory, messagePtr);
    const r = words32(memory, this.exports.errorRecord() >>> 0, ErrorRecord.WORDS);
    const code = r[ErrorRecord.code];
    r[ErrorRecord.code] = 0; // read once: a later abort of user code (assert, throw) leaves it 0
    const ErrorClass = ERROR_CLASSES[code];
    if (!ErrorClass) {
      // Not one of ours: an abort of code compiled into the same module (assert, throw).
      const where = filePtr ? ` (${readString(memory, filePtr)}:${line}:${column})` : "";
      return new Error(`abort: ${message}${where}`);
    }
    const details: RcErrorDetails = {
      handle: r[ErrorRecord.handle],
      object: r[ErrorRecord.object] || undefined,
      site: this.siteTable.get(r[ErrorRecord.site]),
      putSite: this.siteTable.get(r[ErrorRecord.putSite]),
      detail: r[ErrorRecord.detail],
    };
    const holders = () => details.object ? this.report().references.filter((r) => r.ptr === details.object) : [];
    return new ErrorClass(message + describe(details, code, message, holders), details);
  }
}

/** What the message of a trap adds: which reference (taken at), where it ended, and for moves and
 *  owners the reference that holds the object now (`holders`: the object's live references). */
/**
 * The "rcalloc:sites" imports: of a module merged with prepareStaticLink's `sites`, its calls into
 * the allocator, taken back through the host; of a module that compiles rcalloc in with
 * RC_HOST_SITES, `site()`. With `stacks` (checked build) each call's site is its wasm stack
 * (function names, and file:line:column with the source map), else calls go straight on and
 * `site()` is 0 (unknown).
 */
function siteImports(module: WebAssembly.Module, heap: () => Heap, options: HeapOptions, code?: ModuleCode): WebAssembly.Imports {
  const names = WebAssembly.Module.imports(module).filter((i) => i.module === SITES_MODULE && i.kind === "function").map((i) => i.name);
  if (!names.length) return {};
  type Fn = (...args: number[]) => number | void;
  let resolved: Record<string, Fn> | undefined;
  const resolve = (): Record<string, Fn> => {
    if (resolved) return resolved;
    const h = heap();
    const e = h.exports as unknown as Record<string, Fn>;
    const sites = h.checked && options.stacks ? new WasmSites(h, code) : undefined;
    // "site": the allocator compiled in with RC_HOST_SITES asks for the caller's site itself.
    const site: Fn = () => sites ? sites.capture() : 0;
    resolved = Object.fromEntries(names.map((name) => [name, name === "site" ? site : sites ? withSite(e, name, sites) : e[name]]));
    return resolved;
  };
  return { [SITES_MODULE]: Object.fromEntries(names.map((name) => [name, (...args: number[]) => resolve()[name](...args)])) };
}

function describe(d: RcErrorDetails, code: number, message: string, holders: () => ReferenceRecord[]): string {
  const parts: string[] = [];
  if (d.handle) parts.push(`handle ${hex(d.handle)}`);
  if (d.object) parts.push(`object ${hex(d.object)}`);
  if (d.site) parts.push(`taken at ${d.site.label}`);
  const ownerOf = (r: ReferenceRecord) => r.owner ? `owner ${r.owner}` : "no owner";
  const taken = (r: ReferenceRecord) => r.site ? `, taken at ${r.site.label}` : "";
  if (code === ErrorCode.USE_AFTER_MOVE) {
    // The move issued the new handle with the move's site: that is where the reference went.
    const to = d.putSite ? holders().find((r) => !r.weak && r.site?.id === d.putSite!.id) : undefined;
    if (d.putSite) parts.push(`moved at ${d.putSite.label}${to ? ` to handle ${hex(to.handle)} (${ownerOf(to)})` : ""}`);
  } else if (d.putSite) {
    parts.push(`${code === ErrorCode.DOUBLE_PUT ? "first put" : "put"} at ${d.putSite.label}`);
  }
  if (code === ErrorCode.OWNERSHIP && d.detail) {
    const owned = holders().filter((r) => r.owner);
    const list = (rs: ReferenceRecord[]) => rs.map((r) => `${ownerOf(r)} (handle ${hex(r.handle)}${taken(r)})`).join(", ");
    if (/holds no reference/.test(message)) {
      parts.push(`owner ${d.detail} holds none`);
      parts.push(owned.length ? `held by ${list(owned)}` : "no owner holds it");
    } else if (/already holds/.test(message)) {
      const mine = owned.filter((r) => r.owner === d.detail).map((r) => `handle ${hex(r.handle)}${taken(r)}`);
      parts.push(`owner ${d.detail} holds ${mine.length ? mine.join(", ") : "one"}`);
    } else if (/belongs to an owner/.test(message)) {
      parts.push(`held by owner ${d.detail}: release it with putFor(h, ${d.detail})`);
    } else {
      parts.push(`owner ${d.detail}`);
    }
  }
  if (code === ErrorCode.INVALID_HANDLE && /another heap/.test(message) && !tagInUse(d.handle >>> Handle.TAG_SHIFT)) {
    // The allocator knows only its own tag; whether another heap holds this one, only the realm.
    parts.push(`no heap in this realm has tag ${d.handle >>> Handle.TAG_SHIFT} now: a made-up number, a handle kept from a disposed heap, or one of a heap in another worker`);
  }
  if (code === ErrorCode.OUT_OF_MEMORY && d.detail) parts.push(`${d.detail} bytes asked for`);
  if (code === ErrorCode.SHARED_RESIZE && d.detail) parts.push(`${d.detail} references held`);
  if (code === ErrorCode.WRITE_AFTER_FREE) parts.push(`byte ${d.detail ?? 0} of the payload changed`);
  // A heap overflow names a live block and the guard byte that changed (with the malloc's site when
  // sites are on); any other corruption only the address where the walk found it.
  if (code === ErrorCode.CORRUPT_HEAP && d.object && /heap overflow/.test(message)) parts.push(`byte ${d.detail ?? 0} past its end changed`);
  else if (code === ErrorCode.CORRUPT_HEAP && d.object) parts.length = 0, parts.push(`at ${hex(d.object)}`);
  const stale = code === ErrorCode.DOUBLE_PUT || code === ErrorCode.USE_AFTER_PUT || code === ErrorCode.USE_AFTER_MOVE;
  if (stale && d.detail === ErrorDetail.RECORD_GONE) {
    parts.push("a stale handle: its slot was issued again since, so where it was taken and ended is no longer known");
  }
  return parts.length ? ` (${parts.join("; ")})` : "";
}

export type { Site };
