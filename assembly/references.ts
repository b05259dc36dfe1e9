// === References: every operation of the API, for both builds ===
//
// Checked build: each function first resolves and checks every handle and reserves what it will
// need (a table slot, a pair entry, quarantine room), and only then changes anything, so a trap
// leaves the heap as it was. Unchecked build: handle = payload pointer, no checks but memory.
//
// Kinds of reference:
//   strong  alloc/get/getFor/move/upgrade/resize; counted in the object's references
//   owned   a strong reference taken with getFor(h, owner) or move(h, owner): at most one per
//           {object, owner}; released with putFor(h, owner) (pairs.ts maps the pair to it)
//   weak    weak(h): not counted; upgrade() gives a strong one, or 0 once the object is gone;
//           released with putWeak(w). The block stays reserved until then (object.ts DEAD).

import { CHECKED, HEADER } from "./config";
import {
  E_OUT_OF_MEMORY, E_OWNERSHIP, E_SHARED_RESIZE, fail, MSG_ALREADY_OWNER, MSG_BAD_OWNER,
  MSG_NOT_OWNER, MSG_OUT_OF_MEMORY, MSG_OWNED_MOVE, MSG_OWNED_PUT, MSG_SHARED_RESIZE, MSG_TOO_LARGE,
} from "./errors";
import {
  addWeak, COUNT, DEAD, dropWeak, ignoreObject, releaseObject, MAX_OBJECT, newObject, PAYLOAD, REFS,
  REFS_MASK, resizeObject, SETCOUNT, SETPUTSITE, weakCount,
} from "./object";
import {
  INDEX_MASK, issue, OP_PUT, OP_USE, release, reserveSlot, resolve, RESIZED, MOVED, SLOT,
  SLOT_OBJECT, SLOT_OWNER, SLOT_SITE, WEAK,
} from "./handles";
import { MAX_OWNER, pairDelete, pairGet, pairsReserve, pairSet } from "./pairs";
import { makeRoom, maxBlocks, maxBytes, queuedBlocks, queuedBytes } from "./quarantine";
import { INFO, SIZE } from "./tlsf";

/** The block of a strong handle; in the checked build a trap unless `h` is live and strong. */
// @ts-ignore: decorator
@inline export function objectOf(h: u32): usize {
  return CHECKED ? SLOT_OBJECT(resolve(h, OP_USE)) : <usize>h - HEADER;
}

/** Checked build: room in the quarantine for `block` if the coming change may end it (the
 *  test inline, the eviction out of line). */
// @ts-ignore: decorator
@inline function roomFor(block: usize): void {
  if (CHECKED && queuedBlocks && (queuedBlocks >= maxBlocks || queuedBytes + SIZE(block) > maxBytes)) {
    makeRoom(SIZE(block));
  }
}

// @ts-ignore: decorator
@inline function checkOwner(h: u32, owner: u32): void {
  if (owner == 0 || owner > MAX_OWNER) fail(E_OWNERSHIP, MSG_BAD_OWNER, h, 0, 0, 0, owner);
}

// @ts-ignore: decorator
@inline function reservePair(h: u32): void {
  if (!pairsReserve()) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, h, 0, 0, 0, 0);
}

/** One strong reference fewer on `block`; ends the object with its last one. */
// @ts-ignore: decorator
@inline function unref(block: usize): void {
  let count = COUNT(block) - 1;
  if (count & REFS_MASK) SETCOUNT(block, count);
  else releaseObject(block);
}

// @ts-ignore: decorator
@inline export function allocate(size: u32, site: u32): u32 {
  if (size > MAX_OBJECT) fail(E_OUT_OF_MEMORY, MSG_TOO_LARGE, 0, 0, 0, 0, size);
  if (CHECKED) reserveSlot();
  let block = newObject(size, site);
  if (!block) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, 0, 0, 0, 0, size);
  if (CHECKED) return issue(block, site, 0, 0);
  return <u32>PAYLOAD(block);
}

// @ts-ignore: decorator
@inline export function take(h: u32, site: u32): u32 {
  if (CHECKED) {
    let block = objectOf(h);
    reserveSlot();
    SETCOUNT(block, COUNT(block) + 1);
    return issue(block, site, 0, 0);
  }
  store<u32>(<usize>h - 4, load<u32>(<usize>h - 4) + 1);
  return h;
}

// @ts-ignore: decorator
@inline export function drop(h: u32, site: u32): void {
  let block: usize;
  if (CHECKED) {
    let slot = resolve(h, OP_PUT);
    block = SLOT_OBJECT(slot);
    if (SLOT_OWNER(slot)) fail(E_OWNERSHIP, MSG_OWNED_PUT, h, PAYLOAD(block), SLOT_SITE(slot), 0, SLOT_OWNER(slot));
    if (REFS(block) == 1) roomFor(block);
    release(slot, h & INDEX_MASK, site, 0);
    SETPUTSITE(block, site);
  } else {
    block = <usize>h - HEADER;
  }
  unref(block);
}

