// === The AS runtime's blocks on rcalloc: raw blocks, and the sites that tell who holds them ===
//
// Every block AssemblyScript asks for is one raw rcalloc block (assembly/pointers.ts: mallocAt,
// freeAt, reallocAt), held by its address, with no handle and no header of the runtime's own:
//   - GC objects (`new`, strings, arrays, buffers), through the collector (./itcms.ts), which owns
//     their lifetimes: allocated with GC_ALLOC_SITE; a swept block is reused by the runtime
//     (./cache.ts) or freed with freeCollected (assembly/pointers.ts): checked to be a live raw
//     block, then reused at once — no poison, no quarantine, since only unsafe code can still
//     point at an object the collector found unreachable (that check was 12% of a checked
//     strings/Maps run);
//   - unmanaged blocks (`heap.alloc`, `heap.realloc`, `heap.free`), with site 0: a linked module
//     run with `stacks` (as `rcalloc check` does) gets the caller's wasm frame as the site.
// So the checked build checks AS memory at the block level: a second `heap.free` is a DOUBLE_PUT
// naming the alloc and the first free, a write to a freed `heap.alloc` block a WRITE_AFTER_FREE
// (quarantine), and a `heap.alloc` block never freed a leak with its site. A live GC object is a
// raw block too; the leak report leaves it out because the collector links it
// (bindings/link.ts programReport).
//
// ╒═══════════ A GC object on a raw rcalloc block (P: payload, 16-byte aligned) ══════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┤
// │    rcalloc's block header (8 bytes unchecked, 24 checked: assembly/layout.ts)    │ P-8 / P-24
// ╞═══════════════════════════════════════════════════════════════════════════════════╡
// │ next | color   (~lib/rt/common OBJECT, as the collector keeps it)          │ C │ P+0  = __alloc's result
// ├───────────────────────────────────────────────────────────────────────────────────┤
// │ prev                                                                              │ P+4
// ├───────────────────────────────────────────────────────────────────────────────────┤
// │ rtId                                                                              │ P+8
// ├───────────────────────────────────────────────────────────────────────────────────┤
// │ rtSize                                                                            │ P+12
// ╞═══════════════════════════════════════════════════════════════════════════════════╡
// │ the object (16-byte aligned)                                                      │ P+16
// └───────────────────────────────────────────────────────────────────────────────────┘
// AS's `mmInfo` (the block's capacity, at P-4 under TLSF) does not exist here: P-4 is rcalloc's
// header. Nothing reads it: ./itcms.ts, the one reader, takes sizes from rtSize instead.
// A binary-trees node is 32 bytes on this runtime (unchecked), as on AS's own TLSF.
//
// Locality: rcalloc caches freed small blocks on LIFO quick lists (assembly/blocks.ts), which
// would hand a sweep's garbage back in the order it was freed — the collector's list order,
// scattered over memory: new objects, and the collector's walks of its lists, then miss the cache
// at every step (binary-trees depth 14: 3× slower). So the sweep only marks what it frees, and
// when it ends the runtime takes those blocks highest address first (./freed.ts) into a cache of
// its own (./cache.ts, no allocator call per object) or back to the allocator: both hand them
// out lowest first, side by side, as carving them from one free block would.

import { BLOCK_MAXSIZE } from "~lib/rt/common";
import { E_ALLOCATION_TOO_LARGE } from "~lib/util/error";

/** Site of every GC object's allocation: an AS string in static data (bindings/sites.ts). */
// @ts-ignore: decorator
@inline export function GC_ALLOC_SITE(): u32 {
  return 0xC0000000 | <u32>changetype<usize>("AssemblyScript GC object (collector)");
}

/** The size as rcalloc's u32, refusing what AS refuses too (blocks up to BLOCK_MAXSIZE). */
// @ts-ignore: decorator
@inline export function blockSize(size: usize): u32 {
  if (size > BLOCK_MAXSIZE) throw new Error(E_ALLOCATION_TOO_LARGE);
  return <u32>size;
}

/** A swept block (payload) on its way back to the allocator, its collector links (next | color,
 *  prev) cleared: a `heap.alloc` block that reuses it without writing its first words would keep
 *  them, pointing at freed neighbours that point back, and the leak report would take that leak
 *  for a collector object (bindings/reachability.ts isCollectorObject). */
// @ts-ignore: decorator
@inline export function unlinked(block: usize): usize {
  store<u64>(block, 0);
  return block;
}

/** `block` unless 0 (rcalloc's memory is exhausted): then abort, as AS's own runtime does. */
// @ts-ignore: decorator
@inline export function allocated(block: usize): usize {
  if (!block) outOfMemory();
  return block;
}

function outOfMemory(): void {
  throw new Error("rcalloc runtime: out of memory");
}
