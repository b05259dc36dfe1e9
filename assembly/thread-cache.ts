// === Thread caches (shared builds): each thread's own small free blocks, no lock ===
//
// (The shared checked build uses them too: each thread's own quarantine evicts into its cache
// without the lock (thread-deaths.ts), and the shared quarantine's evictions into the evicting
// thread's (blocks.ts freeDeadBlock); its lock-free allocs take blocks there: fast-references.ts.)
//
// In the shared unchecked build an alloc of a small block and the last put of a small object
// go through the thread's cache when they can, without the heap lock (shared.ts), as mimalloc's
// thread-local free lists: exact-size LIFO lists like blocks.ts's quick lists, one set per
// thread. A block in a thread cache is a cached block in every other respect (layout.ts: used
// in TLSF's eyes, count word 0, next at +8), so the heap walk sees it as cached.
//
// A cache holds at most CACHE_MAX_BYTES: a put that would pass it goes the locked way (to the
// shared quick lists, whence any thread allocates), so a thread that only frees what others
// allocated (a consumer) cannot hoard memory. A thread's cache is given back to TLSF, under the
// lock, when it detaches (detachThread, which also takes the cache away from the
// instance: cache 0, every later alloc and last put go the locked way), and an allocation that
// memory cannot grow for flushes this thread's cache (blocks.ts reclaim). Other threads' caches
// (up to 64 KiB each) are theirs: only they can give them back (or reclaimThread, once the
// thread is gone).
//
// Each thread's cache starts on its own 64-byte cache line (CACHE_STRIDE), so one thread's
// pushes and pops never invalidate the line another thread's cache is on.
//
// ╒═══════ A thread's cache (CACHE_STRIDE bytes of THREAD_CACHES, by thread number) ═══════╕
// +0            bytes cached (sum of the cached blocks' sizes)
// +size / 4     head of the list of cached blocks of `size` bytes (16 .. QUICK_MAX), or 0

import { MAX_THREADS, QUICK_MAX } from "./config";
import { corrupt } from "./errors";
import { COUNT, FREE, INFO, SIZE } from "./layout";
import { freeCachedList } from "./tlsf";

// @ts-ignore: decorator
@inline const CACHE_STRIDE: usize = ((QUICK_MAX >> 2) + 4 + 63) & ~63;
// @ts-ignore: decorator
@inline export const CACHE_MAX_BYTES: u32 = 64 << 10;
// @ts-ignore: decorator
@inline export const THREAD_CACHES_BYTES: usize = <usize>MAX_THREADS * CACHE_STRIDE;
// @ts-ignore: decorator (lazy: only the shared builds reserve it)
@lazy export const THREAD_CACHES: usize = memory.data(<i32>THREAD_CACHES_BYTES, 64);

/** This thread's cache (0 until useThreadCache, and after dropThreadCache). */
let cache: usize = 0;

/** Gives this instance the cache of thread `number` (claimThread). */
export function useThreadCache(number: u32): void {
  cache = THREAD_CACHES + <usize>number * CACHE_STRIDE;
}

/** Takes the cache away (detachThread, after flushing it): the next instance to get this thread
 *  number gets the cache, and this one must never touch it again. */
export function dropThreadCache(): void {
  cache = 0;
}

/** A cached block of exactly `size` bytes (≤ QUICK_MAX) from this thread's cache, or 0. */
// @ts-ignore: decorator
@inline export function popCached(size: usize): usize {
  if (!cache) return 0;
  let head = cache + (size >> 2);
  let block = <usize>load<u32>(head);
  if (block) {
    store<u32>(head, load<u32>(block, 8));
    store<u32>(cache, load<u32>(cache) - <u32>size);
  }
  return block;
}

/** Caches the used `block` of `size` bytes (≤ QUICK_MAX) here; false when the cache is full. */
// @ts-ignore: decorator
@inline export function pushCached(block: usize, size: usize): bool {
  if (!cache) return false;
  let bytes = load<u32>(cache) + <u32>size;
  if (bytes > CACHE_MAX_BYTES) return false;
  let head = cache + (size >> 2);
  store<u32>(block, 0, 4);
  store<u32>(block, load<u32>(head), 8);
  store<u32>(head, block);
  store<u32>(cache, bytes);
  return true;
}

/** Gives every block of this thread's cache back to the heap (TLSF). The heap lock is held. */
export function flushThreadCache(): void {
  if (cache) flushCache(cache);
}

/** Gives every block of thread `number`'s cache back to the heap: a thread that ended
 *  without detaching (reclaimThread). The heap lock is held and that thread never runs again. */
export function flushCacheOfThread(number: u32): void {
  flushCache(THREAD_CACHES + <usize>number * CACHE_STRIDE);
}

/** Empties the cache at `cache` into TLSF, where its blocks coalesce (not onto the shared quick
 *  lists: this file stays below blocks.ts, and a flush comes when memory is short or a thread
 *  leaves, when coalescing is what is wanted). */
function flushCache(cache: usize): void {
  for (let size: usize = 16; size <= QUICK_MAX; size += 16) freeCachedList(cache + (size >> 2));
  store<u32>(cache, 0);
}

/** validate(): checks every thread's cache (no thread may run meanwhile) and returns how many
 *  blocks they hold, which the heap's cached blocks must account for. */
export function validateThreadCaches(heapStart: usize, tail: usize): u32 {
  let cached: u32 = 0;
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let at = THREAD_CACHES + <usize>t * CACHE_STRIDE;
    let bytes: u32 = 0;
    for (let size: usize = 16; size <= QUICK_MAX; size += 16) {
      for (let b = <usize>load<u32>(at + (size >> 2)); b; b = load<u32>(b, 8)) {
        if (b < heapStart || b >= tail || ((b + 8) & 15)) corrupt("rcalloc validate: a thread cache points outside the heap", b);
        if ((INFO(b) & FREE) || COUNT(b) != 0) corrupt("rcalloc validate: a thread cache holds a block that is not cached", b);
        if (SIZE(b) != size) corrupt("rcalloc validate: cached block in the wrong thread-cache list", b);
        bytes += <u32>size;
        if (bytes > CACHE_MAX_BYTES) corrupt("rcalloc validate: a thread cache holds more than its limit (cycle?)", b);
        cached++;
      }
    }
    if (bytes != load<u32>(at)) corrupt("rcalloc validate: a thread cache's byte count is wrong", at);
  }
  return cached;
}
