// Reachability from roots: which references (checked build) and objects (unchecked) a root holds,
// directly or through the objects it reaches, marked `heldBy` the root (not leaks,
// bindings/leaks.ts). Transitive and conservative, as LeakSanitizer, kmemleak and valgrind ("still
// reachable") mark: a C list whose head is in a static, a handle in an Array a global holds.
//
// A value (a root's, or an aligned u32 word of a held object's payload) holds:
//   - checked: the live reference whose handle it equals, and so that reference's object;
//   - a raw block (malloc, heap.alloc; checked: its one reference) whose payload it points at or
//     INTO (an interior pointer, as LeakSanitizer counts one);
//   - unchecked: the object whose payload it points at or into (a handle is that address).
// A wasm global's own value holds a block only at its start, or a GC object at the object (P+16):
// the AS runtime's globals keep addresses that are no pointers (its sweep's cursor and limit). A
// word of static data holds what it points into too (a C intrusive list's static head, a Rust
// HashMap's table), as in LeakSanitizer: its roots come marked `interior`.
// Each object reached is scanned once, every word of its payload, with one exception: an
// AssemblyScript GC object (a raw block its collector links, isCollectorObject) is scanned past
// its 16 bytes of collector links, or the collector's lists would reach every object, garbage
// included, and only as far as its rtSize (a block the runtime reused for a smaller object keeps
// the old object's words past it). An object the runtime pins (__pin) is a root. Roots are taken in the order given and
// each is followed to the end before the next, so a record is held by the first root that reaches
// it; `heldThrough` is the payload of the object whose word held it (none: a root's own value).
//
// ╒══════ A GC object on a raw block (P: payload; runtime/blocks.ts has the full diagram) ══════╕
// P+0   next | color (2 bits; 3: pinned)   ┐ the collector's links and type: not scanned
// P+4   prev                               │ (next and prev point at neighbours' P-4)
// P+8   rtId                               │
// P+12  rtSize                             ┘
// P+16  the object (AS pointers to it are P+16): scanned, rtSize bytes
//
// Cost: one pass over the objects (pinned roots), then per word of a held object's payload one
// table lookup (handles, by slot index) and one binary search (blocks by address).

import { Handle } from "./records.js";

/** What reachability reads and marks of an object record (ObjectRecord). */
export interface ReachObject {
  ptr: number;
  size: number;
  raw?: boolean;
  heldBy?: string;
  heldThrough?: number;
}

/** What reachability reads and marks of a reference record (ReferenceRecord; a raw block's has
 *  handle 0 and `raw`). */
export interface ReachReference {
  handle: number;
  ptr: number;
  /** Its object's payload size (a weak handle's object may be gone). */
  size?: number;
  weak?: boolean;
  raw?: boolean;
  heldBy?: string;
  heldThrough?: number;
  storedAt?: number;
  storedIn?: number;
  reachable?: boolean;
}

/** Bytes of collector links at the start of a GC object's block (the diagram above). */
const COLLECTOR_LINKS = 16;
/** Offset of a GC object's rtSize: the object's own bytes, fewer than the block's when the runtime
 *  reused a larger block, whose tail keeps an older object's words. */
const RT_SIZE = 12;
/** The color of a pinned object (runtime/itcms.ts `transparent`). */
const PINNED = 3;

/**
 * True when the raw block at `ptr` is a live GC object of rcalloc's AS runtime (runtime/blocks.ts):
 * AS's collector keeps every object it owns in a doubly linked list through its first two words
 * (next | color, prev), so its neighbours point back at it. A `heap.alloc` block is in no list.
 */
export function isCollectorObject(words: Uint32Array, ptr: number): boolean {
  if (ptr & 3 || ptr < 4) return false;
  const object = (ptr - 4) >>> 0; // the collector's Object starts at AS's BLOCK, 4 bytes before
  const next = (words[ptr >>> 2] & ~3) >>> 0;
  const prev = words[(ptr >>> 2) + 1];
  // each a word-aligned address inside memory whose link back is `object`
  return next !== 0 && !(next & 3) && (next >>> 2) + 2 < words.length && words[(next >>> 2) + 2] === object &&
    prev !== 0 && !(prev & 3) && (prev >>> 2) + 2 < words.length && ((words[(prev >>> 2) + 1] & ~3) >>> 0) === object;
}

/**
 * Leaves the live GC objects of rcalloc's AS runtime (isCollectorObject) out of a report's
 * `objects` and `references` (in place): the collector owns their lifetimes, so none is a leak of
 * the program. Run after markReachable, which follows what they hold. Returns how many there were
 * and their bytes, for the report's "not counted" note.
 */
