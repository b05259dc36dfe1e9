// === Thread slots (shared builds): each thread's reader passes and pool of free slots ===
//
// In the shared checked build get, and put of all but the last reference, run without the heap
// lock (fast-references.ts). What they share with the locked paths lives here, in shared memory:
//
//  - the readers' registry (both shared builds: the checked build's lock-free allocs, the
//    unchecked build's allocs and last puts through its thread cache, shared.ts). A lock-free
//    path counts its passes (odd while inside, one word per thread, each on its own cache line).
//    A holder of the heap lock that must not run beside lock-free paths (the walk, validate(),
//    the scan: lockHeapExclusive in threads.ts) raises EXCLUDED and waits until every thread is
//    outside (awaitReaders); a lock-free path that sees EXCLUDED on entry leaves at once and
//    takes the lock, which waits for the walk. (Dekker's pattern: both sides store, then load,
//    with sequentially consistent atomics.) The checked build's lock-free gets and puts enter no
//    pass: they pin a slot, one atomic step they take anyway, and the pin is their pass (the
//    holder then also awaits every pinned slot: handles.ts awaitPins), which saves the two
//    atomic stores of a pass on each.
//  - the published directory: the table's directory address, stored as soon as it moves (the
//    lock holder's copy in threads.ts SHARED_STATE is stored only when it lets go).
//  - the order counter, one atomic word (handles.ts nextOrder): objects and references take
//    their order without the lock. Each thread claims ORDER_RANGE orders from it at a time and
//    hands them out itself (wasm globals, per instance), so the word is touched once in 64
//    orders, not at every get (one contended cache line for every thread). What ordering is
//    kept: within a thread, orders rise in the order its references were taken; across threads,
//    a reference from a range claimed later has a larger order, so "oldest first" in the report
//    is exact per thread and, across threads, up to the ranges in use (at most ORDER_RANGE
//    orders per thread). mark() (markOrders) raises the floor: a range claimed before it is not
//    used after it, so every reference taken after mark() returns has an order above the mark,
//    and leaksSince(mark) misses none.
//  - each thread's pool of free table slots (slot-pools.ts): a ready list (slots to issue) and a
//    quarantine FIFO (slots this thread's puts freed, reused after SLOT_QUARANTINE more). Only
//    its thread changes a pool; a holder of the lock alone reads them all (validate, liveCount).
//  - each thread's quarantine (thread-deaths.ts): the blocks of objects whose last put ran
//    without the lock, oldest first, and the slots its puts ended at the last generation,
//    waiting to be retired. Changed by its thread (in a put holding a pin, in a pass, or
//    holding the lock) and by a holder that keeps lock-free paths out (settling them).
//
// ╒════════ THREAD_SLOTS (128 + 64 × MAX_THREADS bytes, zero until used) ════════╕
// The first line holds what every lock-free operation reads and almost none writes; the order,
// which a thread writes once in ORDER_RANGE orders, has a line of its own, as each record: a
// write to a line makes every other core's next read of it a miss (two workers on private
// objects, shared checked: ~20 lock holds per 1,000 operations each, and every hold stored the
// state words these reads went to, threads.ts saveState).
// +0   excluded     1 while a holder of the lock keeps lock-free paths out (a safe point)
// +4   directory    the table's directory address (0: none yet)
// +8   floor        the order mark() returned last: ranges claimed before it are dropped
// +12  handed       1 once the creating instance handed the heap over (handOver): from then on
//                   other instances may start, and every lock-free path counts its passes
// +16  tag          the heap tag, \
// +20  length       the table's length, | as the last holder of the lock left them (publishState:
// +24  quarantine   maxBlocks,          | stored only when they change)
// +28  poison       poisonBytes         |
// +32  thread bytes a thread quarantine's byte limit (thread-deaths.ts threadByteLimit)  |
// +36  trim         1 while the shared quarantine is over its limits (quarantine.ts overLimits) /
// +64  order        the last order claimed by a thread's range (objects and references)
// +128 + 64 × t: thread t's record
//   +0   passes        lock-free passes: odd while thread t is inside one
//   +4   ready head    first ready slot's address (linked through the slot's +24; slot-pools.ts)
//   +8   ready count
//   +12  quarantine head   address of the oldest slot this thread's puts freed
//   +16  quarantine tail   address of the newest (meaningful while the count is nonzero)
//   +20  quarantine count
//   +24  deaths head   oldest block of the thread's quarantine (thread-deaths.ts; linked
//                      through the block's mark, +20)
//   +28  deaths tail   newest block (meaningful while the count is nonzero)
//   +32  deaths count
//   +36  retiring head  first slot index a lock-free put ended at the last generation, to be
//                       retired under the lock (linked through the slot's +24)
//   +40  retiring count
//   +44  deaths bytes  the sum of the sizes of the thread's quarantined blocks

