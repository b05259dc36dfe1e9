// === Pairs: a small hash map from (object block, tag) to a u32, for the rare per-object facts ===
//
// Owners (getFor/putFor), weak-handle counts and "not a leak" marks live here instead of in
// every header, so the hot paths never pay for them. Both builds use it. An object with a weak
// count or a mark has PAIRED set in its info word, so freeing it looks here only when needed.
//
// ╒════ Entry (16 bytes) ════╕   open addressing, linear probing, backward-shift deletion;
// +0  object block (0 = empty)   capacity a power of two, at most half full;
// +4  tag                        the array is an internal block (blocks.ts allocInternal).
// +8  value (never 0)
// +12 unused
//
// Tags: an owner (1 .. 0xFFFFFFFD), TAG_WEAK (value = weak handles held), TAG_IGNORED (value 1).

import { DEBUG, HEADER } from "./config";
import { allocInternal, freeInternal } from "./blocks";
import { check } from "./errors";

// @ts-ignore: decorator
@inline export const TAG_WEAK: u32 = 0xFFFFFFFF;
// @ts-ignore: decorator
@inline export const TAG_IGNORED: u32 = 0xFFFFFFFE;
// @ts-ignore: decorator
@inline export const MAX_OWNER: u32 = 0xFFFFFFFD;

export let pairsBlock: usize = 0; // internal block holding the entries (0 until first use)
export let entries: usize = 0;
export let capacity: u32 = 0;
export let pairCount: u32 = 0;

// @ts-ignore: decorator
@inline function ENTRY(i: u32): usize { return entries + (<usize>i << 4); }

// @ts-ignore: decorator
@inline function hash(object: usize, tag: u32): u32 {
  let h = (<u32>object * 0x9E3779B1) ^ (tag * 0x85EBCA77);
  return h ^ (h >>> 15);
}

/** Index of the entry for (object, tag), or of the empty entry where it would go. */
function find(object: usize, tag: u32): u32 {
  let mask = capacity - 1;
  let i = hash(object, tag) & mask;
  while (true) {
    let e = ENTRY(i);
    let key = <usize>load<u32>(e);
    if (!key || (key == object && load<u32>(e, 4) == tag)) return i;
    i = (i + 1) & mask;
  }
}

/** The value of (object, tag), or 0 when absent. */
export function pairGet(object: usize, tag: u32): u32 {
  if (!capacity) return 0;
  let e = ENTRY(find(object, tag));
  return load<u32>(e) ? load<u32>(e, 8) : 0;
}

/** Makes room for one more entry; false when memory is exhausted (nothing changed then). */
export function pairsReserve(): bool {
  if ((pairCount + 1) << 1 <= capacity) return true;
  let newCapacity = capacity ? capacity << 1 : 16;
  let block = allocInternal(<usize>newCapacity << 4);
  if (!block) return false;
  let oldEntries = entries, oldCapacity = capacity, oldBlock = pairsBlock;
  entries = block + HEADER;
  capacity = newCapacity;
  pairsBlock = block;
  memory.fill(entries, 0, <usize>newCapacity << 4);
  for (let i: u32 = 0; i < oldCapacity; i++) {
    let e = oldEntries + (<usize>i << 4);
    let key = <usize>load<u32>(e);
    if (key) {
      let to = ENTRY(find(key, load<u32>(e, 4)));
      store<u32>(to, <u32>key);
      store<u32>(to, load<u32>(e, 4), 4);
      store<u32>(to, load<u32>(e, 8), 8);
    }
  }
  if (oldBlock) freeInternal(oldBlock);
  return true;
}

/** Sets (object, tag) to `value` (nonzero); pairsReserve() must have succeeded first. */
export function pairSet(object: usize, tag: u32, value: u32): void {
  if (DEBUG) check(capacity != 0 && value != 0, "rcalloc debug: pairSet() before pairsReserve(), or a 0 value");
  let e = ENTRY(find(object, tag));
  if (!load<u32>(e)) {
    if (DEBUG) check((pairCount + 1) << 1 <= capacity, "rcalloc debug: pairSet() of a new entry without pairsReserve()");
    pairCount++;
    store<u32>(e, <u32>object);
    store<u32>(e, tag, 4);
  }
  store<u32>(e, value, 8);
}

/** Removes (object, tag) if present. */
export function pairDelete(object: usize, tag: u32): void {
  if (!capacity) return;
  let mask = capacity - 1;
  let i = find(object, tag);
  if (!load<u32>(ENTRY(i))) return;
  pairCount--;
  // Backward-shift: pull later entries of the probe run into the hole so lookups stay correct.
  let j = i;
  while (true) {
    j = (j + 1) & mask;
    let ej = ENTRY(j);
    let key = <usize>load<u32>(ej);
    if (!key) break;
    let home = hash(key, load<u32>(ej, 4)) & mask;
    // move ej into the hole i unless its home lies cyclically in (i, j]
    if (((j - home) & mask) >= ((j - i) & mask)) {
      let ei = ENTRY(i);
      store<u32>(ei, <u32>key);
      store<u32>(ei, load<u32>(ej, 4), 4);
      store<u32>(ei, load<u32>(ej, 8), 8);
      i = j;
    }
  }
  store<u32>(ENTRY(i), 0);
}

/** Moves every entry of `from` to `to` (a resize moved the object). Needs no room: the count
 *  stays the same. Returns how many moved. */
export function pairsRekey(from: usize, to: usize): u32 {
  let moved: u32 = 0;
  for (let i: u32 = 0; i < capacity; ) {
    let e = ENTRY(i);
    if (<usize>load<u32>(e) != from) { i++; continue; }
    let tag = load<u32>(e, 4), value = load<u32>(e, 8);
    pairDelete(from, tag); // may shift a later entry into slot i: look at i again
    pairSet(to, tag, value);
    moved++;
  }
  return moved;
}

/** Entries whose tag is an owner, for validate(): counted per object by the caller. */
export function pairAt(i: u32): usize { return i < capacity && load<u32>(ENTRY(i)) ? ENTRY(i) : 0; }
export function pairCapacity(): u32 { return capacity; }
