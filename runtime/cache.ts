// === The runtime's own cache of swept blocks: reused with no call into the allocator ===
//
// When a sweep ends (./freed.ts gives its blocks back highest address first), each block of up to
// CACHE_MAX bytes goes to a list of its capacity class here instead of to the allocator, and the
// next object of the class takes the head: the lowest address, so objects still come out side by
// side. Linked at load, that saves two calls into the allocator's instance per object against
// the checked build; against the unchecked build both would be quick-list steps in the module
// (./imports.ts mallocAt, freeCollected), and strings/Maps measured the same with or without
// this cache there.
//
// Each class is a circular doubly linked list in the collector's own format (next | color, prev:
// the object's first two words, ./itcms.ts), around a sentinel in static data, so the leak report
// counts a cached block as the runtime's, like a live GC object (bindings/link.ts programReport,
// bindings/reachability.ts isCollectorObject). Memory: when a sweep ends, a class first gives
// back to the allocator the blocks it has held since the previous sweep ended without reusing them
// (the list's tail), so the cache holds at most about one collector cycle's garbage of each
// class; a full collection (__collect) gives everything back, so a report after it shows only
// live objects.
//
// Capacity classes: a request of r bytes (AS's 16-byte object header + the object, r ≤ CACHE_MAX)
// is class (r + 23) >> 4 and is asked of the allocator as capacityFor(r) = 16·class − 8 bytes.
// rcalloc's block header is 8 bytes (24 checked), so that is the whole payload of the block r
// bytes would get anyway (no memory cost); any request of a class then fits any block of it, and
// the size the allocator records for the block (the checked build's scan reads it) covers it.
//
// ╒════ Sentinel of a class (16 bytes; +4 and +8 are where an Object keeps next and prev) ════╕
// +0  count   blocks in the class
// +4  next    the head: the block to hand out next (its Object: payload − 4); the sentinel if empty
// +8  prev    the tail
// +12 stale   blocks held since the previous sweep ended and not taken since (at the tail)

import { BLOCK_OVERHEAD } from "~lib/rt/common";

/** Largest request (object header included) the cache serves. */
// @ts-ignore: decorator
@inline const CACHE_MAX: usize = 1000;
// @ts-ignore: decorator
@inline const CLASSES: usize = ((CACHE_MAX + 23) >> 4) + 1;
const SENTINELS: usize = memory.data(<i32>(CLASSES << 4), 16);

// @ts-ignore: decorator
@inline function NEXT(o: usize): usize { return <usize>load<u32>(o, 4); }
// @ts-ignore: decorator
@inline function SETNEXT(o: usize, v: usize): void { store<u32>(o, <u32>v, 4); }
// @ts-ignore: decorator
@inline function PREV(o: usize): usize { return <usize>load<u32>(o, 8); }
// @ts-ignore: decorator
@inline function SETPREV(o: usize, v: usize): void { store<u32>(o, <u32>v, 8); }

// @ts-ignore: decorator
@inline function sentinelOf(request: usize): usize { return SENTINELS + (((request + 23) >> 4) << 4); }

/** The bytes to ask the allocator for, for a request of `request` bytes: its class's capacity. */
// @ts-ignore: decorator
@inline export function capacityFor(request: usize): usize {
  return request <= CACHE_MAX ? ((request + 23) & ~15) - 8 : request;
}

/** The head block of the class of `request` (its payload), or 0. */
// @ts-ignore: decorator
@inline export function takeCached(request: usize): usize {
  if (request > CACHE_MAX) return 0;
  let s = sentinelOf(request);
  let o = NEXT(s);
  if (o == s || !o) return 0; // empty (0: never used)
  let next = NEXT(o);
  SETNEXT(s, next);
  SETPREV(next, s);
  let count = load<u32>(s) - 1;
  store<u32>(s, count);
  if (load<u32>(s, 12) > count) store<u32>(s, count, 12);
  return o + BLOCK_OVERHEAD;
}

/** Puts the swept block (payload `block`) of an object of `request` bytes at the head of its
 *  class; false when the request is too large to cache: the caller frees the block. */
export function cacheBlock(block: usize, request: usize): bool {
  if (request > CACHE_MAX) return false;
  let s = sentinelOf(request);
  let first = NEXT(s);
  if (!first) { // first use: the empty list
    first = s;
    SETPREV(s, s);
  }
  let o = block - BLOCK_OVERHEAD;
  SETNEXT(o, first);
  SETPREV(o, s);
  SETPREV(first, o);
  SETNEXT(s, o);
  store<u32>(s, load<u32>(s) + 1);
  return true;
}

/** takeStale: the first class that may still hold stale blocks. */
let staleFrom: usize = 0;

/** Before a sweep's blocks come in: the next block (payload) a class held since the previous
 *  sweep ended without reusing it (highest address first), out of the cache, for the allocator;
 *  0 when none is left. */
export function takeStale(): usize {
  if (!staleFrom) staleFrom = SENTINELS;
  for (let s = staleFrom; s < SENTINELS + (CLASSES << 4); s += 16) {
    let stale = load<u32>(s, 12);
    if (!stale) continue;
    staleFrom = s;
    let o = PREV(s);
    let prev = PREV(o);
    SETPREV(s, prev);
    SETNEXT(prev, s);
    store<u32>(s, load<u32>(s) - 1);
    store<u32>(s, stale - 1, 12);
    return o + BLOCK_OVERHEAD;
  }
  staleFrom = 0;
  return 0;
}

/** After a sweep's blocks came in: everything cached now is stale at the next sweep's end (and
 *  at once, for a full collection: ./linked.ts, ./builtin.ts __collected). */
export function markStale(): void {
  for (let s = SENTINELS; s < SENTINELS + (CLASSES << 4); s += 16) store<u32>(s, load<u32>(s), 12);
}