import { MAX_THREADS } from "./config";
import { PIN_BY_SHIFT } from "./handle-lookup";
import { threadsAttached } from "./thread-state";

// @ts-ignore: decorator
@inline const RECORD_STRIDE: usize = 64;
// @ts-ignore: decorator
@inline const RECORDS: usize = 128;
// @ts-ignore: decorator
@inline export const THREAD_SLOTS_BYTES: usize = RECORDS + <usize>MAX_THREADS * RECORD_STRIDE;
// @ts-ignore: decorator (lazy: only the shared builds reserve it)
@lazy export const THREAD_SLOTS: usize = memory.data(<i32>THREAD_SLOTS_BYTES, 64);
// @ts-ignore: decorator
@inline const EXCLUDED: usize = 0;
// @ts-ignore: decorator
@inline const DIRECTORY: usize = 4;
// @ts-ignore: decorator
@inline const FLOOR: usize = 8;
// @ts-ignore: decorator
@inline const HANDED: usize = 12;
// @ts-ignore: decorator
@inline const TAG: usize = 16;
// @ts-ignore: decorator
@inline const LENGTH: usize = 20;
// @ts-ignore: decorator
@inline const QUARANTINE: usize = 24;
// @ts-ignore: decorator
@inline const POISON: usize = 28;
// @ts-ignore: decorator
@inline const THREAD_BYTES: usize = 32;
// @ts-ignore: decorator
@inline const TRIM: usize = 36;
// @ts-ignore: decorator
@inline const ORDER: usize = 64;
/** Orders a thread claims from ORDER at once. */
// @ts-ignore: decorator
@inline const ORDER_RANGE: u32 = 64;
// Offsets in a thread's record.
// @ts-ignore: decorator
@inline export const READY_HEAD: usize = 4;
// @ts-ignore: decorator
@inline export const READY_COUNT: usize = 8;
// @ts-ignore: decorator
@inline export const QUARANTINE_HEAD: usize = 12;
// @ts-ignore: decorator
@inline export const QUARANTINE_TAIL: usize = 16;
// @ts-ignore: decorator
@inline export const QUARANTINE_COUNT: usize = 20;
// @ts-ignore: decorator
@inline export const DEATHS_HEAD: usize = 24;
// @ts-ignore: decorator
@inline export const DEATHS_TAIL: usize = 28;
// @ts-ignore: decorator
@inline export const DEATHS_COUNT: usize = 32;
// @ts-ignore: decorator
@inline export const RETIRING_HEAD: usize = 36;
// @ts-ignore: decorator
@inline export const RETIRING_COUNT: usize = 40;
// @ts-ignore: decorator
@inline export const DEATHS_BYTES: usize = 44;

/** This thread's record (0: none, every operation takes the locked path) and its passes. */
let record: usize = 0;
let passes: u32 = 0;
/** What this thread's pins carry above PINNED (handles.ts "Slot": its number + 1). */
let pinBy: u32 = 0;
/** This instance is the heap's only one: it created the heap, which was never handed to another
 *  thread (alone; see handOver). */
