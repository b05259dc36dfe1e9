// === The block allocator: quick lists and size classes in front of TLSF, and the growth policy ===
//
// Medium blocks (QUICK_MAX < size <= CLASS_MAX) are rounded up to a size class and cached on
// its list when freed (size-classes.ts), the same way: no coalescing while cached, flushed into
// TLSF before memory grows.
//
// Small blocks (whole size <= QUICK_MAX) are cached on exact-size LIFO lists when freed and
// handed out again in O(1) with two loads and a store. The cached blocks stay "used" in TLSF's
// eyes, so they never coalesce while cached; when TLSF cannot serve a request, every quick list
// is flushed into TLSF (coalescing) before memory grows, so caching never grows the heap.
// This layer has no policy about objects: when it returns 0, the lifecycle layer above decides
// what else to give back (the checked build's quarantine) and asks again (lifecycle.ts).
//
// The cached block's layout, pop and push: quick-lists.ts (shared with a linked module).
// QUICK_HEADS[size / 16] is the head of the list for blocks of `size` bytes.

import { CHECKED, CLASS_MAX, HEADER, QUICK_MAX, SHARED } from "./config";
import { DEAD, FREE, INFO, LEFTFREE, markInternal, PAIRED, SETINFO, SIZE, TAGS_MASK } from "./layout";
import { CLASS_MIN, classCapacity, classOf, flushClassLists, popClass, popLargerClass, pushClass } from "./size-classes";
import { blockSizeFor, popQuick, pushQuick } from "./quick-lists";
import { flushThreadCache, pushCached } from "./thread-cache";
import { BACK, freeBlockToLists, freeCachedList, growMemory, heapStart, initHeap, tail, takeFit } from "./tlsf";

const QUICK_CLASSES: usize = (QUICK_MAX >> 4) + 1;
// @ts-ignore: decorator
@inline export const QUICK_HEADS_BYTES: usize = QUICK_CLASSES << 2;
export const QUICK_HEADS: usize = memory.data(<i32>QUICK_HEADS_BYTES, 16);
/** Scratch for sortQuickLists: the last block threaded onto each list so far. */
export const QUICK_TAILS: usize = memory.data(<i32>QUICK_HEADS_BYTES, 16);


/** A cached block of exactly `size` bytes (<= QUICK_MAX), or 0: allocBlock's common case alone
 *  (lifecycle.ts newObject: its fallback is a call of its own). */
// @ts-ignore: decorator
@inline export function takeQuickBlock(size: usize): usize { return popQuick(QUICK_HEADS, size); }

/** A used block of at least `size` bytes (multiple of 16), or 0 when memory is exhausted:
 *  exactly `size` up to QUICK_MAX, its class's capacity (or more) up to CLASS_MAX (SIZE() tells). */
// @ts-ignore: decorator
@inline export function allocBlock(size: usize): usize {
  if (size <= QUICK_MAX) {
    let block = takeQuickBlock(size);
    return block ? block : allocFromLists(size);
  }
  return size <= CLASS_MAX ? allocClassBlock(size) : allocFromLists(size);
}

/** A block of `size`'s class: cached, else carved from TLSF at the class's capacity, else a
 *  cached block of a larger class (within 2x), else what reclaim() finds after flushing. */
function allocClassBlock(size: usize): usize {
  let k = classOf(size);
  let block = popClass(k);
  if (block) return block;
  if (!tail && !initHeap()) return 0;
  let capacity = classCapacity(k);
  block = takeFit(capacity);
  if (block) return block;
  block = popLargerClass(k);
  return block ? block : reclaim(capacity);
}

/** Smallest block a growing object moves into at its exact size (allocGrownBlock). */
// @ts-ignore: decorator
@inline export const EXACT_GROWTH_MIN: usize = 8192;

