// === validate(): every block, free list, quick list and table slot, against the invariants ===
//
// One pass over the blocks, one over each list, the quarantine and the pairs, one over the table
// (checked build), one more over the blocks to compare counts. O(blocks + slots + pairs); no
// allocation. The first broken invariant traps with CORRUPT_HEAP and a message that names it;
// a quarantined block whose poison changed traps with WRITE_AFTER_FREE.

import { CHECKED, HEADER, QUICK_MAX, SHARED } from "./config";
import { CLASS_MIN, CLASSES, classCapacity, classHead, floorClass } from "./size-classes";
import { corrupt } from "./errors";
import { QUICK_HEADS, QUICK_HEADS_BYTES, QUICK_TAILS } from "./blocks";
import {
  BIG_SLACK, COUNT, DEAD, FREE, INFO, isInternal, isObject, isRaw, LEFTFREE, MARK, PAIRED, RAW_COOKIE, REFS, SETMARK,
  SIZE, SLACK_SHIFT,
} from "./layout";
import { weakCount } from "./lifecycle";
import { checkPoison, isQueued, nextQueued, queuedBlocks, queuedBytes, roomCounted } from "./quarantine";
import { checkGuard } from "./pointers";
import { pairAt, pairCapacity, pairCount, pairGet, TAG_IGNORED, TAG_WEAK } from "./pairs";
import {
  BACK, fillerBlocks, flMap, FL_BITS, HEAD, heapStart, listIndex, MIN_BLOCK, NEXT, PREV, SLMAP, tail,
} from "./tlsf";
import {
  freeCount, firstWaiting, freeTailSlot, HANDLE, GEN_MASK, INDEX_MASK, LIVE, liveCount, OWNED, RETIRED, retiredCount, SLOT,
  SLOT_NEXT_WAITING, SLOT_OBJECT, SLOT_OWNER, SLOT_STATE, SLOT_WAITING_INDEX, tableCapacity, tableLength, WEAK, CHUNK,
  CHUNK_BITS, CHUNK_SLOTS, directory, directoryChunks, firstChunk, firstIndex, slotOf, tableSpan, RETIRED_COUNT, RETIRED_SLOTS, RETIRED_SLOTS_BYTES,
  retiredSlotsReady, heapTag, lookupBase, TABLE_VIEW, WAITING_SENTINEL, keptDirectory, NEXT_KEPT, spareChunks,
} from "./handles";
import { SLOT_SIZE, TABLE_VIEW_DIRECTORY, TABLE_VIEW_FIRST, TABLE_VIEW_LENGTH, TABLE_VIEW_TAG, TAG_SHIFT } from "./handle-lookup";
import { pairsBlock } from "./pairs";
import { resultsBlock } from "./scan";
import { staticDataIntact } from "./statics";
import { validateThreadCaches } from "./thread-cache";
import { validateSlotPools } from "./slot-pools";
import { validateDeaths } from "./thread-deaths";