let single = false;
/** This instance holds the lock with lock-free paths kept out (excludeReaders, until its
 *  outermost unlock: threads.ts unlockHeap calls admitReaders). */
let excluding = false;
/** The slot a locked resize has pinned while its object moves (0: none): the move may trap (a
 *  poisoned block met while memory is reclaimed), and the trap must let the pin go (shared.ts
 *  trapped), or every later get or put of that handle would wait for it for ever. */
let resizePin: usize = 0;

// @ts-ignore: decorator
@inline export function noteResizePin(slot: usize): void { resizePin = slot; }
/** The slot noted by noteResizePin (0: none), still noted: a walk in the middle of the move
 *  (reclaim) must not wait for it (handles.ts awaitPins). */
// @ts-ignore: decorator
@inline export function resizePinned(): usize { return resizePin; }
/** The bits this thread's pins carry (handles.ts PIN_BY_MASK). */
// @ts-ignore: decorator
@inline export function pinTag(): u32 { return pinBy; }
/** The slot noted by noteResizePin, forgotten now (0: none). */
export function takeResizePin(): usize { let slot = resizePin; resizePin = 0; return slot; }

/** Thread `t`'s record. */
// @ts-ignore: decorator
@inline export function slotRecord(t: u32): usize { return THREAD_SLOTS + RECORDS + <usize>t * RECORD_STRIDE; }

/** This instance's record, 0 when it has none. */
// @ts-ignore: decorator
@inline export function ownRecord(): usize { return record; }

/** Gives this instance the record of thread `number` (claimThread); its pool is empty (a
 *  detaching thread flushes its own). */
export function useThreadSlots(number: u32): void {
  record = slotRecord(number);
  pinBy = (number + 1) << PIN_BY_SHIFT;
  passes = atomic.load<u32>(record);
  if (passes & 1) atomic.store<u32>(record, ++passes); // the last holder died inside a pass
}

/** True when thread `t` is inside a lock-free pass: a worker that ended there (shared.ts
 *  reclaimThread) may have left a slot pinned or a count taken down without its slot ended. */
export function insidePass(t: u32): bool {
  return (atomic.load<u32>(slotRecord(t)) & 1) != 0;
}

/** Takes the record away (detachThread, after flushing the pool). */
export function dropThreadSlots(): void {
  record = 0;
}

/**
 * One thread, until the heap is handed over. While the instance that created the heap is its
 * only one, nothing runs beside its lock-free paths, so they skip every atomic step that only
 * guards against other threads (the pass word, the pin, the count's read-modify-write:
 * fast-references.ts). The hand-off needs no race to be won: the host's heap.shareable(), on
 * the creating thread, calls handOver before it returns what a worker needs to attach, so the
 * creator leaves single mode before any other instance exists; an instance that starts finds
 * HANDED set (shared.ts refuses to start otherwise: memory posted without shareable()), and its
 * atomic load of HANDED reads the creator's atomic store, so every plain write the creator made
 * alone happens before that instance's first step. No Dekker pattern (a store, then a load of
 * another thread's word, which x86 may reorder without a fence) is involved: the switch happens
 * in one thread, before the other exists.
 */
export function startAlone(first: bool): bool {
  if (first) {
    single = atomic.load<u32>(THREAD_SLOTS + HANDED) == 0;
    return true;
  }
  return atomic.load<u32>(THREAD_SLOTS + HANDED) != 0;
}

/** The heap goes to other threads (heap.shareable()): this instance counts its passes and pins
 *  from now on, then lets other instances start. */
export function handOver(): void {
  single = false;
  atomic.store<u32>(THREAD_SLOTS + HANDED, 1);
}

/** True while this instance is the heap's only one (startAlone). */
// @ts-ignore: decorator
@inline export function alone(): bool { return single; }