/**
 * A block of at least `size` bytes for an object a resize moves out of its block of `from`
 * bytes. Unchecked, one that grows by half or more into the top size classes (an array doubling)
 * takes exactly `size` bytes from TLSF first: it seldom comes back to its old class, and a block
 * of its new class (cached, or carved at the class's capacity, up to 12.5% more) kept the free
 * space split (the workload example linked at load: 9 pages against 8, AS incremental 8). Small
 * steps (a buffer growing by a few bytes) and smaller blocks keep the class lists' speed. The
 * checked build quarantines the block a move leaves, and there exact fits split the free space
 * instead (the same workload: 27 pages, 30 after 1000 runs where class blocks stay at 27).
 */
// @ts-ignore: decorator
@inline export function allocGrownBlock(size: usize, from: usize): usize {
  if (!CHECKED && size - EXACT_GROWTH_MIN <= CLASS_MAX - EXACT_GROWTH_MIN && size >= from + (from >> 1)) {
    if (!tail && !initHeap()) return 0;
    let block = takeFit(size);
    if (block) return block;
  }
  return allocBlock(size);
}

/** Gives back a used block of `size` bytes. */
// @ts-ignore: decorator
@inline export function freeBlock(block: usize, size: usize): void {
  if (size <= QUICK_MAX) {
    pushQuick(QUICK_HEADS, block, size);
  } else if (size - CLASS_MIN <= CLASS_MAX - CLASS_MIN && !((INFO(block) & LEFTFREE) && SIZE(BACK(block)) >= size)) {
    // Cached unless a larger free block lies just before it: cached there, it would split that
    // hole from what follows, and the heap grew instead (AS strings/Maps, link unchecked: 37
    // pages, 33 coalescing). BACK is the word before the header, on the same cache line.
    pushClass(block, size);
  } else {
    freeBlockToLists(block);
  }
}

/** Bytes an empty quick list of blocks up to REFILL_MAX bytes takes from TLSF at once, unchecked,
 *  once memory has REFILL_PAGES pages (4 MiB; allocFromLists). The runs split free memory:
 *  refilling blocks of up to 256 bytes grew the LIFO churn replay (bench/replay.js) from 3 to 4
 *  pages, and any refill grew AS strings/Maps (linked) from 33 to 37 pages; binary-trees' heaps
 *  (365 pages at depth 16, 4282 at depth 20) kept their page counts. */
// @ts-ignore: decorator
@inline const REFILL_BYTES: usize = 512;
// @ts-ignore: decorator
@inline const REFILL_MAX: usize = 64;
// @ts-ignore: decorator
@inline const REFILL_PAGES: i32 = 64;

/**
 * A block of `size` from TLSF, else reclaim(). Unchecked, in a heap of REFILL_PAGES or more, a
 * size up to REFILL_MAX (its quick list is empty) takes a run of REFILL_BYTES carved side by
 * side, and caches the rest behind the first (lowest first): a run of new small objects then
 * pops them (here or in a linked module, runtime/imports.ts) instead of a TLSF carve each, which
 * was most of the allocations of AS binary-trees at depth 20 (8.56M mallocAt calls into the
 * allocator's instance for 9.8M objects, takeFit 9% of the run). Cached blocks never grow the
 * heap (reclaim flushes them first); without room for the run, one block as before.
 */
function allocFromLists(size: usize): usize {
  if (!tail && !initHeap()) return 0;
  if (!CHECKED && !SHARED && size <= REFILL_MAX && memory.size() >= REFILL_PAGES) {
    let run = takeRun(size);
    if (run) return run;
  }
  let block = takeFit(size);
  return block ? block : reclaim(size);
}

/** REFILL_BYTES / size blocks of `size` from TLSF: the first, the rest on its quick list; or 0. */
// @ts-ignore: decorator
@inline function takeRun(size: usize): usize {
  let count = REFILL_BYTES / size;
  let block = takeFit(size * count);
  if (!block) return 0;
  SETINFO(block, <u32>size | (INFO(block) & LEFTFREE));
  for (let spare = block + size * (count - 1); spare > block; spare -= size) {
    SETINFO(spare, <u32>size);
    pushQuick(QUICK_HEADS, spare, size);
  }
  return block;
}

