// The typed heap: one instance of the allocator module, its traps turned into typed errors,
// JS stacks captured as sites, the report decoded. Loading the module is the loaders' job
// (node.ts, browser.ts); this file uses no Node or DOM API.
import { ERROR_CLASSES, hex, InvalidHandleError, RcError, type RcErrorDetails } from "./errors.js";
import { makeReport, type HeapStats, type ObjectRecord, type ReferenceRecord, type Report } from "./report.js";
import { SiteTable, type Site } from "./sites.js";

export interface HeapOptions {
  /** The checked build: handles through a table, misuse traps, references tracked. Default false. */
  checked?: boolean;
  /** Checked build: record the JS stack of every alloc/get/put/resize as its site. Default false. */
  stacks?: boolean;
  /** Memory limit in 64 KiB pages (default: 65535, the wasm32 maximum we manage). */
  maxPages?: number;
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
  refs(h: number): number;
  validate(): void;
  nextObject(after: number): number;
  nextReference(cursor: number): number;
  heapStats(): void;
  setHeapTag(tag: number): void;
  setMemoryLimit(pages: number): void;
  reserveBelow(address: number): number;
  flushQuickLists(): void;
  isChecked(): number;
  errorRecord(): number;
  walkRecord(): number;
  statsRecord(): number;
}

// Heaps of the checked build get tags 1, 2, 3, 1, ...: a handle passed to another live heap is
// recognised as foreign unless both heaps drew the same tag (more than three heaps alive).
let nextTag = 0;

/** Reads an AssemblyScript string (UTF-16, byte length at ptr - 4) from memory. */
function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return "";
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/** Every frame from the bindings folder (heap.js, sites.js, ...) is rcalloc, not the caller.
 *  Stacks name it by URL, or by path for file: URLs under some runners. */
function bindingsLocations(): string[] {
  const folder = new URL(".", import.meta.url);
  return folder.protocol === "file:" ? [folder.href, decodeURIComponent(folder.pathname)] : [folder.href];
}

function checkHandle(h: number): void {
  if ((h >>> 0) !== h) {
    throw new InvalidHandleError(`rcalloc: invalid handle: ${String(h)} is not a u32`, { handle: 0 });
  }
}

function checkSize(size: number): void {
  if ((size >>> 0) !== size) {
    throw new RangeError(`rcalloc: size must be an integer in 0..2^32-1, got ${String(size)}`);
  }
}

export class Heap {
  /** True for the checked build. */
  readonly checked: boolean;
  /** The raw wasm exports (for benchmarks and advanced use; no argument checks). */
  readonly exports: RcallocExports;
  private readonly sites: SiteTable | undefined;
  private readonly siteTable: SiteTable;

  /** Instantiates `module` (a compiled rcalloc build). Prefer createHeap(). */
  static async instantiate(module: WebAssembly.Module, options: HeapOptions): Promise<Heap> {
    let heap: Heap | undefined;
    const imports = {
      env: {
        abort(message: number, file: number, line: number, column: number): never {
          throw heap ? heap.trap(message, file, line, column) : new Error("rcalloc: trap during instantiation");
        },
      },
    };
    const instance = await WebAssembly.instantiate(module, imports);
    heap = new Heap(instance.exports as unknown as RcallocExports, options);
    return heap;
  }

  private constructor(exports: RcallocExports, options: HeapOptions) {
    this.exports = exports;
    this.checked = exports.isChecked() === 1;
    this.siteTable = new SiteTable(bindingsLocations());
    this.sites = this.checked && options.stacks ? this.siteTable : undefined;
    if (this.checked) {
      nextTag = (nextTag % 3) + 1;
      exports.setHeapTag(nextTag);
    }
    if (options.maxPages !== undefined) {
      checkSize(options.maxPages);
      exports.setMemoryLimit(options.maxPages);
    }
  }

  /** The wasm memory. Its buffer is replaced when memory grows: re-read views after any call. */
  get memory(): WebAssembly.Memory {
    return this.exports.memory;
  }

  /** A new object of `size` bytes (contents undefined); the handle holds one reference. */
  alloc(size: number): number {
    checkSize(size);
    return this.sites ? this.exports.allocAt(size, this.sites.capture()) : this.exports.alloc(size);
  }

  /** Another reference to the object of `h`. Checked build: a new, distinct handle. */
  get(h: number): number {
    checkHandle(h);
    return this.sites ? this.exports.getAt(h, this.sites.capture()) : this.exports.get(h);
  }

  /** Gives back the reference `h`; the object is freed with its last reference. */
  put(h: number): void {
    checkHandle(h);
    if (this.sites) this.exports.putAt(h, this.sites.capture());
    else this.exports.put(h);
  }

  /**
   * Resizes the object of `h` (which must hold its only reference), keeping its contents up to
   * the smaller size. Returns the handle that replaces `h`; `h` must not be used after.
   */
  resize(h: number, size: number): number {
    checkHandle(h);
    checkSize(size);
    return this.sites ? this.exports.resizeAt(h, size, this.sites.capture()) : this.exports.resize(h, size);
  }

