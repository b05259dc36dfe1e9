// Sites: where a reference was taken or put. JS stacks are captured per call and deduplicated
// into small integer ids that the wasm module stores with each reference (0 = unknown). Code in
// wasm can also name its own sites with a string in its static data (C's RC_SITE()).
//
// ╒════════════════════ A site id (u32), as stored with each reference ════════════════════╕
//    3 3 2                                                                             0
//    1 0 9                                                                             0
//   ┌─┬─┬─────────────────────────────────────────────────────────────────────────────────┐
//   │0│     label number (1, 2, ... from SiteTable.intern / heap.site(label)); 0 = unknown │
//   ├─┼─┼─────────────────────────────────────────────────────────────────────────────────┤
//   │1│0│ address of a NUL-terminated UTF-8 string "file.c:42" in linear memory          │
//   ├─┼─┼─────────────────────────────────────────────────────────────────────────────────┤
//   │1│1│ address of an AssemblyScript string (UTF-16LE, its byte length in the u32 at -4)│
//   └─┴─┴─────────────────────────────────────────────────────────────────────────────────┘
// A string site's address is below 2^30: static data of the module (include/rcalloc.h RC_SITE(),
// runtime/imports.ts siteOf()). The host reads the string when it formats the site.
import { location, PerStack } from "./js-stacks.js";
import { decodable } from "./views.js";

export interface Site {
  /** The id stored in wasm (1, 2, ...). */
  id: number;
  /** Shared heaps: the number of the thread that took the reference there (heap.thread: 0 for the
   *  heap's creator; a worker gets the lowest number free when it attaches, so a detached worker's
   *  number goes to the next one; site ids are never reused). */
  thread?: number;
  /** The first frame outside rcalloc, as "file:line:col" (or the caller's own label). */
  label: string;
  /** The stack below the rcalloc call, one frame a line. */
  stack: string;
  /** Labelled by the caller for a number of its choosing (heap.labelSite). */
  chosen?: boolean;
}

const FRAME_LIMIT = 12;

/** Bit 31: the site id is the address of a string in linear memory. */
export const SITE_STRING = 0x80000000;
/** Bit 30 with bit 31: the string is an AssemblyScript string (UTF-16LE), not a C string (UTF-8). */
export const SITE_AS_STRING = 0x40000000;
/** The address bits of a string site. */
export const SITE_ADDRESS_MASK = 0x3fffffff;
/** Longest C site string read (a runaway pointer stops here). */
const MAX_SITE_BYTES = 1024;

/** The site id naming the NUL-terminated UTF-8 string at `address` (C's RC_SITE()). */
export function cStringSite(address: number): number {
  return (SITE_STRING | (address & SITE_ADDRESS_MASK)) >>> 0;
}

/** The site id naming the AssemblyScript string at `address`. */
export function asStringSite(address: number): number {
  return (SITE_STRING | SITE_AS_STRING | (address & SITE_ADDRESS_MASK)) >>> 0;
}

/** The text of a string site id read from `memory`, or undefined when `id` is not one. */
export function readSiteString(memory: WebAssembly.Memory, id: number): string | undefined {
  id >>>= 0;
  if (!(id & SITE_STRING)) return undefined;
  const address = id & SITE_ADDRESS_MASK;
  const buffer = memory.buffer;
  if (id & SITE_AS_STRING) {
    if (address < 4 || address > buffer.byteLength) return undefined;
    const bytes = new DataView(buffer).getUint32(address - 4, true);
    if (address + bytes > buffer.byteLength) return undefined;
    const units = new Uint16Array(buffer.slice(address, address + (bytes & ~1)));
    return String.fromCharCode(...units.subarray(0, MAX_SITE_BYTES));
  }
  const all = new Uint8Array(buffer);
  let end = address;
  const limit = Math.min(all.length, address + MAX_SITE_BYTES);
  while (end < limit && all[end] !== 0) end++;
  return new TextDecoder().decode(decodable(all.subarray(address, end)));
}

/** Shared heaps: a table hands out ids from ranges of this many, each claimed from a counter in
 *  the shared memory that never goes back (claimSiteRange), so no two tables, even of threads
 *  that got the same thread number one after the other, ever hand out the same id. */
export const SITE_RANGE = 1 << 10;
/** Shared heaps: a site id is sequence × THREAD_IDS + the thread's number (0 .. 63), so any table
 *  tells which thread took a reference, even for a site it never imported. Sequences stay below
 *  2^25 (32768 ranges over a heap's life), ids below 2^31 (SITE_STRING). */
const THREAD_IDS = 64;

