// === Object lifecycle: how objects are born, referenced, held back and freed (the policy layer) ===
//
// The layers below are mechanisms: blocks.ts hands out and takes back blocks, handles.ts issues
// and releases table slots, pairs.ts stores per-object facts, quarantine.ts holds dead blocks.
// This file decides *when* each is used, so no lower layer ever calls up: like AssemblyScript's
// collector, it gives memory back (drains the quarantine) before it asks blocks.ts again, rather
// than blocks.ts reaching up into the quarantine. Block states: the table in layout.ts.
//
// Glossary of the lifecycle verbs (each is a function here or in the layer named):
//   reserve   make sure a later step cannot fail: a table slot (reserveSlot), a pair entry
//             (reservePair), quarantine room (roomFor). Every operation reserves, then mutates,
//             so a trap leaves the heap as it was (the debug build checks each reservation).
//   issue     hand out a new handle for an object (handles.ts); release ends one.
//   end       the last strong reference was put (freeObject → endObject).
//   kill      mark an ended object DEAD and poison it (checked): its block is held, not reused.
//   hold      a dead block is kept by the quarantine FIFO and/or weak handles.
//   evict     a held block leaves the quarantine after its poison is verified (quarantine.ts).
//   free      the block goes back to blocks.ts (quick list or TLSF) for reuse.
//   reclaim   memory ran out: give back every held block (drain), then try once more.

import { CHECKED, CLASS_MAX, DEBUG, HEADER, QUICK_MAX, SHARED } from "./config";
import { allocBlock, allocGrownBlock, freeBlock, freeDeadBlock, takeQuickBlock } from "./blocks";
import { blockSizeFor } from "./quick-lists";
import { E_OUT_OF_MEMORY, failure, MSG_HANDLES_EXHAUSTED, MSG_OUT_OF_MEMORY } from "./errors";
import { awaitPins, freeCount, freeStaleTable, growTable, indicesUsedUp, nextOrders, slotReady, slotWaiting } from "./handles";
import {
  COUNT, DEAD, INFO, OBJECT_SIZE, PAIRED, PAYLOAD, SETFITTED, SETINFO, SETMARK, SETOBJECT, SIZE, MAX_SLACK,
  REFS_MASK, TAGS_MASK,
} from "./layout";
import { pairCount, pairDelete, pairGet, pairsRekey, pairsReserve, pairSet, TAG_IGNORED, TAG_WEAK } from "./pairs";
import { drain, enqueue, makeRoom, maxBlocks, needsRoom, poison, poisonLengthFor, poisonPayload, queue, queuedBlocks } from "./quarantine";
import { growBlockInPlace, shrinkBlock } from "./tlsf";
import { settleAllDeaths } from "./thread-deaths";
import { excludeReaders, onlyReader } from "./thread-slots";

/** Reclaim: memory ran out, so give back every block the quarantine holds (verifying its poison
 *  on the way out). True when that freed something worth another try. Never makes an allocation
 *  fail that would succeed without the quarantine. The shared checked build first keeps the
 *  lock-free paths out (until this hold ends) and settles every thread's own quarantine into
 *  the quarantine (thread-deaths.ts), so the blocks of objects that died without the lock go
 *  back too; and, with no other instance attached, frees the table's spare chunks and kept
 *  directories (handles.ts "Table"), which it keeps while other threads may read them. */
export function reclaim(): bool {
  if (!CHECKED) return false;
  // settling may free memory by itself: retiring a thread's slots to retire can free a whole table chunk
  let freed = false;
  if (SHARED) {
    if (excludeReaders()) awaitPins(); // lock-free gets and puts too (handles.ts)
    freed = settleAllDeaths();
    // after settling (it may add spares); the debug build has no lock-free readers at all
    if ((DEBUG || onlyReader()) && freeStaleTable()) freed = true;
  }
  if (!queuedBlocks) return freed;
  drain();
  return true;
}

/** Reserve a table slot for the next issue(); traps with OUT_OF_MEMORY before any change. The
 *  test inline is the common case of issue() (a waiting slot to reuse), the rest out of line. */
// @ts-ignore: decorator
@inline export function reserveSlot(): void {
  if (!slotWaiting()) reserveSlotSlow();
}

function reserveSlotSlow(): void {
  if (slotReady() || growTable() || (reclaim() && growTable())) return;
  // No chunk to be had: reuse a quarantined slot early rather than fail. Failing, say which
  // limit: every index taken (live, or retired after its 16 issues), or memory for a chunk.
  if (!freeCount) failure(0).raise(E_OUT_OF_MEMORY, indicesUsedUp() ? MSG_HANDLES_EXHAUSTED : MSG_OUT_OF_MEMORY);
}

