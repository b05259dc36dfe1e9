// === Thread quarantines (shared checked build): each thread's FIFO of the objects that died without the lock ===
// (and the handle-table slots its lock-free puts ended at their last generation)
//
// The last put of a small object runs without the heap lock (fast-references.ts putFast): it
// writes the put site, poisons the payload and ends the slot (into its thread's slot pool) on
// the spot, and the block joins its thread's own quarantine: a FIFO linked through the block's
// mark word (+20, the quarantine's own link), in the thread's record (thread-slots.ts). Only
// its thread changes it, so it needs no lock:
//   - before a put that finds it full (threadRoom: threadBlocks blocks, or threadBytes bytes),
//     its thread evicts its oldest blocks until 7/8 of each limit is left (as quarantine.ts
//     makeRoom), in a pass (thread-slots.ts: a walk reads the cache and the FIFO): each block's
//     poison is verified, then the block goes to the thread's own block cache (thread-cache.ts),
//     whence its lock-free allocs take it again, on the core that freed it. The eviction stops
//     at a block whose poison changed, or that the full cache cannot take, and the rest is done
//     under the lock (evictOwnHeld; shared.ts makeThreadRoom): a changed block raises
//     WRITE_AFTER_FREE there, naming the alloc site and the put site, re-poisoned so the next
//     call gets past it, before the put has changed anything (errors are raised under the lock:
//     the error record is written there); a block the cache cannot take goes to the shared
//     quick lists.
//   - a holder that keeps lock-free paths out (settleAllDeaths, from lockHeapExclusive: the
//     walk, validate(), report(), stats, the scan, setQuarantine; and reclaim() in lifecycle.ts
//     when memory runs out) moves every thread's FIFO into the shared quarantine (quarantine.ts),
//     so a safe point never sees a half-done death: every dead object is DEAD and queued there,
//     where validate() counts it and the walk leaves it out. That may leave the shared
//     quarantine over its limits: the holder's unlock publishes it (thread-slots.ts trim), and
//     the next put of any thread takes the lock to trim it (shared.ts makeThreadRoom);
//   - so does its thread's end (settleDeathsOf: detachThread, and reclaimThread for a thread
//     that ended outside a pass and holding no pin).
// A block in a thread's FIFO is dying: its object has no live handle left, but the block is not
// DEAD, because its info word is TLSF's to change under the lock (a left neighbour freed sets
// its LEFTFREE with a plain read-modify-write), so only a holder of the lock may write it. The
// lock-free eviction never writes it either: a dying block is a used block whose flags are
// already a cached block's (dies() refuses PAIRED), so caching it writes only its count word (0)
// and link (+8). Count word 1 while dying, as any dead block's (stale). Nothing else reaches it
// meanwhile: no handle to it is live, the walk and the scan settle first, TLSF never merges a
// used block.
//
// Limits (thread-slots.ts publishes them with the quarantine's settings; an instance alone reads
// its own globals): threadBlocks = the quarantine's maxBlocks (setQuarantine; 0 turns both off,
// and a last put then takes the lock and frees the block at once), threadBytes = a quarter of
// the quarantine's byte limit (quarantine.ts byteLimit: maxBytes, or 1/32 of the heap while that
// is less), but not under 8 KiB (HELD_MIN, the least byteLimit gives) unless byteLimit is:
// 64 KiB at the default 256 KiB once the heap is 8 MiB or more, 8 KiB while it is under 1 MiB.
// A FIFO passes its byte limit by at most one block (the room is checked before the put, whose block size is not known
// yet: ≤ QUICK_MAX). So each thread keeps a dead block for at least threadBlocks - threadBlocks/8
// - 1 of its own later deaths (223 at the default 256) while the bytes allow (8 KiB: 128
// blocks of 64 bytes), as the quarantine does on one thread; and with 64 threads the FIFOs hold
// at most 64 × 65 KiB (about 4 MiB, as the thread caches' own bound: 64 × 64 KiB) beside the
// shared quarantine. Only blocks up to QUICK_MAX die this way; larger ones and those with weak
// handles or marks die under the lock, into the shared quarantine.
//
// The record holds slots to retire too: a put of a handle at its slot's last generation (one
// put in 16) ends the slot without the lock, but retiring it (handles.ts retireSlot: the
// table's counts, maybe freeing its chunk) is the lock's: RETIRE_BATCH of them at a time
// (retireSlotsOf, from shared.ts makeThreadRoom). Until retired such a slot reads ended at that
// generation, so a stale handle to it is named as ever (DOUBLE_PUT, USE_AFTER_PUT).

