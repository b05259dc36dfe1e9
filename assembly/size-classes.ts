// === Size classes: medium blocks (QUICK_MAX < size <= CLASS_MAX) on per-class LIFO lists ===
// see: mimalloc's segregated free lists, https://github.com/microsoft/mimalloc (its size classes)
//
// A medium request is rounded up to its class's capacity (8 classes per doubling: at most 12.5%
// more), so any cached block of a class serves any request of that class. A freed medium block
// goes onto its class's list: the free touches only the block's own header line (the word
// before it tells whether a larger free block precedes it: then it coalesces into TLSF instead,
// blocks.ts), and the next alloc of the class pops it with one load. Cached blocks stay "used" in
// TLSF's eyes and never coalesce while cached; when TLSF cannot serve a request, blocks.ts flushes
// these lists into TLSF (where they coalesce) before memory grows, as it does the quick lists, so
// caching never grows the heap. A class block is an ordinary block (layout.ts): the heap walk,
// validate() and the scan see it without knowing about classes.
//
// ╒═════ Classes (capacity = whole-block size) ═════╕
// class k (0..31): capacity (9 + k % 8) << (7 + k / 8)
//   k 0..7:  1152 1280 .. 2048   (steps of 128)      k 16..23: 4608 .. 8192  (512)
//   k 8..15: 2304 2560 .. 4096   (256)               k 24..31: 9216 .. 16384 (1024)
// A block of any size S >= 1152 (a shrunk or grown block, an internal one) is listed under the
// largest class whose capacity is <= S (floorClass), so every block on list k serves class k.
//
// ╒════════ Cached (class-list) block ════════╕
// +0  info    size | LEFTFREE (FREE clear: TLSF sees a used block)
// +4  0       zero marks "cached" (layout.ts, block states)
// +8  next    next cached block of the same class, or 0
//
// An object in a class block may have more than MAX_SLACK bytes of slack: layout.ts then stores
// its exact size in the block's last word (BIG_SLACK).

import { CLASS_MAX } from "./config";
import { freeCachedList } from "./tlsf";

// @ts-ignore: decorator
@inline const CLASS_STEPS_BITS: u32 = 3; // 8 classes per doubling
// @ts-ignore: decorator
@inline export const CLASSES: u32 = 32;
// @ts-ignore: decorator
@inline export const CLASS_MIN: usize = 1152; // capacity of class 0
// @ts-ignore: decorator
@inline export const CLASS_HEADS_BYTES: usize = <usize>CLASSES << 2;
export const CLASS_HEADS: usize = memory.data(<i32>CLASS_HEADS_BYTES, 16);

/** Class of a request of `size` bytes (QUICK_MAX < size <= CLASS_MAX): the smallest whose
 *  capacity holds it. Branch-free: the top bit and the 3 bits below it of size - 1. */
// @ts-ignore: decorator
@inline export function classOf(size: usize): u32 {
  let x = <u32>size - 1;
  let top = 31 - clz<u32>(x); // 10..13
  return ((top - 10) << CLASS_STEPS_BITS) | ((x >> (top - CLASS_STEPS_BITS)) & 7);
}

/** Whole-block size of class `k`. */
// @ts-ignore: decorator
@inline export function classCapacity(k: u32): usize {
  return <usize>(9 + (k & 7)) << (7 + (k >> CLASS_STEPS_BITS));
}

/** The class whose list a block of `size` bytes (CLASS_MIN <= size) is cached on: the largest
 *  whose capacity is <= size (class 31 for anything from CLASS_MAX up). */
// @ts-ignore: decorator
@inline export function floorClass(size: usize): u32 {
  if (size >= CLASS_MAX) return CLASSES - 1;
  let top = 31 - clz<u32>(<u32>size); // 10..13
  return (((top - 10) << CLASS_STEPS_BITS) | ((<u32>size >> (top - CLASS_STEPS_BITS)) & 7)) - 1;
}

// @ts-ignore: decorator
@inline function HEAD_AT(k: u32): usize { return CLASS_HEADS + (<usize>k << 2); }

/** A cached block of class `k` (at least classCapacity(k) bytes), or 0 when its list is empty. */
// @ts-ignore: decorator
@inline export function popClass(k: u32): usize {
  let head = HEAD_AT(k);
  let block = <usize>load<u32>(head);
  if (block) store<u32>(head, load<u32>(block, 8));
  return block;
}

/** Caches the used `block` of `size` bytes (CLASS_MIN <= size) on its class's list. */
// @ts-ignore: decorator
@inline export function pushClass(block: usize, size: usize): void {
  let head = HEAD_AT(floorClass(size));
  store<u32>(block, 0, 4);
  store<u32>(block, load<u32>(head), 8);
  store<u32>(head, <u32>block);
}

/** A cached block of the smallest class above `k` that has one, up to twice class k's capacity
 *  (8 classes up), or 0: when neither the class nor TLSF can serve a request, a larger cached
 *  block serves it whole rather than flushing every list into TLSF. */
export function popLargerClass(k: u32): usize {
  let last = min(k + 8, CLASSES - 1);
  for (let j = k + 1; j <= last; j++) { // rare (TLSF had no fit): a scan of 8 heads, no map to keep
    let block = popClass(j);
    if (block) return block;
  }
  return 0;
}

/** First cached block of class `k` (for validate()); the next is at +8. */
// @ts-ignore: decorator
@inline export function classHead(k: u32): usize { return <usize>load<u32>(HEAD_AT(k)); }

/** Returns every block cached on the class lists to TLSF, where it coalesces with its neighbours. */
export function flushClassLists(): void {
  for (let k: u32 = 0; k < CLASSES; k++) freeCachedList(HEAD_AT(k));
}