/** Reserve an entry in the pair map; traps with OUT_OF_MEMORY (naming `h`) before any change. */
export function reservePair(h: u32): void {
  if (!pairsReserve() && !(reclaim() && pairsReserve())) failure(h).raise(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY);
}

/** Checked build: reserve quarantine room for `block` if the coming change may end it (the test
 *  inline, the eviction out of line: it evicts a batch, so most calls find room). */
// @ts-ignore: decorator
@inline export function roomFor(block: usize): void {
  if (needsRoomFor(block)) makeRoom(SIZE(block));
}

/** roomFor()'s test alone, for a caller that branches to two calls (references.ts drop). */
// @ts-ignore: decorator
@inline export function needsRoomFor(block: usize): bool {
  return CHECKED && needsRoom(SIZE(block));
}

/** A block of `size` bytes, reclaiming once when memory is exhausted; 0 if still none. */
// @ts-ignore: decorator
@inline function allocOrReclaim(size: usize): usize {
  let block = allocBlock(size);
  return block ? block : allocAfterReclaim(size);
}

function allocAfterReclaim(size: usize): usize {
  return reclaim() ? allocBlock(size) : 0;
}

/** allocOrReclaim for an object a resize moves out of its block of `from` bytes (blocks.ts). */
// @ts-ignore: decorator
@inline function allocGrownOrReclaim(size: usize, from: usize): usize {
  let block = allocGrownBlock(size, from);
  return block ? block : allocAfterReclaim(size);
}

/** Largest object size: its block must stay within MAX_BLOCK (tlsf.ts). */
// @ts-ignore: decorator
@inline export const MAX_OBJECT: u32 = <u32>((<usize>1 << 31) - 16 - HEADER);

/** A new object of `size` bytes holding one reference, or 0 when memory is exhausted. The checked
 *  build takes `orders` orders in one step: 2 for an object with its first reference (its order
 *  + 1 is the reference's: references.ts allocate), 1 for a raw block (the shared build takes 2
 *  always: a raw block leaves the second unused). */
// @ts-ignore: decorator
@inline export function newObject(size: u32, site: u32, orders: u32): usize {
  // Checked, a quick-list size: a cached block of the exact size straight through, a cache miss
  // a call of its own (V8 joined the cache's and the fallback's results, then tested the block
  // three times and its size again before the header's four words). Not the unchecked build
  // (there the call on a miss cost more than the tests: FIFO queue +3.5 instructions per
  // action), nor larger sizes (a call more for each: random 1..10000 +11). The shared checked
  // build takes this path too: it allocates under the heap lock, as allocBlock's own pop does.
  let blockSize = blockSizeFor(<usize>size, HEADER);
  if (!CHECKED || blockSize > QUICK_MAX) return newObjectAnyhow(size, site, orders);
  let block = takeQuickBlock(blockSize);
  if (!block) return newObjectElsewhere(size, site, orders);
  SETFITTED(block, blockSize, HEADER, size, 1);
  writeObjectHeader(block, site, orders);
  return block;
}

/** newObject() of a quick-list size whose cache is empty (checked build). */
function newObjectElsewhere(size: u32, site: u32, orders: u32): usize {
  return newObjectAnyhow(size, site, orders);
}

/** newObject() from any block allocBlock finds. */
// @ts-ignore: decorator
@inline function newObjectAnyhow(size: u32, site: u32, orders: u32): usize {
  let blockSize = blockSizeFor(<usize>size, HEADER);
  let block = allocOrReclaim(blockSize);
  if (!block) return 0;
  // A quick-list block has exactly the size asked (slack < 16); a larger one may be a size class's.
  if (blockSize <= QUICK_MAX) SETFITTED(block, blockSize, HEADER, size, 1);
  else SETOBJECT(block, <usize>size, 1);
  writeObjectHeader(block, site, orders);
  return block;
}

/** The checked header's words past the count (layout.ts). */
// @ts-ignore: decorator
@inline function writeObjectHeader(block: usize, site: u32, orders: u32): void {
  if (CHECKED) {
    store<u32>(block, nextOrders(SHARED ? 2 : orders), 8);
    store<u32>(block, site, 12);
    store<u64>(block, 0, 16); // putSite and mark: one store (one x86 instruction fewer per alloc)
  }
}

/** Ends an object whose last strong reference was put. Room in the quarantine must have been
 *  reserved (roomFor) in the checked build. */
// @ts-ignore: decorator
@inline export function freeObject(block: usize): void {
  let info = INFO(block);
  if (CHECKED) endHeldObject(block, info); // every checked death: its one call is the caller's
  else if (info & (PAIRED | DEAD)) endObject(block, info);
  else freeBlock(block, <usize>(info & ~TAGS_MASK));
}

