// === Lock-free alloc, get and put (shared checked build) ===
//
// alloc of a small object, get, and put (the last one too, for a small object without weak
// handles or marks) run without the heap lock (shared.ts calls them first; they return 0 /
// false for anything unusual, and the locked path of references.ts runs instead, which also
// raises every error with the usual record). A walk's safe point keeps each out: an alloc is a
// pass of thread-slots.ts, a get or a put holds a pinned slot for its whole change, and the pin
// is its pass (pin, below). Each works on:
//   - the slot of `h`, through the published directory: PINNED for the few instructions the
//     operation takes, by one atomic step on its state word (live | generation → | PINNED).
//     Of two racing puts (or a put and a get, a move, ...) of one handle exactly one pins it;
//     the other waits while it is pinned, then finds it ended and takes the locked path, which
//     raises DOUBLE_PUT (or USE_AFTER_PUT) naming both sites: the winner wrote its end site
//     before it let go.
//   - the object's count word, with atomic steps: a get adds one while its slot is pinned, so the
//     count never falls below the live slots; a put takes one off unless it is the last.
//   - the last put (count 1, read while its slot is pinned): the object dies on the spot (put
//     site, poison, the slot ended) and its block joins this thread's own quarantine
//     (thread-deaths.ts), whose evictions feed this thread's block cache without the lock.
// Why a racing get can never resurrect an object or touch a reused block: it reads the block
// address only from a slot it pinned while live, and a live slot is counted in the object's
// references, so the object cannot reach its last put (let alone be freed and its block reused)
// until the get lets go. A get that loses to the final put fails to pin, and the locked path
// calls it USE_AFTER_PUT. No epoch is needed; the pin is the guard. The locked operations that
// take a reference through a handle (get, getFor, weak, ignore: references.ts) pin it too, so
// a count of 1 read under the pin means no other thread can reach the object through a handle.
//   - a slot from this thread's pool (slot-pools.ts) for the new handle, and the put's slot back
//     to it; the order counter (thread-slots.ts) for the new reference's order.

import { siteOr } from "./host-sites";
import {
  directory, GEN_MASK, GEN_SHIFT, heapTag, INDEX_MASK, LIVE, OWNED, PIN_BY_MASK, PINNED, reissuedGen, SLOT, SLOT_IN, SLOT_OBJECT, SLOT_WAITING_INDEX,
  SLOT_STATE, tableLength, TAG_SHIFT,
} from "./handles";
import { blockSizeFor } from "./quick-lists";
import { HEADER, QUICK_MAX } from "./config";
import { PAIRED, REFS_MASK, SETFITTED, SETPUTSITE, TAGS_MASK } from "./layout";
import { maxBlocks, poisonBytes, poisonPayload } from "./quarantine";
import { popCached } from "./thread-cache";
import { givePooled, takePooled } from "./slot-pools";
import { batchRetiring, DEATH_MAX_BLOCK, queueDeath } from "./thread-deaths";
import {
  alone, enterPassAs, leavePassAs, pinTag, publishedDirectory, publishedPoisonBytes, publishedQuarantineOn, publishedTableLength,
  publishedTag, readersExcluded, takeOrder, takeOrders,
} from "./thread-slots";
import { seeMemory } from "./memory-growth";

// The table as lock-free paths see it: published by the lock's holders (threads.ts,
// thread-slots.ts), or, for an instance alone (`single`), its own globals, which are the heap's
// while no other instance exists (lockHeap never has to load them).
// @ts-ignore: decorator
@inline function tableDirectory(single: bool): usize {
  if (single) return directory;
  let dir = publishedDirectory();
  seeMemory(); // after the load: the directory, and every slot and object it leads to, are below
  return dir;
}
// @ts-ignore: decorator
@inline function tableTag(single: bool): u32 { return single ? heapTag : publishedTag(); }
// @ts-ignore: decorator
@inline function tableSlots(single: bool): u32 { return single ? tableLength : publishedTableLength(); }
// @ts-ignore: decorator
@inline function slotAt(dir: usize, index: u32, single: bool): usize { return single ? SLOT(index) : SLOT_IN(dir, index); }