export function validate(): void {
  if (!staticDataIntact()) corrupt("rcalloc validate: the allocator's static data changed (its messages or constants)", 0);
  validateRetiredChunk();
  if (CHECKED && !SHARED) validateTableView();
  if (!tail) return;
  let freeBlocks: u32 = 0, cachedBlocks: u32 = 0, deadQueued: u32 = 0, internalBlocks: u32 = 0;

  // Blocks tile the heap; LEFTFREE mirrors the left block; free blocks are coalesced.
  let block = heapStart;
  let leftFree = false;
  while (block < tail) {
    let info = INFO(block);
    let size = SIZE(block);
    if (size < MIN_BLOCK) corrupt("rcalloc validate: block smaller than the 16-byte minimum", block);
    if (block + size > tail) corrupt("rcalloc validate: block runs past the heap tail", block);
    if (((info & LEFTFREE) != 0) != leftFree) corrupt("rcalloc validate: LEFTFREE differs from the left block's FREE", block);
    if (info & FREE) {
      if (info & (PAIRED | DEAD)) corrupt("rcalloc validate: free block carries object flags", block);
      if (leftFree) corrupt("rcalloc validate: two adjacent free blocks (missed coalesce)", block);
      if (BACK(block + size) != block) corrupt("rcalloc validate: free block's back pointer is wrong", block);
      freeBlocks++;
    } else if (info & DEAD) {
      let queued = CHECKED && isQueued(block);
      if (!queued && !weakCount(block)) corrupt("rcalloc validate: dead block neither quarantined nor held by weak handles", block);
      if (CHECKED) checkPoison(block, true); // reported once: re-poisoned, so the next validate() passes
      if (queued) deadQueued++;
    } else if (isInternal(block)) {
      if (info & (PAIRED | DEAD)) corrupt("rcalloc validate: internal block carries object flags", block);
      internalBlocks++;
    } else if (COUNT(block) == 0) {
      if (info & PAIRED) corrupt("rcalloc validate: cached block carries object flags", block);
      cachedBlocks++;
    } else {
      if (REFS(block) == 0) corrupt("rcalloc validate: live object with no references", block);
      // An exact size in the block's last word sits in the object's slack, where an overrun writes.
      if ((COUNT(block) >>> SLACK_SHIFT) == BIG_SLACK && load<u32>(block + size - 4) > <u32>(size - HEADER - BIG_SLACK)) {
        corrupt("rcalloc validate: object's exact size (its block's last word) is out of range", block);
      }
      if (CHECKED && isRaw(block) && MARK(block) != RAW_COOKIE(block)) corrupt("rcalloc validate: raw block lost its cookie", block);
      if (CHECKED && isRaw(block)) checkGuard(block); // a heap overflow: reported once, the guard written again
      if ((info & PAIRED) && !pairGet(block, TAG_WEAK) && !pairGet(block, TAG_IGNORED)) {
        corrupt("rcalloc validate: PAIRED object has no weak handles or mark", block);
      }
      if (CHECKED && !isRaw(block)) SETMARK(block, 0);
    }
    leftFree = (info & FREE) != 0;
    block += size;
  }
  if (block != tail) corrupt("rcalloc validate: blocks do not end at the heap tail", block);
  if (((INFO(tail) & LEFTFREE) != 0) != leftFree) corrupt("rcalloc validate: tail LEFTFREE differs from the last block", tail);

  // Every free block sits in the list its size maps to; bitmaps match the lists.
  let listed: u32 = 0;
  for (let fl: u32 = 0; fl < FL_BITS; fl++) {
    let slMap = SLMAP(fl);
    if ((((flMap >>> fl) & 1) != 0) != (slMap != 0)) corrupt("rcalloc validate: first-level bitmap differs from second-level map", fl);
    for (let sl: u32 = 0; sl < 16; sl++) {
      let index = (fl << 4) | sl;
      let head = HEAD(index);
      if ((((slMap >>> sl) & 1) != 0) != (head != 0)) corrupt("rcalloc validate: second-level bitmap differs from list head", index);
      let prev: usize = 0;
      for (let b = head; b; b = NEXT(b)) {
        if (b < heapStart || b >= tail || ((b + 8) & 15)) corrupt("rcalloc validate: free list points outside the heap", b);
        if (!(INFO(b) & FREE)) corrupt("rcalloc validate: used block in a free list", b);
        if (listIndex(SIZE(b)) != index) corrupt("rcalloc validate: free block in the wrong size list", b);
        if (PREV(b) != prev) corrupt("rcalloc validate: free list prev link is wrong", b);
        if (++listed > freeBlocks) corrupt("rcalloc validate: free lists hold more blocks than the heap (cycle?)", b);
        prev = b;
      }
    }
  }
  if (listed != freeBlocks) corrupt("rcalloc validate: a free block is missing from the free lists", listed);

  // Every cached block sits in the quick list of its exact size.
  let cached: u32 = 0;
  if (load<u32>(QUICK_HEADS)) corrupt("rcalloc validate: the quick list of size 0 is not empty", QUICK_HEADS);
  for (let p = QUICK_TAILS; p < QUICK_TAILS + QUICK_HEADS_BYTES; p += 4) {
    if (load<u32>(p)) corrupt("rcalloc validate: sortQuickLists' scratch is not clear", p);
  }
  for (let size: usize = 16; size <= QUICK_MAX; size += 16) {
    for (let b = <usize>load<u32>(QUICK_HEADS + (size >> 2)); b; b = load<u32>(b, 8)) {
      if (b < heapStart || b >= tail || ((b + 8) & 15)) corrupt("rcalloc validate: quick list points outside the heap", b);
      if ((INFO(b) & FREE) || COUNT(b) != 0) corrupt("rcalloc validate: quick list holds a block that is not cached", b);
      if (SIZE(b) != size) corrupt("rcalloc validate: cached block in the wrong quick list", b);
      if (++cached > cachedBlocks) corrupt("rcalloc validate: quick lists hold more blocks than the heap (cycle?)", b);
    }
  }
  // Every cached medium block sits in the list of the largest class it holds.
  for (let k: u32 = 0; k < CLASSES; k++) {
    for (let b = classHead(k); b; b = load<u32>(b, 8)) {
      if (b < heapStart || b >= tail || ((b + 8) & 15)) corrupt("rcalloc validate: class list points outside the heap", b);
      if ((INFO(b) & FREE) || COUNT(b) != 0) corrupt("rcalloc validate: class list holds a block that is not cached", b);
      if (SIZE(b) < CLASS_MIN || floorClass(SIZE(b)) != k || SIZE(b) < classCapacity(k)) {
        corrupt("rcalloc validate: cached block in the wrong class list", b);
      }
      if (++cached > cachedBlocks) corrupt("rcalloc validate: class lists hold more blocks than the heap (cycle?)", b);
    }
  }
  if (SHARED) {
    cached += validateThreadCaches(heapStart, tail); // thread-cache.ts
  }
  if (cached != cachedBlocks) corrupt("rcalloc validate: a cached block is missing from the quick and class lists", cached);

  if (CHECKED) validateQuarantine(deadQueued);
  validatePairs();
  let chunks: u32 = 0;
  if (CHECKED) chunks = validateTable();
  if (SHARED && CHECKED) chunks += validateSpareChunks() + validateKeptDirectories();
  let known = chunks + (pairsBlock ? 1 : 0) + (resultsBlock ? 1 : 0) + fillerBlocks;
  if (internalBlocks != known) corrupt("rcalloc validate: an internal block belongs to nothing (or one is missing)", internalBlocks);
}

