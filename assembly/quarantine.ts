// === Quarantine (checked build): freed objects are poisoned and held back before reuse ===
//
// When an object dies its payload is filled with POISON (the first `poisonBytes` bytes) and its
// block waits in a FIFO of at most `maxBlocks` blocks / byteLimit() bytes (`maxBytes`, or 1/32
// of the heap's extent while that is less, 8 KiB at least). A block leaves the
// FIFO only after its poison is verified, so a write after free is caught, reported with the
// object's allocation site and the site of its last put (WRITE_AFTER_FREE). validate() verifies
// every quarantined block.
//
// Blocks leave in batches: when a block does not fit, the oldest leave until it fits with an
// eighth of both limits to spare (makeRoom), so the next deaths only queue and the FIFO holds
// between 7/8 of its limits and all of them. One eviction per death, inline in the last put,
// cost more (random actions 1..64, LIFO churn, FIFO queue: the checked allocator's own time is
// 0.85-0.92x that with batches; docs/performance.md, "Quarantine eviction in batches").
//
// A dead block (DEAD in its info word, see layout.ts) is in the FIFO when its mark word (+20,
// the header's scratch word) is nonzero: the next block, or END for the last one. A dead block
// with mark 0 is held only by weak handles and joins the FIFO when the last one is put.
//
// The eviction check runs before the operation that needs the room changes anything: on a
// violation the block is re-poisoned (so the next call gets past it) and the call traps.
//
// The room test (plain checked build): `room` holds the bytes the next queued block may take, so
// each death asks one compare, not byteLimit()'s min/max over four globals (~25 x86 instructions
// a death, callgrind). It is 0 once the FIFO holds maxBlocks blocks, and ROOM_ANY while the FIFO
// is empty (any block may wait alone, even one larger than the byte limit). queue() takes the
// block's bytes off it; an eviction and makeRoom() work it out afresh. It may be less than the
// room there is, never more: the heap only grows (so does byteLimit()), and setQuarantine()
// empties the FIFO first. So a test that finds room is right, and one that finds none is made
// again exactly (makeRoom). validate() checks that it is never more. The shared checked build
// keeps the exact test: other threads move blocks in without this instance's globals.

import { DEBUG, HEADER, SHARED } from "./config";
import { freeDeadBlock, freeDeadBlockOf } from "./blocks";
import { check, E_WRITE_AFTER_FREE, failure, MSG_WRITE_AFTER_FREE } from "./errors";
import { DEAD, FREE, INFO, MARK, PAYLOAD, PUT_SITE, SETMARK, SITE, SIZE, TAGS_MASK } from "./layout";
import { heapStart, tail as heapTail } from "./tlsf";

// @ts-ignore: decorator
@inline export const POISON: u8 = 0xDF;
// @ts-ignore: decorator
@inline const END: u32 = 1; // mark of the last queued block (no block lives at address 1)
// @ts-ignore: decorator
@inline const ROOM_ANY: usize = <usize>-1; // room while the FIFO is empty: any block may wait

// The quarantine's bytes are also bounded by the heap's size: at most 1/2^HEAP_SHIFT of the heap's
// extent (and at least HELD_MIN, so a small heap still holds its recent frees). A fixed 256 KiB
// would be as large as a small program's whole heap: its peak memory was 1.5-2x the unchecked
// build's for it. A 16 KiB floor still cost the small bench heaps a page (random 1..64 and
// refcount-heavy: 3 pages against dlmalloc's 2 with 32-slot table chunks, 2 with this floor).
// @ts-ignore: decorator
@inline const HEAP_SHIFT: u32 = 5;
// @ts-ignore: decorator
@inline export const HELD_MIN: usize = 8 << 10;

export let maxBlocks: u32 = 256;
export let maxBytes: usize = 256 << 10;
export let poisonBytes: u32 = 64;
export let queuedBlocks: u32 = 0;
export let queuedBytes: usize = 0;
export let head: usize = 0;
export let tail: usize = 0;
/** Bytes the next queued block may take (plain checked build; see "The room test" above). */
export let room: usize = ROOM_ANY;

/** Sets the limits; 0 blocks turns the quarantine off (poison is still written and checked
 *  while weak handles hold a dead block). Every queued block is evicted first, verified against
 *  the poison it was given (a trap here changes no setting); blocks that weak handles hold are
 *  poisoned again at the new length. */
export function setQuarantine(blocks: u32, bytes: u32, poisonLength: u32): void {
  drain();
  let held = heldByWeak(0);
  while (held) { checkPoison(held, false); held = heldByWeak(held); }
  maxBlocks = blocks;
  maxBytes = bytes;
  poisonBytes = poisonLength;
  for (held = heldByWeak(0); held; held = heldByWeak(held)) poison(held);
}

