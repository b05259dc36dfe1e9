// === Threads (shared-memory build, RC_SHARED): the heap lock, shared state, per-thread records ===
//
// Every instance of a shared build (one per worker) runs on the same imported shared memory.
// wasm globals are per instance, so the allocator's state, which lives in module globals
// (tlsf.ts, handles.ts, pairs.ts, quarantine.ts, scan.ts, statics.ts), is kept in SHARED_STATE
// between operations: an operation takes the heap lock (locks.ts), loads the globals from
// SHARED_STATE, runs the ordinary single-threaded code, stores them back and releases the lock.
// So every path of the other builds runs unchanged, and all of it is serialised: TLSF, memory
// growth, the quick lists, the handle table and its free list, the quarantine, the pair map and
// the order counter. A failing operation traps before it changes anything (errors.ts), with
// the lock held; the host's env.abort calls trapped() (shared.ts)
// before it throws, which keeps this thread's copy of the error record, stores the state and
// releases the lock, so the other threads carry on.
//
// What is per thread (per instance): the error record the host reads after a trap, the thread's
// number (handed out at instantiation), whether it may block while waiting for the lock and
// for how long (locks.ts), its cache of small free blocks (thread-cache.ts), its lock-free
// passes (thread-slots.ts), and in the checked build its pool of free table slots
// (slot-pools.ts), its quarantine of lock-free deaths (thread-deaths.ts) and its range of orders; and the
// pages of the memory it has seen grow (memory-growth.ts).
//
// Not every operation takes the lock: the unchecked build's get and put and the checked build's
// get and put (fast-references.ts) run beside the lock's holder, with atomic steps on the words
// they share with it (an object's count, a slot's state). They read the heap tag and the table
// length as saveState publishes them (thread-slots.ts publishState; publishedTag,
// publishedTableLength: both only grow or change at creation and disposal, and a handle in use
// was issued before the store that published it; the length is stored atomically, after the
// directory and the chunks it covers, and read before the directory: fast-references.ts pin),
// the directory and the order from thread-slots.ts. The checked build's orders come from that
// atomic word (in per-thread ranges), so `sequence` (word 6) stays 0 there. A lock-free last put reads the quarantine's
// settings too (publishedQuarantineOn, publishedPoisonBytes: only setQuarantine changes them,
// holding the heap exclusively, and unlockHeap stores them before it lets lock-free paths in).
//
// The lock is reentrant per thread: the host may hold it across a whole heap walk (holdHeap /
// letGoHeap in shared.ts), which makes report(), validate() and the scan a safe point: every
// other thread's next operation waits until the walk is done. Such a hold is exclusive
// (lockHeapExclusive): it also waits until no lock-free pass is running (checked: a small alloc,
// and a get or put, whose pass is its pin; unchecked: an alloc or last put through the thread
// cache), and keeps new ones out
// (they take the lock, so they wait). The unchecked build's lock-free get and put of all but the
// last reference are no pass: they change only an object's count, one atomic word, which a walk
// reads one word at a time.
//
// The words this file keeps in shared memory (the lock, the thread numbers, the globals) and the
// threads' error records are drawn in thread-state.ts, a layout file below the layers whose
// globals this one carries.

import { CHECKED, MAX_THREADS, SHARED } from "./config";
import { E_LOCK_TIMEOUT, ERROR_RECORD, ErrorRecord, MSG_LOCK_TIMEOUT } from "./errors";
import {
  awaitPins, directory, directoryChunks, freeCount, freeHeadSlot, freeTailSlot, heapTag, keptDirectory, retiredCount,
  retiredSlotsReady, sequence, spareChunks, tableCapacity, tableLength, firstChunk, tableSpan,
} from "./handles";
import { acquire, release } from "./locks";
import { seeMemory } from "./memory-growth";
import { admitReaders, excludeReaders, publishState } from "./thread-slots";
import { settleAllDeaths, threadByteLimit } from "./thread-deaths";
import {
  HOLDER, INSTANCES, LOCK, SAVER, SHARED_STATE, SITE_RANGES, STATE, THREAD_RECORDS, THREADS,
} from "./thread-state";
import { capacity, entries, pairCount, pairsBlock } from "./pairs";
import {
  head as quarantineHead, maxBlocks, maxBytes, overLimits, poisonBytes, queuedBlocks, queuedBytes, tail as quarantineTail,
} from "./quarantine";
import { currentObject, found, resultCount, results, resultsBlock } from "./scan";
import { sealed } from "./statics";
import { fillerBlocks, flMap, heapBase, heapStart, pageLimit, tail } from "./tlsf";

/** Reads lockHeldBy makes of an unchanged lock and holder word (about a millisecond) before it
 *  takes the holder for the one that ended holding the lock. */
// @ts-ignore: decorator
@inline const HOLDER_SETTLES: u32 = 1 << 20;

