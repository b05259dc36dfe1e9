// === Handles of the checked build: an indirection table of generational slots ===
//
// ╒══════════════════ Handle (checked build, u32) ══════════════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┴─┴─┼─┴─┴─┴─┼─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┤
// │  tag  │  gen  │                   slot index                      │
// └───────┴───────┴───────────────────────────────────────────────────┘
//  tag 1..15 names the heap: the host gives each live heap its own (bindings/heap.ts), so a
//  handle of one heap is refused by every other; gen 0..15 counts how often the slot was
//  issued before; index < 2^24. Every handle is in [2^28, 2^32): never 0, never a small pointer
//  (but a disposed heap's: tag 0, below 2^28 and still never 0: retireHeapTag).
//  The host reads handles as unsigned (`>>> 0`): tags 8..15 set the top bit.
//
// Issue and retirement: each get/alloc/resize takes a slot and issues (index, generation);
// put frees the slot and the next issue of that slot uses generation + 1. A handle value is
// never issued twice: a slot whose generation would wrap (after 16 issues) is retired for good.
// A chunk of 32 slots is freed once all its slots retired (below), so retired slots cost
// memory only while their chunk still holds a live or reusable slot.
// Limits: one heap holds at most 2^24 - 1 = 16,777,215 live references at once (fewer once
// slots retired: a retired index is never handed out again) and issues at most
// 2^24 × 16 = 2^28 references in its life; then OUT_OF_MEMORY ("the handle table is used up").
//
// ╒═════════════════ Slot (32 bytes) ═════════════════╕
// +0  object   block address of the referenced object (kept after the end, for messages)
// +4  state    pinned by (bits 16..22) | PINNED 15 | FRESH 14 | WEAK 13 | MOVED 12 | RESIZED 11 |
//              RETIRED 10 | LIVE 9 | OWNED 8 | generation (bits 0..3). Shared checked build
//              only: FRESH marks a slot handed to a thread's pool before its first issue
//              (generation 0 next), PINNED a live slot one thread is taking a reference from or
//              ending (claimSlot, fast-references.ts), and "pinned by" that thread's number + 1
//              (a walk waits for every pin but its own: awaitPins; reclaimThread refuses a thread
//              that ended holding one). OWNED: taken by getFor/move with an owner, so a plain
//              put fails the same state test that finds a stale handle (resolve), with no load more.
// +8  site     where the reference was taken
// +12 order    live: sequence number of the reference (shared with objects: smaller is older);
//              waiting in the table's FIFO or in a thread's slot pool (slot-pools.ts): the
//              slot's own index, so the next issue needs no directory lookup to name it
// +16 owner    owner tag of getFor/move, meaningful only with OWNED (a plain get leaves the
//              word as it was); the pair (object, owner) names this handle
// +20 endSite  where it was put, moved or resized away
// +24 free link: the address of the next waiting slot, in the table's FIFO and in a thread's
//     slot pool (slot-pools.ts: the pool's count bounds the list, so its last link is stale); in
//     a thread's batch of slots to retire (thread-deaths.ts) the index of the next one
// +28 story: 2 bits per generation g at bits 2g..2g+1, how that generation's reference ended
//     (0 put, 1 moved, 2 resized): once the slot is issued again its own record is gone, but a
//     stale handle of an older generation is still named right (USE_AFTER_MOVE, ...).
//
// A WEAK slot does not count in its object's references; it keeps the object's block (not the
// object) until it is put, so it can never upgrade to another object (references.ts).
//
// Freed slots wait in a FIFO (oldest first: freeHeadSlot in the shared build, WAITING_SENTINEL's
// link in the plain builds, below; ... freeTailSlot, linked through +24 by address, the count in
// freeCount; the last one's link is left as it was) and are reused only
// while more than SLOT_QUARANTINE are waiting, so a double put usually still finds the first
// put's site in the slot. A stale handle is recognised from its generation alone, so detection
// does not depend on the quarantine.
//
// ╒══════════════ Table: 32-slot chunks behind a directory ══════════════╕
// directory ─► [ chunk address × directoryChunks │ retired slots (u16) × directoryChunks ]
//               an internal block; entry e is chunk firstChunk + e. Shared checked build, once
//               replaced and kept: the first retired-count word links the next older kept one.
// chunk address of chunk c = slot 0 of slots [c × 32, c × 32 + 32): an internal 1 KiB block
//                (1,152 bytes with its header, a size class), or RETIRED_SLOTS once all 32 of
//                its slots retired: the block is then freed and
//                a static chunk whose slots all read RETIRED at the last generation stands in,
//                so stale handles into it still resolve to a "put" slot with no extra test on
//                the hot path.
// Chunks are added one at a time as fresh indices are needed and never move, so the table costs
// live slots plus partly retired chunks, not every reference ever taken. The shared checked
// build's lock-free gets and puts read the directory and pin slots outside any pass that a
// holder of the lock could wait for (fast-references.ts), so the memory they may read through a
// stale handle stays what it was: a retired chunk's block becomes a spare chunk (spareChunks,
// linked through slot 0's +0; every slot still reads RETIRED), which only a new chunk reuses,
// and a replaced directory is kept (keptDirectory, linked through the first word of its retired
// counts, which no lock-free path reads; the one replaced last has directoryChunks / 2 entries,
// each older one half as many: at most the size of the current one in all). Both are freed
// only when memory runs out while no other instance is attached (lifecycle.ts reclaim,
// freeStaleTable): so while other threads are attached the table keeps its high-water mark of
// chunks, as spares. Indices only grow (a
// retired one is never issued again), so a directory of every chunk ever added would grow by 6
// bytes per 512 references taken, for good: a full directory first drops its leading chunks
// that all retired (firstChunk moves past them; a handle below firstChunk × 32 is stale and
// reads RETIRED_SLOTS), sliding the rest down when that frees half of it, and is doubled
// (copied) only when it does not. Plain builds only: the shared build's lock-free readers take
// the directory without firstChunk, which stays 0 there.
//
// TABLE_VIEW (handle-lookup.ts draws it): a copy of heapTag, tableLength, directory and firstIndex() in static
// data, kept current by every change of them, so that a module linked against this heap resolves
// a live strong handle itself (runtime/imports.ts ptr: no call into this instance) with the very
// lookup resolve() makes (slotAt, slotLive), and calls in for anything else. Plain builds only: the
// shared build frees a directory under lock-free readers (thread-slots.ts), so handleTableView() is 0
// there (index.ts).