/** The slot of `h` pinned, or 0 when `h` is not a live strong handle of this heap (the locked
 *  path says what it is) or a holder of the lock keeps lock-free paths out. Waits while another
 *  thread holds the pin. `owned`: an owned reference (getFor, move) is pinned too (a get may
 *  take a new reference through one; a put of one goes to the locked path, which refuses it).
 *  `single` (thread-slots.ts alone): no other thread, so no pin; the slot only needs to be live.
 *
 *  `slots` (the table length) was loaded before `dir`: a holder publishes a new directory
 *  (thread-slots.ts publishDirectory) and stores a new chunk's entry before the atomic store of
 *  a length that covers it (threads.ts saveState), so a length read here comes with a directory
 *  at least as new as one that names a chunk for every index below it (a newer one copied those
 *  entries; the shared build never drops or slides them). Loaded the other way round, a holder
 *  could grow the directory, add chunks and store a larger length between the two loads: an
 *  index past the end of the older directory would pass the length test, and the pin would read
 *  a slot address past its end (a forged handle: a trap, or a pin on a stray word).
 *
 *  Shared, the pin is the pass: a holder of the lock that keeps lock-free paths out sets
 *  EXCLUDED, then waits for every pinned slot (handles.ts awaitPins); this pin comes before the
 *  load of EXCLUDED, so either that load sees it set (let go, take the locked path) or the
 *  holder's wait sees this pin until the operation is done. Read outside any pass, the
 *  directory and the chunk may be old ones: neither is ever freed (handles.ts "Table"), but a
 *  retired chunk's block may serve a new chunk, so once pinned the slot must still be the one
 *  `dir`, still the published directory, names for `index`. */
// @ts-ignore: decorator
@inline function pin(h: u32, dir: usize, slots: u32, single: bool, owned: bool): usize {
  let index = h & INDEX_MASK;
  if ((h >>> TAG_SHIFT) != tableTag(single) || index >= slots) return 0;
  let slot = slotAt(dir, index, single);
  let live = LIVE | ((h >>> GEN_SHIFT) & GEN_MASK);
  // OWNED changes only under the lock, when the slot is issued or ended (a new generation)
  if (owned) live |= (single ? SLOT_STATE(slot) : atomic.load<u32>(slot + 4)) & OWNED;
  if (single) return SLOT_STATE(slot) == live ? slot : 0;
  while (true) {
    let state = atomic.cmpxchg<u32>(slot + 4, live, live | PINNED | pinTag());
    if (state == live) break;
    // Pinned by another thread: wait, unless a holder of the lock keeps lock-free paths out
    // (it may hold that pin: a resize's, while it reclaims memory).
    if ((state & ~PIN_BY_MASK) != (live | PINNED) || readersExcluded()) return 0;
  }
  // The same directory (a newer one may lie in pages seeMemory did not see), naming this chunk.
  if (readersExcluded() || publishedDirectory() != dir || SLOT_IN(dir, index) != slot) {
    atomic.store<u32>(slot + 4, live); // nothing changed under this pin
    return 0;
  }
  return slot;
}

/** get without the lock: the new handle, or 0 (take the locked path). `pool`: this thread's
 *  record, its pool ready (shared.ts readyPool). */
// @ts-ignore: decorator
@inline export function getFast(pool: usize, h: u32, site: u32): u32 {
  return alone() ? getPass(pool, h, site, true) : getPass(pool, h, site, false);
}

// @ts-ignore: decorator
@inline function getPass(pool: usize, h: u32, site: u32, single: bool): u32 {
  if (single && !enterPassAs(single)) return 0; // shared: the pin is the pass (pin)
  let slots = tableSlots(single); // before the directory (pin)
  let dir = tableDirectory(single);
  let slot = dir ? pin(h, dir, slots, single, true) : 0;
  if (!slot) return 0;
  let block = SLOT_OBJECT(slot);
  // while `slot` is pinned: the object is live, counted by it
  if (single) store<u32>(block, load<u32>(block, 4) + 1, 4);
  else atomic.add<u32>(block + 4, 1);
  let handle = issuePooled(pool, block, siteOr(site), takeOrder(), h >>> TAG_SHIFT);
  // An atomic store: the thread that pins the slot next (or a walk, awaitPins) must see the
  // count this get raised and the pool it changed (a plain store gives no such order on weakly
  // ordered machines: a last put there could read the count from before this get and end an
  // object it still holds).
  if (!single) atomic.store<u32>(slot + 4, SLOT_STATE(slot) & ~(PINNED | PIN_BY_MASK));
  return handle;
}

/** A new handle (heap tag `tag`) for `block` from this thread's pool (poolReady must hold).
 *  Plain stores: the handle reaches no other thread before the atomic store that ends the
 *  alloc's pass or the get's pin. */
// @ts-ignore: decorator
@inline function issuePooled(pool: usize, block: usize, site: u32, order: u32, tag: u32): u32 {
  let slot = takePooled(pool);
  let index = SLOT_WAITING_INDEX(slot);
  let gen = reissuedGen(slot);
  store<u32>(slot, <u32>block);
  store<u32>(slot, site, 8);
  store<u32>(slot, order, 12);
  store<u32>(slot, LIVE | gen, 4); // not OWNED: the owner word is not read
  return (tag << TAG_SHIFT) | (gen << GEN_SHIFT) | index;
}

/** alloc without the lock: a small object from this thread's cache of blocks (thread-cache.ts,
 *  fed by the blocks its quarantine evictions free) and a handle from its slot pool; 0 when it
 *  has no block (take the locked path). The header as lifecycle.ts newObject writes it.
 *  `pool`: as getFast's. */
// @ts-ignore: decorator
@inline export function allocFast(pool: usize, size: u32, site: u32): u32 {
  return alone() ? allocPass(pool, size, site, true) : allocPass(pool, size, site, false);
}

