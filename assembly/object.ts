// === Objects: the header in front of every payload, counts, allocation and resize ===
//
// ╒════════════ Object header, unchecked build (HEADER = 8) ════════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┼─┴─┼─┼─┤
// │                    block size (tlsf.ts)                   │D│P│L│0│ +0  info
// ├───────────┬───────────────────────────────────────────────┴───┴─┴─┤
// │   slack   │         references (26 bits, 0 = cached block)        │ +4  count
// ╞═══════════╧═══════════════════════════════════════════════════════╡
// │                    payload (16-byte aligned) ...                  │ +8  ◄─ handle
// └───────────────────────────────────────────────────────────────────┘
// slack = block size - HEADER - object size (0..63), so size() is exact in both builds and a
// resize within 63 bytes of the block's capacity changes only this word.
// P: PAIRED, the object has entries in pairs.ts (weak count, "ignored" mark).
// D: DEAD, the object is gone but its block is held back: poisoned in the quarantine (checked)
//    and/or kept for weak handles, which must never see another object in its place.
//
// ╒════════════ Object header, checked build (HEADER = 24) ════════════╕
// +0  info      as above
// +4  count     as above (references = live table slots that point here);
//               INTERNAL_COUNT on the allocator's own blocks
// +8  order     sequence number of the allocation (shared with references)
// +12 site      site of the alloc
// +16 putSite   site of the most recent put
// +20 mark      live: scratch for validate() (references counted from the table);
//               dead: the quarantine FIFO link (quarantine.ts)
// +24 payload   (16-byte aligned)

import { CHECKED, HEADER } from "./config";
import { allocBlock, blockSizeFor, freeBlock } from "./blocks";
import { INFO, SETINFO, growBlockInPlace, shrinkBlock, SIZE } from "./tlsf";
import { pairCount, pairDelete, pairGet, pairsRekey, pairsReserve, pairSet, TAG_IGNORED, TAG_WEAK } from "./pairs";
import { enqueue, maxBlocks, poison } from "./quarantine";

// @ts-ignore: decorator
@inline export const PAIRED: u32 = 1 << 2;
// @ts-ignore: decorator
@inline export const DEAD: u32 = 1 << 3;

// @ts-ignore: decorator
@inline export const REFS_MASK: u32 = 0x03FFFFFF;
// @ts-ignore: decorator
@inline export const SLACK_SHIFT: u32 = 26;
// @ts-ignore: decorator
@inline export const MAX_SLACK: usize = 63;

/** The count word of the allocator's own blocks (table chunks, pairs, scan results): never a
 *  live object's (that would need 2^26 - 1 references and 63 bytes of slack). */
// @ts-ignore: decorator
@inline export const INTERNAL_COUNT: u32 = 0xFFFFFFFF;
// @ts-ignore: decorator
@inline export function isInternal(block: usize): bool { return load<u32>(block, 4) == INTERNAL_COUNT; }
// @ts-ignore: decorator
@inline export function markInternal(block: usize): void { store<u32>(block, INTERNAL_COUNT, 4); }

/** Sequence shared by objects and references: orders the report, oldest first. */
export let sequence: u32 = 0;

// @ts-ignore: decorator
@inline export function COUNT(block: usize): u32 { return load<u32>(block, 4); }
// @ts-ignore: decorator
@inline export function SETCOUNT(block: usize, v: u32): void { store<u32>(block, v, 4); }
// @ts-ignore: decorator
@inline export function REFS(block: usize): u32 { return load<u32>(block, 4) & REFS_MASK; }
// @ts-ignore: decorator
@inline export function OBJECT_SIZE(block: usize): usize {
  return SIZE(block) - HEADER - <usize>(load<u32>(block, 4) >>> SLACK_SHIFT);
}
// @ts-ignore: decorator
@inline export function ORDER(block: usize): u32 { return CHECKED ? load<u32>(block, 8) : 0; }
// @ts-ignore: decorator
@inline export function SITE(block: usize): u32 { return CHECKED ? load<u32>(block, 12) : 0; }
// @ts-ignore: decorator
@inline export function PUT_SITE(block: usize): u32 { return CHECKED ? load<u32>(block, 16) : 0; }
// @ts-ignore: decorator
@inline export function SETPUTSITE(block: usize, site: u32): void { if (CHECKED) store<u32>(block, site, 16); }
// @ts-ignore: decorator
@inline export function MARK(block: usize): u32 { return load<u32>(block, 20); }
// @ts-ignore: decorator
@inline export function SETMARK(block: usize, v: u32): void { store<u32>(block, v, 20); }
// @ts-ignore: decorator
@inline export function PAYLOAD(block: usize): usize { return block + HEADER; }
// @ts-ignore: decorator
@inline export function BLOCK(payload: usize): usize { return payload - HEADER; }

/** Largest object size: its block must stay within MAX_BLOCK (tlsf.ts). */
// @ts-ignore: decorator
@inline export const MAX_OBJECT: u32 = <u32>((<usize>1 << 31) - 16 - HEADER);

/** A new object of `size` bytes holding one reference, or 0 when memory is exhausted. */
// @ts-ignore: decorator
@inline export function newObject(size: u32, site: u32): usize {
  let blockSize = blockSizeFor(<usize>size, HEADER);
  let block = allocBlock(blockSize);
  if (!block) return 0;
  SETCOUNT(block, (<u32>(blockSize - HEADER - size) << SLACK_SHIFT) | 1);
  if (CHECKED) {
    store<u32>(block, ++sequence, 8);
    store<u32>(block, site, 12);
    store<u32>(block, 0, 16);
    store<u32>(block, 0, 20);
  }
  return block;
}

