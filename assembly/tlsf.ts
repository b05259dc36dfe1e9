// === TLSF: two-level segregated fit free lists with coalescing, over linear memory ===
// see: http://www.gii.upv.es/tlsf/ (structure follows AssemblyScript's std/assembly/rt/tlsf.ts)
//
// This file knows blocks, not objects: a block is `size` bytes starting at 8 mod 16, size a
// multiple of 16. Free blocks live here; used blocks belong to blocks.ts and the layers above it. The info
// word and its flags are defined in layout.ts.
//
// ╒═════════════════ Block layout (whole-block size, 32-bit) ═════════════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┼─┴─┼─┼─┤
// │              size of the whole block (multiple of 16)         │D│P│L│F│ +0  info
// ├───────────────────────────────────────────────────────────────┴───┴─┴─┤
// │ if free: ◄ prev free block        (used: block header, layout.ts)     │ +4
// ├───────────────────────────────────────────────────────────────────────┤
// │ if free: next free block ►                                            │ +8
// ├───────────────────────────────────────────────────────────────────────┤
// │                               ...                                     │
// ├───────────────────────────────────────────────────────────────────────┤
// │ if free: back ▲ (address of this block, read by the right neighbour)  │ +size-4
// └───────────────────────────────────────────────────────────────────────┘
// F: FREE (in a TLSF list)   L: LEFTFREE (the block to the left is FREE)
// P, D: PAIRED and DEAD, flags of the object in a used block (layout.ts); clear when free
//
// Heap: [heapStart ............................................ tail][8-byte tail]
// The tail is a zero-size used block at the very end of memory; growing memory turns the
// old tail into the start of a new free block and writes a new tail.
//
// Invariants (checked by validate.ts):
//   blocks tile [heapStart, tail) exactly; no two adjacent blocks are both FREE;
//   L of a block == F of its left neighbour; every FREE block sits in list mapping(size);
//   slMap[fl] bit sl == (head[fl][sl] != 0); flMap bit fl == (slMap[fl] != 0).

import { AL_BITS, AL_MASK, MAX_PAGES, SHARED } from "./config";
import { FREE, INFO, LEFTFREE, markInternal, SETINFO, SIZE, TAGS_MASK } from "./layout";
import { noteGrown } from "./memory-growth";

// @ts-ignore: decorator
@inline export const MIN_BLOCK: usize = 16; // info + prev + next + back
// Largest block a request may ask for: rounding it up (roundRequest) stays below 2^32.
// @ts-ignore: decorator
@inline export const MAX_BLOCK: usize = 1 << 31;

// ╒══════════ Size classes ══════════╕
// size < 256: fl = 0, sl = size / 16 (exact classes)
// else:       fl = fls(size) - 7, sl = next 4 bits below the top bit
// @ts-ignore: decorator
@inline const SL_BITS: u32 = 4;
// @ts-ignore: decorator
@inline const SL_SIZE: u32 = 1 << SL_BITS;
// @ts-ignore: decorator
@inline const SB_BITS: u32 = SL_BITS + AL_BITS;
// @ts-ignore: decorator
@inline const SB_SIZE: usize = 1 << SB_BITS;
// @ts-ignore: decorator
@inline export const FL_BITS: u32 = 32 - SB_BITS + 1; // free blocks up to 4 GiB

// Root: the bitmaps and list heads, in static memory so their addresses are constants.
// flMap (global) ─► slMap[fl] (u32 each) ─► head[fl * 16 + sl] (block address or 0)
// @ts-ignore: decorator
@inline export const SL_MAPS_BYTES: usize = <usize>FL_BITS << 2;
// @ts-ignore: decorator
@inline export const HEADS_BYTES: usize = <usize>(FL_BITS << SL_BITS) << 2;
export const SL_MAPS: usize = memory.data(<i32>SL_MAPS_BYTES, 16);
export const HEADS: usize = memory.data(<i32>HEADS_BYTES, 16);
export let flMap: u32 = 0;

export let heapStart: usize = 0;
export let tail: usize = 0;
/** Used internal blocks covering pages someone else grew (addMemory). */
export let fillerBlocks: u32 = 0;
/** Pages the heap may use in all; memory.grow is never asked for more. */
export let pageLimit: u32 = MAX_PAGES;
/** Lowest address the heap may use: __heap_base, or higher when a linked module's data sits there. */
export let heapBase: usize = __heap_base;