import { CHECKED, DEBUG, HEADER, SHARED, SLOT_QUARANTINE } from "./config";
import { allocInternal, freeInternal } from "./blocks";
import {
  check, E_DOUBLE_PUT, E_INVALID_HANDLE, E_OWNERSHIP, E_USE_AFTER_MOVE, E_USE_AFTER_PUT, failure, MSG_DOUBLE_PUT,
  MSG_FOREIGN_HANDLE, MSG_FORGED_HANDLE, MSG_HANDLE_ZERO, MSG_NOT_WEAK, MSG_OWNED_PUT, MSG_TAG_IN_USE, MSG_USE_AFTER_MOVE,
  MSG_USE_AFTER_PUT, MSG_USE_AFTER_RESIZE, MSG_WEAK_HANDLE,
} from "./errors";
import { markOrders, pinTag, pooledSlots, publishDirectory, resizePinned, takeOrder, takeOrders } from "./thread-slots";
import {
  CHUNK_BITS, CHUNK_SLOTS, FRESH, GEN_MASK, GEN_SHIFT, INDEX_MASK, LIVE, OWNED, PIN_BY_MASK, PIN_BY_SHIFT, PINNED,
  RESIZED, RETIRED, MOVED,
  SLOT_OBJECT, SLOT_SIZE, SLOT_STATE, slotIn, slotIndex, slotLive, TABLE_VIEW_BYTES, TABLE_VIEW_DIRECTORY, TABLE_VIEW_FIRST, TABLE_VIEW_LENGTH, TABLE_VIEW_TAG,
  TAG_SHIFT,
  WEAK,
} from "./handle-lookup";
export {
  CHUNK_BITS, CHUNK_SLOTS, FRESH, GEN_MASK, GEN_SHIFT, INDEX_BITS, INDEX_MASK, LIVE, MOVED, OWNED,
  PIN_BY_MASK, PIN_BY_SHIFT, PINNED, RESIZED, RETIRED, SLOT_OBJECT, SLOT_STATE, slotAt, slotLive, STRONG, TABLE_VIEW_BYTES, TAG_SHIFT, WEAK,
} from "./handle-lookup";

// @ts-ignore: decorator
@inline export const MAX_TAG: u32 = 15;
// @ts-ignore: decorator
@inline const MAX_SLOTS: u32 = INDEX_MASK; // index INDEX_MASK stays unused

// Operations, for the message a stale handle gets.
// @ts-ignore: decorator
@inline export const OP_USE: u32 = 0;
// @ts-ignore: decorator
@inline export const OP_PUT: u32 = 1;

/** Sequence shared by objects (lifecycle.ts) and references: orders the report, oldest first.
 *  The shared checked build takes it from per-thread ranges of one atomic word instead
 *  (thread-slots.ts), since lock-free gets take orders too; `sequence` then stays 0. */
export let sequence: u32 = 0;
// @ts-ignore: decorator
@inline export function nextOrder(): u32 { return nextOrders(1); }
/** The first of `n` consecutive orders: an object and its first reference take theirs in one
 *  step (shared: one atomic step). Kept in a local: V8 loads a global again after storing it. */
// @ts-ignore: decorator
@inline export function nextOrders(n: u32): u32 {
  if (SHARED && CHECKED) return takeOrders(n);
  let first = sequence + 1;
  sequence = first + n - 1;
  return first;
}
/** mark(): an order below every order taken after this (shared: thread-slots.ts markOrders). */
// @ts-ignore: decorator
@inline export function currentOrder(): u32 { return SHARED && CHECKED ? markOrders() : sequence; }

// @ts-ignore: decorator (lazy: only a plain checked build reserves it; heapTag starts at 1)
@lazy export const TABLE_VIEW: usize = memory.data<u32>([1, 0, 0, 0]);
/** Keeps TABLE_VIEW a copy of the globals it mirrors (plain checked build). */
// @ts-ignore: decorator
@inline function viewTable(offset: usize, value: u32): void {
  if (CHECKED && !SHARED) store<u32>(TABLE_VIEW + offset, value);
}