/** Shared heaps: what a thread's table needs. */
export interface SharedSites {
  /** This thread's number, which each of its sites records. */
  thread: number;
  /** A range never handed out before: its sequences are range × SITE_RANGE + 1 .. (range + 1) × SITE_RANGE - 1. */
  claimRange: () => number;
}
export class SiteTable {
  private readonly byKey = new Map<string, Site>();
  private readonly byId = new Map<number, Site>();
  /** Ids of captured stacks, by stack: a stack seen before is not formatted again. */
  private readonly byStack = new PerStack<number>(FRAME_LIMIT);
  /** The next id intern() hands out (it skips ids labelled by the caller), below `end`. */
  private next: number;
  private end: number;

  /** Sites read from strings in memory, by id (static data does not change). */
  private readonly strings = new Map<number, Site>();

  /**
   * `internalFiles`: frames of rcalloc itself, where no engine cut finds them (callerFrames); `memory`: where string site ids point (without
   * it they read as unknown); `shared`: a shared heap's thread (ids from claimed ranges).
   */
  constructor(
    private readonly internalFiles: readonly string[],
    private readonly memory?: () => WebAssembly.Memory,
    private readonly shared?: SharedSites,
  ) {
    // Shared: the first intern claims a range (a thread that records no site uses none).
    this.next = shared ? 0 : 1;
    this.end = shared ? 0 : SITE_STRING;
  }

  /** The next free id, claiming a new range when this one is used up (shared heaps). */
  private nextId(): number {
    for (;;) {
      const step = this.shared ? THREAD_IDS : 1; // shared: ids keep this thread's number
      while (this.next < this.end && this.byId.has(this.next)) this.next += step;
      if (this.next < this.end) {
        const id = this.next;
        this.next += step;
        return id;
      }
      if (!this.shared) throw new RangeError("rcalloc: every site id is taken");
      const range = this.shared.claimRange() >>> 0;
      if ((range + 1) * SITE_RANGE * THREAD_IDS > SITE_STRING) {
        throw new RangeError("rcalloc: this shared heap handed out every site-id range (threads that recorded sites, over its life)");
      }
      this.next = (range * SITE_RANGE + 1) * THREAD_IDS + this.shared.thread;
      this.end = (range + 1) * SITE_RANGE * THREAD_IDS;
    }
  }

  /** Shared heaps: the sites this thread interned, to post to the thread that reports. */
  exportSites(): Site[] {
    return [...this.byId.values()];
  }

  /** Shared heaps: adds another thread's sites (exportSites), so reports name them. */
  importSites(sites: readonly Site[]): void {
    for (const site of sites) if (!this.byId.has(site.id)) this.byId.set(site.id, { ...site });
  }

  /** The id of the site where the caller called `entry` (see callerFrames), deduplicated by its stack. */
  capture(entry: Function): number {
    return this.byStack.of(entry, (frames) => this.intern(frames.join("\n"), frames.length ? location(frames[0]) : "(unknown)"), this.internalFiles);
  }

  /** The id for a caller-chosen label (used by AssemblyScript callers and tests). */
  intern(stack: string, label: string): number {
    const key = label + "\n" + stack;
    let site = this.byKey.get(key);
    if (!site) {
      const id = this.nextId();
      site = this.shared ? { id, label, stack, thread: this.shared.thread } : { id, label, stack };
      this.byKey.set(key, site);
      this.byId.set(site.id, site);
    }
    return site.id;
  }

  /** Gives the number `id` (1 .. 2^31-1, e.g. a constant in AssemblyScript code) a label. */
  label(id: number, label: string, stack = ""): void {
    if (!Number.isInteger(id) || id <= 0 || id >= SITE_STRING) {
      throw new RangeError(`rcalloc: a site number is an integer in 1..${SITE_STRING - 1}, got ${String(id)}`);
    }
    const known = this.byId.get(id);
    if (known && !known.chosen) {
      throw new RangeError(`rcalloc: site #${id} already names ${known.label} (heap.site handed it out): choose another number`);
    }
    this.byId.set(id, { id, label, stack, chosen: true });
  }

  /**
   * The site for an id from wasm (a label number or a string site), or undefined for 0. A number
   * nobody labelled reads "site #7", so a report still tells call sites apart.
   */
  get(id: number): Site | undefined {
    id >>>= 0;
    if (!id) return undefined;
    if (!(id & SITE_STRING)) {
      const known = this.byId.get(id);
      if (known) return known;
      if (!this.shared) return { id, label: `site #${id}`, stack: "" };
      // Shared heap: another thread's site whose table was not imported (importSites).
      const thread = id % THREAD_IDS;
      return { id, label: `thread ${thread} site #${Math.floor(id / THREAD_IDS)}`, stack: "", thread };
    }
    let site = this.strings.get(id);
    if (!site) {
      const label = this.memory ? readSiteString(this.memory(), id) : undefined;
      if (label === undefined) return undefined;
      site = { id, label, stack: "" };
      this.strings.set(id, site);
    }
    return site;
  }
}