/** The next dead block after `after` (0: the first) that only weak handles hold. */
function heldByWeak(after: usize): usize {
  if (!heapTail) return 0;
  for (let b = after ? after + SIZE(after) : heapStart; b < heapTail; b += SIZE(b)) {
    if ((INFO(b) & (DEAD | FREE)) == DEAD && !isQueued(b)) return b;
  }
  return 0;
}

/** Bytes the quarantine may hold now: maxBytes, or less while the heap is small. */
// @ts-ignore: decorator
@inline export function byteLimit(): usize {
  return min(maxBytes, max(HELD_MIN, (heapTail - heapStart) >> HEAP_SHIFT));
}

/** True when a block of `size` bytes may need room made first (makeRoom): always when it does,
 *  and in the plain checked build also when `room` is behind a heap that grew. */
// @ts-ignore: decorator
@inline export function needsRoom(size: usize): bool {
  return SHARED ? lacksRoom(size) : size > room;
}

/** True when a block of `size` bytes does not fit in the FIFO as it is now (the exact test). */
// @ts-ignore: decorator
@inline function lacksRoom(size: usize): bool {
  // bitwise, not && and ||: every operand is a load or two, and V8 turned the short circuits into
  // two more branches and a joined value it tested again
  return <bool>(<u32>(queuedBlocks != 0) & (<u32>(queuedBlocks >= maxBlocks) | <u32>(queuedBytes + size > byteLimit())));
}

/** False when `room` says more than the FIFO's limits leave (validate(): a block could then wait
 *  past them). Behind is fine: the next death that finds no room works it out again. */
export function roomCounted(): bool {
  return SHARED || room <= roomWithin(byteLimit());
}

/** `room` worked out afresh from the FIFO's counts and `limit` = byteLimit() (the caller has it
 *  at hand). */
// @ts-ignore: decorator
@inline function roomWithin(limit: usize): usize {
  if (!queuedBlocks) return ROOM_ANY;
  return queuedBlocks < maxBlocks && queuedBytes < limit ? limit - queuedBytes : 0;
}

/** Bytes of `block`'s payload that carry poison. */
// @ts-ignore: decorator
@inline export function poisonLength(block: usize): usize {
  return poisonLengthFor(SIZE(block));
}

/** Bytes of poison in the payload of a block of `size` bytes. */
// @ts-ignore: decorator
@inline export function poisonLengthFor(size: usize): usize {
  return min(size - HEADER, <usize>poisonBytes);
}

// Poison and its check run on every death and every eviction: inline and branch-free for every
// default length, a multiple of 8 up to 64 (payload capacities are 8 mod 16: 8, 24, 40, 56;
// longer ones are cut to 64). From 16 bytes on, four v128 accesses at 0, a = min(16, last),
// last - a and last = n - 16 cover [0, n) (0, 16, 32, 48 at n = 64; overlapping where n < 64):
// no loop whose trip count changes with the block size, so no mispredicted branch per free.
// (last - a, not min(32, last): one constant fewer in a register through the eviction loop, 2-3
// x86 instructions fewer per death and per eviction.) 8 bytes take one u64; any other length (a
// custom poisonBytes) takes the plain loops out of line.

// @ts-ignore: decorator
@inline const POISON_WORD: u64 = 0xDFDFDFDFDFDFDFDF;

/** True when `n` poison bytes are written and checked by the inline vector path. */
// @ts-ignore: decorator
@inline function vectorLength(n: usize): bool {
  // one unsigned test: n - 16 <= 48 is the range, and n << 29, zero only for a multiple of 8,
  // puts any other n far above it (V8 made 9 instructions of the plain form per death and eviction)
  return ((n - 16) | (n << 29)) <= 48;
}

// Vector code sits inside `if (ASC_FEATURE_SIMD)` blocks, which asc leaves out uncompiled when a
// module that compiles rcalloc in does not enable SIMD (the library path).

// @ts-ignore: decorator
@inline export function poison(block: usize): void {
  poisonPayload(block, poisonLength(block));
}

/** Writes `n` bytes of poison at the start of `block`'s payload (poisonLength; the shared
 *  checked build's lock-free last put passes the length from the published setting). */
// @ts-ignore: decorator
@inline export function poisonPayload(block: usize, n: usize): void {
  let p = PAYLOAD(block);
  if (ASC_FEATURE_SIMD) {
    if (vectorLength(n)) {
      let v = i8x16.splat(<i8>POISON);
      let last = n - 16;
      let a = min(16, last);
      v128.store(p, v);
      v128.store(p + a, v);
      v128.store(p + last - a, v);
      v128.store(p + last, v);
      return;
    }
  }
  if (n == 8) store<u64>(p, POISON_WORD);
  else poisonBytewise(p, n);
}