// @ts-ignore: decorator
@inline export function RIGHT(block: usize): usize { return block + SIZE(block); }
// @ts-ignore: decorator
@inline export function PREV(block: usize): usize { return load<u32>(block, 4); }
// @ts-ignore: decorator
@inline export function NEXT(block: usize): usize { return load<u32>(block, 8); }
// @ts-ignore: decorator
@inline export function BACK(right: usize): usize { return load<u32>(right - 4); }
// @ts-ignore: decorator
@inline function SETPREV(block: usize, v: usize): void { store<u32>(block, v, 4); }
// @ts-ignore: decorator
@inline function SETNEXT(block: usize, v: usize): void { store<u32>(block, v, 8); }
// @ts-ignore: decorator
@inline export function HEAD(index: u32): usize { return load<u32>(HEADS + (<usize>index << 2)); }
// @ts-ignore: decorator
@inline function SETHEAD(index: u32, v: usize): void { store<u32>(HEADS + (<usize>index << 2), v); }
// @ts-ignore: decorator
@inline export function SLMAP(fl: u32): u32 { return load<u32>(SL_MAPS + (<usize>fl << 2)); }
// @ts-ignore: decorator
@inline function SETSLMAP(fl: u32, v: u32): void { store<u32>(SL_MAPS + (<usize>fl << 2), v); }

/** List index (fl * SL_SIZE + sl) that holds free blocks of exactly this size. */
// @ts-ignore: decorator
@inline export function listIndex(size: usize): u32 {
  if (size < SB_SIZE) return <u32>(size >> AL_BITS);
  let fl = 31 - clz<u32>(<u32>size);
  let sl = (<u32>size >> (fl - SL_BITS)) ^ SL_SIZE;
  return ((fl - (SB_BITS - 1)) << SL_BITS) | sl;
}

/** Puts a block marked FREE into its list, merging it with free neighbours first. */
export function insertFree(block: usize): void {
  let info = INFO(block);
  let right = block + <usize>(info & ~TAGS_MASK);
  let rightInfo = INFO(right);
  if (rightInfo & FREE) {
    removeFree(right);
    info += rightInfo & ~TAGS_MASK;
    SETINFO(block, info);
    right = block + <usize>(info & ~TAGS_MASK); // already LEFTFREE: its left block was free
  } else {
    SETINFO(right, rightInfo | LEFTFREE);
  }
  if (info & LEFTFREE) {
    let left = BACK(block);
    let leftInfo = INFO(left);
    removeFree(left);
    block = left;
    info = leftInfo + (info & ~TAGS_MASK);
    SETINFO(block, info);
  }
  store<u32>(right - 4, block); // back
  pushFree(block, info);
}

/** Links a FREE block (`info` is its info word) in at the head of its list. Its neighbours must
 *  already be coalesced with it, LEFTFREE set on its right neighbour and back written. */
// @ts-ignore: decorator
@inline function pushFree(block: usize, info: u32): void {
  let index = listIndex(<usize>(info & ~TAGS_MASK));
  let head = HEAD(index);
  SETPREV(block, 0);
  SETNEXT(block, head);
  if (head) SETPREV(head, block);
  SETHEAD(index, block);
  let fl = index >> SL_BITS;
  flMap |= 1 << fl;
  SETSLMAP(fl, SLMAP(fl) | (1 << (index & (SL_SIZE - 1))));
}

/** Makes the last `remaining` bytes of a block that ends where a FREE block used to end (so its
 *  right neighbour is used and already LEFTFREE) a free block of their own. Stores only: the
 *  right neighbour's line is written (back), never read. */
// @ts-ignore: decorator
@inline function freeTail(spare: usize, remaining: usize): void {
  let info = <u32>remaining | FREE;
  SETINFO(spare, info);
  store<u32>(spare + remaining - 4, spare); // back
  pushFree(spare, info);
}

/** Unlinks a free block from its list. The caller fixes FREE, LEFTFREE and back. */
export function removeFree(block: usize): void {
  let index = listIndex(SIZE(block));
  let prev = PREV(block);
  let next = NEXT(block);
  if (prev) SETNEXT(prev, next);
  if (next) SETPREV(next, prev);
  if (block == HEAD(index)) {
    SETHEAD(index, next);
    if (!next) {
      let fl = index >> SL_BITS;
      let slMap = SLMAP(fl) & ~(1 << (index & (SL_SIZE - 1)));
      SETSLMAP(fl, slMap);
      if (!slMap) flMap &= ~(1 << fl);
    }
  }
}

