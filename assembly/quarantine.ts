// === Quarantine (checked build): freed objects are poisoned and held back before reuse ===
//
// When an object dies its payload is filled with POISON (the first `poisonBytes` bytes) and its
// block waits in a FIFO of at most `maxBlocks` blocks / `maxBytes` bytes. A block leaves the
// FIFO only after its poison is verified, so a write after free is caught, reported with the
// object's allocation site and the site of its last put (WRITE_AFTER_FREE). validate() verifies
// every quarantined block.
//
// A dead block (DEAD in its info word, see layout.ts) is in the FIFO when its mark word (+20,
// the header's scratch word) is nonzero: the next block, or END for the last one. A dead block
// with mark 0 is held only by weak handles and joins the FIFO when the last one is put.
//
// The eviction check runs before the operation that needs the room changes anything: on a
// violation the block is re-poisoned (so the next call gets past it) and the call traps.

import { DEBUG, HEADER } from "./config";
import { freeDeadBlock } from "./blocks";
import { check, E_WRITE_AFTER_FREE, failure, MSG_WRITE_AFTER_FREE } from "./errors";
import { DEAD, FREE, INFO, MARK, PAYLOAD, PUT_SITE, SETMARK, SITE, SIZE } from "./layout";
import { heapStart, tail as heapTail } from "./tlsf";

// @ts-ignore: decorator
@inline export const POISON: u8 = 0xDF;
// @ts-ignore: decorator
@inline const END: u32 = 1; // mark of the last queued block (no block lives at address 1)

export let maxBlocks: u32 = 256;
export let maxBytes: usize = 256 << 10;
export let poisonBytes: u32 = 64;
export let queuedBlocks: u32 = 0;
export let queuedBytes: usize = 0;
export let head: usize = 0;
export let tail: usize = 0;

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

/** Bytes of `block`'s payload that carry poison. */
// @ts-ignore: decorator
@inline export function poisonLength(block: usize): usize {
  return min(SIZE(block) - HEADER, <usize>poisonBytes);
}

export function poison(block: usize): void {
  let n = poisonLength(block);
  if (ASC_FEATURE_SIMD && n == 64) { // the default: four vector stores instead of a memset call
    let p = PAYLOAD(block);
    let v = i8x16.splat(<i8>POISON);
    v128.store(p, v);
    v128.store(p, v, 16);
    v128.store(p, v, 32);
    v128.store(p, v, 48);
    return;
  }
  if (n <= 64) { // small objects: 8, 24, 40 or 56 bytes; a few word stores beat a memset call
    let p = PAYLOAD(block);
    for (let i: usize = 0; i + 8 <= n; i += 8) store<u64>(p + i, 0xDFDFDFDFDFDFDFDF);
    for (let i = n & ~7; i < n; i++) store<u8>(p + i, POISON);
    return;
  }
  memory.fill(PAYLOAD(block), POISON, n);
}

/** Offset of the first byte of `block` whose poison changed, or -1. */
export function poisonDamage(block: usize): i32 {
  let p = PAYLOAD(block);
  let n = poisonLength(block);
  let i: usize = 0;
  if (ASC_FEATURE_SIMD && n == 64) { // the default: one vector test, bytes only on damage
    let v = i8x16.splat(<i8>POISON);
    let same = v128.and(v128.and(i8x16.eq(v128.load(p), v), i8x16.eq(v128.load(p, 16), v)),
                        v128.and(i8x16.eq(v128.load(p, 32), v), i8x16.eq(v128.load(p, 48), v)));
    if (i8x16.all_true(same)) return -1;
  }
  const WORD: u64 = 0xDFDFDFDFDFDFDFDF;
  for (; i + 8 <= n; i += 8) if (load<u64>(p + i) != WORD) break;
  for (; i < n; i++) if (load<u8>(p + i) != POISON) return <i32>i;
  return -1;
}

/** Traps if `block`'s poison changed: re-poisons first when `repair` is set. */
export function checkPoison(block: usize, repair: bool): void {
  let at = poisonDamage(block);
  if (at < 0) return;
  if (repair) poison(block);
  failure(0).of(PAYLOAD(block)).taken(SITE(block)).ended(PUT_SITE(block)).with(<u32>at)
    .raise(E_WRITE_AFTER_FREE, MSG_WRITE_AFTER_FREE);
}

/** Evicts the oldest blocks until one more block of `size` bytes fits. */
export function makeRoom(size: usize): void {
  while (queuedBlocks && (queuedBlocks >= maxBlocks || queuedBytes + size > maxBytes)) evictOldest();
}

/** Evicts every block: memory ran out, and the quarantine must never be why an allocation fails. */
export function drain(): void {
  while (queuedBlocks) evictOldest();
}

function evictOldest(): void {
  let block = head;
  checkPoison(block, true);
  let next = <usize>MARK(block);
  head = next == END ? 0 : next;
  if (!head) tail = 0;
  queuedBlocks--;
  queuedBytes -= SIZE(block);
  SETMARK(block, 0);
  freeDeadBlock(block);
}

/** Queues a dead, poisoned block; makeRoom(SIZE(block)) must have run. */
export function enqueue(block: usize): void {
  if (!maxBlocks) {
    freeDeadBlock(block);
    return;
  }
  if (DEBUG) check(!queuedBlocks || (queuedBlocks < maxBlocks && queuedBytes + SIZE(block) <= maxBytes), "rcalloc debug: enqueue() without makeRoom()");
  SETMARK(block, END);
  if (tail) SETMARK(tail, <u32>block);
  else head = block;
  tail = block;
  queuedBlocks++;
  queuedBytes += SIZE(block);
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
