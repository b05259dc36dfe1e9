// === Handles of the checked build: an indirection table of generational slots ===
//
// ╒══════════════════ Handle (checked build, u32) ══════════════════╕
//    3                   2                   1
//  1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0 9 8 7 6 5 4 3 2 1 0  bits
// ├─┴─┼─┴─┼─┴─┴─┴─┴─┴─┴─┴─┴─┼─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┴─┤
// │0 0│tag│   generation    │               slot index                │
// └───┴───┴─────────────────┴─────────────────────────────────────────┘
//  tag 1..3 names the heap (set by the host, so handles of two heaps differ); generation 0..511
//  counts how often the slot was issued before; index < 2^19.
//  Every handle is in [2^28, 2^30): never 0, never mistaken for a small pointer, and a V8 Smi.
//
// Issue and retirement: each get/alloc/resize takes a slot and issues (index, generation);
// put frees the slot and the next issue of that slot uses generation + 1. A handle value is
// never issued twice: a slot whose generation would wrap (after 512 issues) is retired for
// good. Cost: 32 bytes of table per 512 references taken; one heap can issue at most
// 2^19 × 512 = 2^28 references in its life, and hold at most 2^19 - 1 at once.
//
// ╒═════════════════ Slot (32 bytes) ═════════════════╕
// +0  object   block address of the referenced object (kept after the end, for messages)
// +4  state    WEAK 13 | MOVED 12 | RESIZED 11 | RETIRED 10 | LIVE 9 | generation 0..8
// +8  site     where the reference was taken
// +12 order    sequence number of the reference (shared with objects: smaller is older)
// +16 owner    owner tag of getFor/move (0 = none); the pair (object, owner) names this handle
// +20 endSite  where it was put, moved or resized away
// +24 free: next free slot index │ live, after scan(): address of a word holding the handle
// +28 live, after scan(): payload of the object holding that word (0 = static data, root)
//
// A WEAK slot does not count in its object's references; it keeps the object's block (not the
// object) until it is put, so it can never upgrade to another object (references.ts).
//
// Freed slots wait in a FIFO (freeHead ... freeTail, linked through +24) and are reused only
// while more than SLOT_QUARANTINE are waiting, so a double put usually still finds the first
// put's site in the slot. A stale handle is recognised from its generation alone, so detection
// does not depend on the quarantine.
//
// The table itself is a block from blocks.ts (an internal block the walk skips); it doubles
// when full and moves, which is safe because handles hold indices, not addresses.

import { HEADER, SLOT_QUARANTINE } from "./config";
import { allocBlock, blockSizeFor, freeBlock } from "./blocks";
import { SETCOUNT, sequence } from "./object";
import { SIZE } from "./tlsf";
import {
  E_DOUBLE_PUT, E_INVALID_HANDLE, E_OUT_OF_MEMORY, E_USE_AFTER_MOVE, E_USE_AFTER_PUT, fail,
  MSG_DOUBLE_PUT, MSG_FOREIGN_HANDLE, MSG_FORGED_HANDLE, MSG_HANDLE_ZERO, MSG_HANDLES_EXHAUSTED,
  MSG_NOT_WEAK, MSG_TAG_IN_USE, MSG_USE_AFTER_MOVE, MSG_USE_AFTER_PUT, MSG_USE_AFTER_RESIZE,
  MSG_WEAK_HANDLE,
} from "./errors";

// @ts-ignore: decorator
@inline export const INDEX_BITS: u32 = 19;
// @ts-ignore: decorator
@inline export const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
// @ts-ignore: decorator
@inline export const GEN_SHIFT: u32 = INDEX_BITS;
// @ts-ignore: decorator
@inline export const GEN_MASK: u32 = 0x1FF;
// @ts-ignore: decorator
@inline export const TAG_SHIFT: u32 = 28;
// @ts-ignore: decorator
@inline export const MAX_TAG: u32 = 3;
// @ts-ignore: decorator
@inline export const LIVE: u32 = 1 << 9;
// @ts-ignore: decorator
@inline export const RETIRED: u32 = 1 << 10;
// @ts-ignore: decorator
@inline export const RESIZED: u32 = 1 << 11;
// @ts-ignore: decorator
@inline export const MOVED: u32 = 1 << 12;
// @ts-ignore: decorator
@inline export const WEAK: u32 = 1 << 13;
// @ts-ignore: decorator
@inline const SLOT_SIZE: usize = 32;
// @ts-ignore: decorator
@inline const MAX_SLOTS: u32 = INDEX_MASK; // index INDEX_MASK stays unused: "no next" marker
// @ts-ignore: decorator
@inline const NO_SLOT: u32 = INDEX_MASK;