export function resizeRef(h: u32, size: u32, site: u32): u32 {
  if (!CHECKED) {
    if (size > MAX_OBJECT) fail(E_OUT_OF_MEMORY, MSG_TOO_LARGE, h, h, 0, 0, size);
    let moved = resizeObject(<usize>h - HEADER, size);
    if (!moved) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, h, h, 0, 0, size);
    return <u32>PAYLOAD(moved);
  }
  let slot = resolve(h, OP_USE);
  let block = SLOT_OBJECT(slot);
  let refs = REFS(block);
  let weak = weakCount(block);
  if (refs != 1 || weak) fail(E_SHARED_RESIZE, MSG_SHARED_RESIZE, h, PAYLOAD(block), SLOT_SITE(slot), 0, refs + weak);
  if (size > MAX_OBJECT) fail(E_OUT_OF_MEMORY, MSG_TOO_LARGE, h, PAYLOAD(block), 0, 0, size);
  let owner = SLOT_OWNER(slot);
  reserveSlot();
  roomFor(block);
  let moved = resizeObject(block, size);
  if (!moved) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, h, PAYLOAD(block), 0, 0, size);
  release(slot, h & INDEX_MASK, site, RESIZED);
  let handle = issue(moved, site, owner, 0);
  if (owner) pairSet(moved, owner, handle); // resizeObject moved the pair; it names the new handle
  return handle;
}

/** getFor: the reference `owner` holds on the object of `h`, taken now if it holds none. */
export function takeFor(h: u32, owner: u32, site: u32): u32 {
  let block = objectOf(h);
  checkOwner(h, owner);
  let held = pairGet(block, owner);
  if (held) return CHECKED ? held : h;
  reservePair(h);
  if (CHECKED) reserveSlot();
  SETCOUNT(block, COUNT(block) + 1);
  let handle = CHECKED ? issue(block, site, owner, 0) : h;
  pairSet(block, owner, CHECKED ? handle : 1);
  return handle;
}

/** putFor: releases the reference `owner` holds on the object of `h` (any strong handle to it). */
export function dropFor(h: u32, owner: u32, site: u32): void {
  let block = objectOf(h);
  checkOwner(h, owner);
  let held = pairGet(block, owner);
  if (!held) fail(E_OWNERSHIP, MSG_NOT_OWNER, h, PAYLOAD(block), 0, 0, owner);
  if (CHECKED) {
    if (REFS(block) == 1) roomFor(block);
    release(SLOT(held & INDEX_MASK), held & INDEX_MASK, site, 0);
    SETPUTSITE(block, site);
  }
  pairDelete(block, owner);
  unref(block);
}

/** move: hands the reference `h` over to a new handle (owned by `owner` if nonzero); the
 *  count is unchanged and, in the checked build, `h` is dead (USE_AFTER_MOVE). */
export function moveRef(h: u32, owner: u32, site: u32): u32 {
  let block: usize;
  let slot: usize = 0;
  if (CHECKED) {
    slot = resolve(h, OP_USE);
    block = SLOT_OBJECT(slot);
    if (SLOT_OWNER(slot)) fail(E_OWNERSHIP, MSG_OWNED_MOVE, h, PAYLOAD(block), SLOT_SITE(slot), 0, SLOT_OWNER(slot));
  } else {
    block = <usize>h - HEADER;
  }
  if (owner) {
    checkOwner(h, owner);
    if (pairGet(block, owner)) fail(E_OWNERSHIP, MSG_ALREADY_OWNER, h, PAYLOAD(block), 0, 0, owner);
    reservePair(h);
  }
  let handle = h;
  if (CHECKED) {
    reserveSlot();
    release(slot, h & INDEX_MASK, site, MOVED);
    handle = issue(block, site, owner, 0);
  }
  if (owner) pairSet(block, owner, CHECKED ? handle : 1);
  return handle;
}

/** weak: a handle that does not keep the object alive. */
export function makeWeak(h: u32, site: u32): u32 {
  let block = objectOf(h);
  reservePair(h);
  if (CHECKED) reserveSlot();
  addWeak(block);
  return CHECKED ? issue(block, site, 0, WEAK) : h;
}

/** upgrade: a new strong reference from a weak handle, or 0 when the object is gone. */
export function upgradeWeak(w: u32, site: u32): u32 {
  let block = CHECKED ? SLOT_OBJECT(resolve(w, OP_USE, WEAK)) : <usize>w - HEADER;
  if (INFO(block) & DEAD) return 0;
  if (CHECKED) reserveSlot();
  SETCOUNT(block, COUNT(block) + 1);
  return CHECKED ? issue(block, site, 0, 0) : w;
}

/** putWeak: releases a weak handle. */
export function dropWeakRef(w: u32, site: u32): void {
  let block: usize;
  if (CHECKED) {
    let slot = resolve(w, OP_PUT, WEAK);
    block = SLOT_OBJECT(slot);
    if (weakCount(block) == 1 && (INFO(block) & DEAD)) roomFor(block);
    release(slot, w & INDEX_MASK, site, 0);
  } else {
    block = <usize>w - HEADER;
  }
  dropWeak(block);
}

/** ignore: the object of `h` is not a leak (reports and leaksSince leave it out). */
export function ignoreRef(h: u32): void {
  let block = objectOf(h);
  if (!ignoreObject(block)) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, h, PAYLOAD(block), 0, 0, 0);
}
