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
// +24 1 if ignored (not a leak)           │   +24 size of its object in bytes (a weak handle's
//                                         │       object may be dead: no nextObject names it)
// +28 weak handles held                   │
// +32 1 if raw (malloc, pointers.ts; refs reads 1)
//
// ╒════ WALK_RECORD after nextBlock ════╕
// +0  block address   +4  block size   +8  kind (BLOCK_*, layout.ts)   +12 payload address (0 if none)
//
// ╒════ STATS_RECORD after heapStats ════╕
// +0  pages of memory     +4  heap bytes (start to tail)   +8  live objects
// +12 live payload bytes  +16 free bytes (TLSF)            +20 cached bytes (quick lists)
// +24 internal bytes (handle table, pairs, scan results, fillers)
// +28 live references              +32 retired slots
// +36 quarantined blocks  +40 quarantined bytes            +44 dead bytes held by weak handles

import { CHECKED } from "./config";
import {
  BLOCK, BLOCK_LIVE, blockKind, COUNT, DEAD, FREE, INFO, isInternal, isObject, isRaw, ORDER, OBJECT_SIZE, PAYLOAD,
  PUT_SITE, REFS, SITE, SIZE,
} from "./layout";
import { isIgnored, weakCount } from "./lifecycle";
import { heapStart, tail } from "./tlsf";
import {
  firstIndex, HANDLE, GEN_MASK, LIVE, liveCount, retiredCount, SLOT, SLOT_OBJECT, SLOT_ORDER, SLOT_OWNER,
  SLOT_SITE, SLOT_STATE, tableLength, WEAK,
} from "./handles";
import { queuedBlocks, queuedBytes } from "./quarantine";

// The records, as the host reads them (offsets reach bindings/records.ts through records.ts).
@unmanaged export class ObjectWalk {
  payload: u32; size: u32; refs: u32; order: u32; site: u32; putSite: u32; ignored: u32; weak: u32;
  raw: u32;
}
@unmanaged export class ReferenceWalk {
  handle: u32; payload: u32; site: u32; order: u32; owner: u32; weak: u32; size: u32;
}
@unmanaged export class BlockWalk {
  block: u32; size: u32; kind: u32; payload: u32;
}
@unmanaged export class HeapStats {
  pages: u32; heapBytes: u32; liveObjects: u32; liveBytes: u32; freeBytes: u32; cachedBytes: u32;
  internalBytes: u32; liveReferences: u32; retiredSlots: u32; quarantinedBlocks: u32;
  quarantinedBytes: u32; weakHeldBytes: u32;
}

// ObjectWalk is the largest of the three (test/records.test.ts checks it).
// @ts-ignore: decorator
@inline export const WALK_RECORD_SIZE: usize = offsetof<ObjectWalk>();
export const WALK_RECORD: usize = memory.data(<i32>WALK_RECORD_SIZE, 16);
export const STATS_RECORD: usize = memory.data(offsetof<HeapStats>(), 16);

/** The block after `after` (0: the first) in address order, described in WALK_RECORD; 0 when done. */
export function nextBlock(after: usize): usize {
  if (!tail) return 0;
  let block = after ? after + SIZE(after) : heapStart;
  if (block >= tail) return 0;
  let r = changetype<BlockWalk>(WALK_RECORD);
  r.block = <u32>block;
  r.size = <u32>SIZE(block);
  r.kind = blockKind(block);
  r.payload = r.kind == BLOCK_LIVE ? <u32>PAYLOAD(block) : 0;
  return block;
}

/** The live object after payload `after` (0: the first), in address order; 0 when done. */
export function nextObject(after: usize): usize {
  if (!tail) return 0;
  let block = after ? BLOCK(after) + SIZE(BLOCK(after)) : heapStart;
  while (block < tail) {
    if (isObject(block)) {
      let r = changetype<ObjectWalk>(WALK_RECORD);
      r.payload = <u32>PAYLOAD(block);
      r.size = <u32>OBJECT_SIZE(block);
      let raw = isRaw(block);
      r.refs = raw ? 1 : REFS(block);
      r.order = ORDER(block);
      r.site = SITE(block);
      r.putSite = PUT_SITE(block);
      r.ignored = isIgnored(block) ? 1 : 0;
      r.weak = weakCount(block);
      r.raw = raw ? 1 : 0;
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
  for (let index = max(cursor ? cursor - 1 : 0, firstIndex()); index < tableLength; index++) {
    let slot = SLOT(index);
    let state = SLOT_STATE(slot);
    if (state & LIVE) {
      let r = changetype<ReferenceWalk>(WALK_RECORD);
      r.handle = HANDLE(index, state & GEN_MASK);
      r.payload = <u32>PAYLOAD(SLOT_OBJECT(slot));
      r.site = SLOT_SITE(slot);
      r.order = SLOT_ORDER(slot);
      r.owner = SLOT_OWNER(slot);
      r.weak = state & WEAK ? 1 : 0;
      r.size = <u32>OBJECT_SIZE(SLOT_OBJECT(slot));
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
  let r = changetype<HeapStats>(STATS_RECORD);
  r.pages = <u32>memory.size();
  r.heapBytes = tail ? <u32>(tail - heapStart) : 0;
  r.liveObjects = objects;
  r.liveBytes = liveBytes;
  r.freeBytes = freeBytes;
  r.cachedBytes = cachedBytes;
  r.internalBytes = internalBytes;
  r.liveReferences = CHECKED ? liveCount() : 0;
  r.retiredSlots = CHECKED ? retiredCount : 0;
  r.quarantinedBlocks = CHECKED ? queuedBlocks : 0;
  r.quarantinedBytes = CHECKED ? <u32>queuedBytes : 0;
  r.weakHeldBytes = deadBytes - (CHECKED ? <u32>queuedBytes : 0);
}
