// === Heap walk: iterators over live objects and live references, and heap statistics ===
//
// The host walks without allocating: each step fills WALK_RECORD and returns a cursor.
//
// ╒════ WALK_RECORD after nextObject ════╕   ╒═══ WALK_RECORD after nextReference ═══╕
// +0  payload address                     │   +0  handle
// +4  size in bytes                       │   +4  payload address of its object
// +8  references                          │   +8  site where it was taken
// +12 order (checked, else 0)             │   +12 order
// +16 allocation site (checked, else 0)   │   +16 owner (0 = none)
// +20 last put site (checked, else 0)     │   +20 1 if weak
// +24 1 if ignored (not a leak)           │
// +28 weak handles held                   │
//
// ╒════ WALK_RECORD after nextBlock ════╕
// +0  block address   +4  block size   +8  kind (BLOCK_* below)   +12 payload address (0 if none)
//
// ╒════ STATS_RECORD after heapStats ════╕
// +0  pages of memory     +4  heap bytes (start to tail)   +8  live objects
// +12 live payload bytes  +16 free bytes (TLSF)            +20 cached bytes (quick lists)
// +24 internal bytes      +28 live references              +32 retired slots
// +36 quarantined blocks  +40 quarantined bytes            +44 dead bytes held by weak handles

import { CHECKED } from "./config";
import {
  BLOCK, COUNT, DEAD, isIgnored, isInternal, ORDER, OBJECT_SIZE, PAYLOAD, PUT_SITE, REFS, SITE, weakCount,
} from "./object";
import { FREE, heapStart, INFO, SIZE, tail } from "./tlsf";
import {
  HANDLE, GEN_MASK, LIVE, liveCount, retiredCount, SLOT, SLOT_OBJECT, SLOT_ORDER, SLOT_OWNER,
  SLOT_SITE, SLOT_STATE, tableLength, WEAK,
} from "./handles";
import { queuedBlocks, queuedBytes } from "./quarantine";

export const WALK_RECORD: usize = memory.data(32, 16);
export const STATS_RECORD: usize = memory.data(64, 16);

export { isInternal };

/** A block that holds a live object (not free, not cached, not the handle table). */
// @ts-ignore: decorator
@inline export function isObject(block: usize): bool {
  return !(INFO(block) & (FREE | DEAD)) && COUNT(block) != 0 && !isInternal(block);
}

// Kinds of block, for pictures of the heap.
// @ts-ignore: decorator
@inline export const BLOCK_FREE: u32 = 1;
// @ts-ignore: decorator
@inline export const BLOCK_CACHED: u32 = 2;
// @ts-ignore: decorator
@inline export const BLOCK_LIVE: u32 = 3;
// @ts-ignore: decorator
@inline export const BLOCK_INTERNAL: u32 = 4;
// @ts-ignore: decorator
@inline export const BLOCK_DEAD: u32 = 5; // freed object still held back (quarantine, weak handles)

/** The kind of a block (BLOCK_*). */
export function blockKind(block: usize): u32 {
  if (INFO(block) & FREE) return BLOCK_FREE;
  if (INFO(block) & DEAD) return BLOCK_DEAD;
  if (isInternal(block)) return BLOCK_INTERNAL;
  if (COUNT(block) == 0) return BLOCK_CACHED;
  return BLOCK_LIVE;
}

/** The block after `after` (0: the first) in address order, described in WALK_RECORD; 0 when done. */
export function nextBlock(after: usize): usize {
  if (!tail) return 0;
  let block = after ? after + SIZE(after) : heapStart;
  if (block >= tail) return 0;
  let kind = blockKind(block);
  store<u32>(WALK_RECORD, <u32>block, 0);
  store<u32>(WALK_RECORD, <u32>SIZE(block), 4);
  store<u32>(WALK_RECORD, kind, 8);
  store<u32>(WALK_RECORD, kind == BLOCK_LIVE ? <u32>PAYLOAD(block) : 0, 12);
  return block;
}