/** True when no other instance can be on a lock-free path, nor still hold an address it read on
 *  one (handles.ts freeStaleTable): this one has its record and is the only instance attached
 *  (thread-state.ts). One that detached left its last lock-free path before (the same thread;
 *  the atomic step that freed its number is seen here), one that ended was reclaimed once it
 *  could no longer run (shared.ts reclaimThread), and one that attaches later reads the table
 *  afresh from the published directory. */
export function onlyReader(): bool { return record != 0 && threadsAttached() == 1; }

/** enterPass, or for an instance alone: only not inside its own exclusive hold (a walk). */
// @ts-ignore: decorator
@inline export function enterPassAs(single: bool): bool { return single ? !excluding : enterPass(); }
// @ts-ignore: decorator
@inline export function leavePassAs(single: bool): void { if (!single) leavePass(); }

/** Enters a lock-free pass; false (and outside again) when this thread has no record or a safe
 *  point is in progress: take the locked path. */
// @ts-ignore: decorator
@inline export function enterPass(): bool {
  if (!record) return false;
  atomic.store<u32>(record, ++passes);
  if (!atomic.load<u32>(THREAD_SLOTS + EXCLUDED)) return true;
  atomic.store<u32>(record, ++passes);
  return false;
}

// @ts-ignore: decorator
@inline export function leavePass(): void {
  atomic.store<u32>(record, ++passes);
}

/** Waits until every thread that was inside a lock-free pass has left it. The heap lock is
 *  held, and this thread is outside any pass. It never gives up on a thread: a pass is a few
 *  hundred instructions unless its thread is descheduled, and going on beside it (freeing an
 *  old directory it reads, walking a heap it changes) would corrupt the heap. A worker that died
 *  inside a pass is never left (shared.ts reclaimThread refuses it: ENDED_IN_PASS), so the heap
 *  stops here, the lock held: the other threads' HeapLockTimeoutError says so. */
export function awaitReaders(): void {
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let word = slotRecord(t);
    let seen = atomic.load<u32>(word);
    if (!(seen & 1)) continue;
    while (atomic.load<u32>(word) == seen) {}
  }
}

/** Keeps lock-free paths out until admitReaders (the heap lock is held; this thread holds no
 *  slot pinned that a lock-free path may wait on, or that path leaves: pin() in
 *  fast-references.ts gives up on a pinned slot once EXCLUDED is set). Once per hold. */
export function excludeReaders(): bool {
  if (excluding) return false;
  excluding = true;
  atomic.store<u32>(THREAD_SLOTS + EXCLUDED, 1);
  awaitReaders();
  return true;
}

/** Lets lock-free paths in again if this hold kept them out (the outermost unlock). */
export function admitReaders(): void {
  if (!excluding) return;
  excluding = false;
  atomic.store<u32>(THREAD_SLOTS + EXCLUDED, 0);
}

/** True while a holder of the lock keeps lock-free paths out: a pass waiting on a pinned slot
 *  stops waiting (the holder may hold that pin while it awaits the readers). */
// @ts-ignore: decorator
@inline export function readersExcluded(): bool { return atomic.load<u32>(THREAD_SLOTS + EXCLUDED) != 0; }

/** The settings lock-free paths read, stored by a holder of the lock as it lets go (threads.ts
 *  saveState): each only when it changed, so the line stays in every core's cache. The length
 *  after the directory and the chunks it covers (fast-references.ts pin), both stored before. */
export function publishState(tag: u32, length: u32, quarantineBlocks: u32, poison: u32, threadBytes: u32, trim: bool): void {
  publishWord(TAG, tag);
  publishWord(LENGTH, length);
  publishWord(QUARANTINE, quarantineBlocks);
  publishWord(POISON, poison);
  publishWord(THREAD_BYTES, threadBytes);
  publishWord(TRIM, trim ? 1 : 0);
}

// @ts-ignore: decorator
@inline function publishWord(at: usize, value: u32): void {
  if (atomic.load<u32>(THREAD_SLOTS + at) != value) atomic.store<u32>(THREAD_SLOTS + at, value);
}

