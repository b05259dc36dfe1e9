// === Pointers: malloc/free/realloc over rcalloc objects, for code that owns blocks by address ===
//
// C's malloc shim (include/rcalloc-malloc.c) and AssemblyScript's raw `heap.alloc` blocks hold
// memory by pointer, not by handle. A raw block is an ordinary object whose references field
// reads RAW_REFS (layout.ts): it has no handles, one owner (its pointer), and is freed whole.
// Both builds mark raw blocks, so the heap walk and the leak report list a live one with its
// malloc site. The checked build also writes RAW_COOKIE in the header's mark word, so free() can
// tell a block it handed out from any other address before it changes anything:
//   a live raw block            → freed (poisoned and quarantined like any object)
//   a raw block already freed   → DOUBLE_PUT naming the malloc site and the first free's site
//                                 (while the block waits in the quarantine)
//   anything else               → INVALID_HANDLE: a pointer malloc never returned, an object owned
//                                 by handles, or a block freed long ago
// The unchecked build checks nothing, like C's own allocators.
//
// Checked, a raw block's first bytes past its size (up to GUARD_MAX, within the block's slack)
// hold GUARD; free and realloc find them unchanged, else a write ran past the block's end
// (CORRUPT_HEAP, heap overflow, naming the malloc site):
//
//   block | header | payload: size bytes         | GUARD x min(slack, 16) | rest of the slack |
//                                                  ^ PAYLOAD + size
//
// A size that fills the block to its end (slack 0) has no guard: such an overflow goes unseen.
//
// A garbage collector's frees (rcalloc's AS runtime: runtime/itcms.ts) go through freeCollectedRaw
// instead: the collector owns those blocks' lifetimes, and nothing but unsafe code keeps a pointer
// to an object it found unreachable, so a checked free there is the cheap part of the check only
// (a live raw block, else the same errors as free()) and the block is reused at once: no poison,
// no quarantine, which were 12% of a checked strings/Maps run and buy nothing for such blocks.

import { AL_MASK, CHECKED } from "./config";
import {
  E_CORRUPT_HEAP, E_DOUBLE_PUT, E_INVALID_HANDLE, failure, MSG_DOUBLE_FREE, MSG_FREE_HANDLE_OBJECT, MSG_FREE_UNKNOWN,
  MSG_HEAP_OVERFLOW,
} from "./errors";
import {
  BLOCK, COUNT, DEAD, INFO, isObject, isRaw, MARK, OBJECT_SIZE, PAIRED, PAYLOAD, PUT_SITE, RAW_COOKIE, RAW_REFS,
  SETCOUNT, SETMARK, SETPUTSITE, SITE, SIZE,
} from "./layout";
import { freeBlock } from "./blocks";
import { siteOr } from "./host-sites";
import { MAX_OBJECT, newObject, releaseObject, resizeObject, roomFor } from "./lifecycle";
import { firstIndex, LIVE, SLOT, SLOT_OBJECT, SLOT_STATE, tableLength } from "./handles";
import { nextQueued } from "./quarantine";
import { heapStart, tail } from "./tlsf";

/** malloc: a raw block of `size` bytes (16-byte aligned), or 0 when memory is exhausted. */
export function mallocRaw(size: u32, site: u32): usize {
  site = siteOr(site);
  if (size > MAX_OBJECT) return 0;
  let block = newObject(size, site, 1);
  if (!block) return 0;
  SETCOUNT(block, COUNT(block) | RAW_REFS);
  if (CHECKED) {
    SETMARK(block, RAW_COOKIE(block));
    setGuard(block);
  }
  return PAYLOAD(block);
}

// @ts-ignore: decorator
@inline const GUARD: u8 = 0xB5;
// @ts-ignore: decorator
@inline const GUARD_MAX: usize = 16;

/** Bytes of guard past the object of raw `block`: its slack, at most GUARD_MAX. */
// @ts-ignore: decorator
@inline function guardLength(block: usize): usize {
  return min(block + SIZE(block) - PAYLOAD(block) - OBJECT_SIZE(block), GUARD_MAX);
}

// @ts-ignore: decorator
@inline const GUARD_WORD: u64 = 0xB5B5B5B5B5B5B5B5;

// The guard is written and checked with two overlapping stores or loads of 8 bytes (4 below 8,
// single bytes below 4), not memory.fill and a byte loop: V8 makes memory.fill a call out of wasm,
// and the two cost a checked C program's parse 1.2x its time (bench/c-program.js's JSON parser,
// 60,000 mallocs a parse).

/** Checked: writes the guard past the object of raw `block`. */
function setGuard(block: usize): void {
  let end = PAYLOAD(block) + OBJECT_SIZE(block);
  let n = guardLength(block);
  if (n >= 8) {
    store<u64>(end, GUARD_WORD);
    store<u64>(end + n - 8, GUARD_WORD);
  } else if (n >= 4) {
    store<u32>(end, <u32>GUARD_WORD);
    store<u32>(end + n - 4, <u32>GUARD_WORD);
  } else {
    for (let i: usize = 0; i < n; i++) store<u8>(end + i, GUARD);
  }
}

