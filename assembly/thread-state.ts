// === Thread state (shared builds): where the threads' own words sit in shared memory ===
//
// A layout file, as layout.ts is for blocks: it draws and reserves SHARED_STATE (the heap lock,
// the thread numbers and the allocator's globals between operations) and the threads' error
// records. threads.ts works on them; statics.ts only needs to know where they are (the scan and
// the seal leave them out), thread-slots.ts how many threads are attached (for reclaim,
// lifecycle.ts). threads.ts carries the globals of every layer, scan.ts's and statics.ts's too,
// so it sits above them, and what they need of it lives here, below them.
//
// ╒══════════════ SHARED_STATE (shared memory, zero until the first operation) ══════════════╕
// +0   lock      the heap lock word (locks.ts: 0 free, 1 held, 2 held with waiters)
// +4   saver     the instance whose globals were stored last (0: none yet; the first lock holder
//                stores its own, the initial values): that instance may skip loading them
// +8   threads   bitmap of thread numbers in use (MAX_THREADS bits, two words)
// +16  instances the last instance id handed out (each instance its own, never reused)
// +20  holder    the lock's last taker: its thread number + 1 in the low 7 bits (0: a detached
//                instance), above them how many times that instance took the lock, so the word
//                changes at every take: a waiter that sees it move knows the lock changes hands,
//                and one that gives up names the holder (locks.ts, HeapLockTimeoutError);
//                reclaimThread (shared.ts) reads it to tell whether an ended thread held the lock
// +24  site ranges  how many ranges of site ids were handed out (never reused: claimSiteRange)
// +32  state     the globals, in the order of loadState/saveState (STATE_WORDS words)
//
// Static data of a shared build must not be written at instantiation: every instance applies
// the module's active data segments to the shared memory again. The build therefore drops the
// all-zero segments (wasm-opt --zero-filled-memory --memory-packing, package.json build:wasm),
// so only read-only data (messages) is rewritten, with the bytes it already holds.

import { MAX_THREADS } from "./config";
import { ErrorRecord } from "./errors";

// Offsets in SHARED_STATE (the diagram above).
// @ts-ignore: decorator
@inline export const LOCK: usize = 0;
// @ts-ignore: decorator
@inline export const SAVER: usize = 4;
// @ts-ignore: decorator
@inline export const THREADS: usize = 8;
// @ts-ignore: decorator
@inline export const INSTANCES: usize = 16;
// @ts-ignore: decorator
@inline export const HOLDER: usize = 20;
// @ts-ignore: decorator
@inline export const SITE_RANGES: usize = 24;
// @ts-ignore: decorator
@inline export const STATE: usize = 32;
/** Words of the globals threads.ts loads and saves (loadState/saveState: word 0 .. STATE_WORDS - 1). */
// @ts-ignore: decorator
@inline export const STATE_WORDS: usize = 38;
// @ts-ignore: decorator
@inline export const SHARED_STATE_BYTES: usize = STATE + (STATE_WORDS << 2);
// @ts-ignore: decorator (lazy: the other builds, which never use it, must not reserve it)
@lazy export const SHARED_STATE: usize = memory.data(<i32>SHARED_STATE_BYTES, 16);

/** One error record per thread, so a trap on one thread cannot overwrite another's. */
// @ts-ignore: decorator
@inline export const THREAD_RECORDS_BYTES: usize = <usize>MAX_THREADS * offsetof<ErrorRecord>();
// @ts-ignore: decorator
@lazy export const THREAD_RECORDS: usize = memory.data(<i32>THREAD_RECORDS_BYTES, 16);

/** How many thread numbers are in use (instances attached, the creator's included). Here, below
 *  threads.ts, which claims and frees them: lifecycle.ts reclaim asks it too. */
export function threadsAttached(): u32 {
  let n: u32 = 0;
  for (let w: usize = 0; w < <usize>(MAX_THREADS >> 5); w++) n += popcnt<u32>(atomic.load<u32>(SHARED_STATE + THREADS + (w << 2)));
  return n;
}