import { HEADER, MAX_THREADS, QUICK_MAX } from "./config";
import { freeDeadBlockOf } from "./blocks";
import { corrupt } from "./errors";
import { DEAD, INFO, MARK, SETINFO, SETMARK, TAGS_MASK } from "./layout";
import { byteLimit, checkPoison, enqueue, HELD_MIN, maxBlocks, poisonBytes, poisonIntact } from "./quarantine";
import { retireSlot, SLOT } from "./handles";
import { pushCached } from "./thread-cache";
import {
  DEATHS_BYTES, DEATHS_COUNT, DEATHS_HEAD, DEATHS_TAIL, enterPassAs, leavePassAs, publishedPoisonBytes, publishedThreadBlocks,
  publishedThreadBytes, publishedTrim, RETIRING_COUNT, RETIRING_HEAD, slotRecord,
} from "./thread-slots";

/** Slots a thread's lock-free puts end at their last generation before it retires them under the lock. */
// @ts-ignore: decorator
@inline export const RETIRE_BATCH: u32 = 32;
/** Largest block that may die without the lock. */
// @ts-ignore: decorator
@inline export const DEATH_MAX_BLOCK: usize = QUICK_MAX;
/** A thread's FIFO may hold 1/2^THREAD_BYTES_SHIFT of the quarantine's byte limit (but HELD_MIN). */
// @ts-ignore: decorator
@inline const THREAD_BYTES_SHIFT: u32 = 2;
// @ts-ignore: decorator
@inline const BATCH_SHIFT: u32 = 3; // an eviction leaves 1/8 of each limit free, as makeRoom

/** A thread's byte limit from the quarantine's (published by threads.ts saveState). */
// @ts-ignore: decorator
@inline export function threadByteLimit(): u32 {
  let limit = byteLimit();
  return <u32>min(limit, max(HELD_MIN, limit >> THREAD_BYTES_SHIFT));
}

/** This thread's FIFO limits: published ones, or an instance alone's own globals. */
// @ts-ignore: decorator
@inline function threadBlocks(single: bool): u32 { return single ? maxBlocks : publishedThreadBlocks(); }
// @ts-ignore: decorator
@inline function threadBytes(single: bool): u32 { return single ? threadByteLimit() : publishedThreadBytes(); }

/** True when record `pool` has room for one more put's death and retiring slot, and the shared
 *  quarantine needs no trim (shared.ts makeThreadRoom). Blocks 0: the quarantine is off, no
 *  death is queued here (fast-references.ts dies), so the FIFO needs no room. */
// @ts-ignore: decorator
@inline export function threadRoom(pool: usize, single: bool): bool {
  return !deathsFull(pool, single) && !retiringFull(pool) && !publishedTrim();
}

/** Appends the dying `block` of `size` bytes to the FIFO of record `pool` (its own thread's put,
 *  holding the pin of the slot it ends: a walk waits for it, fast-references.ts pin). */
// @ts-ignore: decorator
@inline export function queueDeath(pool: usize, block: usize, size: usize): void {
  SETMARK(block, 0);
  let count = load<u32>(pool, DEATHS_COUNT);
  if (count) SETMARK(<usize>load<u32>(pool, DEATHS_TAIL), <u32>block);
  else store<u32>(pool, <u32>block, DEATHS_HEAD);
  store<u32>(pool, <u32>block, DEATHS_TAIL);
  store<u32>(pool, count + 1, DEATHS_COUNT);
  store<u32>(pool, load<u32>(pool, DEATHS_BYTES) + <u32>size, DEATHS_BYTES);
}

