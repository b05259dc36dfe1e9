// === References: every operation of the API, for both builds ===
//
// Each function reads as the checked path, then the unchecked one in a line or two.
// Checked build: resolve and check every handle, reserve what the operation will need (a table
// slot, a pair entry, quarantine room: lifecycle.ts), and only then change anything, so a trap
// leaves the heap as it was. Unchecked build: handle = payload pointer, no checks but memory.
//
// Kinds of reference:
//   strong  alloc/get/getFor/move/upgrade/resize; counted in the object's references
//   owned   a strong reference taken with getFor(h, owner) or move(h, owner): at most one per
//           {object, owner}; released with putFor(h, owner) (pairs.ts maps the pair to it)
//   weak    weak(h): not counted; upgrade() gives a strong one, or 0 once the object is gone;
//           released with putWeak(w). The block stays reserved until then (layout.ts DEAD).

import { CHECKED, SHARED } from "./config";
import {
  corrupt, E_OUT_OF_MEMORY, E_OWNERSHIP, E_SHARED_RESIZE, failure, MSG_ALREADY_OWNER, MSG_BAD_OWNER,
  MSG_NOT_OWNER, MSG_OUT_OF_MEMORY, MSG_OWNED_MOVE, MSG_SHARED_RESIZE, MSG_TOO_LARGE,
} from "./errors";
import {
  claimSlot, lastGen, releaseReusable, slotOf, slotWaiting, issueWaiting, nextOrder, sequence, GEN_MASK, GEN_SHIFT, INDEX_MASK, LIVE, OWNED, SLOT_STATE, tableLength, unpinSlot, issue, OP_PUT, OP_USE, release, resolve, RESIZED, MOVED, SLOT, SLOT_OBJECT, SLOT_ORDER,
  SLOT_OWNER, SLOT_SITE, WEAK,
} from "./handles";
import { addRef, BLOCK, COUNT, DEAD, dropRef, INFO, ORDER, PAIRED, PAYLOAD, REFS, REFS_MASK, SETCOUNT, SETPUTSITE, SIZE } from "./layout";
import {
  addWeak, dropWeak, freeObject, ignoreObject, killQueued, MAX_OBJECT, needsRoomFor, newObject, releaseObject,
  reservePair, reserveSlot, resizeObject, roomFor, weakCount,
} from "./lifecycle";
import { siteOr } from "./host-sites";
import { noteResizePin, takeResizePin } from "./thread-slots";
import { MAX_OWNER, pairDelete, pairGet, pairSet } from "./pairs";
import { makeRoom, maxBlocks } from "./quarantine";

/** The block of a strong handle; in the checked build a trap unless `h` is live and strong. */
// @ts-ignore: decorator
@inline export function objectOf(h: u32): usize {
  return CHECKED ? SLOT_OBJECT(resolve(h, OP_USE)) : BLOCK(<usize>h);
}

/** The handle to return for a new reference to `block`: a fresh slot (checked; reserveSlot()
 *  must have run) or the payload pointer (unchecked). */
// @ts-ignore: decorator
@inline function handleFor(block: usize, site: u32, owner: u32, weak: u32): u32 {
  return CHECKED ? issue(block, site, owner, weak) : <u32>PAYLOAD(block);
}

// @ts-ignore: decorator
@inline function checkOwner(h: u32, owner: u32): void {
  if (owner == 0 || owner > MAX_OWNER) failure(h).with(owner).raise(E_OWNERSHIP, MSG_BAD_OWNER);
}

// @ts-ignore: decorator
@inline function checkSize(h: u32, block: usize, size: u32): void {
  if (size > MAX_OBJECT) failure(h).of(block ? PAYLOAD(block) : 0).with(size).raise(E_OUT_OF_MEMORY, MSG_TOO_LARGE);
}

