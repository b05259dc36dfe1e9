// === Heap walk: iterators over live objects and live references, and heap statistics ===
//
// The host walks without allocating: each step fills WALK_RECORD and returns a cursor.
//
// ╒════ WALK_RECORD after nextObject ════╕   ╒═══ WALK_RECORD after nextReference ═══╕
// +0  payload address                     │   +0  handle
// +4  size in bytes                       │   +4  payload address of its object
// +8  references                          │   +8  site where it was taken
// +12 order (checked, else 0)             │   +12 order
// +16 allocation site (checked, else 0)   │
// +20 last put site (checked, else 0)     │
//
// ╒════ STATS_RECORD after heapStats ════╕
// +0  pages of memory     +4  heap bytes (start to tail)   +8  live objects
// +12 live payload bytes  +16 free bytes (TLSF)            +20 cached bytes (quick lists)
// +24 table bytes         +28 live references              +32 retired slots

import { CHECKED } from "./config";
import { COUNT, ORDER, OBJECT_SIZE, PAYLOAD, PUT_SITE, REFS, SITE, BLOCK } from "./object";
import { FREE, heapStart, INFO, SIZE, tail } from "./tlsf";
import {
  HANDLE, GEN_MASK, LIVE, liveCount, retiredCount, SLOT, SLOT_OBJECT, SLOT_ORDER, SLOT_SITE,
  SLOT_STATE, tableBlock, tableLength,
} from "./handles";

export const WALK_RECORD: usize = memory.data(24, 16);
export const STATS_RECORD: usize = memory.data(36, 16);

/** A block that holds a live object (not free, not cached, not the handle table). */
// @ts-ignore: decorator
@inline export function isObject(block: usize): bool {
  return !(INFO(block) & FREE) && COUNT(block) != 0 && block != tableBlock;
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
      return index + 2;
    }
  }
  return 0;
}

/** Fills STATS_RECORD by walking every block. */
export function heapStats(): void {
  let objects: u32 = 0, liveBytes: u32 = 0, freeBytes: u32 = 0, cachedBytes: u32 = 0;
  if (tail) {
    for (let block = heapStart; block < tail; block += SIZE(block)) {
      if (INFO(block) & FREE) freeBytes += <u32>SIZE(block);
      else if (COUNT(block) == 0) cachedBytes += <u32>SIZE(block);
      else if (block != tableBlock) { objects++; liveBytes += <u32>OBJECT_SIZE(block); }
    }
  }
  store<u32>(STATS_RECORD, <u32>memory.size(), 0);
  store<u32>(STATS_RECORD, tail ? <u32>(tail - heapStart) : 0, 4);
  store<u32>(STATS_RECORD, objects, 8);
  store<u32>(STATS_RECORD, liveBytes, 12);
  store<u32>(STATS_RECORD, freeBytes, 16);
  store<u32>(STATS_RECORD, cachedBytes, 20);
  store<u32>(STATS_RECORD, tableBlock ? <u32>SIZE(tableBlock) : 0, 24);
  store<u32>(STATS_RECORD, CHECKED ? liveCount : 0, 28);
  store<u32>(STATS_RECORD, CHECKED ? retiredCount : 0, 32);
}