/** Adds the ended `slot` (number `index`, at the last generation) to the slots record `pool`'s
 *  thread will retire (its own thread's put, holding that slot's pin). */
// @ts-ignore: decorator
@inline export function batchRetiring(pool: usize, slot: usize, index: u32): void {
  store<u32>(slot, load<u32>(pool, RETIRING_HEAD), 24);
  store<u32>(pool, index, RETIRING_HEAD);
  store<u32>(pool, load<u32>(pool, RETIRING_COUNT) + 1, RETIRING_COUNT);
}

/** The limits an eviction leaves this thread's FIFO under (shared.ts makeThreadRoom): 7/8 of
 *  each, as quarantine.ts makeRoom (none of a block limit under 8: such a FIFO stays full). */
// @ts-ignore: decorator
@inline export function evictionBlocks(single: bool): u32 { let b = threadBlocks(single); return b - (b >> BATCH_SHIFT); }
// @ts-ignore: decorator
@inline export function evictionBytes(single: bool): u32 { let b = threadBytes(single); return b - (b >> BATCH_SHIFT); }

/** True when the FIFO of `pool` is full (one more death needs evictions first; never while the
 *  quarantine is off). */
// @ts-ignore: decorator
@inline export function deathsFull(pool: usize, single: bool): bool {
  let blocks = threadBlocks(single);
  return blocks != 0 && (load<u32>(pool, DEATHS_COUNT) >= blocks || load<u32>(pool, DEATHS_BYTES) >= threadBytes(single));
}

/** True when the slots to retire of `pool` need the lock before the next put. */
// @ts-ignore: decorator
@inline export function retiringFull(pool: usize): bool { return load<u32>(pool, RETIRING_COUNT) >= RETIRE_BATCH; }

/** True while the FIFO of `pool` holds `blocks` blocks or more, or more than `bytes` bytes. */
// @ts-ignore: decorator
@inline function fifoOverLimits(pool: usize, blocks: u32, bytes: u32): bool {
  let count = load<u32>(pool, DEATHS_COUNT);
  return count != 0 && (count >= blocks || load<u32>(pool, DEATHS_BYTES) > bytes);
}

/**
 * Evicts the oldest blocks of this thread's FIFO `pool`, without the lock, each after its poison
 * check, into this thread's cache, until fewer than `blocks` blocks and at most `bytes` bytes are
 * left; false when it stopped early (at a block whose poison changed, or that the full cache
 * cannot take, now the head; or a safe point is in progress): evictOwnHeld does the rest under
 * the lock. In a pass, as the cache's own lock-free paths: a walk reads both. The poison length
 * is the one the deaths wrote: setQuarantine holds the heap exclusively and settles every FIFO
 * before it changes it.
 */
export function evictOwn(pool: usize, blocks: u32, bytes: u32, single: bool): bool {
  if (!enterPassAs(single)) return false;
  let n = load<u32>(pool, DEATHS_COUNT);
  let held = load<u32>(pool, DEATHS_BYTES);
  let block = <usize>load<u32>(pool, DEATHS_HEAD);
  let poisonLength = <usize>(single ? poisonBytes : publishedPoisonBytes());
  let done = true;
  while (n && (n >= blocks || held > bytes)) {
    let size = <usize>(INFO(block) & ~TAGS_MASK); // a plain read: only LEFTFREE may change meanwhile
    if (!poisonIntact(block, min(size - HEADER, poisonLength))) { done = false; break; }
    let next = <usize>MARK(block);
    SETMARK(block, 0);
    if (!pushCached(block, size)) { SETMARK(block, <u32>next); done = false; break; }
    block = next;
    n--;
    held -= <u32>size;
  }
  store<u32>(pool, <u32>block, DEATHS_HEAD);
  store<u32>(pool, n, DEATHS_COUNT);
  store<u32>(pool, held, DEATHS_BYTES);
  leavePassAs(single);
  return done;
}

