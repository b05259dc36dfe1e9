// === Locks of the shared-memory build: one word in shared memory, a futex-style spin lock ===
// see: Ulrich Drepper, "Futexes Are Tricky" (2011), mutex take 2: 0 free, 1 held, 2 held and
// someone may be waiting.
//
// Taking a free lock is one atomic.cmpxchg. A thread that finds it held spins a while with a
// growing pause (the holder is usually done within a few hundred instructions), then marks the
// word 2 and, where it may block (a worker: setThreadMayWait), sleeps in memory.atomic.wait32
// until the holder's release notifies it. A thread that may not block (a browser's main thread,
// where atomic.wait throws) keeps spinning. wasm atomics are sequentially consistent, so plain
// loads and stores made while holding the lock are seen by the next holder.
//
// A waiter gives up (acquire returns false: threads.ts raises HeapLockTimeoutError naming the
// holder) when the lock has not changed hands for `patience` rounds: a round is one wait of at
// most 1 ms, or, on a thread that may not block, SPIN_ROUNDS pauses (roughly a millisecond).
// Only a holder that will never release gets there: a worker terminated mid-operation.

// @ts-ignore: decorator
@inline const FREE: u32 = 0;
// @ts-ignore: decorator
@inline const HELD: u32 = 1;
// @ts-ignore: decorator
@inline const CONTENDED: u32 = 2;
// @ts-ignore: decorator
@inline const SPINS: u32 = 64;
// @ts-ignore: decorator
@inline const MAX_PAUSE: u32 = 1024;
// @ts-ignore: decorator
@inline const SPIN_ROUNDS: u32 = 1000;

/** Per instance (a wasm global): may this thread block in atomic.wait? Off on the thread that
 *  created the heap (a browser's main thread must never block); workers turn it on. */
let mayWait = false;
/** Per instance: rounds (about 1 ms each) a waiter waits while the lock does not change hands. */
let patience: u32 = 10_000;

export function setThreadMayWait(on: u32): void {
  mayWait = on != 0;
}

export function setLockPatience(rounds: u32): void {
  patience = max(rounds, 1);
}

/** Takes the lock at `word`; false when it did not change hands for `patience` rounds. `holder`
 *  is a word each taker changes (threads.ts): a waiter that sees it move keeps waiting. */
// @ts-ignore: decorator
@inline export function acquire(word: usize, holder: usize): bool {
  return atomic.cmpxchg<u32>(word, FREE, HELD) == FREE || acquireContended(word, holder);
}

/** Gives back the lock at `word`, waking one sleeper if any may be waiting. */
// @ts-ignore: decorator
@inline export function release(word: usize): void {
  if (atomic.xchg<u32>(word, FREE) == CONTENDED) atomic.notify(word, 1);
}

/** Spins up to `rounds` reads of the lock word, ending early when it reads free. */
function pause(word: usize, rounds: u32): void {
  for (let i: u32 = 0; i < rounds; i++) if (atomic.load<u32>(word) == FREE) return;
}

function acquireContended(word: usize, holder: usize): bool {
  let rounds: u32 = 1;
  for (let i: u32 = 0; i < SPINS; i++) {
    pause(word, rounds);
    if (rounds < MAX_PAUSE) rounds <<= 1;
    if (atomic.load<u32>(word) == FREE && atomic.cmpxchg<u32>(word, FREE, HELD) == FREE) return true;
  }
  // From here on the word says CONTENDED while we wait, so the holder's release notifies.
  let seen = atomic.load<u32>(holder);
  let stalled: u32 = 0;
  while (atomic.xchg<u32>(word, CONTENDED) != FREE) {
    if (mayWait) atomic.wait<u32>(word, CONTENDED, 1_000_000); // 1 ms at most: a lost wake-up only delays
    else for (let i: u32 = 0; i < SPIN_ROUNDS && atomic.load<u32>(word) != FREE; i++) pause(word, MAX_PAUSE);
    let now = atomic.load<u32>(holder);
    if (now != seen) { seen = now; stalled = 0; }
    else if (++stalled >= patience) return false;
  }
  return true;
}
