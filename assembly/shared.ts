// === rcalloc, shared-memory build: the exported API of index.ts, under the heap lock but get and put ===
//
// The entry file of build/rcalloc.shared-{checked,unchecked,debug}.wasm (asconfig.json; --use
// RC_SHARED=1 --enable threads --sharedMemory --importMemory). Every instance (one per worker)
// imports the same shared memory; each export below takes the heap lock, runs the operation of
// index.ts, and releases it (threads.ts says what is shared and what is per thread), except the
// fast paths: get and put (unchecked: also alloc and the last put, from the thread cache;
// checked: also a small alloc and the last put of a small object, fast-references.ts) try
// without the lock first. The walk's exports hold the heap exclusively (lockHeapExclusive), so no
// lock-free pass (every checked fast path; unchecked: those through the thread cache) runs beside
// a walk. The other builds never compile this file, so their code is untouched by threads.
//
// Exports only here: holdHeap/letGoHeap (the host holds the lock across a heap walk: the safe
// point of report(), validate() and the scan), trapped (from env.abort), threadNumber,
// setThreadMayWait, setLockPatience, detachThread, reclaimThread, threadsAttached, claimSiteRange,
// currentHeapTag, lockTakes, handOverHeap.

import { blockSizeFor } from "./quick-lists";
import { heapTag, pinnedBy, unpinSlot } from "./handles";
import { CHECKED, DEBUG, HEADER, QUICK_MAX } from "./config";
import * as api from "./index";
import { BLOCK, DEAD, INFO, PAIRED, PAYLOAD, REFS_MASK, SETFITTED, TAGS_MASK } from "./layout";
import { refUnlocked, unrefUnlocked } from "./references";
import { seeMemory } from "./memory-growth";
import { allocFast, getFast, putFast } from "./fast-references";
import { flushPool, flushPoolOf, poolOverflows, poolReady, refillPool, spillPool } from "./slot-pools";
import {
  alone, dropThreadSlots, enterPassAs, handOver, insidePass, leavePassAs, ownRecord, publishedTrim, slotRecord, startAlone,
  takeResizePin, useThreadSlots,
} from "./thread-slots";
import { trimQuarantine } from "./quarantine";
import {
  deathsFull, evictionBlocks, evictionBytes, evictOwn, evictOwnHeld, retireSlotsOf, retiringFull, settleDeathsOf, threadRoom,
} from "./thread-deaths";
import { dropThreadCache, flushCacheOfThread, flushThreadCache, popCached, pushCached, useThreadCache } from "./thread-cache";
import {
  claimThread, firstInstance, freeThreadNumber, lockHeap, lockHeapExclusive, lockHeldBy, lockTakeCount, releaseThread, threadInUse,
  threadNumber as number, threadRecord, trappedInHeap, unlockHeap,
} from "./threads";
export { setLockPatience, setThreadMayWait } from "./locks";
export { claimSiteRange } from "./threads";
export { threadsAttached } from "./thread-state";

// Each instance takes a thread number (and with it its error record) when it starts.
if (!claimThread()) abort("rcalloc: too many threads on one shared heap (at most 64 at once)");
useThreadCache(number);
// The creator of a heap starts alone (thread-slots.ts startAlone); any other instance only once
// the creator handed the heap over (heap.shareable() calls handOverHeap first).
if (!DEBUG && !startAlone(firstInstance())) {
  releaseThread();
  abort("rcalloc: attach to a shared heap with attachHeap(heap.shareable()): this heap was never handed over");
}
// Each lock-free path runs in a pass of this thread's slot record (thread-slots.ts), or for a
// checked get or put while it holds a slot's pin (fast-references.ts), so a walk can keep it
// out. The shared debug build validates the whole heap under the lock at every operation, so no
// operation may run beside it: without a record every lock-free path takes the lock.
if (!DEBUG) useThreadSlots(number);

/** The host hands the heap to other threads (heap.shareable(), on the creating thread, before
 *  it returns what they attach with): the creator leaves its single-thread mode. */
export function handOverHeap(): void { if (!DEBUG) handOver(); }

/** Holds the heap lock until letGoHeap(): other threads' operations wait (a safe point). */
export function holdHeap(): void { lockHeapExclusive(); }
export function letGoHeap(): void { unlockHeap(); }
/** The host's env.abort calls this first: it keeps this thread's error record (errorRecord())
 *  and releases the heap lock the failed operation held (and a slot a resize pinned), so other
 *  threads carry on. */
