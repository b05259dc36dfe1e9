// === Shared memory growth: pages another thread added, made known to this instance ===
//
// V8 (Node 20) checks an atomic access (and memory.fill / memory.copy) against this instance's
// own record of the memory's size, which learns of a growth by another thread only at this
// thread's next interrupt check; plain loads and stores see the new pages at once. So the first
// atomic step on a table slot or a count word in pages another thread just added can trap
// ("memory access out of bounds") with the memory right there: the threads stress did it about
// once in 40 short runs (scripts/stress-pins.mjs: refillPool's atomic store of FRESH into a new
// chunk, right after a plain store into the same slot went through). memory.grow(0) brings this
// instance up to date (the engine's growth path refreshes the growing instance's record).
//
// The instance that grows the heap (tlsf.ts addMemory, under the heap lock) stores the heap's
// pages in GROWN_PAGES (one static word, so shared by every instance) with an atomic step,
// before anything in the new pages can reach another thread. A path that may touch, with an atomic step, memory another
// thread allocated reads GROWN_PAGES first (seeMemory): lockHeap once it holds the lock, and the
// lock-free paths after they read what other threads publish (the directory) or hand over (a
// handle): whatever they reach was allocated before that read, so below the pages it returns.

/** The heap's memory in pages, as its last grower left it (0 until the first growth). A leaf's
 *  own word: tlsf.ts, below the threads' layout (thread-state.ts), stores it. Zero-filled, so the
 *  shared build writes no segment for it at instantiation (thread-state.ts); threads' state to
 *  the scan and the seal (statics.ts). */
// @ts-ignore: decorator (lazy: only the shared builds reserve it)
@lazy export const GROWN_PAGES: usize = memory.data(4, 4);

/** Pages this instance's atomic steps are known to reach: its own growth, and refreshes. */
let seenPages: u32 = <u32>memory.size();

/** This instance grew the heap's memory to `pages` (the heap lock is held): other instances
 *  see it at their next seeMemory. */
export function noteGrown(pages: u32): void {
  seenPages = pages;
  atomic.store<u32>(GROWN_PAGES, pages);
}

/** Makes every page the heap has grown to so far reachable by this instance's atomic steps. */
// @ts-ignore: decorator
@inline export function seeMemory(): void {
  if (atomic.load<u32>(GROWN_PAGES) > seenPages) refreshMemory();
}

function refreshMemory(): void {
  let pages = atomic.load<u32>(GROWN_PAGES);
  memory.grow(0); // the engine brings this instance's record of the size up to date
  seenPages = pages;
}
