// === Thread deaths (shared checked build): each thread's batch of objects that died without the lock ===
// (and of the handle-table slots its lock-free puts ended at their last generation)
//
// The last put of a small object runs without the heap lock (fast-references.ts putFast): it
// writes the put site, poisons the payload and ends the slot (into its thread's slot pool) on
// the spot, but the quarantine (quarantine.ts) is module state that only a holder of the lock
// has, so the block waits on its thread's batch of deaths: a FIFO linked through the block's
// mark word (+20, the quarantine's own link), in the thread's record (thread-slots.ts). The
// batch is settled into the quarantine under the lock:
//   - by its thread, DEATH_BATCH at a time, before a put that finds it full (settleOwnDeaths:
//     it evicts to make room as a locked put does, so a WRITE_AFTER_FREE found on eviction traps
//     before that put has changed anything);
//   - by a holder that keeps lock-free paths out (settleAllDeaths, from lockHeapExclusive: the
//     walk, validate(), report(), stats, the scan, setQuarantine; and reclaim() in lifecycle.ts
//     when memory runs out), so a safe point never sees a batched death: every dead object is
//     DEAD and queued, where validate() counts it and the walk leaves it out;
//   - when its thread is done (settleDeathsOf: detachThread, and reclaimThread for a thread
//     that ended outside a pass and holding no pin).
// A batched block is dying: its object has no live handle left, but the block is not DEAD yet,
// because its info word is TLSF's to change under the lock (a left neighbour freed sets its
// LEFTFREE with a plain read-modify-write), so only a holder of the lock may write it. Count
// word 1, as any dead block's (stale). Nothing reaches it meanwhile: no handle to it is live,
// the walk and the scan settle first, TLSF never merges a used block. Only blocks up to
// QUICK_MAX die this way, so a batch holds at most DEATH_BATCH KiB outside the quarantine's
// limits (and reclaim() settles every batch before memory is declared exhausted).
//
// The batch holds slots to retire too: a put of a handle at its slot's last generation (one
// put in 16) ends the slot without the lock, but retiring it (handles.ts retireSlot: the
// table's counts, maybe freeing its chunk) is the lock's. Until settled such a slot reads ended
// at that generation, so a stale handle to it is named as ever (DOUBLE_PUT, USE_AFTER_PUT).

import { MAX_THREADS, QUICK_MAX } from "./config";
import { corrupt } from "./errors";
import { DEAD, INFO, MARK, SETINFO, SETMARK, SIZE } from "./layout";
import { enqueue, makeRoom } from "./quarantine";
import { GEN_MASK, retireSlot, SLOT } from "./handles";
import {
  DEATHS_COUNT, DEATHS_HEAD, DEATHS_TAIL, ownRecord, RETIRING_COUNT, RETIRING_HEAD, slotRecord,
} from "./thread-slots";

/** Deaths a thread batches before it settles them under the lock. */
// @ts-ignore: decorator
@inline export const DEATH_BATCH: u32 = 32;
/** Largest block that may die without the lock. */
// @ts-ignore: decorator
@inline export const DEATH_MAX_BLOCK: usize = QUICK_MAX;

/** True when the batch of record `pool` has room for one more put's death and retiring slot. */
// @ts-ignore: decorator
@inline export function batchRoom(pool: usize): bool {
  return load<u32>(pool, DEATHS_COUNT) < DEATH_BATCH && load<u32>(pool, RETIRING_COUNT) < DEATH_BATCH;
}

/** Appends the dying `block` to the batch of record `pool` (its own thread's put, holding the
 *  pin of the slot it ends: a walk waits for it, fast-references.ts pin). */
// @ts-ignore: decorator
@inline export function batchDeath(pool: usize, block: usize): void {
  SETMARK(block, 0);
  let count = load<u32>(pool, DEATHS_COUNT);
  if (count) SETMARK(<usize>load<u32>(pool, DEATHS_TAIL), <u32>block);
  else store<u32>(pool, <u32>block, DEATHS_HEAD);
  store<u32>(pool, <u32>block, DEATHS_TAIL);
  store<u32>(pool, count + 1, DEATHS_COUNT);
}

/** Adds the ended `slot` (number `index`, at the last generation) to the slots record `pool`'s
 *  thread will retire (its own thread's put, holding that slot's pin). */
// @ts-ignore: decorator
@inline export function batchRetiring(pool: usize, slot: usize, index: u32): void {
  store<u32>(slot, load<u32>(pool, RETIRING_HEAD), 24);
  store<u32>(pool, index, RETIRING_HEAD);
  store<u32>(pool, load<u32>(pool, RETIRING_COUNT) + 1, RETIRING_COUNT);
}

/** Settles this thread's batch (its slots retired, its blocks into the quarantine, evicting to
 *  make room first). The heap lock is held. An eviction may trap (WRITE_AFTER_FREE): the batch
 *  then still holds every block not yet queued. */
export function settleOwnDeaths(): void {
  let pool = ownRecord();
  if (pool) settleDeathsOf(pool, true);
}

/** Settles every thread's batch, without evicting (nothing traps here): a holder that keeps
 *  lock-free paths out (thread-slots.ts excludeReaders), so no thread is changing its batch.
 *  The quarantine may then hold more than its limits until the next death makes room. */
export function settleAllDeaths(): bool {
  let settled = false;
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let pool = slotRecord(t);
    if (load<u32>(pool, DEATHS_COUNT) | load<u32>(pool, RETIRING_COUNT)) {
      settleDeathsOf(pool, false);
      settled = true;
    }
  }
  return settled;
}

/** Retires the batch's slots, and queues its blocks, oldest first: each becomes DEAD
 *  (layout.ts) and joins the quarantine FIFO. The heap lock is held, and the batch's thread is this one, or
 *  outside any pass or pin and kept out (excludeReaders, awaitPins), or gone (reclaimThread). `room`: evict to
 *  make room first, as a locked death does. */
export function settleDeathsOf(pool: usize, room: bool): void {
  // The slots first: nothing traps there.
  let index = load<u32>(pool, RETIRING_HEAD);
  for (let n = load<u32>(pool, RETIRING_COUNT); n; n--) {
    let slot = SLOT(index);
    let next = load<u32>(slot, 24);
    store<u32>(pool, next, RETIRING_HEAD);
    store<u32>(pool, n - 1, RETIRING_COUNT);
    retireSlot(slot, index, 0); // a put: no MOVED or RESIZED
    index = next;
  }
  let count = load<u32>(pool, DEATHS_COUNT);
  let block = <usize>load<u32>(pool, DEATHS_HEAD);
  while (count) {
    if (room) makeRoom(SIZE(block)); // may trap: before this block leaves the batch
    let next = <usize>MARK(block);
    store<u32>(pool, <u32>next, DEATHS_HEAD);
    store<u32>(pool, --count, DEATHS_COUNT);
    SETINFO(block, INFO(block) | DEAD);
    enqueue(block); // its mark becomes the quarantine's link
    block = next;
  }
}

/** validate(): at a safe point every batch has been settled. */
export function validateDeaths(): void {
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let count = load<u32>(slotRecord(t), DEATHS_COUNT) + load<u32>(slotRecord(t), RETIRING_COUNT);
    if (count) corrupt("rcalloc validate: a thread's batch of deaths was not settled at the safe point", count);
  }
}