/** The heap tag, table length and quarantine settings as last published (publishState). */
// @ts-ignore: decorator
@inline export function publishedTag(): u32 { return atomic.load<u32>(THREAD_SLOTS + TAG); }
// @ts-ignore: decorator
@inline export function publishedTableLength(): u32 { return atomic.load<u32>(THREAD_SLOTS + LENGTH); }
// @ts-ignore: decorator
@inline export function publishedQuarantineOn(): bool { return publishedThreadBlocks() != 0; }
// @ts-ignore: decorator
@inline export function publishedPoisonBytes(): u32 { return atomic.load<u32>(THREAD_SLOTS + POISON); }
/** A thread quarantine's limits (thread-deaths.ts): maxBlocks, and a share of the byte limit. */
// @ts-ignore: decorator
@inline export function publishedThreadBlocks(): u32 { return atomic.load<u32>(THREAD_SLOTS + QUARANTINE); }
// @ts-ignore: decorator
@inline export function publishedThreadBytes(): u32 { return atomic.load<u32>(THREAD_SLOTS + THREAD_BYTES); }
/** True when the shared quarantine was left over its limits: the next put of any thread takes
 *  the lock to trim it (shared.ts makeThreadRoom). Alone too: the instance's own unlock stored it. */
// @ts-ignore: decorator
@inline export function publishedTrim(): bool { return atomic.load<u32>(THREAD_SLOTS + TRIM) != 0; }

// @ts-ignore: decorator
@inline export function publishedDirectory(): usize { return <usize>atomic.load<u32>(THREAD_SLOTS + DIRECTORY); }
// @ts-ignore: decorator
@inline export function publishDirectory(directory: usize): void { atomic.store<u32>(THREAD_SLOTS + DIRECTORY, <u32>directory); }

/** This thread's range of orders: [orderNext, orderEnd), claimed at orderBase (0: none yet). */
let orderBase: u32 = 0;
let orderNext: u32 = 0;
let orderEnd: u32 = 0;

// @ts-ignore: decorator
@inline export function takeOrder(): u32 { return takeOrders(1); }
/** The first of `n` consecutive orders (n ≤ ORDER_RANGE), from this thread's range: no atomic
 *  step but a load of the floor, unless the range is used up or older than the last mark(). */
// @ts-ignore: decorator
@inline export function takeOrders(n: u32): u32 {
  let next = orderNext;
  if (next + n > orderEnd || orderBase <= atomic.load<u32>(THREAD_SLOTS + FLOOR)) return claimOrders(n);
  orderNext = next + n;
  return next;
}

function claimOrders(n: u32): u32 {
  let base = atomic.add<u32>(THREAD_SLOTS + ORDER, ORDER_RANGE) + 1;
  orderBase = base;
  orderNext = base + n;
  orderEnd = base + ORDER_RANGE;
  return base;
}

/** mark(): the highest order claimed so far, made the floor, so every order taken after this
 *  returns is above it (a thread whose range is not above it claims a new one). Each mark()
 *  costs every thread the rest of its range: a program calling mark() between every two
 *  references spends 64 orders a reference, so the 2^32 orders last ~67M such references, not
 *  4G (orders are u32 in both builds; leaksSince is exact until they wrap). */
export function markOrders(): u32 {
  let mark = atomic.load<u32>(THREAD_SLOTS + ORDER);
  atomic.store<u32>(THREAD_SLOTS + FLOOR, mark);
  return mark;
}

/** Free slots held in all threads' pools (the heap lock is held, readers excluded). */
export function pooledSlots(): u32 {
  let n: u32 = 0;
  for (let t: u32 = 0; t < MAX_THREADS; t++) {
    let r = slotRecord(t);
    n += load<u32>(r, READY_COUNT) + load<u32>(r, QUARANTINE_COUNT);
  }
  return n;
}