export let heapTag: u32 = 1;
export let directory: usize = 0; // payload of the directory block (0 until the first chunk)
export let directoryChunks: u32 = 0; // entries the directory block has room for
/** The chunk the directory's entry 0 holds: every chunk below it retired and left the directory. */
export let firstChunk: u32 = 0;
/** (heapTag << TAG_SHIFT) + firstIndex(), kept by each change of either (plain checked build):
 *  resolve() takes a handle's index less firstIndex() as one mask and one subtraction, where the
 *  tag's shift and xor and firstIndex()'s shift ran on every lookup (slotIndex, which a linked
 *  module computes from TABLE_VIEW). A handle of another tag, or an index below firstIndex(),
 *  wraps or lands 2^28 - 2^24 or more away: past any span, as with slotIndex. A static word, not
 *  a global: the value is the heap's first handle, and a module with the allocator compiled in
 *  exports its globals as the leak scan's roots (bindings/module-globals.ts), so a global would
 *  hold that handle's object for the report (statics.ts: this word is allocator state). */
// @ts-ignore: decorator (lazy: only a plain checked build reserves it; heapTag starts at 1)
@lazy export const LOOKUP_BASE: usize = memory.data<u32>([1 << TAG_SHIFT]);
// @ts-ignore: decorator
@inline export function lookupBase(): u32 { return load<u32>(LOOKUP_BASE); }
// @ts-ignore: decorator
@inline export const RETIRED_SLOTS_BYTES: usize = <usize>CHUNK_SLOTS << 5;
export const RETIRED_SLOTS: usize = memory.data(<i32>RETIRED_SLOTS_BYTES, 16);
export let retiredSlotsReady = false;
export let tableCapacity: u32 = 0; // slots in the chunks allocated so far (fresh indices below it)
export let tableLength: u32 = 0; // slots ever issued: [0, tableLength) have state
/** tableLength - firstIndex(), kept so that resolve() tests an index with one subtraction
 *  (plain builds: the shared build's pools issue indices without it, and its firstChunk is 0). */
export let tableSpan: u32 = 0;
/** Addresses of the oldest and the last waiting slot: issue() and release() find them without a
 *  directory lookup. Chunks never move, and a waiting slot's chunk is never freed (it holds a
 *  slot that has not retired). The shared build keeps the oldest in freeHeadSlot (meaningful
 *  while freeCount > 0; threads.ts carries it). The plain builds keep it in the link (+24) of
 *  WAITING_SENTINEL, a static stand-in slot that is the tail while the FIFO is empty, so an
 *  append stores through freeTailSlot with no test for an empty FIFO (2 x86 instructions a
 *  release):
 *    WAITING_SENTINEL +24 ─► oldest ─► ... ─► freeTailSlot (its link stale)
 *    empty: freeTailSlot = WAITING_SENTINEL                                         */
export let freeHeadSlot: usize = 0;
// @ts-ignore: decorator
@inline export const WAITING_LINK: usize = 24; // a slot's link word; the sentinel's only word in use
// @ts-ignore: decorator (lazy: only the plain checked build reserves it; statics.ts: its link is allocator state, the rest stays 0)
@lazy export const WAITING_SENTINEL: usize = memory.data(<i32>WAITING_LINK + 4, 4);
export let freeTailSlot: usize = CHECKED && !SHARED ? WAITING_SENTINEL : 0; // the unchecked build has no table
export let freeCount: u32 = 0;
export let retiredCount: u32 = 0;
/** Shared checked build: the first spare chunk (a retired chunk's block, kept for the next new
 *  chunk; 0: none), and the replaced directory kept last (0: none; see "Table" above). */
export let spareChunks: usize = 0;
export let keptDirectory: usize = 0;

/** Live references: every issued slot is live, waiting in the FIFO or retired. */
// @ts-ignore: decorator
@inline export function liveCount(): u32 {
  return tableLength - freeCount - retiredCount - (SHARED && CHECKED ? pooledSlots() : 0);
}

/** The first index the directory holds: every index below it retired (a stale handle). */
// @ts-ignore: decorator
@inline export function firstIndex(): u32 { return firstChunk << CHUNK_BITS; }
/** Chunk `c`'s address (firstChunk <= c < firstChunk + directoryChunks). */
// @ts-ignore: decorator
@inline export function CHUNK(c: u32): usize { return load<u32>(CHUNK_AT(c)); }
// @ts-ignore: decorator
@inline function CHUNK_AT(c: u32): usize { return directory + (<usize>(c - firstChunk) << 2); }
/** The slot of `index` (firstIndex() <= index < tableCapacity); slotOf() takes any issued index. */
// @ts-ignore: decorator
@inline export function SLOT(index: u32): usize {
  return CHUNK(index >> CHUNK_BITS) + (<usize>(index & (CHUNK_SLOTS - 1)) << 5);
}
/** The slot of any issued index (< tableLength): below firstIndex(), a RETIRED_SLOTS slot. */
export function slotOf(index: u32): usize {
  return index < firstIndex() ? RETIRED_SLOTS + (<usize>(index & (CHUNK_SLOTS - 1)) << 5) : SLOT(index);
}
/** SLOT through a directory read without the lock (thread-slots.ts publishedDirectory). */
// @ts-ignore: decorator
@inline export function SLOT_IN(dir: usize, index: u32): usize {
  return <usize>atomic.load<u32>(dir + (<usize>(index >> CHUNK_BITS) << 2)) + (<usize>(index & (CHUNK_SLOTS - 1)) << 5);
}
// @ts-ignore: decorator
@inline export function RETIRED_COUNT(c: u32): u32 { return load<u16>(RETIRED_AT(c)); }
// @ts-ignore: decorator
@inline function RETIRED_AT(c: u32): usize {
  return directory + (<usize>directoryChunks << 2) + (<usize>(c - firstChunk) << 1);
}
// @ts-ignore: decorator
@inline export function SLOT_SITE(slot: usize): u32 { return load<u32>(slot, 8); }
// @ts-ignore: decorator
@inline export function SLOT_ORDER(slot: usize): u32 { return load<u32>(slot, 12); }
/** The owner of a live slot's reference, 0 when it has none. */
// @ts-ignore: decorator
@inline export function SLOT_OWNER(slot: usize): u32 { return SLOT_STATE(slot) & OWNED ? load<u32>(slot, 16) : 0; }
// @ts-ignore: decorator
@inline export function SLOT_END_SITE(slot: usize): u32 { return load<u32>(slot, 20); }
/** The next slot of the table's FIFO or of a thread's slot pool (an address); SLOT_WAITING_INDEX
 *  is a waiting slot's own index. */