export function trapped(): void {
  if (CHECKED) { let pinned = takeResizePin(); if (pinned) unpinSlot(pinned); } // a resize's pin
  trappedInHeap();
}
/** This instance's thread number (0 .. 63): sites name the thread that took a reference. */
export function threadNumber(): u32 { return number; }
/** How many times this thread took the heap lock: a profile of the lock-free paths. */
export function lockTakes(): u32 { return lockTakeCount(); }
/** This worker is done with the heap: its cached blocks go back to all threads (checked: its
 *  quarantine to the shared one, its slot pool to the table), its thread number, cache and
 *  error record may go to a new one (this instance drops its pointers to them). */
export function detachThread(): void {
  lockHeap();
  if (CHECKED) { let pool = ownRecord(); if (pool) settleDeathsOf(pool); } // no eviction: nothing traps
  flushThreadCache(); if (CHECKED) flushPool();
  unlockHeap();
  dropThreadCache();
  dropThreadSlots();
  releaseThread();
}

/** reclaimThread: the thread number is free again for the next instance that attaches. */
// @ts-ignore: decorator
@inline const RECLAIMED: u32 = 0;
/** reclaimThread: no instance had that number (it detached, or was reclaimed already). */
// @ts-ignore: decorator
@inline const NOT_IN_USE: u32 = 1;
/** reclaimThread: the number is the calling instance's own. */
// @ts-ignore: decorator
@inline const OWN_NUMBER: u32 = 2;
/** reclaimThread: that thread ended holding the heap lock, in the middle of an operation whose
 *  changes were never stored: the heap cannot be used; nothing was changed. */
// @ts-ignore: decorator
@inline const ENDED_HOLDING_LOCK: u32 = 3;
/** reclaimThread: that thread ended inside a lock-free pass or holding a slot's pin (checked:
 *  fast-references.ts, a slot it pinned stays pinned, a count it took down may have no ended
 *  slot; unchecked: its thread cache half changed): the heap cannot be used safely; nothing was
 *  changed. */
// @ts-ignore: decorator
@inline const ENDED_IN_PASS: u32 = 4;

/** Takes back thread number `n` from a worker that ended without detachThread(). The host calls
 *  it once that worker has exited (Node: its `exit` event; browsers: after terminate()), never
 *  while it may still run: its cached blocks go back to the heap (TLSF), its own quarantine
 *  to the shared one and its pool of free table slots to the table (checked), and its number,
 *  cache and error record to the next instance that attaches. The references it held stay live (leaks unless other threads put
 *  them). One of RECLAIMED, NOT_IN_USE, OWN_NUMBER, ENDED_HOLDING_LOCK, ENDED_IN_PASS. */
export function reclaimThread(n: u32): u32 {
  if (!threadInUse(n)) return NOT_IN_USE;
  if (n == number) return OWN_NUMBER;
  if (lockHeldBy(n)) return ENDED_HOLDING_LOCK; // waiting for the lock would time out
  if (insidePass(n)) return ENDED_IN_PASS;
  lockHeap();
  if (CHECKED && pinnedBy(n)) { unlockHeap(); return ENDED_IN_PASS; } // a lock-free get or put's pin
  if (CHECKED) settleDeathsOf(slotRecord(n)); // its quarantine, into the shared one
  flushCacheOfThread(n);
  if (CHECKED) flushPoolOf(slotRecord(n));
  unlockHeap();
  freeThreadNumber(n); // only now: an instance attaching meanwhile could not get n's cache
  return RECLAIMED;
}

/** Unchecked: a new object from this thread's cache, without the lock (0 when it has no block
 *  of that size, or a walk holds the heap). The header as lifecycle.ts newObject writes it:
 *  slack, one reference. A pass (thread-slots.ts): a walk reads the cache and the header. */
// @ts-ignore: decorator
@inline function allocCached(size: u32): u32 {
  if (size > <u32>(QUICK_MAX - HEADER)) return 0;
  let single = alone();
  if (!enterPassAs(single)) return 0;
  let blockSize = blockSizeFor(<usize>size, HEADER);
  let block = popCached(blockSize);
  if (block) SETFITTED(block, blockSize, HEADER, size, 1);
  leavePassAs(single);
  return block ? <u32>PAYLOAD(block) : 0;
}