/** One strong reference more on `block`. */
// @ts-ignore: decorator
@inline function ref(block: usize): void {
  if (SHARED) atomic.add<u32>(block + 4, 1); // other threads' gets and puts take no lock (shared.ts)
  else addRef(block);
}

/** One strong reference fewer on `block`; ends the object with its last one. */
// @ts-ignore: decorator
@inline function unref(block: usize): void {
  if (SHARED) {
    if (!unrefUnlocked(block)) releaseObject(block); // the last one: no other thread holds it
    return;
  }
  if (!dropRef(block)) releaseObject(block);
}

/**
 * Shared unchecked build: takes one reference off `block` with an atomic step unless it is the
 * last one (false: the caller ends the object, holding the heap lock). Other threads' gets and
 * puts change the count without the lock, so every change of it is atomic; the last reference
 * is never counted down, so nothing can see a zero count of a live block. `single`: this
 * instance is the heap's only one (thread-slots.ts alone), so plain steps do.
 */
// @ts-ignore: decorator
@inline export function unrefUnlocked(block: usize, single: bool = false): bool {
  let word = block + 4;
  while (true) {
    let count = single ? load<u32>(word) : atomic.load<u32>(word);
    if ((count & REFS_MASK) <= 1) return false;
    if (single) { store<u32>(word, count - 1); return true; }
    if (atomic.cmpxchg<u32>(word, count, count - 1) == count) return true;
  }
}

/** Shared unchecked build: one reference more on `block`, without the heap lock (`single`: as
 *  unrefUnlocked). */
// @ts-ignore: decorator
@inline export function refUnlocked(block: usize, single: bool = false): void {
  if (single) addRef(block);
  else atomic.add<u32>(block + 4, 1);
}

// @ts-ignore: decorator
@inline export function allocate(size: u32, site: u32): u32 {
  site = siteOr(site);
  checkSize(0, 0, size);
  // checked: a waiting slot to reuse is the common case, tested once for the whole operation
  // (handles.ts slotWaiting); any other reservation out of line, so that no value here lives
  // across a call
  if (CHECKED && !slotWaiting()) return allocateElsewhere(size, site);
  return allocateReserved(size, site, true);
}

function allocateElsewhere(size: u32, site: u32): u32 {
  reserveSlot();
  return allocateReserved(size, site, false);
}

/** allocate() once its slot is reserved; `waiting`: slotWaiting() held (issueWaiting). */
// @ts-ignore: decorator
@inline function allocateReserved(size: u32, site: u32, waiting: bool): u32 {
  let block = newObject(size, site, 2);
  if (!block) failure(0).with(size).raise(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY);
  if (!CHECKED) return <u32>PAYLOAD(block);
  // the order newObject took after the object's, in the same step: the plain builds' last
  // (a global load; V8 does not forward the header's store to a load of it)
  let order = SHARED ? ORDER(block) + 1 : sequence;
  return waiting ? issueWaiting(block, site, 0, 0, order) : issue(block, site, 0, 0, order);
}

/**
 * Shared checked build: pins the live slot of `h` while a locked operation takes a reference or
 * sets a flag through it (0, and nothing, in the other builds). A lock-free last put kills an
 * object when it reads a count of 1 while it holds the pin of that one live slot
 * (fast-references.ts), so it either ends the slot first (this claim then traps as a use after
 * put) or waits until the unpin and counts this reference. Pin after reserving: a reservation
 * may reclaim memory, which waits for every pinned slot (handles.ts awaitPins), this one too.
 */
// @ts-ignore: decorator
@inline function pinUse(h: u32): usize {
  if (!(SHARED && CHECKED)) return 0;
  let slot = resolve(h, OP_USE);
  claimSlot(slot, h, OP_USE);
  return slot;
}

// @ts-ignore: decorator
@inline function unpinUse(slot: usize): void {
  if (SHARED && CHECKED) unpinSlot(slot);
}