  /** Payload address in `memory`. Valid until the reference is put or the object resized. */
  ptr(h: number): number {
    checkHandle(h);
    return this.exports.ptr(h);
  }

  /** Size in bytes, as asked for. */
  size(h: number): number {
    checkHandle(h);
    return this.exports.size(h);
  }

  /** Live references to the object of `h`. */
  refs(h: number): number {
    checkHandle(h);
    return this.exports.refs(h);
  }

  /**
   * A live view of the payload of `h`: reads and writes go to wasm memory, and the view follows
   * the memory when it grows (it re-resolves `h` then, so in the checked build using it after
   * the reference was put throws). For APIs that need a plain Uint8Array, pass `view.slice()`
   * (a copy) or build `new Uint8Array(heap.memory.buffer, heap.ptr(h), heap.size(h))` right
   * before the call.
   */
  bytes(h: number): Uint8Array {
    checkHandle(h);
    const exports = this.exports;
    let view = new Uint8Array(exports.memory.buffer, exports.ptr(h), exports.size(h));
    const current = (): Uint8Array => {
      if (view.buffer !== exports.memory.buffer) {
        view = new Uint8Array(exports.memory.buffer, exports.ptr(h), exports.size(h));
      }
      return view;
    };
    return new Proxy(view, {
      get(_target, key) {
        const v = current();
        const value = Reflect.get(v, key, v);
        return typeof value === "function" ? value.bind(v) : value;
      },
      set(_target, key, value) {
        return Reflect.set(current(), key, value);
      },
      has(_target, key) {
        return Reflect.has(current(), key);
      },
      ownKeys() {
        return Reflect.ownKeys(current());
      },
      getOwnPropertyDescriptor(_target, key) {
        return Reflect.getOwnPropertyDescriptor(current(), key);
      },
    });
  }

  /** Walks every block, free list and table slot; throws CorruptHeapError naming a broken invariant. */
  validate(): void {
    this.exports.validate();
  }

  /** Memory and table statistics from a walk of every block. */
  stats(): HeapStats {
    this.exports.heapStats();
    const r = new Uint32Array(this.exports.memory.buffer, this.exports.statsRecord(), 9);
    return {
      pages: r[0], heapBytes: r[1], liveObjects: r[2], liveBytes: r[3], freeBytes: r[4],
      cachedBytes: r[5], tableBytes: r[6], liveReferences: r[7], retiredSlots: r[8],
    };
  }

  /** Live objects and (checked build) live references, with their sites. */
  report(): Report {
    const e = this.exports;
    const record = e.walkRecord();
    const objects: ObjectRecord[] = [];
    for (let p = e.nextObject(0); p; p = e.nextObject(p)) {
      const r = new Uint32Array(e.memory.buffer, record, 6);
      objects.push({
        ptr: r[0], size: r[1], refs: r[2], order: r[3],
        site: this.siteTable.get(r[4]), lastPutSite: this.siteTable.get(r[5]),
      });
    }
    const references: ReferenceRecord[] = [];
    for (let c = e.nextReference(0); c; c = e.nextReference(c)) {
      const r = new Uint32Array(e.memory.buffer, record, 4);
      references.push({ handle: r[0], ptr: r[1], site: this.siteTable.get(r[2]), order: r[3] });
    }
    return makeReport(this.checked, objects, references, this.stats());
  }

  /** The site table, so AssemblyScript callers' site ids can be given labels. */
  site(label: string, stack = ""): number {
    return this.siteTable.intern(stack, label);
  }

  /** Builds the typed error for a trap (called from env.abort). */
  private trap(messagePtr: number, filePtr: number, line: number, column: number): Error {
    const memory = this.exports.memory;
    const message = readString(memory, messagePtr);
    const r = new Uint32Array(memory.buffer, this.exports.errorRecord(), 6);
    const ErrorClass = ERROR_CLASSES[r[0]];
    if (!ErrorClass || !message.startsWith("rcalloc")) {
      const where = filePtr ? ` (${readString(memory, filePtr)}:${line}:${column})` : "";
      return new RcError("CORRUPT_HEAP", `rcalloc: unexpected trap: ${message}${where}`, { handle: 0 });
    }
    const details: RcErrorDetails = {
      handle: r[1],
      object: r[2] || undefined,
      site: this.siteTable.get(r[3]),
      putSite: this.siteTable.get(r[4]),
      detail: r[5],
    };
    return new ErrorClass(message + describe(details, r[0]), details);
  }
}

function describe(d: RcErrorDetails, code: number): string {
  const parts: string[] = [];
  if (d.handle) parts.push(`handle ${hex(d.handle)}`);
  if (d.object) parts.push(`object ${hex(d.object)}`);
  if (d.site) parts.push(`taken at ${d.site.label}`);
  if (d.putSite) parts.push(`${code === 1 ? "first put" : "put"} at ${d.putSite.label}`);
  if (code === 4 && d.detail) parts.push(`${d.detail} bytes asked for`);
  if (code === 6 && d.detail) parts.push(`${d.detail} references held`);
  if (code === 5 && d.object) parts.length = 0, parts.push(`at ${hex(d.object)}`);
  return parts.length ? ` (${parts.join("; ")})` : "";
}

export type { Site };