/** The static chunk that stands in for fully retired chunks: once in use, every slot RETIRED at
 *  the last generation and every other word 0 (handles.ts); all 0 before. */
function validateRetiredChunk(): void {
  for (let p = RETIRED_SLOTS; p < RETIRED_SLOTS + RETIRED_SLOTS_BYTES; p += 4) {
    // all zero until the first chunk retires (and always in the unchecked build)
    let expected: u32 = retiredSlotsReady && ((p - RETIRED_SLOTS) & 31) == 4 ? RETIRED | GEN_MASK : 0;
    if (load<u32>(p) != expected) corrupt("rcalloc validate: the retired chunk changed (a stale handle could resolve)", p);
  }
}

function validateQuarantine(deadQueued: u32): void {
  let blocks: u32 = 0;
  let bytes: usize = 0;
  for (let b = nextQueued(0); b; b = nextQueued(b)) {
    if (b < heapStart || b >= tail || ((b + 8) & 15)) corrupt("rcalloc validate: quarantine points outside the heap", b);
    if (!(INFO(b) & DEAD) || (INFO(b) & FREE)) corrupt("rcalloc validate: quarantine holds a block that is not dead", b);
    if (++blocks > deadQueued) corrupt("rcalloc validate: quarantine holds more blocks than the heap (cycle?)", b);
    bytes += SIZE(b);
  }
  if (blocks != deadQueued || blocks != queuedBlocks) corrupt("rcalloc validate: quarantine count differs from the heap", blocks);
  if (bytes != queuedBytes) corrupt("rcalloc validate: quarantine byte count is wrong", <usize>bytes);
  if (!roomCounted()) corrupt("rcalloc validate: quarantine room is larger than its limits leave", 0);
}