// @ts-ignore: decorator
@inline export function SLOT_NEXT_WAITING(slot: usize): usize { return <usize>load<u32>(slot, WAITING_LINK); }
// @ts-ignore: decorator
@inline export function SLOT_WAITING_INDEX(slot: usize): u32 { return load<u32>(slot, 12); }
// @ts-ignore: decorator
@inline export function SLOT_STORY(slot: usize): u32 { return load<u32>(slot, 28); }
// @ts-ignore: decorator
@inline const STORY_MOVED: u32 = 1;
// @ts-ignore: decorator
@inline const STORY_RESIZED: u32 = 2;
/** ErrorRecord detail of a stale handle whose slot was reused: its sites are no longer known. */
// @ts-ignore: decorator
@inline export const RECORD_GONE: u32 = 1;
// @ts-ignore: decorator
@inline export function HANDLE(index: u32, gen: u32): u32 {
  return (heapTag << TAG_SHIFT) | (gen << GEN_SHIFT) | index;
}

/** The host disposed of this heap: from now on every handle it issued is refused as another
 *  heap's, and its tag may go to a new heap. Handles issued later carry tag 0, which no live
 *  heap accepts. Under tag 0, index 0 at generation 0 would be the handle 0, which is never
 *  valid, so index 0 never holds generation 0 from here on:
 *  - unissued: freshGen() starts it at generation 1; a shared build's pool may hold it unissued
 *    already (FRESH), so it is marked as ended at generation 0 here;
 *  - live at generation 0 (issued under the old tag, refused from now on as every handle the heap
 *    issued): its state moves to generation 1, so 0 does not name it (its reference stays counted;
 *    only a forged tag-0 value could reach it, as with every other index).
 *  No other thread is attached (bindings/heap.ts dispose). */
export function retireHeapTag(): void {
  heapTag = 0;
  viewTable(TABLE_VIEW_TAG, 0);
  baseLookup();
  if (!CHECKED || !tableLength) return;
  let slot = slotOf(0);
  let state = SLOT_STATE(slot);
  if (SHARED && state == FRESH) atomic.store<u32>(slot + 4, 0);
  else if ((state & LIVE) && !(state & GEN_MASK)) {
    if (SHARED) atomic.store<u32>(slot + 4, state | 1);
    else store<u32>(slot, state | 1, 4);
  }
}

/** The generation of a fresh index's first handle: 0, but 1 for index 0 once the heap is
 *  disposed (tag 0), where generation 0 would make the handle 0. */
// @ts-ignore: decorator
@inline export function freshGen(index: u32): u32 { return <u32>(index == 0 && heapTag == 0); }

/** Sets the tag that marks this heap's handles (1..MAX_TAG); only before any handle exists. */
export function setHeapTag(tag: u32): void {
  if (tag < 1 || tag > MAX_TAG) failure(tag).raise(E_INVALID_HANDLE, MSG_FORGED_HANDLE);
  if (tableLength && tag != heapTag) failure(0).with(tag).raise(E_INVALID_HANDLE, MSG_TAG_IN_USE);
  heapTag = tag;
  viewTable(TABLE_VIEW_TAG, tag);
  baseLookup();
}

/** Keeps LOOKUP_BASE current after a change of heapTag or firstChunk (plain checked build). */
function baseLookup(): void {
  if (CHECKED && !SHARED) store<u32>(LOOKUP_BASE, (heapTag << TAG_SHIFT) + firstIndex());
}

/** True when the next issue() finds a slot without adding a chunk. */
// @ts-ignore: decorator
@inline export function slotReady(): bool {
  return freeCount > SLOT_QUARANTINE || tableLength < tableCapacity;
}

/** True when every slot index has been issued: the table can take no fresh one (a retired
 *  index is never issued again), so a reference now needs a waiting slot. */
// @ts-ignore: decorator
@inline export function indicesUsedUp(): bool {
  return tableLength >= MAX_SLOTS;
}

/** Adds a chunk of fresh slots; false at the index limit or when memory is exhausted. Whether
 *  to give memory back and try again, or to reuse quarantined slots early, is the caller's
 *  decision (lifecycle.ts reserveSlot). */
