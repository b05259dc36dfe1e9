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

/** The label of a root pinned by the AS runtime (__pin). */
export function pinnedAt(ptr: number): string {
  return `object pinned by the AssemblyScript runtime at 0x${(ptr >>> 0).toString(16).padStart(8, "0")}`;
}

/**
 * Marks `heldBy` (and `heldThrough`) on the references (checked) or objects (unchecked) that
 * `roots` (value → what holds it, in order) and pinned GC objects reach, through the objects'
 * payloads in `memory`. A record already marked keeps its label. `objects` are the heap's live
 * objects (GC objects included), `references` its live references (raw blocks' included).
 */
export function markReachable(
  memory: ArrayBufferLike, checked: boolean, objects: readonly ReachObject[], references: readonly ReachReference[],
  roots: Iterable<readonly [value: number, by: string]>, afterScan = false,
): void {
  const words = new Uint32Array(memory);
  // Objects by address (a report lists them oldest first). TimSort: the runs allocation order
  // leaves in address order cost little.
  const ptrOf = new Uint32Array(objects.length);
  for (let i = 0; i < objects.length; i++) ptrOf[i] = objects[i].ptr;
  const order = Array.from({ length: objects.length }, (_, i) => i).sort((a, b) => ptrOf[a] - ptrOf[b]);
  const ptrs = Uint32Array.from(order, (i) => ptrOf[i]);
  // What a word may point into: raw blocks (checked) or every object (unchecked).
  const targets = checked ? order.filter((i) => objects[i].raw === true) : order;
  const starts = new Uint32Array(targets.length);
  const ends = new Uint32Array(targets.length);
  let highest = 0;
  for (let k = 0; k < targets.length; k++) {
    const o = objects[targets[k]];
    starts[k] = o.ptr;
    ends[k] = o.ptr + o.size;
    highest = Math.max(highest, ends[k], o.ptr + 1);
  }
  const lowest = starts.length ? starts[0] : 0;

  // Checked: references by slot index (a handle's low bits), and each raw block's one reference.
  let maxSlot = -1;
  for (const r of references) if (!r.raw && r.handle) maxSlot = Math.max(maxSlot, r.handle & Handle.INDEX_MASK);
  const bySlot = new Int32Array(maxSlot + 1).fill(-1);
  const rawReference = new Int32Array(checked ? objects.length : 0).fill(-1);
  references.forEach((r, i) => {
    if (!r.raw && r.handle) bySlot[r.handle & Handle.INDEX_MASK] = i;
    else if (r.raw) {
      const at = objectAt(r.ptr);
      if (at >= 0) rawReference[at] = i;
    }
  });

  const scanned = new Uint8Array(objects.length);
  const pending: number[] = [];

  /** Index in `objects` of the object whose payload is at `ptr`, or -1. */
  function objectAt(ptr: number): number {
    let lo = 0;
    let hi = ptrs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (ptrs[mid] < ptr) lo = mid + 1;
      else if (ptrs[mid] > ptr) hi = mid - 1;
      else return order[mid];
    }
    return -1;
  }

  /** Index in `objects` of the target whose payload `value` points at or into, or -1. */
  function targetHolding(value: number): number {
    if (value < lowest || value >= highest) return -1;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) { // the last start <= value
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= value) lo = mid;
      else hi = mid - 1;
    }
    return starts[lo] <= value && (value < ends[lo] || value === starts[lo]) ? targets[lo] : -1;
  }

  function mark(record: ReachObject | ReachReference, by: string, through: number | undefined): void {
    if (record.heldBy) return;
    record.heldBy = by;
    if (through !== undefined) record.heldThrough = through;
  }

  function reach(index: number): void {
    if (scanned[index]) return;
    scanned[index] = 1;
    pending.push(index);
  }

  /** Marks what `value` holds and queues its object for scanning. */
  function visit(value: number, by: string, through: number | undefined): void {
    if (checked) {
      const slot = bySlot.length ? value & Handle.INDEX_MASK : -1;
      const ref = slot >= 0 && slot < bySlot.length ? bySlot[slot] : -1;
      if (ref >= 0 && references[ref].handle >>> 0 === value) {
        mark(references[ref], by, through);
        const at = objectAt(references[ref].ptr); // a weak handle's object may be gone
        if (at >= 0) reach(at);
      }
    }
    const at = targetHolding(value);
    if (at < 0) return;
    if (checked) {
      const ref = rawReference[at];
      if (ref >= 0) mark(references[ref], by, through);
    } else {
      mark(objects[at], by, through);
    }
    reach(at);
  }

  /** The word indices [start, end) of `o`'s payload that hold values (a GC object's links left out). */
  function payloadWords(o: ReachObject): [number, number] {
    let start = o.ptr;
    let end = o.ptr + o.size;
    if (o.raw && isCollectorObject(words, o.ptr)) {
      start += COLLECTOR_LINKS;
      end = Math.min(end, start + words[(o.ptr + RT_SIZE) >>> 2]);
    }
    return [(start + 3) >>> 2, Math.min(end >>> 2, words.length)];
  }

  /** Scans the queued objects' payloads, each word a value `by` holds. */
  function drain(by: string): void {
    while (pending.length) {
      const o = objects[pending.pop()!];
      const [start, end] = payloadWords(o);
      for (let w = start; w < end; w++) {
        const value = words[w];
        if (value) visit(value, by, o.ptr);
      }
    }
  }

  for (const [value, by] of roots) {
    if (!value) continue;
    visit(value >>> 0, by, undefined);
    drain(by);
  }
  // Objects the AS runtime pins (__pin): roots, whatever they hold held by them.
  for (let i = 0; i < objects.length; i++) {
    const o = objects[i];
    if (scanned[i] || !o.raw || !isCollectorObject(words, o.ptr) || (words[o.ptr >>> 2] & 3) !== PINNED) continue;
    const by = pinnedAt(o.ptr);
    if (checked && rawReference[i] >= 0) mark(references[rawReference[i]], by, undefined);
    else if (!checked) mark(objects[i], by, undefined);
    reach(i);
    drain(by);
  }
  if (checked && afterScan) storeRawLeaks();

  /**
   * Checked, after a scan: the wasm scan finds handles, not pointers into raw blocks, so a leaked
   * raw block stored inside another leaked object (a C list whose head was dropped) gets that
   * object as `storedIn` here, for bindings/leaks.ts's direct/indirect split.
   */
  function storeRawLeaks(): void {
    const leaked = new Uint8Array(objects.length);
    let left = 0;
    let from = 0xffffffff;
    let to = 0;
    for (const i of targets) {
      const ref = rawReference[i] >= 0 ? references[rawReference[i]] : undefined;
      if (!ref || ref.heldBy || ref.storedIn !== undefined || isCollectorObject(words, objects[i].ptr)) continue;
      leaked[i] = 1;
      left++;
      from = Math.min(from, objects[i].ptr);
      to = Math.max(to, objects[i].ptr + Math.max(objects[i].size, 1));
    }
    // Holders: the objects no root reached (a word of a reached one would have reached the block).
    for (let i = 0; i < objects.length && left; i++) {
      if (scanned[i]) continue;
      const [start, end] = payloadWords(objects[i]);
      for (let w = start; w < end; w++) {
        const value = words[w];
        if (value < from || value >= to) continue;
        const at = targetHolding(value);
        if (at < 0 || at === i || !leaked[at]) continue;
        leaked[at] = 0;
        left--;
        const ref = references[rawReference[at]];
        ref.storedAt = w * 4;
        ref.storedIn = objects[i].ptr;
        ref.reachable = true;
      }
    }
  }
}
