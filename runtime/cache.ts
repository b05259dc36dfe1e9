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
// counts a cached block as the runtime's, like a live GC object (bindings/link.ts,
// isCollectorObject). Memory: blocks a class has held since the sweep before the last one ended,
// without reusing them (old: the list's tail), go back to the allocator just before the runtime
// next asks it for memory (./linked.ts, ./builtin.ts releaseOld), so they can serve that request
// or any other size; a full collection (__collect) gives everything back, so a report after it
// shows only live objects. Given back at each sweep's end instead, as before, a class whose use
// swings from cycle to cycle gave its leftovers back and asked for as many again within the same
// cycle (binary-trees depth 16: ~300,000 blocks each way a run, each a call into the allocator's
// instance when linked, and its checks in the checked build); now a program whose every new
// object comes from the cache makes no allocator call at all.
//
// Capacity classes: a request of r bytes (AS's 16-byte object header + the object, r ≤ CACHE_MAX)
// is class (r + 23) >> 4 and is asked of the allocator as capacityFor(r) = 16·class − 8 bytes.
// rcalloc's block header is 8 bytes (24 checked), so that is the whole payload of the block r
// bytes would get anyway (no memory cost); any request of a class then fits any block of it, and
// the size the allocator records for the block (the checked build's scan reads it) covers it.
//
// ╒════ Sentinel of a class (32 bytes; +4 and +8 are where an Object keeps next and prev) ════╕
// +0  count   blocks in the class
// +4  next    the head: the block to hand out next (its Object: payload − 4); the sentinel if empty
// +8  prev    the tail
// +12 stale   blocks held since the previous sweep ended and not taken since (at the tail)
// +16 old     blocks held since the sweep before that ended and not taken since (old ≤ stale,
//             the tail-most): given back before the next allocator request (takeOld)
// +20 .. +31 unused (a sentinel's offset is its class shifted by SENTINEL_BITS)

import { BLOCK_OVERHEAD } from "~lib/rt/common";

/** Largest request (object header included) the cache serves. */
// @ts-ignore: decorator
@inline const CACHE_MAX: usize = 1000;
// @ts-ignore: decorator
@inline const CLASSES: usize = ((CACHE_MAX + 23) >> 4) + 1;
// @ts-ignore: decorator
@inline const SENTINEL_BITS: usize = 5;
const SENTINELS: usize = memory.data(<i32>(CLASSES << SENTINEL_BITS), 16);
// @ts-ignore: decorator
@inline const SENTINELS_END: usize = SENTINELS + (CLASSES << SENTINEL_BITS);

// @ts-ignore: decorator
@inline function NEXT(o: usize): usize { return <usize>load<u32>(o, 4); }
// @ts-ignore: decorator
@inline function SETNEXT(o: usize, v: usize): void { store<u32>(o, <u32>v, 4); }
// @ts-ignore: decorator
@inline function PREV(o: usize): usize { return <usize>load<u32>(o, 8); }
// @ts-ignore: decorator
@inline function SETPREV(o: usize, v: usize): void { store<u32>(o, <u32>v, 8); }

// @ts-ignore: decorator
@inline function sentinelOf(request: usize): usize { return SENTINELS + (((request + 23) >> 4) << SENTINEL_BITS); }
// @ts-ignore: decorator
@inline function COUNT(s: usize): u32 { return load<u32>(s); }
// @ts-ignore: decorator
@inline function STALE(s: usize): u32 { return load<u32>(s, 12); }
// @ts-ignore: decorator
@inline function OLD(s: usize): u32 { return load<u32>(s, 16); }

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
  let count = COUNT(s) - 1;
  store<u32>(s, count);
  if (STALE(s) > count) store<u32>(s, count, 12);
  if (OLD(s) > count) store<u32>(s, count, 16);
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

/** takeOld: the first class that may still hold old blocks. */
let oldFrom: usize = 0;
/** True from a sweep's end until takeOld has given back every old block. */
let oldLeft: bool = false;

/** True when classes may hold old blocks: the memory manager gives them back (takeOld) before
 *  it next asks the allocator for memory. */
// @ts-ignore: decorator
@inline export function hasOld(): bool { return oldLeft; }

/** The next old block (payload) of a class, highest address first, out of the cache, for the
 *  allocator; 0 when none is left. */
export function takeOld(): usize {
  if (!oldFrom) oldFrom = SENTINELS;
  for (let s = oldFrom; s < SENTINELS_END; s += 1 << SENTINEL_BITS) {
    let old = OLD(s);
    if (!old) continue;
    oldFrom = s;
    let o = PREV(s);
    let prev = PREV(o);
    SETPREV(s, prev);
    SETNEXT(prev, s);
    store<u32>(s, COUNT(s) - 1);
    store<u32>(s, STALE(s) - 1, 12); // old blocks are stale too (old ≤ stale)
    store<u32>(s, old - 1, 16);
    return o + BLOCK_OVERHEAD;
  }
  oldFrom = 0;
  oldLeft = false;
  return 0;
}

/** After a sweep's blocks came in: what was stale (held since the previous sweep ended, not
 *  reused) is old, and everything cached now is stale. */
export function markStale(): void {
  for (let s = SENTINELS; s < SENTINELS_END; s += 1 << SENTINEL_BITS) {
    store<u32>(s, STALE(s), 16);
    store<u32>(s, COUNT(s), 12);
  }
  oldLeft = true;
}

/** A full collection's end: everything cached is old, for takeOld to give back at once
 *  (./linked.ts, ./builtin.ts __collected). */
export function markAllOld(): void {
  for (let s = SENTINELS; s < SENTINELS_END; s += 1 << SENTINEL_BITS) {
    store<u32>(s, COUNT(s), 12);
    store<u32>(s, COUNT(s), 16);
  }
  oldLeft = true;
}