export function growTable(): bool {
  if (indicesUsedUp()) return false;
  let c = tableCapacity >> CHUNK_BITS;
  if (c - firstChunk == directoryChunks && !(!SHARED && dropRetiredChunks()) && !growDirectory()) return false;
  let chunk = spareChunks;
  if (SHARED && CHECKED && chunk) spareChunks = <usize>load<u32>(chunk);
  else {
    let block = allocInternal(<usize>CHUNK_SLOTS * SLOT_SIZE);
    if (!block) return false;
    chunk = block + HEADER;
  }
  // a plain store: lock-free paths read this entry only for indices below the published length
  store<u32>(CHUNK_AT(c), <u32>chunk);
  tableCapacity = min(tableCapacity + CHUNK_SLOTS, MAX_SLOTS);
  return true;
}

/** A full directory whose leading chunks all retired: drops them (firstChunk moves past them)
 *  and slides the rest down, when that frees at least half of it; else false (it doubles). */
function dropRetiredChunks(): bool {
  let dropped: u32 = 0;
  while (dropped < directoryChunks && load<u32>(directory + (<usize>dropped << 2)) == <u32>RETIRED_SLOTS) dropped++;
  if (!dropped || dropped < (directoryChunks >> 1)) return false;
  let kept = <usize>(directoryChunks - dropped);
  let retiredCounts = directory + (<usize>directoryChunks << 2);
  memory.copy(directory, directory + (<usize>dropped << 2), kept << 2);
  memory.fill(directory + (kept << 2), 0, <usize>dropped << 2);
  memory.copy(retiredCounts, retiredCounts + (<usize>dropped << 1), kept << 1);
  memory.fill(retiredCounts + (kept << 1), 0, <usize>dropped << 1);
  firstChunk += dropped;
  tableSpan -= dropped << CHUNK_BITS;
  viewTable(TABLE_VIEW_FIRST, firstIndex());
  baseLookup();
  return true;
}

/** Doubles the directory (at least 16 chunks); false when memory is exhausted. */
function growDirectory(): bool {
  let chunks = max(directoryChunks << 1, 16);
  let block = allocInternal(<usize>chunks * 6);
  if (!block) return false;
  let to = block + HEADER;
  memory.fill(to, 0, <usize>chunks * 6);
  if (directory) {
    memory.copy(to, directory, <usize>directoryChunks << 2);
    memory.copy(to + (<usize>chunks << 2), directory + (<usize>directoryChunks << 2), <usize>directoryChunks << 1);
    if (SHARED && CHECKED) keepDirectory(); // a lock-free path may still read it ("Table" above)
    else freeInternal(directory - HEADER);
  }
  directory = to;
  viewTable(TABLE_VIEW_DIRECTORY, <u32>to);
  directoryChunks = chunks;
  if (SHARED && CHECKED) publishDirectory(to);
  return true;
}

/** Shared checked build: the directory, about to be replaced, joins the kept ones ("Table"). */
function keepDirectory(): void {
  store<u32>(directory + (<usize>directoryChunks << 2), <u32>keptDirectory); // its retired counts were copied
  keptDirectory = directory;
}

/** The next older kept directory after `dir`, which has `chunks` entries. */
// @ts-ignore: decorator
@inline export function NEXT_KEPT(dir: usize, chunks: u32): usize { return <usize>load<u32>(dir + (<usize>chunks << 2)); }

/**
 * Shared checked build: frees every spare chunk and kept directory ("Table" above); true when
 * there was one. The heap lock is held, and the caller made sure no other instance can hold an
 * address of one that it read without the lock (lifecycle.ts reclaim: this instance is the only
 * one attached): a lock-free path that attaches later reads the published directory, which
 * names neither.
 */
export function freeStaleTable(): bool {
  if (!(SHARED && CHECKED) || (!spareChunks && !keptDirectory)) return false;
  while (spareChunks) {
    let chunk = spareChunks;
    spareChunks = <usize>load<u32>(chunk);
    freeInternal(chunk - HEADER);
  }
  for (let chunks = directoryChunks >> 1; keptDirectory; chunks >>= 1) {
    let dir = keptDirectory;
    keptDirectory = NEXT_KEPT(dir, chunks);
    freeInternal(dir - HEADER);
  }
  return true;
}

/** Frees chunk `c` once all its slots retired; RETIRED_SLOTS stands in for it from then on. */
function retireChunk(c: u32): void {
  if (!retiredSlotsReady) {
    for (let i: usize = 0; i < CHUNK_SLOTS; i++) store<u32>(RETIRED_SLOTS + (i << 5), RETIRED | GEN_MASK, 4);
    retiredSlotsReady = true;
  }
  if (SHARED && CHECKED) {
    // A lock-free path with a stale handle may have read the chunk's address: a spare, whose
    // slots read RETIRED (no pin succeeds) until a new chunk reuses it, and a pin that succeeds
    // then finds the directory no longer names that chunk for its index (fast-references.ts).
    let chunk = CHUNK(c);
    atomic.store<u32>(CHUNK_AT(c), <u32>RETIRED_SLOTS);
    store<u32>(chunk, <u32>spareChunks);
    spareChunks = chunk;
    return;
  }
  freeInternal(CHUNK(c) - HEADER);
  store<u32>(CHUNK_AT(c), <u32>RETIRED_SLOTS);
}