/** This instance's number, 0 .. MAX_THREADS - 1 (0xFFFFFFFF until claimed). */
export let threadNumber: u32 = 0xFFFFFFFF;
/** This instance's error record. */
export let threadRecord: usize = 0;
/** This instance's id (1, 2, ...; 0 until claimThread), never another's, even after it detached. */
let instanceId: u32 = 0;
/** How many heap locks this thread holds (the lock is reentrant per thread). */
let depth: u32 = 0;
/** How many times this instance took the lock (mod 2^25): the holder word's upper bits. */
let takes: u32 = 0;

/** Claims a thread number for this instance (at instantiation); false when all are taken. */
export function claimThread(): bool {
  instanceId = atomic.add<u32>(SHARED_STATE + INSTANCES, 1) + 1;
  for (let n: u32 = 0; n < MAX_THREADS; n++) {
    let word = SHARED_STATE + THREADS + (<usize>(n >> 5) << 2);
    let bit: u32 = 1 << (n & 31);
    let seen = atomic.load<u32>(word);
    if (seen & bit) continue;
    if (atomic.cmpxchg<u32>(word, seen, seen | bit) != seen) { n--; continue; } // raced: look again
    threadNumber = n;
    threadRecord = THREAD_RECORDS + <usize>n * offsetof<ErrorRecord>();
    return true;
  }
  return false;
}

/** True for the instance that created the heap (the first to start on its memory). */
export function firstInstance(): bool { return instanceId == 1; }

/** Gives this instance's thread number back (the worker is done with the heap). Its error
 *  record goes with it: from now on the instance writes the shared scratch record (the bindings
 *  refuse every call on a detached heap anyway), never the next attacher's. */
export function releaseThread(): void {
  if (threadNumber >= MAX_THREADS) return;
  freeThreadNumber(threadNumber);
  threadNumber = 0xFFFFFFFF;
  threadRecord = ERROR_RECORD;
}

/** Is thread number `n` in use (claimed, not yet released)? */
export function threadInUse(n: u32): bool {
  if (n >= MAX_THREADS) return false;
  return (atomic.load<u32>(SHARED_STATE + THREADS + (<usize>(n >> 5) << 2)) & (<u32>1 << (n & 31))) != 0;
}

/** Does thread `n` hold the heap lock? For a thread that has ended: it ended in the middle of an
 *  operation (the holder word keeps the last taker's number while the lock word says held). */
export function lockHeldBy(n: u32): bool {
  let holder = atomic.load<u32>(SHARED_STATE + HOLDER);
  if (!atomic.load<u32>(SHARED_STATE + LOCK) || (holder & 0x7F) != n + 1) return false;
  // The holder word is written just after the lock is taken: a thread that took it once n let
  // it go (n then ended) may not have written it yet. n holds it only if neither word changes
  // for a while (the holder word counts takes, so a new taker always changes it).
  for (let i: u32 = 0; i < HOLDER_SETTLES; i++) {
    if (!atomic.load<u32>(SHARED_STATE + LOCK) || atomic.load<u32>(SHARED_STATE + HOLDER) != holder) return false;
  }
  return true;
}

/** Frees thread number `n` of an instance that will never run again (reclaimThread in shared.ts):
 *  the next instance to attach may claim it. */
export function freeThreadNumber(n: u32): void {
  atomic.and<u32>(SHARED_STATE + THREADS + (<usize>(n >> 5) << 2), ~(<u32>1 << (n & 31)));
}

/** How many times this instance took the heap lock (outermost holds, mod 2^32): the bench and the
 *  tests count the operations that left the lock-free paths (thread caches, atomic counts). */
export function lockTakeCount(): u32 { return takes; }

/** A range of site ids no instance had before (0, 1, 2, ...; never reused, unlike thread numbers). */
export function claimSiteRange(): u32 {
  return atomic.add<u32>(SHARED_STATE + SITE_RANGES, 1);
}


/** lockHeap, and no lock-free pass runs until this hold ends (a safe point). */
export function lockHeapExclusive(): void {
  lockHeap();
  // once per hold: no thread quarantines a death while readers are kept out (thread-slots.ts)
  if (excludeReaders() && CHECKED) {
    awaitPins(); // the lock-free gets and puts: their pin is their pass (fast-references.ts)
    settleAllDeaths(); // a safe point sees no half-done death: every thread's quarantine into the shared one (thread-deaths.ts)
  }
}

/** Takes the heap lock and this instance's copy of the shared state (outermost hold only). */
// @ts-ignore: decorator
@inline export function lockHeap(): void {
  if (!SHARED) return;
  if (depth) { depth++; return; }
  if (!acquire(SHARED_STATE + LOCK, SHARED_STATE + HOLDER)) lockTimedOut();
  depth = 1; // only now: a throw from acquire must leave this instance without a hold
  seeMemory(); // pages the last holders grew: the table, blocks, objects in them (memory-growth.ts)
  takes++;
  store<u32>(SHARED_STATE, (takes << 7) | ((threadNumber + 1) & 0x7F), HOLDER);
  let saver = load<u32>(SHARED_STATE, SAVER);
  if (saver == instanceId) return; // nobody else held the lock since: our globals are current
  if (saver) loadState();
  else saveState(); // the first holder's globals hold the initial values
}