/** Unchecked: puts the reference `h`, without the lock unless it is the last one of an object
 *  this thread's cache cannot take (large, paired, or the cache full). False: take the lock.
 *  Alone (thread-slots.ts startAlone: no other instance exists yet), the count and the pass
 *  take plain steps, as in the plain build. */
// @ts-ignore: decorator
@inline function putUnlocked(h: u32): bool {
  let block = BLOCK(<usize>h);
  let single = alone();
  if (!single) seeMemory(); // another thread may have allocated it in pages it grew (memory-growth.ts)
  if (unrefUnlocked(block, single)) return true;
  let info = INFO(block); // the last reference is ours: nobody else reads or writes this block
  let size = <usize>(info & ~TAGS_MASK);
  if ((info & (PAIRED | DEAD)) || size > QUICK_MAX || !enterPassAs(single)) return false;
  let cached = pushCached(block, size); // in a pass, as allocCached's pop
  leavePassAs(single);
  return cached;
}

/** Unchecked: one reference more on the object of `h`, without the lock (plain while alone). */
// @ts-ignore: decorator
@inline function getUnlocked(h: u32): u32 {
  let single = alone();
  if (!single) seeMemory();
  refUnlocked(BLOCK(<usize>h), single);
  return h;
}

/** Checked: this thread's record, its slot pool refilled under the lock if it has no slot
 *  ready; 0 when it has no record, or the table cannot grow (take the locked path, which says
 *  so). */
// @ts-ignore: decorator
@inline function readyPool(): usize {
  let pool = ownRecord();
  if (pool && !poolReady(pool)) {
    refillLocked();
    if (!poolReady(pool)) return 0;
  }
  return pool;
}

// The locked work the fast paths fall back on, out of line (plain functions with several
// callers, which Binaryen does not inline): inlined, each export carried lockHeap, the whole
// locked operation and unlockHeap (saveState: ~40 stores) beside its fast path, ~1,700 lines of
// wat for alloc, and V8's code for the fast path spilled around them.
function refillLocked(): void { lockHeap(); refillPool(); unlockHeap(); }
function spillLocked(): void { lockHeap(); spillPool(); unlockHeap(); }
function allocLocked(size: u32, site: u32): u32 { lockHeap(); let h = api.allocAt(size, site); unlockHeap(); return h; }
function getLocked(h: u32, site: u32): u32 { lockHeap(); let r = api.getAt(h, site); unlockHeap(); return r; }
function putLocked(h: u32, site: u32): void { lockHeap(); api.putAt(h, site); unlockHeap(); }

/** Checked: get without the lock (0: take the locked path). */
// @ts-ignore: decorator
@inline function getChecked(h: u32, site: u32): u32 {
  let pool = readyPool();
  return pool ? getFast(pool, h, site) : 0;
}

/** Checked: alloc without the lock from this thread's cache (0: take the locked path). */
// @ts-ignore: decorator
@inline function allocChecked(size: u32, site: u32): u32 {
  let pool = readyPool();
  return pool ? allocFast(pool, size, site) : 0;
}

/** Checked: put without the lock (false: take the locked path); a full quarantine of this
 *  thread's is evicted first (makeThreadRoom), and a pool whose quarantine overflows gives its
 *  oldest slots back to the table under the lock. */
// @ts-ignore: decorator
@inline function putChecked(h: u32, site: u32): bool {
  let pool = ownRecord();
  if (!pool) return false;
  let single = alone();
  if (!threadRoom(pool, single)) makeThreadRoom(pool, single); // before this put changes anything
  if (!putFast(pool, h, site)) return false;
  if (poolOverflows(pool)) spillLocked();
  return true;
}

/** Room in this thread's record for one more lock-free death (thread-deaths.ts): its slots to
 *  retire retired under the lock, and its quarantine's oldest blocks evicted into its cache,
 *  without the lock unless the eviction meets a changed block (it traps under the lock: the
 *  error record is the lock's), a full cache or a safe point. Under the lock too: the shared
 *  quarantine trimmed when a settle left it over its limits (the trim may trap as well). */