function poisonBytewise(p: usize, n: usize): void {
  if (n > 64) {
    memory.fill(p, POISON, n);
    return;
  }
  for (let i: usize = 0; i + 8 <= n; i += 8) store<u64>(p + i, POISON_WORD);
  for (let i = n & ~7; i < n; i++) store<u8>(p + i, POISON);
}

/** True when the first `n` bytes of `block`'s poison are intact (the common case, inline). */
// @ts-ignore: decorator
@inline export function poisonIntact(block: usize, n: usize): bool {
  let p = PAYLOAD(block);
  if (ASC_FEATURE_SIMD) {
    if (vectorLength(n)) {
      let v = i8x16.splat(<i8>POISON);
      let last = n - 16;
      let a = min(16, last);
      let same = v128.and(
        v128.and(i8x16.eq(v128.load(p), v), i8x16.eq(v128.load(p + a), v)),
        v128.and(i8x16.eq(v128.load(p + last - a), v), i8x16.eq(v128.load(p + last), v)));
      return i8x16.all_true(same);
    }
  }
  return n == 8 ? load<u64>(p) == POISON_WORD : poisonDamageWithin(block, n) < 0;
}

/** Offset of the first byte of `block`'s poison that changed, or -1 (this instance's length:
 *  under the lock, where its globals are current). */
export function poisonDamage(block: usize): i32 { return poisonDamageWithin(block, poisonLength(block)); }

/** Offset of the first of `block`'s first `n` payload bytes that is not poison, or -1. The
 *  lock-free eviction passes the published length: its own poisonBytes may be stale. */
function poisonDamageWithin(block: usize, n: usize): i32 {
  let p = PAYLOAD(block);
  let i: usize = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(p + i) != POISON_WORD) break;
  for (; i < n; i++) if (load<u8>(p + i) != POISON) return <i32>i;
  return -1;
}

/** Traps if `block`'s poison changed: re-poisons first when `repair` is set. */
// @ts-ignore: decorator
@inline export function checkPoison(block: usize, repair: bool): void {
  if (!poisonIntact(block, poisonLength(block))) reportDamage(block, repair);
}

function reportDamage(block: usize, repair: bool): void {
  let at = poisonDamage(block);
  if (at < 0) return;
  if (repair) poison(block);
  failure(0).of(PAYLOAD(block)).taken(SITE(block)).ended(PUT_SITE(block)).with(<u32>at)
    .raise(E_WRITE_AFTER_FREE, MSG_WRITE_AFTER_FREE);
}

// @ts-ignore: decorator
@inline const BATCH_SHIFT: u32 = 3; // the room makeRoom leaves: 1/8 of each limit

/** The caller found needsRoom(size) true. In the plain checked build `room` may only be behind a
 *  heap that grew: tested again exactly, and brought up to date when the block fits after all
 *  (out of line: once per batch of deaths). The shared build evicts at once. */
// @ts-ignore: decorator
@inline export function makeRoom(size: usize): void {
  if (SHARED) evictFor(size, byteLimit());
  else makeRoomIfLacking(size);
}

function makeRoomIfLacking(size: usize): void {
  let limit = byteLimit();
  let left = roomWithin(limit); // size > left is lacksRoom(size)
  if (size > left) evictFor(size, limit);
  else room = left;
}

/** One more block of `size` bytes does not fit in `limit` = byteLimit() (lacksRoom(size), which
 *  the caller tested: no second test, ~25 x86 instructions a call): evicts the oldest blocks until it fits with 1/8 of
 *  each limit to spare (none of a block limit under 8: such a FIFO stays full). The bounds are
 *  worked out here, not next to the eviction loop, and passed to evictTo(): inside the loop V8
 *  recomputed them (byteLimit() and the eighths, ~40 x86 instructions) for every block evicted,
 *  a third of the eviction's instructions (callgrind on LIFO churn); a parameter is one load. */
// @ts-ignore: decorator
@inline function evictFor(size: usize, limit: usize): void {
  if (DEBUG) check(lacksRoom(size), "rcalloc debug: makeRoom() with room enough");
  let bytes = limit - (limit >> BATCH_SHIFT);
  evictTo(maxBlocks - (maxBlocks >> BATCH_SHIFT), bytes > size ? bytes - size : 0, limit);
}

/** Evicts the oldest blocks until at most `blocks` blocks and `bytes` bytes are left (none when
 *  both are 0); traps WRITE_AFTER_FREE at a block whose poison changed (re-poisoned). `limit` is
 *  byteLimit(), for the room left after (the caller has it at hand). */