export function leaveOutRuntimeObjects(
  memory: ArrayBufferLike, objects: ReachObject[], references: ReachReference[],
): { objects: number; bytes: number } {
  const words = new Uint32Array(memory);
  let count = 0;
  let bytes = 0;
  let kept = 0;
  for (const o of objects) {
    if (o.raw && isCollectorObject(words, o.ptr)) { count++; bytes += o.size; } else objects[kept++] = o;
  }
  objects.length = kept;
  if (count) {
    kept = 0;
    for (const r of references) if (!(r.raw && isCollectorObject(words, r.ptr))) references[kept++] = r;
    references.length = kept;
  }
  return { objects: count, bytes };
}

/** The label of a root pinned by the AS runtime (__pin). */
export function pinnedAt(ptr: number): string {
  return `object pinned by the AssemblyScript runtime at 0x${(ptr >>> 0).toString(16).padStart(8, "0")}`;
}

/**
 * Marks `heldBy` (and `heldThrough`) on the references (checked) or objects (unchecked) that
 * `roots` (value, what holds it, and whether it holds a block it points into: static data's
 * words; in order) and pinned GC objects reach, through the objects' payloads in `memory`. A record already marked keeps its label. `objects` are the heap's live
 * objects (GC objects included), `references` its live references (raw blocks' included).
 */
