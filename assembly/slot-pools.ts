// === Slot pools (shared checked build): each thread's free table slots, issued without the lock ===
//
// A lock-free get (fast-references.ts) issues its new handle from its thread's pool, and a
// lock-free put gives the slot back to it, as mimalloc's thread-local free lists do for blocks.
// A pool (its record: thread-slots.ts) has two lists of free slots, linked through the slot's
// +24 by address, each slot holding its own index at +12, as the table's own free FIFO does
// (handles.ts addWaiting): taking a slot reads one line, the slot's, where a link by index went
// through the directory first, twice per get or alloc. A list's count bounds it, so its last
// link is stale:
//   ready       slots to issue: taken under the lock in batches (refillPool) from the table's
//               FIFO (only past its own SLOT_QUARANTINE) or fresh indices (state FRESH)
//   quarantine  the slots this thread's lock-free puts freed, oldest first; issued again only
//               while more than SLOT_QUARANTINE wait, so a double put soon after still finds the
//               first put's site in the slot, as in the single-threaded build
// A thread that frees more than it takes (a consumer) would hoard slots: once its quarantine
// holds POOL_BATCH more than it keeps, the oldest go to the table's FIFO (spillPool, under the
// lock), whence any thread takes them. A detaching thread gives its whole pool back (flushPool).
// Only a pool's thread changes it: without the lock on the fast paths, with it here.

import { MAX_THREADS, SLOT_QUARANTINE } from "./config";
import { corrupt } from "./errors";
import {
  addWaiting, FRESH, freeCount, freshGen, growTable, LIVE, RETIRED, SLOT, SLOT_NEXT_WAITING, SLOT_STATE,
  SLOT_WAITING_INDEX, tableCapacity, tableLength, takeWaiting,
} from "./handles";
import { SLOT_SIZE } from "./handle-lookup";
import { reclaim } from "./lifecycle";
import {
  ownRecord, QUARANTINE_COUNT, QUARANTINE_HEAD, QUARANTINE_TAIL, READY_COUNT, READY_HEAD, slotRecord,
} from "./thread-slots";

/** Slots a refill takes at once, and a spill gives back. */
// @ts-ignore: decorator
@inline export const POOL_BATCH: u32 = 64;

/** True when this thread's pool has a slot to issue. */
// @ts-ignore: decorator
@inline export function poolReady(pool: usize): bool {
  return load<u32>(pool, QUARANTINE_COUNT) > SLOT_QUARANTINE || load<u32>(pool, READY_COUNT) != 0;
}

/** True when this thread's quarantine holds slots it should give back (spillPool). */
// @ts-ignore: decorator
@inline export function poolOverflows(pool: usize): bool {
  return load<u32>(pool, QUARANTINE_COUNT) > SLOT_QUARANTINE + (POOL_BATCH << 1);
}

/** Takes a slot out of the pool (poolReady must hold): the oldest of the quarantine when more
 *  than SLOT_QUARANTINE wait, else a ready one. Its index: SLOT_WAITING_INDEX, until the slot is
 *  written. A pooled slot's chunk stays (only a chunk of retired slots is freed), so its address
 *  holds whichever directory is published. */
// @ts-ignore: decorator
@inline export function takePooled(pool: usize): usize {
  let quarantined = load<u32>(pool, QUARANTINE_COUNT);
  if (quarantined > SLOT_QUARANTINE) {
    let slot = <usize>load<u32>(pool, QUARANTINE_HEAD);
    store<u32>(pool, <u32>SLOT_NEXT_WAITING(slot), QUARANTINE_HEAD);
    store<u32>(pool, quarantined - 1, QUARANTINE_COUNT);
    return slot;
  }
  let slot = <usize>load<u32>(pool, READY_HEAD);
  store<u32>(pool, <u32>SLOT_NEXT_WAITING(slot), READY_HEAD);
  store<u32>(pool, load<u32>(pool, READY_COUNT) - 1, READY_COUNT);
  return slot;
}

/** Queues the ended `slot` (number `index`) in the pool's quarantine. */
// @ts-ignore: decorator
@inline export function givePooled(pool: usize, slot: usize, index: u32): void {
  store<u32>(slot, index, 12); // the reference's order is not read once it ended (as addWaiting)
  let count = load<u32>(pool, QUARANTINE_COUNT);
  if (count) store<u32>(<usize>load<u32>(pool, QUARANTINE_TAIL), <u32>slot, 24);
  else store<u32>(pool, <u32>slot, QUARANTINE_HEAD);
  store<u32>(pool, <u32>slot, QUARANTINE_TAIL);
  store<u32>(pool, count + 1, QUARANTINE_COUNT);
}

/** Fills this thread's ready list up to POOL_BATCH slots. The heap lock is held. Stops early
 *  when the table cannot grow: the locked path then reports OUT_OF_MEMORY as ever. The pool is
 *  stored after every slot: reclaim() may trap (a poisoned block in the quarantine), and a slot
 *  taken off the table must then be on the pool's list, not lost. */