// @ts-ignore: decorator
@inline export function take(h: u32, site: u32): u32 {
  site = siteOr(site);
  let block = objectOf(h);
  if (CHECKED && !slotWaiting()) return takeElsewhere(h, block, site); // as allocate
  return takeReserved(h, block, site, true);
}

function takeElsewhere(h: u32, block: usize, site: u32): u32 {
  reserveSlot();
  return takeReserved(h, block, site, false);
}

/** take() once its slot is reserved; `waiting` as allocateReserved's. */
// @ts-ignore: decorator
@inline function takeReserved(h: u32, block: usize, site: u32, waiting: bool): u32 {
  let pinned = pinUse(h);
  ref(block);
  let handle = !CHECKED ? h : waiting ? issueWaiting(block, site, 0, 0, nextOrder()) : issue(block, site, 0, 0);
  unpinUse(pinned);
  return handle;
}

// @ts-ignore: decorator
@inline export function drop(h: u32, site: u32): void {
  site = siteOr(site);
  if (!CHECKED) {
    unref(BLOCK(<usize>h));
    return;
  }
  let slot = resolve(h, OP_PUT); // an owned reference traps here too (putFor releases it)
  let block = SLOT_OBJECT(slot);
  if (SHARED) {
    dropShared(h, slot, site);
    return;
  }
  let count = COUNT(block) - 1;
  if (!(count & REFS_MASK)) { // the last reference: the object ends (out of line)
    // room first, since eviction may trap. The test here and a call of its own for each case:
    // no value lives across a call, in dropLast (where each was spilled on every death) nor
    // here (h, the slot and the count were spilled on every put)
    if (needsRoomFor(block)) dropLastMakingRoom(h, slot, site);
    else dropLast(h, slot, site);
    return;
  }
  release(slot, h, site, 0);
  SETPUTSITE(block, site);
  SETCOUNT(block, count);
}

/** dropLast() of an object the quarantine may have no room for yet (drop() found needsRoomFor):
 *  room first, since it may trap; no second test. */
function dropLastMakingRoom(h: u32, slot: usize, site: u32): void {
  makeRoom(SIZE(SLOT_OBJECT(slot)));
  dropLast(h, slot, site);
}

/** put of the last strong reference (checked build; the caller made room in the quarantine):
 *  the reference and the object end. One call for the whole death; the common one (not the
 *  slot's last generation, no pairs, the quarantine on: lifecycle.ts killQueued) makes no call
 *  inside it (V8 spilled every value a rarer path kept across one, on every death), any other
 *  goes to dropLastAnyhow. */
function dropLast(h: u32, slot: usize, site: u32): void {
  let block = SLOT_OBJECT(slot);
  let info = INFO(block);
  // a branch each: V8 made one value of the three tests (setcc, and) and tested it again
  if (lastGen(h)) {
    dropLastAnyhow(h, slot, site);
    return;
  }
  if (info & PAIRED) {
    dropLastAnyhow(h, slot, site);
    return;
  }
  if (!maxBlocks) {
    dropLastAnyhow(h, slot, site);
    return;
  }
  releaseReusable(slot, h, site);
  SETPUTSITE(block, site);
  killQueued(block, info); // the count word keeps its last reference: a dead block's is stale (layout.ts)
}

/** dropLast() of a slot's last generation, an object with pairs, or with the quarantine off. */
function dropLastAnyhow(h: u32, slot: usize, site: u32): void {
  let block = SLOT_OBJECT(slot);
  release(slot, h, site, 0);
  SETPUTSITE(block, site);
  freeObject(block);
}

/** put in the shared checked build, under the lock while other threads' gets and puts run
 *  without it (fast-references.ts): room in the quarantine first (eviction may trap, and a
 *  racing put may leave this one the last), then the slot is claimed in one atomic step, and
 *  the count taken down atomically unless this is the last reference. */