/** endHeldObject as a function: the unchecked build's rare path (weak handles or marks). Binaryen
 *  inlines it into releaseObject, its one caller there, since the death lost its checked-only tail;
 *  a standalone alloc/get/put loop measured the same time either way (1.00x, 21 rounds). */
function endObject(block: usize, info: u32): void {
  endHeldObject(block, info);
}

// @ts-ignore: decorator
@inline function endHeldObject(block: usize, info: u32): void {
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
  if (CHECKED && !SHARED && !weak) { // the plain build's queued death: dropLast's too
    killQueued(block, info);
    return;
  }
  // Dead but held: by weak handles (upgrade() now returns 0) and/or, checked, the quarantine.
  SETINFO(block, info | DEAD);
  if (!CHECKED) return;
  // killObject and enqueue with the size at hand and the quarantine known to be on (V8 read the
  // info word again after the store above, twice, and tested maxBlocks again)
  let size = <usize>(info & ~TAGS_MASK);
  poisonPayload(block, poisonLengthFor(size));
  if (weak) SETMARK(block, 0); // held only by weak handles: out of the FIFO until the last is put
  else queue(block, size);
}

/** The plain checked build's queued death (endHeldObject, and references.ts dropLast inline: no
 *  pairs, the quarantine on), with no call before its end: the block is marked DEAD, queued, then
 *  poisoned, so the poison's out-of-line fallback (a custom length) is the last step and no value
 *  lives across its call. (The shared build poisons before it queues: endHeldObject.) */
// @ts-ignore: decorator
@inline export function killQueued(block: usize, info: u32): void {
  SETINFO(block, info | DEAD);
  let size = <usize>(info & ~TAGS_MASK);
  queue(block, size);
  poisonPayload(block, poisonLengthFor(size));
}

/** Marks a held dead block: out of the quarantine FIFO for now, poisoned (checked build). */
// @ts-ignore: decorator
@inline function killObject(block: usize): void {
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

/** Weak handles held on the object of `block`. */
// @ts-ignore: decorator
@inline export function weakCount(block: usize): u32 {
  return INFO(block) & PAIRED ? pairGet(block, TAG_WEAK) : 0;
}

/** One more weak handle on `block`; reservePair() must have run. */
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

/** Marks the object "not a leak"; reservePair() must have run. */
export function ignoreObject(block: usize): void {
  pairSet(block, TAG_IGNORED, 1);
  SETINFO(block, INFO(block) | PAIRED);
}

// @ts-ignore: decorator
@inline export function isIgnored(block: usize): bool {
  return (INFO(block) & PAIRED) != 0 && pairGet(block, TAG_IGNORED) != 0;
}

/**
 * The object's block after resizing it to `size` bytes: the same block when it could shrink or
 * grow in place, else a new block holding a copy (the old block is freed). 0 when memory is
 * exhausted; the object is then untouched. `moveToGrow` (checked, with a quarantine): growth past
 * the block always moves, so the old block is poisoned and a stale pointer into it is caught.
 */
export function resizeObject(block: usize, size: u32, moveToGrow: bool = false): usize {
  let blockSize = blockSizeFor(<usize>size, HEADER);
  let have = SIZE(block);
  let count = COUNT(block) & REFS_MASK;
  if (blockSize <= have) {
    // Keep the block while the slack is small; a medium (size-class) block also while the object
    // still fills a quarter of it: shrinking one costs a split and a coalesce in TLSF (cold
    // neighbours), and a later growth within it is free (random 1..10000: 0.7x the time of
    // shrinking past an eighth, same peak pages). Else give the tail back.
    let keepMedium = have - (QUICK_MAX + 16) <= CLASS_MAX - (QUICK_MAX + 16) && blockSize >= have >> 2;
    if (have - HEADER - <usize>size > MAX_SLACK && !keepMedium) shrinkBlock(block, blockSize);
  } else if ((CHECKED && moveToGrow && maxBlocks != 0) || !growBlockInPlace(block, blockSize)) {
    let moved = allocGrownOrReclaim(blockSize, have);
    // no room for a move: growing in place still beats failing where the unchecked build succeeds
    if (!moved && CHECKED && moveToGrow && growBlockInPlace(block, blockSize)) {
      SETOBJECT(block, <usize>size, count);
      return block;
    }
    if (!moved) return 0;
    let oldSize = OBJECT_SIZE(block);
    memory.copy(PAYLOAD(moved), PAYLOAD(block), <usize>min(oldSize, <usize>size));
    if (CHECKED) { // order, sites, mark: 16 bytes in two moves (memory.copy is a call into the engine)
      store<u64>(moved + 8, load<u64>(block + 8));
      store<u64>(moved + 16, load<u64>(block + 16));
    }
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
  SETOBJECT(block, <usize>size, count);
  return block;
}