function validatePairs(): void {
  let entries: u32 = 0, weakTotal: u32 = 0;
  for (let i: u32 = 0; i < pairCapacity(); i++) {
    let e = pairAt(i);
    if (!e) continue;
    entries++;
    let object = <usize>load<u32>(e);
    let tag = load<u32>(e, 4);
    let value = load<u32>(e, 8);
    if (object < heapStart || object >= tail || ((object + 8) & 15)) corrupt("rcalloc validate: pair names a block outside the heap", object);
    if (value == 0) corrupt("rcalloc validate: pair with value 0", object);
    let info = INFO(object);
    if (info & FREE || COUNT(object) == 0 || isInternal(object)) corrupt("rcalloc validate: pair names a block that holds no object", object);
    if (tag == TAG_WEAK || tag == TAG_IGNORED) {
      if (!(info & PAIRED)) corrupt("rcalloc validate: object with weak handles or mark lacks PAIRED", object);
      if (tag == TAG_WEAK) weakTotal += value;
    } else {
      if (info & DEAD) corrupt("rcalloc validate: an owner holds a dead object", object);
      if (CHECKED) {
        let index = value & INDEX_MASK;
        let slot = index < tableLength ? slotOf(index) : 0;
        let state = slot ? SLOT_STATE(slot) : 0;
        if (!(state & LIVE) || HANDLE(index, state & GEN_MASK) != value || SLOT_OBJECT(slot) != object || SLOT_OWNER(slot) != tag) {
          corrupt("rcalloc validate: owner pair does not name the owner's live handle", object);
        }
      }
    }
  }
  if (entries != pairCount) corrupt("rcalloc validate: pair count differs from the map", entries);
  if (CHECKED) {
    let weakSlots: u32 = 0;
    for (let index = firstIndex(); index < tableLength; index++) {
      let state = SLOT_STATE(SLOT(index));
      if ((state & (LIVE | WEAK)) == (LIVE | WEAK)) weakSlots++;
    }
    if (weakSlots != weakTotal) corrupt("rcalloc validate: weak counts differ from the live weak handles", weakSlots);
  }
}

/** Shared checked build: every spare chunk (handles.ts "Table") is an internal block of a chunk's
 *  size whose slots read RETIRED, so a stale lock-free pin fails there; returns how many. */
function validateSpareChunks(): u32 {
  let count: u32 = 0;
  for (let chunk = spareChunks; chunk; chunk = <usize>load<u32>(chunk)) {
    let block = chunk - HEADER;
    if (block < heapStart || block >= tail || ((block + 8) & 15)) corrupt("rcalloc validate: a spare table chunk is outside the heap", chunk);
    if ((INFO(block) & FREE) || !isInternal(block) || SIZE(block) < HEADER + (<usize>CHUNK_SLOTS << 5)) {
      corrupt("rcalloc validate: a spare table chunk is not an internal block of its size", chunk);
    }
    for (let i: usize = 0; i < <usize>CHUNK_SLOTS; i++) {
      if (!(SLOT_STATE(chunk + (i << 5)) & RETIRED)) corrupt("rcalloc validate: a spare table chunk holds a slot that is not retired", chunk);
    }
    if (++count > (tableCapacity >> CHUNK_BITS)) corrupt("rcalloc validate: more spare table chunks than chunks (cycle?)", chunk);
  }
  return count;
}

/** Shared checked build: every kept directory (handles.ts "Table") is an internal block with room
 *  for its entries, each half as many as the next newer one's; returns how many. */
function validateKeptDirectories(): u32 {
  let count: u32 = 0;
  let chunks = directoryChunks >> 1;
  for (let dir = keptDirectory; dir; dir = NEXT_KEPT(dir, chunks), chunks >>= 1) {
    let block = dir - HEADER;
    if (block < heapStart || block >= tail || ((block + 8) & 15)) corrupt("rcalloc validate: a kept table directory is outside the heap", dir);
    if (chunks < 16 || (INFO(block) & FREE) || !isInternal(block) || SIZE(block) < HEADER + <usize>chunks * 6) {
      corrupt("rcalloc validate: a kept table directory is not an internal block of its size", dir);
    }
    count++;
  }
  return count;
}