/** A block of `size` after giving back the quick lists, then growing memory. The shared builds
 *  give back this thread's cache only when memory cannot grow (the lock is held and only
 *  this thread touches it): flushing it at every growth emptied it each time another thread's
 *  cache held the free memory, and every alloc after that took the lock (8,000-28,000 lock takes
 *  per 1M operations instead of 120, bench/threads.js with 2 workers). So a thread cache may keep
 *  up to CACHE_MAX_BYTES over the heap's need (thread-cache.ts), and never makes an allocation
 *  fail. */
function reclaim(size: usize): usize {
  flushClassLists();
  flushQuickLists();
  let block = takeFit(size);
  if (block) return block;
  if (SHARED) return growMemory(size) ? takeFit(size) : afterFlushingThreadCache(size);
  return growMemory(size) ? takeFit(size) : 0;
}

/** The shared unchecked build's last resort: this thread's cache back to TLSF, then a fit. */
function afterFlushingThreadCache(size: usize): usize {
  flushThreadCache();
  flushQuickLists();
  return takeFit(size);
}

/** A block with room for `bytes` after the header, for the allocator's own use (table chunk,
 *  pairs, scan results), marked internal so the walk and validate() tell it from objects; 0 when
 *  memory is exhausted. */
export function allocInternal(bytes: usize): usize {
  let block = allocBlock(blockSizeFor(bytes, HEADER));
  if (block) markInternal(block);
  return block;
}

/** Gives back a block of allocInternal(). */
export function freeInternal(block: usize): void {
  freeBlock(block, SIZE(block));
}

/** Gives back a dead block (its object's flags cleared) once nothing holds it any more. */
// @ts-ignore: decorator
@inline export function freeDeadBlock(block: usize): void {
  freeDeadBlockOf(block, INFO(block));
}

/** freeDeadBlock() of a block whose info word `info` the caller has read. */
// @ts-ignore: decorator
@inline export function freeDeadBlockOf(block: usize, info: u32): void {
  info &= ~(PAIRED | DEAD);
  SETINFO(block, info);
  let size = <usize>(info & ~TAGS_MASK);
  // Shared checked: to the cache of the thread that evicts it (the lock is held), whose
  // lock-free allocs take it (fast-references.ts); the shared lists when the cache is full.
  if (SHARED && CHECKED && size <= QUICK_MAX && pushCached(block, size)) return;
  freeBlock(block, size);
}

/** Returns every quick-list block to TLSF, where it coalesces with its neighbours. */
export function flushQuickLists(): void {
  for (let c: usize = 1; c < QUICK_CLASSES; c++) freeCachedList(QUICK_HEADS + (c << 2));
}

/**
 * Rethreads every quick list in address order, lowest first, with one walk of the heap: nothing
 * moves or coalesces. For a caller that has just freed many small blocks in an order unrelated
 * to their addresses (rcalloc's AS runtime, when the collector's sweep ends: runtime/blocks.ts),
 * so the blocks come back in address order and new objects sit next to each other, as carving
 * them from one free block would give, without TLSF's coalescing per block.
 */
export function sortQuickLists(): void {
  if (!tail) return;
  memory.fill(QUICK_HEADS, 0, QUICK_CLASSES << 2);
  memory.fill(QUICK_TAILS, 0, QUICK_CLASSES << 2);
  for (let block = heapStart; block < tail; ) {
    let info = INFO(block);
    let size = <usize>(info & ~TAGS_MASK);
    // Cached: used in TLSF's eyes (not FREE), not DEAD, count word 0 (layout.ts, block states).
    if (!(info & (FREE | DEAD)) && size <= QUICK_MAX && load<u32>(block, 4) == 0) {
      let at = size >> 2;
      let last = <usize>load<u32>(QUICK_TAILS + at);
      store<u32>(last ? last + 8 : QUICK_HEADS + at, <u32>block);
      store<u32>(QUICK_TAILS + at, <u32>block);
      store<u32>(block, 0, 8);
    }
    block += size;
  }
  memory.fill(QUICK_TAILS, 0, QUICK_CLASSES << 2); // all 0 outside this call: validate() checks
}