/** The live object after payload `after` (0: the first), in address order; 0 when done. */
export function nextObject(after: usize): usize {
  if (!tail) return 0;
  let block = after ? BLOCK(after) + SIZE(BLOCK(after)) : heapStart;
  while (block < tail) {
    if (isObject(block)) {
      store<u32>(WALK_RECORD, <u32>PAYLOAD(block), 0);
      store<u32>(WALK_RECORD, <u32>OBJECT_SIZE(block), 4);
      store<u32>(WALK_RECORD, REFS(block), 8);
      store<u32>(WALK_RECORD, ORDER(block), 12);
      store<u32>(WALK_RECORD, SITE(block), 16);
      store<u32>(WALK_RECORD, PUT_SITE(block), 20);
      store<u32>(WALK_RECORD, isIgnored(block) ? 1 : 0, 24);
      store<u32>(WALK_RECORD, weakCount(block), 28);
      return PAYLOAD(block);
    }
    block += SIZE(block);
  }
  return 0;
}

/** The live reference at table index >= cursor - 1 (cursor 0 or 1: the first); returns
 *  that index + 2 as the next cursor, or 0 when done. Unchecked builds have none. */
export function nextReference(cursor: u32): u32 {
  if (!CHECKED) return 0;
  for (let index = cursor ? cursor - 1 : 0; index < tableLength; index++) {
    let slot = SLOT(index);
    let state = SLOT_STATE(slot);
    if (state & LIVE) {
      store<u32>(WALK_RECORD, HANDLE(index, state & GEN_MASK), 0);
      store<u32>(WALK_RECORD, <u32>PAYLOAD(SLOT_OBJECT(slot)), 4);
      store<u32>(WALK_RECORD, SLOT_SITE(slot), 8);
      store<u32>(WALK_RECORD, SLOT_ORDER(slot), 12);
      store<u32>(WALK_RECORD, SLOT_OWNER(slot), 16);
      store<u32>(WALK_RECORD, state & WEAK ? 1 : 0, 20);
      return index + 2;
    }
  }
  return 0;
}

/** Fills STATS_RECORD by walking every block. */
export function heapStats(): void {
  let objects: u32 = 0, liveBytes: u32 = 0, freeBytes: u32 = 0, cachedBytes: u32 = 0;
  let internalBytes: u32 = 0, deadBytes: u32 = 0;
  if (tail) {
    for (let block = heapStart; block < tail; block += SIZE(block)) {
      let size = <u32>SIZE(block);
      if (INFO(block) & FREE) freeBytes += size;
      else if (INFO(block) & DEAD) deadBytes += size;
      else if (isInternal(block)) internalBytes += size;
      else if (COUNT(block) == 0) cachedBytes += size;
      else { objects++; liveBytes += <u32>OBJECT_SIZE(block); }
    }
  }
  store<u32>(STATS_RECORD, <u32>memory.size(), 0);
  store<u32>(STATS_RECORD, tail ? <u32>(tail - heapStart) : 0, 4);
  store<u32>(STATS_RECORD, objects, 8);
  store<u32>(STATS_RECORD, liveBytes, 12);
  store<u32>(STATS_RECORD, freeBytes, 16);
  store<u32>(STATS_RECORD, cachedBytes, 20);
  store<u32>(STATS_RECORD, internalBytes, 24);
  store<u32>(STATS_RECORD, CHECKED ? liveCount : 0, 28);
  store<u32>(STATS_RECORD, CHECKED ? retiredCount : 0, 32);
  store<u32>(STATS_RECORD, CHECKED ? queuedBlocks : 0, 36);
  store<u32>(STATS_RECORD, CHECKED ? <u32>queuedBytes : 0, 40);
  store<u32>(STATS_RECORD, deadBytes - (CHECKED ? <u32>queuedBytes : 0), 44);
}