function makeThreadRoom(pool: usize, single: bool): void {
  if (retiringFull(pool) || publishedTrim()) {
    lockHeap();
    retireSlotsOf(pool);
    trimQuarantine();
    unlockHeap();
  }
  if (!deathsFull(pool, single)) return;
  let blocks = evictionBlocks(single);
  let bytes = evictionBytes(single);
  if (evictOwn(pool, blocks, bytes, single)) return;
  lockHeap();
  evictOwnHeld(pool, blocks, bytes);
  unlockHeap();
}

// Each export: its fast path inline, then the locked operation out of line (allocLocked ...).
// @ts-ignore: decorator
@inline function allocAny(size: u32, site: u32): u32 {
  let h = CHECKED ? allocChecked(size, site) : allocCached(size);
  return h ? h : allocLocked(size, site);
}
// @ts-ignore: decorator
@inline function getAny(h: u32, site: u32): u32 {
  if (!CHECKED) return getUnlocked(h);
  let fast = getChecked(h, site);
  return fast ? fast : getLocked(h, site);
}
// @ts-ignore: decorator
@inline function putAny(h: u32, site: u32): void {
  if (CHECKED ? !putChecked(h, site) : !putUnlocked(h)) putLocked(h, site);
}

export function alloc(size: u32): u32 { return allocAny(size, 0); }
export function allocAt(size: u32, site: u32): u32 { return allocAny(size, site); }
// Unchecked: get, and put of all but the last reference, are one atomic step on the count word
// (handle = payload), without the lock; the last put caches the block in this thread's cache
// (thread-cache.ts), or frees it under the lock.
export function get(h: u32): u32 { return getAny(h, 0); }
export function getAt(h: u32, site: u32): u32 { return getAny(h, site); }
export function put(h: u32): void { putAny(h, 0); }
export function putAt(h: u32, site: u32): void { putAny(h, site); }
export function resize(h: u32, size: u32): u32 { lockHeap(); let r = api.resize(h, size); unlockHeap(); return r; }
export function resizeAt(h: u32, size: u32, site: u32): u32 { lockHeap(); let r = api.resizeAt(h, size, site); unlockHeap(); return r; }
export function getFor(h: u32, owner: u32): u32 { lockHeap(); let r = api.getFor(h, owner); unlockHeap(); return r; }
export function getForAt(h: u32, owner: u32, site: u32): u32 { lockHeap(); let r = api.getForAt(h, owner, site); unlockHeap(); return r; }
export function putFor(h: u32, owner: u32): void { lockHeap(); api.putFor(h, owner); unlockHeap(); }
export function putForAt(h: u32, owner: u32, site: u32): void { lockHeap(); api.putForAt(h, owner, site); unlockHeap(); }
export function move(h: u32, owner: u32): u32 { lockHeap(); let r = api.move(h, owner); unlockHeap(); return r; }
export function moveAt(h: u32, owner: u32, site: u32): u32 { lockHeap(); let r = api.moveAt(h, owner, site); unlockHeap(); return r; }
export function weak(h: u32): u32 { lockHeap(); let r = api.weak(h); unlockHeap(); return r; }
export function weakAt(h: u32, site: u32): u32 { lockHeap(); let r = api.weakAt(h, site); unlockHeap(); return r; }
export function upgrade(w: u32): u32 { lockHeap(); let r = api.upgrade(w); unlockHeap(); return r; }
export function upgradeAt(w: u32, site: u32): u32 { lockHeap(); let r = api.upgradeAt(w, site); unlockHeap(); return r; }
export function putWeak(w: u32): void { lockHeap(); api.putWeak(w); unlockHeap(); }
export function putWeakAt(w: u32, site: u32): void { lockHeap(); api.putWeakAt(w, site); unlockHeap(); }
export function ignore(h: u32): void { lockHeap(); api.ignore(h); unlockHeap(); }
export function mallocAt(size: u32, site: u32): usize { lockHeap(); let p = api.mallocAt(size, site); unlockHeap(); return p; }
export function freeAt(ptr: usize, site: u32): void { lockHeap(); api.freeAt(ptr, site); unlockHeap(); }
export function freeCollected(ptr: usize): void { lockHeap(); api.freeCollected(ptr); unlockHeap(); }
export function reallocAt(ptr: usize, size: u32, site: u32): usize { lockHeap(); let p = api.reallocAt(ptr, size, site); unlockHeap(); return p; }
// Checked: ptr/size/refs read the table, whose directory moves as it grows: under the lock.
// Unchecked: they read only the object's own header, which its holder keeps alive.
export function ptr(h: u32): usize {
  if (!CHECKED) return api.ptr(h);
  lockHeap(); let p = api.ptr(h); unlockHeap(); return p;
}
export function size(h: u32): u32 {
  if (!CHECKED) return api.size(h);
  lockHeap(); let s = api.size(h); unlockHeap(); return s;
}
export function refs(h: u32): u32 {
  if (!CHECKED) { seeMemory(); return atomic.load<u32>(BLOCK(<usize>h) + 4) & REFS_MASK; }
  lockHeap(); let r = api.refs(h); unlockHeap(); return r;
}
export function mark(): u32 { lockHeap(); let m = api.mark(); unlockHeap(); return m; }
export function setMemoryLimit(pages: u32): void { lockHeap(); api.setMemoryLimit(pages); unlockHeap(); }
export function reserveBelow(address: u32): u32 { lockHeap(); let r = api.reserveBelow(address); unlockHeap(); return r; }
export function isChecked(): u32 { return api.isChecked(); }
/** 0: no handle table view here, since lock-free paths free what it would point at (handles.ts TABLE_VIEW). */
export function handleTableViewV2(): usize { return 0; }
/** 0, as in the plain build (index.ts): the name modules built for 256-slot chunks import. */
export function handleTableView(): usize { return 0; }
/** 0: blocks come from this thread's cache and counts change atomically (index.ts quickListsView). */
export function quickListsView(): usize { return 0; }
/** 0, as in the plain build (index.ts): modules built before handleTableView() call in. */
export function tableView(): usize { return 0; }
export function errorRecord(): usize { return threadRecord; }
/** Checked: the tag in this heap's handles (an attaching worker reserves it in its JS realm). */
export function currentHeapTag(): u32 { lockHeap(); let t = heapTag; unlockHeap(); return t; }
export function walkRecord(): usize { return api.walkRecord(); }
export function statsRecord(): usize { return api.statsRecord(); }