export function refillPool(): void {
  let pool = ownRecord();
  if (!pool) return;
  let ready = load<u32>(pool, READY_COUNT);
  let head = load<u32>(pool, READY_HEAD);
  while (ready < POOL_BATCH) {
    let slot: usize;
    if (freeCount > SLOT_QUARANTINE) {
      slot = takeWaiting(); // its index at +12 already
    } else {
      if (tableLength == tableCapacity && !growTable() && !(reclaim() && growTable())) break;
      let index = tableLength++;
      slot = SLOT(index);
      store<u32>(slot, index, 12);
      store<u32>(slot, 0, 28); // no story yet
      // FRESH: generation 0 next; ended at generation 0 (state 0): 1 next (handles.ts freshGen)
      atomic.store<u32>(slot + 4, freshGen(index) ? 0 : FRESH);
    }
    store<u32>(slot, head, 24);
    head = <u32>slot;
    ready++;
    store<u32>(pool, head, READY_HEAD);
    store<u32>(pool, ready, READY_COUNT);
  }
}

/** Gives the oldest slots of this thread's quarantine past SLOT_QUARANTINE + POOL_BATCH to the
 *  table's FIFO. The heap lock is held. */
export function spillPool(): void {
  let pool = ownRecord();
  if (!pool) return;
  let count = load<u32>(pool, QUARANTINE_COUNT);
  let slot = <usize>load<u32>(pool, QUARANTINE_HEAD);
  while (count > SLOT_QUARANTINE + POOL_BATCH) {
    let next = SLOT_NEXT_WAITING(slot);
    addWaiting(slot, SLOT_WAITING_INDEX(slot)); // to the table's free FIFO
    slot = next;
    count--;
  }
  store<u32>(pool, <u32>slot, QUARANTINE_HEAD);
  store<u32>(pool, count, QUARANTINE_COUNT);
}

/** Gives this thread's whole pool to the table's FIFO (it detaches). The heap lock is held. */
export function flushPool(): void {
  let pool = ownRecord();
  if (pool) flushPoolOf(pool);
}

/** Gives the whole pool of record `pool` to the table's FIFO: a detaching thread's own, or one
 *  of a thread that ended without detaching (shared.ts reclaimThread). The heap lock is held. */
export function flushPoolOf(pool: usize): void {
  giveListToTable(<usize>load<u32>(pool, READY_HEAD), load<u32>(pool, READY_COUNT));
  giveListToTable(<usize>load<u32>(pool, QUARANTINE_HEAD), load<u32>(pool, QUARANTINE_COUNT));
  store<u32>(pool, 0, READY_COUNT);
  store<u32>(pool, 0, QUARANTINE_COUNT);
}

function giveListToTable(slot: usize, count: u32): void {
  for (let n: u32 = 0; n < count; n++) {
    let next = SLOT_NEXT_WAITING(slot);
    addWaiting(slot, SLOT_WAITING_INDEX(slot)); // to the table's free FIFO
    slot = next;
  }
}

/** validate(): every pool's lists hold free slots of the table, the quarantine ends at its
 *  tail; returns how many slots the pools hold. No thread may run meanwhile. The lists link
 *  slots by address: each link is checked to lie in the heap [start, end) before anything is
 *  read through it (a corrupted link is a CorruptHeapError, not a trap). */
export function validateSlotPools(start: usize, end: usize): u32 {
  let pooled: u32 = 0;
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let pool = slotRecord(t);
    pooled += checkPoolList(<usize>load<u32>(pool, READY_HEAD), load<u32>(pool, READY_COUNT), 0, start, end);
    pooled += checkPoolList(<usize>load<u32>(pool, QUARANTINE_HEAD), load<u32>(pool, QUARANTINE_COUNT),
      <usize>load<u32>(pool, QUARANTINE_TAIL), start, end);
  }
  return pooled;
}

function checkPoolList(slot: usize, count: u32, tail: usize, start: usize, end: usize): u32 {
  let last = slot;
  for (let n: u32 = 0; n < count; n++) {
    // `slot > end - SLOT_SIZE`, not `slot + SLOT_SIZE > end`: the sum wraps near 2^32
    if (slot < start || slot > end - SLOT_SIZE) corrupt("rcalloc validate: a thread's slot pool leaves the table", <u32>slot);
    let index = SLOT_WAITING_INDEX(slot);
    if (index >= tableLength || SLOT(index) != slot) corrupt("rcalloc validate: a thread's slot pool leaves the table", <u32>slot);
    if (SLOT_STATE(slot) & (LIVE | RETIRED)) corrupt("rcalloc validate: a thread's slot pool holds a live or retired slot", index);
    last = slot;
    slot = SLOT_NEXT_WAITING(slot);
  }
  if (count && tail && last != tail) corrupt("rcalloc validate: a thread's slot quarantine does not end at its tail", <u32>last);
  return count;
}