// Operations, for the message a stale handle gets.
// @ts-ignore: decorator
@inline export const OP_USE: u32 = 0;
// @ts-ignore: decorator
@inline export const OP_PUT: u32 = 1;
// @ts-ignore: decorator
@inline export const STRONG: u32 = 0;

export let heapTag: u32 = 1;
export let tableBlock: usize = 0; // internal block holding the slots (0 until the first handle)
export let table: usize = 0; // address of slot 0
export let tableCapacity: u32 = 0;
export let tableLength: u32 = 0; // slots ever issued: [0, tableLength) have state
export let freeHead: u32 = NO_SLOT;
export let freeTail: u32 = NO_SLOT;
export let freeCount: u32 = 0;
export let liveCount: u32 = 0;
export let retiredCount: u32 = 0;

// @ts-ignore: decorator
@inline export function SLOT(index: u32): usize { return table + (<usize>index << 5); }
// @ts-ignore: decorator
@inline export function SLOT_INDEX(slot: usize): u32 { return <u32>((slot - table) >> 5); }
// @ts-ignore: decorator
@inline export function SLOT_OBJECT(slot: usize): usize { return load<u32>(slot); }
// @ts-ignore: decorator
@inline export function SLOT_STATE(slot: usize): u32 { return load<u32>(slot, 4); }
// @ts-ignore: decorator
@inline export function SLOT_SITE(slot: usize): u32 { return load<u32>(slot, 8); }
// @ts-ignore: decorator
@inline export function SLOT_ORDER(slot: usize): u32 { return load<u32>(slot, 12); }
// @ts-ignore: decorator
@inline export function SLOT_OWNER(slot: usize): u32 { return load<u32>(slot, 16); }
// @ts-ignore: decorator
@inline export function SLOT_END_SITE(slot: usize): u32 { return load<u32>(slot, 20); }
// @ts-ignore: decorator
@inline export function SLOT_NEXT(slot: usize): u32 { return load<u32>(slot, 24); }
// @ts-ignore: decorator
@inline export function HANDLE(index: u32, gen: u32): u32 {
  return (heapTag << TAG_SHIFT) | (gen << GEN_SHIFT) | index;
}

/** Sets the tag that marks this heap's handles (1..3); only before any handle exists. */
export function setHeapTag(tag: u32): void {
  if (tag < 1 || tag > MAX_TAG) fail(E_INVALID_HANDLE, MSG_FORGED_HANDLE, tag, 0, 0, 0, 0);
  if (tableLength && tag != heapTag) fail(E_INVALID_HANDLE, MSG_TAG_IN_USE, 0, 0, 0, 0, tag);
  heapTag = tag;
}

/** Makes sure the next issue() finds a slot; traps with OUT_OF_MEMORY before any change. */
// @ts-ignore: decorator
@inline export function reserveSlot(): void {
  if (freeCount <= SLOT_QUARANTINE && tableLength == tableCapacity) growTable();
}

function growTable(): void {
  if (tableLength >= MAX_SLOTS) {
    if (freeCount) return; // shorten the quarantine rather than fail
    fail(E_OUT_OF_MEMORY, MSG_HANDLES_EXHAUSTED, 0, 0, 0, 0, tableLength);
  }
  let capacity = min(max(tableCapacity << 1, 64), MAX_SLOTS);
  let size = blockSizeFor(<usize>capacity * SLOT_SIZE, HEADER);
  let block = allocBlock(size);
  if (!block) {
    if (freeCount) return;
    fail(E_OUT_OF_MEMORY, MSG_HANDLES_EXHAUSTED, 0, 0, 0, 0, tableLength);
  }
  SETCOUNT(block, 1); // internal: nonzero so it never looks cached
  let slots = block + HEADER;
  if (tableBlock) {
    memory.copy(slots, table, <usize>tableLength * SLOT_SIZE);
    freeBlock(tableBlock, SIZE(tableBlock));
  }
  tableBlock = block;
  table = slots;
  tableCapacity = capacity;
}