function dropShared(h: u32, slot: usize, site: u32): void {
  let block = SLOT_OBJECT(slot);
  roomFor(block);
  claimSlot(slot, h, OP_PUT);
  SETPUTSITE(block, site);
  let last = !unrefUnlocked(block);
  release(slot, h, site, 0);
  if (last) freeObject(block); // the count word keeps its last reference (layout.ts)
}

export function resizeRef(h: u32, size: u32, site: u32): u32 {
  site = siteOr(site);
  let slot = CHECKED ? resolve(h, OP_USE) : 0;
  let block = CHECKED ? SLOT_OBJECT(slot) : BLOCK(<usize>h);
  if (CHECKED) {
    let held = REFS(block) + weakCount(block);
    if (held != 1) failure(h).of(PAYLOAD(block)).taken(SLOT_SITE(slot)).with(held).raise(E_SHARED_RESIZE, MSG_SHARED_RESIZE);
  }
  checkSize(h, block, size);
  if (CHECKED) {
    reserveSlot();
    roomFor(block);
    if (SHARED) pinSoleReference(h, slot, block);
  }
  let moved = resizeObject(block, size);
  if (SHARED && CHECKED) takeResizePin(); // it did not trap: the pin is let go below
  if (SHARED && CHECKED && !moved) unpinSlot(slot); // the handle stays live: the resize failed
  if (!moved) failure(h).of(PAYLOAD(block)).with(size).raise(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY);
  if (!CHECKED) return <u32>PAYLOAD(moved);
  let owner = SLOT_OWNER(slot);
  let order = SLOT_ORDER(slot); // the same reference, resized: leaksSince must not call it new
  release(slot, h, site, RESIZED);
  let handle = issue(moved, site, owner, 0, order);
  if (owner) pairSet(moved, owner, handle); // resizeObject moved the pair; it names the new handle
  return handle;
}

/** Shared checked resize: pins `h`'s slot so no lock-free get takes a reference while the object
 *  moves, then checks again that `h` is its only reference: a get that pinned it between the
 *  first check and this pin has added one (the object is shared: SHARED_RESIZE, unpinned). */
function pinSoleReference(h: u32, slot: usize, block: usize): void {
  claimSlot(slot, h, OP_USE);
  let held = REFS(block) + weakCount(block);
  if (held == 1) { noteResizePin(slot); return; }
  unpinSlot(slot);
  failure(h).of(PAYLOAD(block)).taken(SLOT_SITE(slot)).with(held).raise(E_SHARED_RESIZE, MSG_SHARED_RESIZE);
}

/** getFor: the reference `owner` holds on the object of `h`, taken now if it holds none. */
export function takeFor(h: u32, owner: u32, site: u32): u32 {
  site = siteOr(site);
  let block = objectOf(h);
  checkOwner(h, owner);
  let held = pairGet(block, owner);
  if (held) return CHECKED ? held : h;
  reservePair(h);
  if (CHECKED) reserveSlot();
  let pinned = pinUse(h);
  ref(block);
  let handle = handleFor(block, site, owner, 0);
  pairSet(block, owner, CHECKED ? handle : 1);
  unpinUse(pinned);
  return handle;
}

/** Whether the pair map's value `held` is a live, owned, strong handle of `block`: putFor releases
 *  the slot it names, and a corrupt pair must not free a waiting slot a second time. */
function namesOwnedRef(held: u32, block: usize): bool {
  let index = held & INDEX_MASK;
  if (index >= tableLength) return false;
  let slot = slotOf(index);
  return (SLOT_STATE(slot) & (LIVE | OWNED | WEAK | GEN_MASK)) == (LIVE | OWNED | ((held >>> GEN_SHIFT) & GEN_MASK))
    && SLOT_OBJECT(slot) == block;
}