/** evictOwn's rest. The heap lock is held (no safe point moves the FIFO meanwhile; it may have
 *  emptied it before): a changed block traps here (checkPoison re-poisons it first), the FIFO's
 *  counts stored block by block; a block the cache cannot take goes to the shared quick lists
 *  (blocks.ts freeDeadBlockOf). */
export function evictOwnHeld(pool: usize, blocks: u32, bytes: u32): void {
  while (fifoOverLimits(pool, blocks, bytes)) {
    let block = <usize>load<u32>(pool, DEATHS_HEAD);
    checkPoison(block, true); // may trap: before this block leaves the FIFO
    let info = INFO(block);
    store<u32>(pool, MARK(block), DEATHS_HEAD);
    store<u32>(pool, load<u32>(pool, DEATHS_COUNT) - 1, DEATHS_COUNT);
    store<u32>(pool, load<u32>(pool, DEATHS_BYTES) - (info & ~TAGS_MASK), DEATHS_BYTES);
    SETMARK(block, 0);
    freeDeadBlockOf(block, info);
  }
}

/** Settles every thread's FIFO and slots to retire, without evicting (nothing traps here): a
 *  holder that keeps lock-free paths out (thread-slots.ts excludeReaders), so no thread is
 *  changing its record. The quarantine may then hold more than its limits: the holder's unlock
 *  publishes that (threads.ts saveState), and the next put of any thread, or locked death,
 *  trims it (shared.ts makeThreadRoom, quarantine.ts makeRoom). */
export function settleAllDeaths(): bool {
  let settled = false;
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let pool = slotRecord(t);
    if (load<u32>(pool, DEATHS_COUNT) | load<u32>(pool, RETIRING_COUNT)) {
      settleDeathsOf(pool);
      settled = true;
    }
  }
  return settled;
}

/** Retires the slots record `pool`'s thread ended at their last generation. The heap lock is
 *  held, and that thread is this one, or kept out, or gone (as settleDeathsOf). */
export function retireSlotsOf(pool: usize): void {
  let index = load<u32>(pool, RETIRING_HEAD);
  for (let n = load<u32>(pool, RETIRING_COUNT); n; n--) {
    let slot = SLOT(index);
    let next = load<u32>(slot, 24);
    store<u32>(pool, next, RETIRING_HEAD);
    store<u32>(pool, n - 1, RETIRING_COUNT);
    retireSlot(slot, index, 0); // a put: no MOVED or RESIZED
    index = next;
  }
}

/** Retires the record's slots, and moves its FIFO into the quarantine, oldest first, without
 *  evicting: each block becomes DEAD (layout.ts) and joins the quarantine's FIFO. The heap lock
 *  is held, and the record's thread is this one, or outside any pass or pin and kept out
 *  (excludeReaders, awaitPins), or gone (reclaimThread). */
export function settleDeathsOf(pool: usize): void {
  retireSlotsOf(pool);
  let count = load<u32>(pool, DEATHS_COUNT);
  let block = <usize>load<u32>(pool, DEATHS_HEAD);
  while (count) {
    let next = <usize>MARK(block);
    SETINFO(block, INFO(block) | DEAD);
    enqueue(block); // its mark becomes the quarantine's link
    block = next;
    count--;
  }
  store<u32>(pool, 0, DEATHS_COUNT);
  store<u32>(pool, 0, DEATHS_BYTES);
}

/** validate(): at a safe point every thread's FIFO has been settled. */
export function validateDeaths(): void {
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let r = slotRecord(t);
    let count = load<u32>(r, DEATHS_COUNT) + load<u32>(r, RETIRING_COUNT) + load<u32>(r, DEATHS_BYTES);
    if (count) corrupt("rcalloc validate: a thread's quarantine was not settled at the safe point", count);
  }
}