/** True when more than SLOT_QUARANTINE slots wait: the next issue() reuses the oldest. Only an
 *  issue (and a shared build's pool refill, which is not called from within an operation) takes
 *  a waiting slot, so a caller that found this true may issueWaiting() after its own changes. */
// @ts-ignore: decorator
@inline export function slotWaiting(): bool { return freeCount > SLOT_QUARANTINE; }

/** Issues a fresh handle for `object` (a block); reserveSlot() must have run. The common case
 *  inline: more than SLOT_QUARANTINE slots wait, and the oldest is reused. `order`: the
 *  reference's (a moved or resized one keeps its own), 0 to take the next. */
// @ts-ignore: decorator
@inline export function issue(object: usize, site: u32, owner: u32, weak: u32, order: u32 = 0): u32 {
  if (DEBUG) check(slotReady() || freeCount != 0, "rcalloc debug: issue() without a reserved slot");
  if (!order) order = nextOrder();
  if (!slotWaiting()) return issueElsewhere(object, site, owner, weak, order);
  return issueWaiting(object, site, owner, weak, order);
}

/** issue() for a caller that found slotWaiting() true since its last issue: no test again (the
 *  callers branch on it once for the whole operation: references.ts allocate, take). `order`
 *  as given (no test for 0: the callers have one at hand). */
// @ts-ignore: decorator
@inline export function issueWaiting(object: usize, site: u32, owner: u32, weak: u32, order: u32): u32 {
  if (DEBUG) check(slotWaiting(), "rcalloc debug: issue() without a reserved slot"); // one string: the debug heap starts where it did
  let slot = takeWaitingOfMany();
  let gen = reissuedGen(slot);
  return fillSlot(slot, SLOT_WAITING_INDEX(slot), gen, object, site, owner, weak, order);
}

/** issue() when few slots wait: a fresh index, or (the table cannot grow) a waiting slot early. */
function issueElsewhere(object: usize, site: u32, owner: u32, weak: u32, order: u32): u32 {
  if (tableLength == tableCapacity && freeCount) {
    let slot = takeWaiting();
    let gen = reissuedGen(slot);
    return fillSlot(slot, SLOT_WAITING_INDEX(slot), gen, object, site, owner, weak, order);
  }
  let index = tableLength++;
  tableSpan++;
  viewTable(TABLE_VIEW_LENGTH, tableLength);
  let slot = SLOT(index);
  store<u32>(slot, 0, 28); // no story yet
  return fillSlot(slot, index, freshGen(index), object, site, owner, weak, order);
}

/** The generation of a waiting slot's next handle. FRESH (shared build): a thread's pool took it
 *  and gave it back unissued, so its first handle is generation 0. */
// @ts-ignore: decorator
@inline export function reissuedGen(slot: usize): u32 {
  let state = SLOT_STATE(slot);
  return SHARED && (state & FRESH) ? 0 : (state & GEN_MASK) + 1;
}

/** Writes a new reference into `slot` (number `index`, generation `gen`, order `order`); returns
 *  its handle. */
// @ts-ignore: decorator
@inline function fillSlot(slot: usize, index: u32, gen: u32, object: usize, site: u32, owner: u32, weak: u32, order: u32): u32 {
  store<u32>(slot, object);
  store<u32>(slot, LIVE | weak | gen | (owner ? OWNED : 0), 4);
  store<u32>(slot, site, 8);
  store<u32>(slot, order, 12);
  if (owner) store<u32>(slot, owner, 16);
  return HANDLE(index, gen);
}

/** The oldest waiting slot (freeCount > 0). */
// @ts-ignore: decorator
@inline export function firstWaiting(): usize {
  return SHARED ? freeHeadSlot : <usize>load<u32>(WAITING_SENTINEL, WAITING_LINK);
}

/** Takes the oldest slot out of the table's FIFO (freeCount > 0). */
// @ts-ignore: decorator
@inline export function takeWaiting(): usize {
  let slot = takeWaitingOfMany();
  if (!SHARED && !freeCount) freeTailSlot = WAITING_SENTINEL; // emptied: appends go through it again
  return slot;
}

/** takeWaiting() while more than one slot waits (issueWaiting: more than SLOT_QUARANTINE), so
 *  the FIFO does not empty: no test for it. */
// @ts-ignore: decorator
@inline function takeWaitingOfMany(): usize {
  let slot = firstWaiting();
  if (SHARED) freeHeadSlot = SLOT_NEXT_WAITING(slot);
  else store<u32>(WAITING_SENTINEL, <u32>SLOT_NEXT_WAITING(slot), WAITING_LINK);
  freeCount--;
  return slot;
}

/** Appends the ended `slot` (number `index`) to the table's FIFO. */
// @ts-ignore: decorator
@inline export function addWaiting(slot: usize, index: u32): void {
  store<u32>(slot, index, 12);
  if (!SHARED) store<u32>(freeTailSlot, <u32>slot, WAITING_LINK); // the sentinel's link while empty: the oldest
  else if (freeCount) store<u32>(freeTailSlot, <u32>slot, WAITING_LINK);
  else freeHeadSlot = slot;
  freeTailSlot = slot;
  freeCount++;
}