/** Rounds a request up so that every block in the list it maps to is large enough. */
// @ts-ignore: decorator
@inline function roundRequest(size: usize): usize {
  return size < SB_SIZE ? size : size + (<usize>1 << (31 - SL_BITS - clz<u32>(<u32>size))) - 1;
}

/**
 * A used block of exactly `size` bytes carved from the head of the first list whose blocks all
 * fit (good fit), the rest left free; 0 when no free block fits. The head is unlinked without
 * removeFree's search: it has no previous block.
 */
export function takeFit(size: usize): usize {
  let index = listIndex(roundRequest(size));
  let fl = index >> SL_BITS;
  let slMap = SLMAP(fl) & (~0 << (index & (SL_SIZE - 1)));
  if (!slMap) {
    let flBits = flMap & (~0 << (fl + 1));
    if (!flBits) return 0;
    fl = ctz<u32>(flBits);
    slMap = SLMAP(fl);
  }
  let sl = ctz<u32>(slMap);
  index = (fl << SL_BITS) | sl;
  let block = HEAD(index);
  let next = NEXT(block);
  SETHEAD(index, next);
  if (next) {
    SETPREV(next, 0);
  } else {
    let left = SLMAP(fl) & ~(1 << sl); // slMap above was masked to the classes that fit
    SETSLMAP(fl, left);
    if (!left) flMap &= ~(1 << fl);
  }
  let info = INFO(block);
  let remaining = <usize>(info & ~TAGS_MASK) - size;
  if (remaining >= MIN_BLOCK) {
    SETINFO(block, <u32>size | (info & LEFTFREE));
    freeTail(block + size, remaining); // block was coalesced: its right neighbour is used
  } else {
    SETINFO(block, info & ~FREE);
    let right = block + <usize>(info & ~TAGS_MASK);
    SETINFO(right, INFO(right) & ~LEFTFREE);
  }
  return block;
}

/** Frees a used block into the TLSF lists (merging with free neighbours). */
// @ts-ignore: decorator
@inline export function freeBlockToLists(block: usize): void {
  SETINFO(block, INFO(block) | FREE);
  insertFree(block);
}

/** Empties the list of cached blocks whose head word is at `head` (blocks linked through +8:
 *  the quick lists, the size classes' lists) into the TLSF lists, where they coalesce. */
export function freeCachedList(head: usize): void {
  let block = <usize>load<u32>(head);
  store<u32>(head, 0);
  while (block) {
    let next = <usize>load<u32>(block, 8);
    freeBlockToLists(block);
    block = next;
  }
}

/** Splits the used `block` down to `size` bytes, freeing the rest. */
export function shrinkBlock(block: usize, size: usize): void {
  let info = INFO(block);
  let remaining = <usize>(info & ~TAGS_MASK) - size;
  if (remaining < MIN_BLOCK) return;
  SETINFO(block, <u32>size | (info & TAGS_MASK)); // a used block: keeps LEFTFREE and object flags
  let spare = block + size;
  SETINFO(spare, <u32>remaining | FREE);
  insertFree(spare); // block is used, so the right neighbour's LEFTFREE was already clear
}

/** Grows the used `block` to `size` bytes by taking from a free right neighbour. */
export function growBlockInPlace(block: usize, size: usize): bool {
  let info = INFO(block);
  let have = <usize>(info & ~TAGS_MASK);
  let right = block + have;
  let rightInfo = INFO(right);
  if (!(rightInfo & FREE)) return false;
  let merged = have + <usize>(rightInfo & ~TAGS_MASK);
  if (merged < size) return false;
  removeFree(right);
  let remaining = merged - size;
  if (remaining >= MIN_BLOCK) {
    // The tail of the free neighbour stays free; the block after it stays LEFTFREE.
    SETINFO(block, <u32>size | (info & TAGS_MASK));
    freeTail(block + size, remaining);
  } else {
    SETINFO(block, <u32>merged | (info & TAGS_MASK));
    let after = block + merged;
    SETINFO(after, INFO(after) & ~LEFTFREE);
  }
  return true;
}

/**
 * Turns [start, end) into heap after the current tail. When someone else grew the memory in
 * between (a linked module, the host), their pages stay theirs: [tail, start + 8) becomes a used
 * internal filler block, so the heap stays one walkable range of blocks.
 */