/** The lock did not change hands for the patience of locks.ts: its holder will never release it
 *  (a worker terminated mid-operation). Raises HeapLockTimeoutError naming the holder; nothing is
 *  held, so trappedInHeap has nothing to release. */
function lockTimedOut(): void {
  let r = changetype<ErrorRecord>(threadRecord);
  r.code = E_LOCK_TIMEOUT; r.handle = 0; r.object = 0; r.site = 0; r.putSite = 0;
  r.detail = (atomic.load<u32>(SHARED_STATE + HOLDER) & 0x7F) - 1; // 0xFFFFFFFF: unknown
  abort(MSG_LOCK_TIMEOUT);
}

/** After a trap, from the host's env.abort: keeps this thread's copy of the error record (written
 *  under the lock, so no other thread's), then stores the state and releases the lock however
 *  deep the trap happened (the wasm stack is unwinding). */
export function trappedInHeap(): void {
  if (!depth) return;
  memory.copy(threadRecord, ERROR_RECORD, offsetof<ErrorRecord>());
  depth = 1;
  unlockHeap();
}

/** Stores the state back and releases the heap lock (outermost hold only). */
// @ts-ignore: decorator
@inline export function unlockHeap(): void {
  if (!SHARED) return;
  if (!depth) return;
  if (--depth) return;
  saveState();
  admitReaders(); // if this hold kept them out
  store<u32>(SHARED_STATE, instanceId, SAVER);
  release(SHARED_STATE + LOCK);
}

// @ts-ignore: decorator
@inline function word(i: usize): usize { return SHARED_STATE + STATE + (i << 2); }

function loadState(): void {
  flMap = load<u32>(word(0)); heapStart = load<u32>(word(1)); tail = load<u32>(word(2));
  fillerBlocks = load<u32>(word(3)); pageLimit = load<u32>(word(4)); heapBase = load<u32>(word(5));
  sequence = load<u32>(word(6)); heapTag = load<u32>(word(7)); directory = load<u32>(word(8));
  directoryChunks = load<u32>(word(9)); retiredSlotsReady = load<u32>(word(10)) != 0;
  tableCapacity = load<u32>(word(11)); tableLength = load<u32>(word(12)); freeHeadSlot = load<u32>(word(13));
  freeTailSlot = load<u32>(word(14)); freeCount = load<u32>(word(15));
  retiredCount = load<u32>(word(16));
  pairsBlock = load<u32>(word(17)); entries = load<u32>(word(18)); capacity = load<u32>(word(19));
  pairCount = load<u32>(word(20));
  maxBlocks = load<u32>(word(21)); maxBytes = load<u32>(word(22)); poisonBytes = load<u32>(word(23));
  queuedBlocks = load<u32>(word(24)); queuedBytes = load<u32>(word(25)); quarantineHead = load<u32>(word(26));
  quarantineTail = load<u32>(word(27));
  resultsBlock = load<u32>(word(28)); results = load<u32>(word(29)); resultCount = load<u32>(word(30));
  found = load<u32>(word(31)); currentObject = load<u32>(word(32));
  sealed = load<u32>(word(33)); firstChunk = load<u32>(word(34)); tableSpan = load<u32>(word(35));
  spareChunks = load<u32>(word(36)); keptDirectory = load<u32>(word(37));
}

function saveState(): void {
  store<u32>(word(0), flMap); store<u32>(word(1), heapStart); store<u32>(word(2), tail);
  store<u32>(word(3), fillerBlocks); store<u32>(word(4), pageLimit); store<u32>(word(5), heapBase);
  store<u32>(word(6), sequence); store<u32>(word(7), heapTag); store<u32>(word(8), directory);
  store<u32>(word(9), directoryChunks); store<u32>(word(10), retiredSlotsReady ? 1 : 0);
  store<u32>(word(11), tableCapacity); store<u32>(word(12), tableLength); store<u32>(word(13), <u32>freeHeadSlot);
  store<u32>(word(14), <u32>freeTailSlot); store<u32>(word(15), freeCount);
  store<u32>(word(16), retiredCount);
  store<u32>(word(17), pairsBlock); store<u32>(word(18), entries); store<u32>(word(19), capacity);
  store<u32>(word(20), pairCount);
  store<u32>(word(21), maxBlocks); store<u32>(word(22), maxBytes); store<u32>(word(23), poisonBytes);
  store<u32>(word(24), queuedBlocks); store<u32>(word(25), queuedBytes); store<u32>(word(26), quarantineHead);
  store<u32>(word(27), quarantineTail);
  store<u32>(word(28), resultsBlock); store<u32>(word(29), results); store<u32>(word(30), resultCount);
  store<u32>(word(31), found); store<u32>(word(32), currentObject);
  store<u32>(word(33), sealed); store<u32>(word(34), firstChunk); store<u32>(word(35), tableSpan);
  store<u32>(word(36), <u32>spareChunks); store<u32>(word(37), <u32>keptDirectory);
  publishState(heapTag, tableLength, maxBlocks, poisonBytes, threadByteLimit(), overLimits()); // for the lock-free paths
}