/** Checks the table; returns how many chunk blocks it holds. */
/** The copy a linked module resolves handles through (handles.ts TABLE_VIEW) equals the table. */
function validateTableView(): void {
  if (load<u32>(TABLE_VIEW, TABLE_VIEW_TAG) != heapTag || load<u32>(TABLE_VIEW, TABLE_VIEW_LENGTH) != tableLength ||
    <usize>load<u32>(TABLE_VIEW, TABLE_VIEW_DIRECTORY) != directory || load<u32>(TABLE_VIEW, TABLE_VIEW_FIRST) != firstIndex()) {
    corrupt("rcalloc validate: the handle table's view (TABLE_VIEW) differs from the table", TABLE_VIEW);
  }
}

function validateTable(): u32 {
  if (tableLength > tableCapacity) corrupt("rcalloc validate: table length exceeds its capacity", tableLength);
  let chunkCount = (tableCapacity + CHUNK_SLOTS - 1) >> CHUNK_BITS;
  let blocks: u32 = 0;
  if (SHARED && firstChunk) corrupt("rcalloc validate: the shared build's directory starts past chunk 0", firstChunk);
  if (!SHARED && tableSpan != tableLength - firstIndex()) corrupt("rcalloc validate: table span differs from its length", tableSpan);
  if (!SHARED && lookupBase() != (heapTag << TAG_SHIFT) + firstIndex()) corrupt("rcalloc validate: the lookup base differs from the tag and first index", lookupBase());
  if (firstChunk > chunkCount || chunkCount - firstChunk > directoryChunks || (chunkCount && !directory)) {
    corrupt("rcalloc validate: table has more chunks than its directory", chunkCount);
  }
  if (directory) {
    let block = directory - HEADER;
    if (block < heapStart || block >= tail || ((block + 8) & 15)) corrupt("rcalloc validate: table directory outside the heap", directory);
    if ((INFO(block) & FREE) || !isInternal(block) || SIZE(block) < HEADER + <usize>directoryChunks * 6) {
      corrupt("rcalloc validate: table directory is not an internal block of its size", directory);
    }
    blocks++;
  }
  // Chunks below firstChunk retired and left the directory: their slots count as retired.
  for (let c = firstChunk; c < firstChunk + directoryChunks; c++) {
    let slots = CHUNK(c);
    if (c >= chunkCount) {
      if (slots) corrupt("rcalloc validate: directory entry beyond the table", c);
      continue;
    }
    // The chunk's address first: the slots are read only through a pointer known to be good.
    if (slots != RETIRED_SLOTS) {
      let block = slots - HEADER;
      if (block < heapStart || block >= tail || ((block + 8) & 15)) corrupt("rcalloc validate: table chunk outside the heap", c);
      if ((INFO(block) & FREE) || !isInternal(block) || SIZE(block) < HEADER + (<usize>CHUNK_SLOTS << 5)) {
        corrupt("rcalloc validate: table chunk is not an internal block of its size", c);
      }
      blocks++;
    }
    let retired: u32 = 0;
    let end = min((c + 1) << CHUNK_BITS, tableLength);
    for (let index = c << CHUNK_BITS; index < end; index++) if (SLOT_STATE(SLOT(index)) & RETIRED) retired++;
    if (retired != RETIRED_COUNT(c)) corrupt("rcalloc validate: chunk's retired count differs from its slots", c);
    if (slots == RETIRED_SLOTS && retired != CHUNK_SLOTS) corrupt("rcalloc validate: chunk freed before all its slots retired", c);
  }

  // Each live slot points at a live object; count them per object in its mark word.
  let live: u32 = 0, strong: u32 = 0, retired = min(firstIndex(), tableLength), waiting: u32 = 0;
  for (let index = firstIndex(); index < tableLength; index++) {
    let state = SLOT_STATE(SLOT(index));
    if (state & LIVE) {
      let object = SLOT_OBJECT(SLOT(index));
      if (object < heapStart || object >= tail || ((object + 8) & 15)) corrupt("rcalloc validate: live handle points outside the heap", index);
      if (state & WEAK) {
        if ((INFO(object) & FREE) || !weakCount(object)) corrupt("rcalloc validate: weak handle's block is not held for it", index);
      } else {
        if (!isObject(object) || isRaw(object)) corrupt("rcalloc validate: live handle points at a freed object", index);
        SETMARK(object, MARK(object) + 1);
        strong++;
      }
      // OWNED alone makes a plain put refuse the reference: it must come with an owner and a pair
      if ((state & OWNED) && ((state & WEAK) || !load<u32>(SLOT(index), 16))) corrupt("rcalloc validate: owned handle without an owner", index);
      let owner = SLOT_OWNER(SLOT(index));
      if (owner && pairGet(object, owner) != HANDLE(index, state & GEN_MASK)) corrupt("rcalloc validate: owned handle missing from the owner pairs", index);
      live++;
    } else if (state & RETIRED) {
      retired++;
    } else {
      if (state & OWNED) corrupt("rcalloc validate: a free slot is marked owned", index);
      waiting++;
    }
  }
  if (live != liveCount()) corrupt("rcalloc validate: live handle count differs from the table", live);
  if (retired != retiredCount) corrupt("rcalloc validate: retired slot count differs from the table", retired);
  // Shared: the threads' slot pools hold the rest of the waiting slots.
  let pooled = SHARED ? validateSlotPools(heapStart, tail) : 0;
  if (SHARED) validateDeaths(); // thread-deaths.ts: a safe point settles every thread's quarantine first
  if (waiting != freeCount + pooled) corrupt("rcalloc validate: free slot count differs from the table", waiting);

  // The free FIFO holds exactly the waiting slots, in a chain that ends at freeTailSlot. Its links
  // are addresses: each is checked to be a slot of the table (by the index the slot holds) before
  // anything is read through it.
  let steps: u32 = 0, last: usize = 0;
  for (let slot = firstWaiting(); steps < freeCount; steps++) {
    // `slot > tail - SLOT_SIZE`, not `slot + SLOT_SIZE > tail`: the sum wraps near 2^32
    if (slot < heapStart || slot > tail - SLOT_SIZE) corrupt("rcalloc validate: free slot chain leaves the table", <u32>slot);
    let index = SLOT_WAITING_INDEX(slot);
    if (index >= tableLength || index < firstIndex() || SLOT(index) != slot) corrupt("rcalloc validate: free slot chain leaves the table", <u32>slot);
    let state = SLOT_STATE(slot);
    if (state & (LIVE | RETIRED)) corrupt("rcalloc validate: free slot chain holds a live or retired slot", index);
    last = slot;
    slot = SLOT_NEXT_WAITING(slot);
  }
  if (freeCount && last != freeTailSlot) corrupt("rcalloc validate: free slot chain does not end at its tail", <u32>last);
  // plain builds: an empty FIFO's tail is its sentinel, through which the next append links
  if (!SHARED && !freeCount && freeTailSlot != WAITING_SENTINEL) corrupt("rcalloc validate: free slot chain does not end at its tail", <u32>freeTailSlot);

  // Each object's count equals the live handles that point at it, and none point elsewhere.
  let counted: u32 = 0;
  for (let block = heapStart; block < tail; block += SIZE(block)) {
    if (!isObject(block) || isRaw(block)) continue; // raw blocks have no handles
    if (MARK(block) != REFS(block)) corrupt("rcalloc validate: object's reference count differs from its live handles", block);
    counted += MARK(block);
    SETMARK(block, 0); // a live object's mark is 0 outside validate(): nonzero means queued
  }
  if (counted != strong) corrupt("rcalloc validate: a live handle points inside an object, not at its block", counted);
  return blocks;
}