/** Ends an object whose last strong reference was put. Room in the quarantine must exist
 *  (quarantine.makeRoom) in the checked build. */
// @ts-ignore: decorator
@inline export function freeObject(block: usize): void {
  let info = INFO(block);
  if (CHECKED || (info & (PAIRED | DEAD))) endObject(block, info);
  else freeBlock(block, <usize>(info & ~0xF));
}

function endObject(block: usize, info: u32): void {
  let weak: u32 = 0;
  if (info & PAIRED) {
    pairDelete(block, TAG_IGNORED);
    weak = pairGet(block, TAG_WEAK);
    if (!weak) SETINFO(block, info &= ~PAIRED);
  }
  if (!weak && !(CHECKED && maxBlocks)) { // nothing holds it back: free it whole
    freeBlock(block, SIZE(block));
    return;
  }
  // Dead but held: by weak handles (upgrade() now returns 0) and/or, checked, the quarantine.
  SETINFO(block, info | DEAD);
  killObject(block);
  if (!weak) enqueue(block);
}

/** Marks a held dead block: out of the quarantine FIFO for now, poisoned (checked build). */
function killObject(block: usize): void {
  if (CHECKED) {
    SETMARK(block, 0);
    poison(block);
  }
}

/** freeObject as a real function: callers that are inlined into user code call this, so each
 *  inlined copy of put() stays a few instructions long. */
export function releaseObject(block: usize): void {
  freeObject(block);
}

/** Gives a dead block (no weak handles left, out of the quarantine) back to the allocator. */
export function freeDeadBlock(block: usize): void {
  SETINFO(block, INFO(block) & ~(PAIRED | DEAD));
  freeBlock(block, SIZE(block));
}

/** Weak handles held on the object of `block`. */
// @ts-ignore: decorator
@inline export function weakCount(block: usize): u32 {
  return INFO(block) & PAIRED ? pairGet(block, TAG_WEAK) : 0;
}

/** One more weak handle on `block`; pairsReserve() must have succeeded. */
export function addWeak(block: usize): void {
  pairSet(block, TAG_WEAK, weakCount(block) + 1);
  SETINFO(block, INFO(block) | PAIRED);
}

/** One weak handle fewer; returns true when that freed a dead object's block for good. */
export function dropWeak(block: usize): bool {
  let n = pairGet(block, TAG_WEAK) - 1;
  if (n) {
    pairSet(block, TAG_WEAK, n);
    return false;
  }
  pairDelete(block, TAG_WEAK);
  let info = INFO(block);
  if (!pairGet(block, TAG_IGNORED)) SETINFO(block, info &= ~PAIRED);
  if (!(info & DEAD)) return false;
  if (CHECKED) enqueue(block); // poisoned at death; now it waits its turn like any other
  else freeDeadBlock(block);
  return true;
}

/** Marks the object "not a leak"; false when memory for the mark is exhausted. */
export function ignoreObject(block: usize): bool {
  if (!pairsReserve()) return false;
  pairSet(block, TAG_IGNORED, 1);
  SETINFO(block, INFO(block) | PAIRED);
  return true;
}

// @ts-ignore: decorator
@inline export function isIgnored(block: usize): bool {
  return (INFO(block) & PAIRED) != 0 && pairGet(block, TAG_IGNORED) != 0;
}

/**
 * The object's block after resizing it to `size` bytes: the same block when it could shrink or
 * grow in place, else a new block holding a copy (the old block is freed). 0 when memory is
 * exhausted; the object is then untouched.
 */
export function resizeObject(block: usize, size: u32): usize {
  let blockSize = blockSizeFor(<usize>size, HEADER);
  let have = SIZE(block);
  let count = COUNT(block) & REFS_MASK;
  if (blockSize <= have) {
    // Keep the block while the slack fits; else give the tail back (slack then < 16).
    if (have - HEADER - <usize>size > MAX_SLACK) shrinkBlock(block, blockSize);
  } else if (!growBlockInPlace(block, blockSize)) {
    let moved = allocBlock(blockSize);
    if (!moved) return 0;
    let oldSize = OBJECT_SIZE(block);
    memory.copy(PAYLOAD(moved), PAYLOAD(block), <usize>min(oldSize, <usize>size));
    if (CHECKED) memory.copy(moved + 8, block + 8, HEADER - 8); // order, sites
    // Owners, marks (and weak counts, which callers refuse) are keyed by block: they follow.
    if (pairCount) pairsRekey(block, moved);
    let flags = INFO(block) & PAIRED;
    SETINFO(block, INFO(block) & ~PAIRED);
    SETINFO(moved, INFO(moved) | flags);
    // The old block's bytes live on in `moved`; checked: poison and quarantine it like a freed
    // object, so a write through a stale pointer is still caught (caller made room).
    if (CHECKED && maxBlocks) {
      SETINFO(block, INFO(block) | DEAD);
      killObject(block);
      enqueue(block);
    } else {
      freeBlock(block, SIZE(block));
    }
    block = moved;
  }
  SETCOUNT(block, (<u32>(SIZE(block) - HEADER - size) << SLACK_SHIFT) | count);
  return block;
}