export function markReachable(
  memory: ArrayBufferLike, checked: boolean, objects: readonly ReachObject[], references: readonly ReachReference[],
  roots: Iterable<readonly [value: number, by: string, interior?: boolean]>, afterScan = false,
): void {
  const words = new Uint32Array(memory);
  // What a word may point into, by address: raw blocks (checked) or every object (unchecked). A
  // report lists objects oldest first: TimSort costs little on the runs allocation order leaves.
  const unsorted = objects.filter((o) => !checked || o.raw === true);
  const ptrOf = Uint32Array.from(unsorted, (o) => o.ptr);
  const order = Array.from({ length: unsorted.length }, (_, i) => i);
  if (ptrOf.some((p, i) => i > 0 && ptrOf[i - 1] > p)) order.sort((a, b) => ptrOf[a] - ptrOf[b]);
  const blocks = order.map((i) => unsorted[i]);
  const starts = Uint32Array.from(order, (i) => ptrOf[i]);
  const ends = Uint32Array.from(blocks, (o) => o.ptr + o.size);
  const lowest = starts.length ? starts[0] : 0;
  let highest = 0;
  for (let k = 0; k < blocks.length; k++) highest = Math.max(highest, ends[k], starts[k] + 1);

  // Checked: references by slot index (a handle's low bits), and each raw block's one reference.
  let maxSlot = -1;
  for (const r of references) if (!r.raw && r.handle) maxSlot = Math.max(maxSlot, r.handle & Handle.INDEX_MASK);
  const bySlot = new Int32Array(maxSlot + 1).fill(-1);
  const rawReference = new Int32Array(checked ? blocks.length : 0).fill(-1);
  for (let i = 0; i < references.length; i++) {
    const r = references[i];
    if (!r.raw && r.handle) bySlot[r.handle & Handle.INDEX_MASK] = i;
    else if (r.raw) {
      const k = targetHolding(r.ptr);
      if (k >= 0 && starts[k] === r.ptr) rawReference[k] = i;
    }
  }

  const scanned = new Uint8Array(blocks.length); // blocks reached, by index in `blocks`
  const scannedObjects = new Set<number>(); // checked: handles' objects reached, by address
  const pending: number[] = []; // [first word, end word, holder's payload] of payloads to scan

  /** Index in `blocks` of the one whose payload `value` points at or into, or -1. */
  function targetHolding(value: number): number {
    if (value < lowest || value >= highest) return -1;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) { // the last start <= value
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= value) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo] <= value && (value < ends[lo] || value === starts[lo]) ? lo : -1;
  }

  function mark(record: ReachObject | ReachReference, by: string, through: number | undefined): void {
    if (record.heldBy) return;
    record.heldBy = by;
    if (through !== undefined) record.heldThrough = through;
  }

  /** Queues the payload of `blocks[k]` for scanning, once. */
  function reachBlock(k: number): void {
    if (scanned[k]) return;
    scanned[k] = 1;
    const [first, end] = payloadWords(blocks[k]);
    pending.push(first, end, blocks[k].ptr);
  }

  /** The word indices [first, end) of `o`'s payload that hold values: a GC object's own bytes,
   *  past the collector's links and type and as far as its rtSize. */
  function payloadWords(o: ReachObject): [number, number] {
    let start = o.ptr;
    let end = o.ptr + o.size;
    if (o.raw && isCollectorObject(words, o.ptr)) {
      start += COLLECTOR_LINKS;
      end = Math.min(end, start + words[(o.ptr + RT_SIZE) >>> 2]);
    }
    return [(start + 3) >>> 2, Math.min(end >>> 2, words.length)];
  }

  /** Marks what `value` holds and queues the payloads it reaches. A global's own value (`through`
   *  undefined, not `interior`) holds a block only at its payload's start, or a GC object at the
   *  object (P+16): the runtime keeps addresses that are no pointers in its globals (its sweep's
   *  cursor and limit), which would hold whatever block they fall in. A word of static data
   *  (`interior`) holds a block it points into, as in LeakSanitizer: a C intrusive list's static
   *  head points at a link inside each item, a Rust HashMap in a static into its table. */
  function visit(value: number, by: string, through: number | undefined, interior = false): void {
    if (checked) {
      const slot = value & Handle.INDEX_MASK;
      const i = slot < bySlot.length ? bySlot[slot] : -1;
      const r = i >= 0 ? references[i] : undefined;
      if (r && r.handle >>> 0 === value) {
        mark(r, by, through);
        // a weak handle holds no object (its object may be gone): nothing to scan through it
        if (!r.weak && !scannedObjects.has(r.ptr)) {
          scannedObjects.add(r.ptr);
          pending.push((r.ptr + 3) >>> 2, Math.min((r.ptr + (r.size ?? 0)) >>> 2, words.length), r.ptr);
        }
      }
    }
    const k = targetHolding(value);
    if (k < 0) return;
    if (through === undefined && !interior && value !== starts[k] &&
      !(value === starts[k] + COLLECTOR_LINKS && blocks[k].raw && isCollectorObject(words, starts[k]))) return;
    if (!checked) mark(blocks[k], by, through);
    else if (rawReference[k] >= 0) mark(references[rawReference[k]], by, through);
    reachBlock(k);
  }

  /** Scans the queued payloads, each word a value `by` holds. */
  function drain(by: string): void {
    while (pending.length) {
      const holder = pending.pop()!;
      const end = pending.pop()!;
      const start = pending.pop()!;
      for (let w = start; w < end; w++) {
        const value = words[w];
        if (value) visit(value, by, holder);
      }
    }
  }

  for (const [value, by, interior] of roots) {
    if (!value) continue;
    visit(value >>> 0, by, undefined, interior === true);
    drain(by);
  }
  // Objects the AS runtime pins (__pin): roots, whatever they hold held by them.
  for (let k = 0; k < blocks.length; k++) {
    const o = blocks[k];
    if (scanned[k] || !o.raw || !isCollectorObject(words, o.ptr) || (words[o.ptr >>> 2] & 3) !== PINNED) continue;
    const by = pinnedAt(o.ptr);
    if (!checked) mark(o, by, undefined);
    else if (rawReference[k] >= 0) mark(references[rawReference[k]], by, undefined);
    reachBlock(k);
    drain(by);
  }
  if (checked && afterScan) storeRawLeaks();

  /**
   * Checked, after a scan: the wasm scan finds handles, not pointers into raw blocks, so a leaked
   * raw block stored inside another leaked object (a C list whose head was dropped) gets that
   * object as `storedIn` here, for bindings/leaks.ts's direct/indirect split.
   */
  function storeRawLeaks(): void {
    const leaked = new Uint8Array(blocks.length);
    let left = 0;
    let from = 0xffffffff;
    let to = 0;
    for (let k = 0; k < blocks.length; k++) {
      const ref = rawReference[k] >= 0 ? references[rawReference[k]] : undefined;
      if (!ref || ref.heldBy || ref.storedIn !== undefined || isCollectorObject(words, starts[k])) continue;
      leaked[k] = 1;
      left++;
      from = Math.min(from, starts[k]);
      to = Math.max(to, ends[k], starts[k] + 1);
    }
    // Holders: the objects no root reached (a word of a reached one would have reached the block).
    for (const o of objects) {
      if (!left) break;
      if (o.raw ? scanned[targetHolding(o.ptr)] : scannedObjects.has(o.ptr)) continue;
      const [first, end] = payloadWords(o);
      for (let w = first; w < end; w++) {
        const value = words[w];
        if (value < from || value >= to) continue;
        const k = targetHolding(value);
        if (k < 0 || starts[k] === o.ptr || !leaked[k]) continue;
        leaked[k] = 0;
        left--;
        const ref = references[rawReference[k]];
        ref.storedAt = w * 4;
        ref.storedIn = o.ptr;
        ref.reachable = true;
      }
    }
  }
}
