// === rcalloc: the exported API (also the wasm exports of the standalone module) ===
//
// alloc get put resize ptr size refs validate, per ../README.md. The *At variants take a site
// id (any u32 the caller chooses; 0 = unknown) that the checked build records with the
// reference and names in errors and reports; the unchecked build ignores it.
// Build: asc ... --use RC_CHECKED=1 (checked) or RC_CHECKED=0 (unchecked); see config.ts.

import { CHECKED, HEADER } from "./config";
import {
  E_OUT_OF_MEMORY, E_SHARED_RESIZE, ERROR_RECORD, fail, MSG_OUT_OF_MEMORY, MSG_SHARED_RESIZE,
  MSG_TOO_LARGE,
} from "./errors";
import {
  COUNT, freeObject, MAX_OBJECT, newObject, OBJECT_SIZE, PAYLOAD, REFS, REFS_MASK, resizeObject,
  SETCOUNT, SETPUTSITE,
} from "./object";
import {
  issue, OP_PUT, OP_USE, release, reserveSlot, resolve, RESIZED, SLOT, SLOT_OBJECT, SLOT_SITE,
  table,
} from "./handles";
import { setHeapBase, setPageLimit } from "./tlsf";
import { STATS_RECORD, WALK_RECORD } from "./walk";

export { validate } from "./validate";
export { nextObject, nextReference, heapStats } from "./walk";
export { setHeapTag } from "./handles";
export { flushQuickLists } from "./blocks";

/** The block a handle names; in the checked build a trap unless `h` is live. */
// @ts-ignore: decorator
@inline function objectOf(h: u32): usize {
  return CHECKED ? SLOT_OBJECT(resolve(h, OP_USE)) : <usize>h - HEADER;
}

// @ts-ignore: decorator
@inline function allocate(size: u32, site: u32): u32 {
  if (size > MAX_OBJECT) fail(E_OUT_OF_MEMORY, MSG_TOO_LARGE, 0, 0, 0, 0, size);
  if (CHECKED) reserveSlot();
  let block = newObject(size, site);
  if (!block) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, 0, 0, 0, 0, size);
  if (CHECKED) return issue(block, site);
  return <u32>PAYLOAD(block);
}

// @ts-ignore: decorator
@inline function take(h: u32, site: u32): u32 {
  if (CHECKED) {
    let block = objectOf(h);
    reserveSlot();
    SETCOUNT(block, COUNT(block) + 1);
    return issue(block, site);
  }
  store<u32>(<usize>h - 4, load<u32>(<usize>h - 4) + 1);
  return h;
}

// @ts-ignore: decorator
@inline function drop(h: u32, site: u32): void {
  let block: usize;
  if (CHECKED) {
    let slot = resolve(h, OP_PUT);
    block = SLOT_OBJECT(slot);
    release(slot, site, 0);
    SETPUTSITE(block, site);
  } else {
    block = <usize>h - HEADER;
  }
  let count = COUNT(block) - 1;
  if (count & REFS_MASK) SETCOUNT(block, count);
  else freeObject(block);
}

/** A new object of `size` bytes (contents undefined) and a handle holding one reference. */
export function alloc(size: u32): u32 { return allocate(size, 0); }
export function allocAt(size: u32, site: u32): u32 { return allocate(size, site); }

/** Takes another reference to the object of `h`: a new, distinct handle in the checked build. */
export function get(h: u32): u32 { return take(h, 0); }
export function getAt(h: u32, site: u32): u32 { return take(h, site); }

/** Gives back the reference `h`; the object is freed with its last reference. */
export function put(h: u32): void { drop(h, 0); }
export function putAt(h: u32, site: u32): void { drop(h, site); }

/**
 * Resizes the object of `h`, which must hold its only reference, keeping its contents up to the
 * smaller size. Returns the handle that replaces `h` (in the checked build `h` is dead after).
 */
export function resize(h: u32, size: u32): u32 { return resizeAt(h, size, 0); }
export function resizeAt(h: u32, size: u32, site: u32): u32 {
  if (CHECKED) {
    let slot = resolve(h, OP_USE);
    let block = SLOT_OBJECT(slot);
    let refs = REFS(block);
    if (refs != 1) fail(E_SHARED_RESIZE, MSG_SHARED_RESIZE, h, PAYLOAD(block), SLOT_SITE(slot), 0, refs);
    if (size > MAX_OBJECT) fail(E_OUT_OF_MEMORY, MSG_TOO_LARGE, h, PAYLOAD(block), 0, 0, size);
    let index = <u32>((slot - table) >> 4);
    reserveSlot(); // may move the table: find the slot again by index below
    let moved = resizeObject(block, size);
    if (!moved) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, h, PAYLOAD(block), 0, 0, size);
    release(SLOT(index), site, RESIZED);
    return issue(moved, site);
  }
  if (size > MAX_OBJECT) fail(E_OUT_OF_MEMORY, MSG_TOO_LARGE, h, h, 0, 0, size);
  let moved = resizeObject(<usize>h - HEADER, size);
  if (!moved) fail(E_OUT_OF_MEMORY, MSG_OUT_OF_MEMORY, h, h, 0, 0, size);
  return <u32>PAYLOAD(moved);
}

/** Address of the payload (16-byte aligned). Valid until the object is freed or resized. */
export function ptr(h: u32): usize { return PAYLOAD(objectOf(h)); }

/** Size in bytes, as asked for at alloc or the last resize. */
export function size(h: u32): u32 { return <u32>OBJECT_SIZE(objectOf(h)); }

/** Number of live references to the object of `h`. */
export function refs(h: u32): u32 { return REFS(objectOf(h)); }

/** Caps the memory the heap may grow to, in 64 KiB pages (never below the current size). */
export function setMemoryLimit(pages: u32): void { setPageLimit(pages); }

/**
 * Starts the heap at `address` or above (before the first allocation only; returns 0 if too
 * late). Lets a linked module keep its static data and stack below the heap (see README).
 */
export function reserveBelow(address: u32): u32 { return setHeapBase(address) ? 1 : 0; }

/** 1 in the checked build, 0 in the unchecked build. */
export function isChecked(): u32 { return CHECKED ? 1 : 0; }

/** Addresses of the records the host reads (errors.ts, walk.ts). */
export function errorRecord(): usize { return ERROR_RECORD; }
export function walkRecord(): usize { return WALK_RECORD; }
export function statsRecord(): usize { return STATS_RECORD; }