function evictTo(blocks: u32, bytes: usize, limit: usize): void {
  while (!evictDownTo(blocks, bytes, limit)) damagedHead();
}

/** True when the quarantine holds more than its limits: only after a safe point or a thread's
 *  end moved threads' FIFOs in without evicting (thread-deaths.ts settleDeathsOf). Every
 *  locked death makes room first, after which the FIFO is within them but for a lone block
 *  larger than the byte limit (makeRoom keeps it until the next death, and so does this). */
// @ts-ignore: decorator
@inline export function overLimits(): bool {
  return queuedBlocks > maxBlocks || (queuedBlocks > 1 && queuedBytes > byteLimit());
}

/** Evicts the oldest blocks, as makeRoom, when the quarantine is over its limits (the lock is
 *  held; may trap WRITE_AFTER_FREE, re-poisoned, as makeRoom). */
export function trimQuarantine(): void {
  if (overLimits()) evictFor(0, byteLimit()); // over its limits: lacksRoom(0) holds
}

/** Evicts every block: memory ran out, and the quarantine must never be why an allocation fails. */
export function drain(): void {
  evictTo(0, 0, byteLimit());
}

/**
 * Evicts the oldest blocks, each after its poison check, until at most `blocks` blocks and
 * `bytes` bytes are left (none when both are 0); false when it stopped at a block whose poison
 * changed, now the head (damagedHead); `room` is then what is left within `limit` (byteLimit()).
 * The FIFO's head and counts stay in locals, stored once,
 * and the loop makes no call: the engine keeps globals in memory and spills what lives across a
 * call, and either made a batch cost more than one eviction at a time.
 */
// @ts-ignore: decorator
@inline function evictDownTo(blocks: u32, bytes: usize, limit: usize): bool {
  let n = queuedBlocks;
  if (!n) return true;
  let block = head;
  let held = queuedBytes;
  let damaged = false;
  while (true) {
    let info = INFO(block);
    let size = <usize>(info & ~TAGS_MASK);
    if (!poisonIntact(block, poisonLengthFor(size))) {
      damaged = true;
      break;
    }
    let next = <usize>MARK(block);
    SETMARK(block, 0);
    freeDeadBlockOf(block, info);
    block = next; // END after the last: tested once, below, not per block
    held -= size;
    // two branches: V8 made a joined value of `n >= blocks || held > bytes` and tested it again
    if (!--n) break;
    if (n >= blocks) continue;
    if (held <= bytes) break;
  }
  if (!n) block = 0;
  head = block;
  if (!block) tail = 0;
  queuedBlocks = n;
  queuedBytes = held;
  if (!SHARED) room = roomWithin(limit);
  return !damaged;
}

/** The FIFO's head failed its poison check: traps, re-poisoned so the next call gets past it.
 *  (Should the bytewise look find no damage after all, it is poisoned again and the caller's
 *  eviction goes on past it.) */
function damagedHead(): void {
  reportDamage(head, true);
  poison(head);
}

/** Queues a dead, poisoned block; makeRoom(SIZE(block)) must have run. */
// @ts-ignore: decorator
@inline export function enqueue(block: usize): void {
  if (!maxBlocks) {
    freeDeadBlock(block);
    return;
  }
  queue(block, SIZE(block));
}

/** enqueue() of a block of `size` bytes while the quarantine is on (maxBlocks > 0): for a death
 *  that has both at hand (V8 reloads a header word after a store to the block, and tests a
 *  global again). */
// @ts-ignore: decorator
@inline export function queue(block: usize, size: usize): void {
  if (DEBUG) check(maxBlocks != 0, "rcalloc debug: queue() with the quarantine off");
  if (DEBUG) check(!lacksRoom(size), "rcalloc debug: enqueue() without makeRoom()");
  if (DEBUG) check(roomCounted(), "rcalloc debug: quarantine room counted too large");
  SETMARK(block, END);
  let left = room;
  if (tail) SETMARK(tail, <u32>block);
  else {
    head = block;
    left = max(byteLimit(), size); // alone it may be larger than the limit: no room left then
  }
  tail = block;
  let n = queuedBlocks + 1; // not `++queuedBlocks`: V8 loaded the global again after the store
  queuedBlocks = n;
  queuedBytes += size;
  if (!SHARED) room = n < maxBlocks ? left - size : 0;
}

/** True when the dead `block` waits in the FIFO (not only held by weak handles). */
// @ts-ignore: decorator
@inline export function isQueued(block: usize): bool { return MARK(block) != 0; }

/** The queued block after `block` (0: the first), for validate() and the walk. */
export function nextQueued(block: usize): usize {
  if (!block) return head;
  let next = <usize>MARK(block);
  return next == END ? 0 : next;
}