/** Issues a fresh handle for `object` (a block); reserveSlot() must have run. */
// @ts-ignore: decorator
@inline export function issue(object: usize, site: u32, owner: u32, weak: u32): u32 {
  let index: u32;
  let gen: u32 = 0;
  if (freeCount > SLOT_QUARANTINE || (tableLength == tableCapacity && freeCount)) {
    index = freeHead;
    let slot = SLOT(index);
    freeHead = SLOT_NEXT(slot);
    if (--freeCount == 0) freeTail = NO_SLOT;
    gen = (SLOT_STATE(slot) & GEN_MASK) + 1;
  } else {
    index = tableLength++;
  }
  let slot = SLOT(index);
  store<u32>(slot, object);
  store<u32>(slot, LIVE | weak | gen, 4);
  store<u32>(slot, site, 8);
  store<u32>(slot, ++sequence, 12);
  store<u32>(slot, owner, 16);
  liveCount++;
  return HANDLE(index, gen);
}

/**
 * The live slot `h` names, or a trap naming what is wrong with `h`. Changes nothing.
 * `kind` is 0 for a strong handle, WEAK for a weak one: the other kind is refused too.
 */
// @ts-ignore: decorator
@inline export function resolve(h: u32, op: u32, kind: u32 = 0): usize {
  let index = h & INDEX_MASK;
  if ((h >>> TAG_SHIFT) != heapTag || index >= tableLength) badHandle(h);
  let slot = SLOT(index);
  if ((SLOT_STATE(slot) & (LIVE | WEAK | GEN_MASK)) != (LIVE | kind | ((h >>> GEN_SHIFT) & GEN_MASK))) {
    badSlot(h, slot, op, kind);
  }
  return slot;
}

function badHandle(h: u32): void {
  let tag = h >>> TAG_SHIFT;
  let message = MSG_FORGED_HANDLE;
  if (h == 0) message = MSG_HANDLE_ZERO;
  else if (tag >= 1 && tag <= MAX_TAG && tag != heapTag) message = MSG_FOREIGN_HANDLE;
  fail(E_INVALID_HANDLE, message, h, 0, 0, 0, 0);
}

function badSlot(h: u32, slot: usize, op: u32, kind: u32): void {
  let state = SLOT_STATE(slot);
  let slotGen = state & GEN_MASK;
  let gen = (h >>> GEN_SHIFT) & GEN_MASK;
  if (gen > slotGen) fail(E_INVALID_HANDLE, MSG_FORGED_HANDLE, h, 0, 0, 0, 0);
  // gen < slotGen: the slot was issued again since; its record belongs to a newer handle.
  let own = gen == slotGen;
  let object = own ? SLOT_OBJECT(slot) + HEADER : 0;
  let site = own ? SLOT_SITE(slot) : 0;
  if (own && (state & LIVE)) {
    // live, but the other kind: a weak handle where a strong one is needed, or the reverse
    fail(E_INVALID_HANDLE, kind ? MSG_NOT_WEAK : MSG_WEAK_HANDLE, h, object, site, 0, 0);
  }
  let endSite = own ? SLOT_END_SITE(slot) : 0;
  if (own && (state & MOVED)) fail(E_USE_AFTER_MOVE, MSG_USE_AFTER_MOVE, h, object, site, endSite, 0);
  if (own && (state & RESIZED)) fail(E_USE_AFTER_PUT, MSG_USE_AFTER_RESIZE, h, object, site, endSite, 0);
  if (op == OP_PUT) fail(E_DOUBLE_PUT, MSG_DOUBLE_PUT, h, object, site, endSite, 0);
  fail(E_USE_AFTER_PUT, MSG_USE_AFTER_PUT, h, object, site, endSite, 0);
}

/** Ends the reference in `slot`: records where, how (`flags`: 0, MOVED or RESIZED), and
 *  queues the slot for reuse or retires it. */
// @ts-ignore: decorator
@inline export function release(slot: usize, site: u32, flags: u32): void {
  let gen = SLOT_STATE(slot) & GEN_MASK;
  store<u32>(slot, site, 20);
  liveCount--;
  if (gen == GEN_MASK) {
    store<u32>(slot, gen | RETIRED | flags, 4);
    retiredCount++;
    return;
  }
  store<u32>(slot, gen | flags, 4);
  store<u32>(slot, NO_SLOT, 24);
  let index = SLOT_INDEX(slot);
  if (freeCount) store<u32>(SLOT(freeTail), index, 24);
  else freeHead = index;
  freeTail = index;
  freeCount++;
}