/**
 * The live slot `h` names, or a trap naming what is wrong with `h`. Changes nothing.
 * `kind` is 0 for a strong handle, WEAK for a weak one: the other kind is refused too. A put
 * (OP_PUT) of an owned reference traps too (putFor releases it).
 */
// @ts-ignore: decorator
@inline export function resolve(h: u32, op: u32, kind: u32 = 0): usize {
  // unreachable() after the trap, which never returns: V8 then keeps no value alive across its
  // call, so the hot path spills less (getPut: 0.9x the time). The lookup's two halves, each tested
  // with a branch: the caller's read of the slot's object need not wait for its state word.
  // slotAt's steps with a branch of their own each: `!slot || !slotLive` joined both tests into
  // one value V8 then tested again (a set, a move and a test per lookup, and a jump per bound).
  let index = SHARED ? slotIndex(h, heapTag, 0) : (h & ~(GEN_MASK << GEN_SHIFT)) - lookupBase();
  if (index >= (SHARED ? tableLength : tableSpan)) { refuse(h, op, kind); unreachable(); }
  let slot = slotIn(directory, index);
  if (!slotLive(slot, h, kind, op == OP_PUT)) { refuse(h, op, kind); unreachable(); }
  return slot;
}

/** resolve() found no live slot of `kind` for `h` (for a put: none that is not owned): a trap
 *  naming why. */
function refuse(h: u32, op: u32, kind: u32): void {
  let index = h & INDEX_MASK;
  // h == 0: a disposed heap's tag is 0, so 0 would name its index 0 (never issued at generation 0)
  if (h == 0 || (h >>> TAG_SHIFT) != heapTag || index >= tableLength) badHandle(h);
  badSlot(h, slotOf(index), op, kind);
}

/**
 * Shared checked build: makes the live slot of `h` (resolve() gave it) this thread's to end, in
 * one atomic step on its state word (live → live | PINNED), so of two racing puts (or a put and
 * a move, ...) exactly one wins, and a racing lock-free get waits, then sees the slot ended.
 * The loser traps as resolve() would (DOUBLE_PUT naming both sites: the winner wrote its end
 * site before it let go). release() lets go. Nothing may trap between the two.
 */
export function claimSlot(slot: usize, h: u32, op: u32, kind: u32 = 0): void {
  // OWNED as the slot has it: it changes only under the lock, at issue and release
  let live = LIVE | kind | ((h >>> GEN_SHIFT) & GEN_MASK) | (atomic.load<u32>(slot + 4) & OWNED);
  while (true) {
    let state = atomic.cmpxchg<u32>(slot + 4, live, live | PINNED | pinTag());
    if (state == live) return;
    if ((state & ~PIN_BY_MASK) != (live | PINNED)) { badSlot(h, slot, op, kind); return; }
    // pinned by a lock-free get or put for a few instructions: wait for it
  }
}

/** Lets go of a pin without ending the reference (the operation failed). */
export function unpinSlot(slot: usize): void {
  atomic.and<u32>(slot + 4, ~(PINNED | PIN_BY_MASK));
}

/**
 * Shared checked build: waits until no slot is pinned but the one this thread's resize holds
 * (thread-slots.ts noteResizePin). The heap lock is held and lock-free paths are kept out
 * (excludeReaders): a lock-free get or put pins its slot before it reads EXCLUDED, outside any
 * pass, so one that read it clear pinned before that store, this scan's loads come after it,
 * and it sees the pin until that get or put is done. One read per slot of a chunk that has not
 * retired (a retired chunk's slots never pin).
 */
export function awaitPins(): void {
  let own = resizePinned();
  for (let index = unretired(0); index < tableLength; index = unretired(index + 1)) {
    let slot = SLOT(index);
    if (slot != own) while (atomic.load<u32>(slot + 4) & PINNED) {}
  }
}

/** Shared checked build: true when a slot is pinned by thread `n`. For a thread that has
 *  ended (shared.ts reclaimThread), the heap lock held: it ended in a lock-free get or put. */
export function pinnedBy(n: u32): bool {
  let by = (n + 1) << PIN_BY_SHIFT;
  for (let index = unretired(0); index < tableLength; index = unretired(index + 1)) {
    let state = atomic.load<u32>(SLOT(index) + 4);
    if ((state & PINNED) && (state & PIN_BY_MASK) == by) return true;
  }
  return false;
}

/** The first index from `index` on that is not in a fully retired chunk (whose slots never pin). */
function unretired(index: u32): u32 {
  while (index < tableLength && CHUNK(index >> CHUNK_BITS) == <usize>RETIRED_SLOTS) index = ((index >> CHUNK_BITS) + 1) << CHUNK_BITS;
  return index;
}

function badHandle(h: u32): void {
  let tag = h >>> TAG_SHIFT;
  let message = MSG_FORGED_HANDLE;
  if (h == 0) message = MSG_HANDLE_ZERO;
  else if (tag >= 1 && tag <= MAX_TAG && tag != heapTag) message = MSG_FOREIGN_HANDLE;
  failure(h).raise(E_INVALID_HANDLE, message);
}