/** putFor: releases the reference `owner` holds on the object of `h` (any strong handle to it). */
export function dropFor(h: u32, owner: u32, site: u32): void {
  site = siteOr(site);
  let block = objectOf(h);
  checkOwner(h, owner);
  let held = pairGet(block, owner);
  if (!held) failure(h).of(PAYLOAD(block)).with(owner).raise(E_OWNERSHIP, MSG_NOT_OWNER);
  if (CHECKED) {
    // nothing else checks the pair's handle (claimSlot takes OWNED from the slot it names)
    if (!namesOwnedRef(held, block)) corrupt("rcalloc: owner pair does not name the owner's live handle", PAYLOAD(block));
    if (SHARED || REFS(block) == 1) roomFor(block); // shared: racing puts may leave this the last
    if (SHARED) claimSlot(SLOT(held & INDEX_MASK), held, OP_PUT);
    release(SLOT(held & INDEX_MASK), held, site, 0);
    SETPUTSITE(block, site);
  }
  pairDelete(block, owner);
  unref(block);
}

/** move: hands the reference `h` over to a new handle (owned by `owner` if nonzero); the
 *  count is unchanged and, in the checked build, `h` is dead (USE_AFTER_MOVE). */
export function moveRef(h: u32, owner: u32, site: u32): u32 {
  site = siteOr(site);
  let slot = CHECKED ? resolve(h, OP_USE) : 0;
  let block = CHECKED ? SLOT_OBJECT(slot) : BLOCK(<usize>h);
  if (CHECKED && SLOT_OWNER(slot)) {
    failure(h).of(PAYLOAD(block)).taken(SLOT_SITE(slot)).with(SLOT_OWNER(slot)).raise(E_OWNERSHIP, MSG_OWNED_MOVE);
  }
  if (owner) {
    checkOwner(h, owner);
    if (pairGet(block, owner)) failure(h).of(PAYLOAD(block)).with(owner).raise(E_OWNERSHIP, MSG_ALREADY_OWNER);
    reservePair(h);
  }
  let handle = h; // unchecked: the same pointer, now (maybe) owned
  if (CHECKED) {
    reserveSlot();
    let order = SLOT_ORDER(slot); // the same reference, moved: leaksSince must not call it new
    if (SHARED) claimSlot(slot, h, OP_USE);
    release(slot, h, site, MOVED);
    handle = issue(block, site, owner, 0, order);
  }
  if (owner) pairSet(block, owner, CHECKED ? handle : 1);
  return handle;
}

/** weak: a handle that does not keep the object alive. */
export function makeWeak(h: u32, site: u32): u32 {
  site = siteOr(site);
  let block = objectOf(h);
  reservePair(h);
  if (CHECKED) reserveSlot();
  let pinned = pinUse(h);
  addWeak(block);
  let handle = handleFor(block, site, 0, WEAK);
  unpinUse(pinned);
  return handle;
}

/** upgrade: a new strong reference from a weak handle, or 0 when the object is gone. */
export function upgradeWeak(w: u32, site: u32): u32 {
  site = siteOr(site);
  let block = CHECKED ? SLOT_OBJECT(resolve(w, OP_USE, WEAK)) : BLOCK(<usize>w);
  if (INFO(block) & DEAD) return 0;
  if (CHECKED) reserveSlot();
  ref(block);
  return handleFor(block, site, 0, 0);
}

/** putWeak: releases a weak handle. */
export function dropWeakRef(w: u32, site: u32): void {
  site = siteOr(site);
  if (!CHECKED) {
    dropWeak(BLOCK(<usize>w));
    return;
  }
  let slot = resolve(w, OP_PUT, WEAK);
  let block = SLOT_OBJECT(slot);
  if (weakCount(block) == 1 && (INFO(block) & DEAD)) roomFor(block);
  release(slot, w, site, 0);
  dropWeak(block);
}

/** ignore: the object of `h` is not a leak (reports and leaksSince leave it out). */
export function ignoreRef(h: u32): void {
  let block = objectOf(h);
  reservePair(h);
  let pinned = pinUse(h);
  ignoreObject(block);
  unpinUse(pinned);
}