/** Checked: traps with CORRUPT_HEAP when a byte of raw `block`'s guard changed (a heap overflow):
 *  at free and realloc, and for every live raw block in validate() (so a report, which validates
 *  first, finds the overflow of a block never freed). */
export function checkGuard(block: usize): void {
  let end = PAYLOAD(block) + OBJECT_SIZE(block);
  let n = guardLength(block);
  let intact = n >= 8
    ? (load<u64>(end) == GUARD_WORD) & (load<u64>(end + n - 8) == GUARD_WORD)
    : n >= 4
      ? (load<u32>(end) == <u32>GUARD_WORD) & (load<u32>(end + n - 4) == <u32>GUARD_WORD)
      : guardDamage(end, n) < 0;
  if (!intact) reportOverflow(block, <u32>guardDamage(end, n));
}

/** Offset of the first of the `n` guard bytes at `end` that changed, or -1. */
function guardDamage(end: usize, n: usize): i32 {
  for (let i: usize = 0; i < n; i++) if (load<u8>(end + i) != GUARD) return <i32>i;
  return -1;
}

/** The guard of raw `block` changed at byte `at` past its end: traps saying so (the guard written
 *  again first, nothing else changed). */
function reportOverflow(block: usize, at: u32): void {
  setGuard(block); // repaired, so that a caller who caught the error can still free the block
  failure(0).of(PAYLOAD(block)).taken(SITE(block)).with(at).raise(E_CORRUPT_HEAP, MSG_HEAP_OVERFLOW);
}

/** free: gives back the raw block at `ptr` (0: nothing). */
export function freeRaw(ptr: usize, site: u32): void {
  site = siteOr(site);
  if (!ptr) return;
  let block = BLOCK(ptr);
  if (CHECKED) {
    if (!isLiveRaw(ptr)) badPointer(ptr);
    checkGuard(block);
    roomFor(block);
    SETPUTSITE(block, site);
  }
  releaseObject(block);
}

/** free for a garbage collector's sweep (see the top of this file): the raw block at `ptr`,
 *  checked to be one (checked build), back to the allocator without poison or quarantine. */
export function freeCollectedRaw(ptr: usize): void {
  let block = BLOCK(ptr);
  if (CHECKED) {
    if (!isLiveRaw(ptr)) badPointer(ptr);
    SETMARK(block, 0); // no longer a raw block's cookie: a second free is refused
  }
  if (INFO(block) & PAIRED) releaseObject(block); // marks keyed by the block (pairs.ts) go with it
  else freeBlock(block, SIZE(block));
}

/** realloc: the raw block at `ptr` resized to `size` bytes, contents kept up to the smaller size
 *  (moved when it cannot change in place); 0 when memory is exhausted, the block then intact. */
export function reallocRaw(ptr: usize, size: u32, site: u32): usize {
  site = siteOr(site);
  if (!ptr) return mallocRaw(size, site);
  let block = BLOCK(ptr);
  if (CHECKED && !isLiveRaw(ptr)) badPointer(ptr);
  if (CHECKED) checkGuard(block);
  if (size > MAX_OBJECT) return 0;
  if (CHECKED) {
    roomFor(block);
    SETPUTSITE(block, site); // where the old block ended, should it move
  }
  // Checked: a growing block always moves (as ASan's realloc does), so a pointer kept into the
  // old one (an element of a C vector across a push) is a write after free, not silently valid.
  let moved = resizeObject(block, size, true);
  if (!moved) return 0;
  if (CHECKED) {
    SETMARK(moved, RAW_COOKIE(moved));
    setGuard(moved);
  }
  return PAYLOAD(moved);
}

/** Checked build: true when `ptr` is the payload of a live raw block. Reads only heap memory. */
function isLiveRaw(ptr: usize): bool {
  if ((ptr & AL_MASK) || ptr < PAYLOAD(heapStart) || ptr >= tail) return false;
  let block = BLOCK(ptr);
  return isObject(block) && isRaw(block) && MARK(block) == RAW_COOKIE(block) && block + SIZE(block) <= tail;
}

/** True when a live table slot names `block` (an error path: a walk of the table). */
function heldByHandle(block: usize): bool {
  for (let index = firstIndex(); index < tableLength; index++) {
    let slot = SLOT(index);
    if ((SLOT_STATE(slot) & LIVE) && SLOT_OBJECT(slot) == block) return true;
  }
  return false;
}

/** Traps with the most specific error for a pointer free/realloc does not accept. */
function badPointer(ptr: usize): void {
  let block = BLOCK(ptr);
  for (let b = nextQueued(0); b; b = nextQueued(b)) {
    if (b == block && isRaw(b) && (INFO(b) & DEAD)) {
      failure(0).of(ptr).taken(SITE(b)).ended(PUT_SITE(b)).raise(E_DOUBLE_PUT, MSG_DOUBLE_FREE);
    }
  }
  let inHeap = !(ptr & AL_MASK) && ptr >= PAYLOAD(heapStart) && ptr < tail;
  if (inHeap && isObject(block) && !isRaw(block) && heldByHandle(block)) {
    failure(0).of(ptr).taken(SITE(block)).raise(E_INVALID_HANDLE, MSG_FREE_HANDLE_OBJECT);
  }
  failure(0).of(ptr).raise(E_INVALID_HANDLE, MSG_FREE_UNKNOWN);
}