function addMemory(start: usize, end: usize): void {
  if (SHARED) noteGrown(<u32>(end >>> 16)); // other threads' atomic steps may reach it (memory-growth.ts)
  let block = start; // the first memory: start is already 8 mod 16
  let leftFree: u32 = 0;
  if (tail && tail + 8 == start) {
    block = tail; // contiguous: the old tail becomes the head of the new free block
    leftFree = INFO(tail) & LEFTFREE;
  } else if (tail) {
    block = start + 8;
    SETINFO(tail, <u32>(block - tail) | (INFO(tail) & LEFTFREE));
    markInternal(tail);
    fillerBlocks++;
  }
  let newTail = end - 8;
  SETINFO(block, <u32>(newTail - block) | FREE | leftFree);
  SETINFO(newTail, 0); // zero-size used block; insertFree sets its LEFTFREE
  tail = newTail;
  insertFree(block);
}

/** Grows memory so a block of `size` fits; false when the page limit or the engine says no. */
export function growMemory(size: usize): bool {
  let need = roundRequest(size);
  let pagesBefore = <u32>memory.size();
  // A free block just before the tail merges with new memory that follows the tail directly.
  let tailInfo = INFO(tail);
  if ((tailInfo & LEFTFREE) && tail + 8 == <usize>pagesBefore << 16) {
    let lastFree = SIZE(BACK(tail));
    need = need > lastFree ? need - lastFree : 0;
  }
  let pages = <u32>((need + MIN_BLOCK + 0xFFFF) >>> 16);
  if (<u64>pagesBefore + pages > <u64>pageLimit) return false;
  // Grow by an eighth of the memory at least: each memory.grow costs the engine time that rises
  // with the memory's size (V8: ~2 ms a call past 64 MiB, whatever the step), so growing page by
  // page is quadratic. An eighth keeps the calls logarithmic and the overshoot under 12.5%.
  let ample = max(pages, min(pagesBefore >> 3, pageLimit - pagesBefore));
  // The base is what memory.grow returns, not pagesBefore: a shared memory may have been grown by
  // someone else in between (a linked module, the host), and those pages are theirs; addMemory
  // then puts a filler block over the gap.
  let base = memory.grow(<i32>ample);
  if (base >= 0) pages = ample;
  else if ((base = memory.grow(<i32>pages)) < 0) return false;
  addMemory(<usize>base << 16, <usize>(<u32>base + pages) << 16);
  return true;
}

/** Pages of memory when this module was instantiated: the memory the allocator was given. Pages
 *  someone else grows before the first allocation stay theirs (a linked module's start function
 *  may grow memory and use the new page itself). */
const startPages: u32 = <u32>memory.size();

/** Sets up an empty heap above the static data, at the first allocation, in the memory the
 *  allocator was given (growing it if that has no room); false when the memory it needs is past
 *  the page limit. */
export function initHeap(): bool {
  // first block at 8 mod 16 so payloads after 8- or 24-byte headers are 16-aligned
  let start = ((heapBase + 8 + AL_MASK) & ~AL_MASK) - 8;
  let end = <usize>min(<u32>memory.size(), startPages) << 16;
  if (end < start + MIN_BLOCK + 8) {
    // No room in what we were given: grow, and start in the new pages if others grew memory
    // since (theirs stay theirs).
    let before = <usize>memory.size() << 16;
    if (before > end) start = max(start, before + 8);
    let pages = <u32>((start + MIN_BLOCK + 8 + 0xFFFF - before) >>> 16);
    if (<u64>memory.size() + pages > <u64>pageLimit || memory.grow(<i32>pages) < 0) return false;
    end = <usize>memory.size() << 16;
  }
  heapStart = start;
  // The first block's LEFTFREE stays 0: nothing to its left is ever merged.
  addMemory(start, end);
  return true;
}

/** Moves the heap's start up to `base` (only before the first allocation); false if too late. */
export function setHeapBase(base: usize): bool {
  if (tail || base > (<usize>MAX_PAGES << 16) - 0x10000) return false; // too late, or no room left
  heapBase = max(base, __heap_base);
  return true;
}

/** Caps the heap at `pages` of memory in all (never below what is already in use). */
export function setPageLimit(pages: u32): void {
  let now = <u32>memory.size();
  pageLimit = min(max(pages, now), MAX_PAGES);
}