function badSlot(h: u32, slot: usize, op: u32, kind: u32): void {
  let state = SLOT_STATE(slot);
  let slotGen = state & GEN_MASK;
  let gen = (h >>> GEN_SHIFT) & GEN_MASK;
  if (gen > slotGen || (SHARED && (state & FRESH) != 0)) failure(h).raise(E_INVALID_HANDLE, MSG_FORGED_HANDLE);
  // gen < slotGen: the slot was issued again since; its record belongs to a newer handle, and
  // only the story word still says how this one ended.
  let own = gen == slotGen;
  if (!own) {
    let ended = (SLOT_STORY(slot) >>> (gen << 1)) & 3;
    let stale = failure(h).with(RECORD_GONE);
    if (ended == STORY_MOVED) stale.raise(E_USE_AFTER_MOVE, MSG_USE_AFTER_MOVE);
    if (ended == STORY_RESIZED) stale.raise(E_USE_AFTER_PUT, MSG_USE_AFTER_RESIZE);
    stale.raise(op == OP_PUT ? E_DOUBLE_PUT : E_USE_AFTER_PUT, op == OP_PUT ? MSG_DOUBLE_PUT : MSG_USE_AFTER_PUT);
  }
  let object = own && SLOT_OBJECT(slot) ? SLOT_OBJECT(slot) + HEADER : 0; // 0 in a freed chunk
  let site = own ? SLOT_SITE(slot) : 0;
  let record = failure(h).of(object).taken(site);
  if (own && (state & (LIVE | OWNED)) == (LIVE | OWNED) && op == OP_PUT && !kind) {
    record.with(load<u32>(slot, 16)).raise(E_OWNERSHIP, MSG_OWNED_PUT); // putFor releases it
  }
  // live, but the other kind: a weak handle where a strong one is needed, or the reverse
  if (own && (state & LIVE)) record.raise(E_INVALID_HANDLE, kind ? MSG_NOT_WEAK : MSG_WEAK_HANDLE);
  record.ended(own ? SLOT_END_SITE(slot) : 0);
  if (own && (state & MOVED)) record.raise(E_USE_AFTER_MOVE, MSG_USE_AFTER_MOVE);
  if (own && (state & RESIZED)) record.raise(E_USE_AFTER_PUT, MSG_USE_AFTER_RESIZE);
  record.raise(op == OP_PUT ? E_DOUBLE_PUT : E_USE_AFTER_PUT, op == OP_PUT ? MSG_DOUBLE_PUT : MSG_USE_AFTER_PUT);
}

/** Ends the reference `h` in `slot` (resolve() gave it; chunks never move, so the address stays
 *  good): records where, how (`flags`: 0, MOVED or RESIZED), and queues the slot for reuse or
 *  retires it (and its chunk, once all its slots retired). */
// @ts-ignore: decorator
@inline export function release(slot: usize, h: u32, site: u32, flags: u32): void {
  let gen = (h >>> GEN_SHIFT) & GEN_MASK; // resolve() checked it is the slot's
  let index = h & INDEX_MASK;
  store<u32>(slot, site, 20);
  if (flags) { // a put leaves the story's 0; moves and resizes say so for later generations
    let ended = flags == MOVED ? STORY_MOVED : STORY_RESIZED;
    store<u32>(slot, SLOT_STORY(slot) | (ended << (gen << 1)), 28);
  }
  // `>=`, not `==`: binaryen turned that into a test of h's bits (a move, a mask and a compare)
  // where the generation is at hand in a register already (resolve's)
  if (gen >= GEN_MASK) {
    retireSlot(slot, index, flags);
    return;
  }
  requeueSlot(slot, gen | flags, index);
}

/** The end of release() for a slot that is reused: its state (generation | flags) stored, the slot
 *  queued in the FIFO. */
// @ts-ignore: decorator
@inline function requeueSlot(slot: usize, state: u32, index: u32): void {
  if (SHARED) atomic.store<u32>(slot + 4, state);
  else store<u32>(slot, state, 4);
  addWaiting(slot, index);
}

/** True when `h` is its slot's last generation: its release retires the slot (a call). */
// @ts-ignore: decorator
@inline export function lastGen(h: u32): bool { return ((h >>> GEN_SHIFT) & GEN_MASK) >= GEN_MASK; }

/** release() of a plain build's put whose handle is not its slot's last generation (the caller
 *  tested lastGen): no call, so a caller that goes on after it spills nothing for one. */
// @ts-ignore: decorator
@inline export function releaseReusable(slot: usize, h: u32, site: u32): void {
  store<u32>(slot, site, 20);
  requeueSlot(slot, (h >>> GEN_SHIFT) & GEN_MASK, h & INDEX_MASK);
}

/** release() of a slot's last generation (`flags`: MOVED, RESIZED or 0 for a put): it retires for
 *  good, and its chunk with its last slot. The heap lock is held (the shared checked build's
 *  lock-free puts leave such a slot ended but not retired, on their thread's list: thread-deaths.ts). */
export function retireSlot(slot: usize, index: u32, flags: u32): void {
  if (SHARED) atomic.store<u32>(slot + 4, GEN_MASK | RETIRED | flags); // lets go of claimSlot's pin
  else store<u32>(slot, GEN_MASK | RETIRED | flags, 4);
  retiredCount++;
  let c = index >> CHUNK_BITS;
  let retired = RETIRED_COUNT(c) + 1;
  store<u16>(RETIRED_AT(c), <u16>retired);
  if (retired == CHUNK_SLOTS) retireChunk(c); // `slot` is gone after this
}