// @ts-ignore: decorator
@inline function allocPass(pool: usize, size: u32, site: u32, single: bool): u32 {
  if (size > <u32>(QUICK_MAX - HEADER)) return 0;
  let tag = tableTag(single);
  if (!tag) return 0;
  if (!enterPassAs(single)) return 0; // the cache too: a walk reads it
  let dir = tableDirectory(single);
  let blockSize = blockSizeFor(<usize>size, HEADER);
  let block = dir ? popCached(blockSize) : 0;
  if (!block) { leavePassAs(single); return 0; }
  site = siteOr(site);
  let order = takeOrders(2); // the object's and its first reference's, in one step
  SETFITTED(block, blockSize, HEADER, size, 1);
  store<u32>(block, order, 8);
  store<u32>(block, site, 12);
  store<u32>(block, 0, 16);
  store<u32>(block, 0, 20);
  let handle = issuePooled(pool, block, site, order + 1, tag);
  leavePassAs(single);
  return handle;
}

/** put without the lock; false: take the locked path (an owned or weak handle, an error, a
 *  safe point, and a last put that cannot die here: see dies). `pool`: this thread's record,
 *  its quarantine with room (shared.ts putChecked evicts from a full one first). */
// @ts-ignore: decorator
@inline export function putFast(pool: usize, h: u32, site: u32): bool {
  return alone() ? putPass(pool, h, site, true) : putPass(pool, h, site, false);
}

// @ts-ignore: decorator
@inline function putPass(pool: usize, h: u32, site: u32, single: bool): bool {
  let gen = (h >>> GEN_SHIFT) & GEN_MASK;
  if (single && !enterPassAs(single)) return false; // shared: the pin is the pass (pin)
  let slots = tableSlots(single); // before the directory (pin)
  let dir = tableDirectory(single);
  let slot = dir ? pin(h, dir, slots, single, false) : 0; // an owned reference is not pinned: putFor ends it
  if (!slot) return false;
  let block = SLOT_OBJECT(slot);
  let word = block + 4;
  site = siteOr(site);
  SETPUTSITE(block, site); // before the count: once it is down, another put may end the object
  while (true) {
    let count = single ? load<u32>(word) : atomic.load<u32>(word);
    if ((count & REFS_MASK) <= 1) { // the last reference
      if (!dies(pool, block, single)) break;
      endPinned(pool, slot, h, site, single);
      return true;
    }
    if (single) store<u32>(word, count - 1);
    else if (atomic.cmpxchg<u32>(word, count, count - 1) != count) continue;
    endPinned(pool, slot, h, site, single);
    return true;
  }
  if (!single) atomic.store<u32>(slot + 4, LIVE | gen);
  return false;
}

/** Ends the pinned `slot` of `h`: the slot goes to this thread's pool, or at its last
 *  generation to its record's slots to retire under the lock (thread-deaths.ts). */
// @ts-ignore: decorator
@inline function endPinned(pool: usize, slot: usize, h: u32, site: u32, single: bool): void {
  let gen = (h >>> GEN_SHIFT) & GEN_MASK;
  store<u32>(slot, site, 20);
  if (gen == GEN_MASK) batchRetiring(pool, slot, h & INDEX_MASK);
  else givePooled(pool, slot, h & INDEX_MASK);
  // Ended, which lets go of the pin: atomic, as getPass's unpin, so whoever pins or reads the
  // slot next (or a walk, awaitPins) sees the count, the end site, the pool's links and the
  // thread's quarantine written before it.
  if (single) store<u32>(slot, gen, 4);
  else atomic.store<u32>(slot + 4, gen);
}

/** The last put of `block`'s object, its slot pinned: kills it without the lock when it can
 *  (true) — poisoned as the quarantine would, and queued in this thread's quarantine
 *  (thread-deaths.ts). False for a death the lock must see: weak handles or an ignore mark
 *  (PAIRED: the pair map), a block above DEATH_MAX_BLOCK, the quarantine off (the block is freed
 *  at once). putFast's caller made sure the thread's quarantine has room. */
// @ts-ignore: decorator
@inline function dies(pool: usize, block: usize, single: bool): bool {
  // Atomic: a holder of the lock may set LEFTFREE in this word meanwhile (TLSF); PAIRED changes
  // only through a pinned handle, and this put holds the only live one. Alone, the settings are
  // this instance's own globals (no other instance holds the lock meanwhile).
  let info = single ? load<u32>(block) : atomic.load<u32>(block);
  let size = <usize>(info & ~TAGS_MASK);
  if ((info & PAIRED) || size > DEATH_MAX_BLOCK || !(single ? maxBlocks != 0 : publishedQuarantineOn())) return false;
  poisonPayload(block, min(size - HEADER, <usize>(single ? poisonBytes : publishedPoisonBytes())));
  queueDeath(pool, block, size);
  return true;
}