// The walk, the scan and the settings. A walk of several calls (nextObject ...) is consistent
// when the host holds the heap across it (holdHeap): bindings/heap.ts does. Each walk export
// holds the heap exclusively itself too, so no lock-free pass runs beside it.
export function validate(): void { lockHeapExclusive(); api.validate(); unlockHeap(); }
export function sealStaticData(): void { lockHeap(); api.sealStaticData(); unlockHeap(); }
export function nextObject(after: usize): usize { lockHeapExclusive(); let r = api.nextObject(after); unlockHeap(); return r; }
export function nextReference(cursor: u32): u32 { lockHeapExclusive(); let r = api.nextReference(cursor); unlockHeap(); return r; }
export function nextBlock(after: usize): usize { lockHeapExclusive(); let r = api.nextBlock(after); unlockHeap(); return r; }
export function heapStats(): void { lockHeapExclusive(); api.heapStats(); unlockHeap(); }
export function scan(): u32 { lockHeapExclusive(); let r = api.scan(); unlockHeap(); return r; }
export function scanRoot(start: usize, end: usize): u32 { lockHeapExclusive(); let r = api.scanRoot(start, end); unlockHeap(); return r; }
export function scanResults(): usize { lockHeapExclusive(); let r = api.scanResults(); unlockHeap(); return r; }
export function scanResultCount(): u32 { lockHeapExclusive(); let r = api.scanResultCount(); unlockHeap(); return r; }
export function scanClear(): void { lockHeapExclusive(); api.scanClear(); unlockHeap(); }
export function retireHeapTag(): void { lockHeap(); api.retireHeapTag(); unlockHeap(); }
export function setHeapTag(tag: u32): void { lockHeap(); api.setHeapTag(tag); unlockHeap(); }
// Exclusive: the lock-free last put reads these settings, and every thread's quarantine is settled
// (and checked against the old poison length) before they change.
export function setQuarantine(blocks: u32, bytes: u32, poison: u32): void { lockHeapExclusive(); api.setQuarantine(blocks, bytes, poison); unlockHeap(); }
export function flushQuickLists(): void { lockHeap(); api.flushQuickLists(); unlockHeap(); }
// Not while thread caches hold cached blocks, which it would thread onto the shared lists too.
export function sortQuickLists(): void {}
