// === rcalloc: the exported API (also the wasm exports of the standalone module) ===
//
// alloc get put resize ptr size refs validate, per the README. The *At variants take a site id
// (any u32 the caller chooses; 0 = unknown) that the checked build records with the reference
// and names in errors and reports; the unchecked build ignores it. Owners, move and weak
// handles: references.ts. Build: asc ... --use RC_CHECKED=1 (checked) or =0; see config.ts.
//
// The hot entry points are @inline: AssemblyScript code that imports them gets their fast path
// inlined (a wasm export alone is a call Binaryen will not inline); the wasm exports remain.

import { QUICK_HEADS } from "./blocks";
import { CHECKED, DEBUG, SHARED } from "./config";
import { ERROR_RECORD } from "./errors";
import { currentOrder, TABLE_VIEW } from "./handles";
import { OBJECT_SIZE, PAYLOAD, REFS } from "./layout";
import {
  allocate, drop, dropFor, dropWeakRef, ignoreRef, makeWeak, moveRef, objectOf, resizeRef, take,
  takeFor, upgradeWeak,
} from "./references";
import { freeCollectedRaw, freeRaw, mallocRaw, reallocRaw } from "./pointers";
import { setHeapBase, setPageLimit } from "./tlsf";
import { validate } from "./validate";
import { STATS_RECORD, WALK_RECORD } from "./walk";

export { validate } from "./validate";
export { sealStaticData } from "./statics";
export { nextObject, nextReference, nextBlock, heapStats } from "./walk";
export { scan, scanRoot, scanResults, scanResultCount, scanClear } from "./scan";
export { retireHeapTag, setHeapTag } from "./handles";
export { setQuarantine } from "./quarantine";
export { flushQuickLists, sortQuickLists } from "./blocks";

// Debug build: validate() before and after every operation that changes the heap (config.ts),
// so the first operation that breaks an invariant is the one that traps. Free elsewhere.
// @ts-ignore: decorator
@inline function enter(): void { if (DEBUG) validate(); }
// @ts-ignore: decorator
@inline function leave<T>(result: T): T { if (DEBUG) validate(); return result; }
// @ts-ignore: decorator
@inline function done(): void { if (DEBUG) validate(); }

/** A new object of `size` bytes (contents undefined) and a handle holding one reference. */
// @ts-ignore: decorator
@inline export function alloc(size: u32): u32 { enter(); return leave(allocate(size, 0)); }
export function allocAt(size: u32, site: u32): u32 { enter(); return leave(allocate(size, site)); }

/** Takes another reference to the object of `h`: a new, distinct handle in the checked build. */
// @ts-ignore: decorator
@inline export function get(h: u32): u32 { enter(); return leave(take(h, 0)); }
export function getAt(h: u32, site: u32): u32 { enter(); return leave(take(h, site)); }

/** Gives back the reference `h`; the object is freed with its last reference. */
// @ts-ignore: decorator
@inline export function put(h: u32): void { enter(); drop(h, 0); done(); }
export function putAt(h: u32, site: u32): void { enter(); drop(h, site); done(); }

/**
 * Resizes the object of `h`, which must hold its only reference (and no weak handles), keeping
 * its contents up to the smaller size. Returns the handle that replaces `h`.
 */
export function resize(h: u32, size: u32): u32 { enter(); return leave(resizeRef(h, size, 0)); }
export function resizeAt(h: u32, size: u32, site: u32): u32 { enter(); return leave(resizeRef(h, size, site)); }

/** The one reference `owner` (1 .. 0xFFFFFFFD) holds on the object of `h`; taken if none yet. */
export function getFor(h: u32, owner: u32): u32 { enter(); return leave(takeFor(h, owner, 0)); }
export function getForAt(h: u32, owner: u32, site: u32): u32 { enter(); return leave(takeFor(h, owner, site)); }

/** Releases the reference `owner` holds on the object of `h` (any strong handle to it). */
export function putFor(h: u32, owner: u32): void { enter(); dropFor(h, owner, 0); done(); }
export function putForAt(h: u32, owner: u32, site: u32): void { enter(); dropFor(h, owner, site); done(); }

/** Hands reference `h` to a new handle (owned by `owner` unless 0); `h` is dead after. */
export function move(h: u32, owner: u32): u32 { enter(); return leave(moveRef(h, owner, 0)); }
export function moveAt(h: u32, owner: u32, site: u32): u32 { enter(); return leave(moveRef(h, owner, site)); }

/** A weak handle: does not keep the object alive; release it with putWeak. */
export function weak(h: u32): u32 { enter(); return leave(makeWeak(h, 0)); }
export function weakAt(h: u32, site: u32): u32 { enter(); return leave(makeWeak(h, site)); }

/** A new strong reference from weak handle `w`, or 0 when the object is gone. */
export function upgrade(w: u32): u32 { enter(); return leave(upgradeWeak(w, 0)); }
export function upgradeAt(w: u32, site: u32): u32 { enter(); return leave(upgradeWeak(w, site)); }

/** Releases weak handle `w`. */
export function putWeak(w: u32): void { enter(); dropWeakRef(w, 0); done(); }
export function putWeakAt(w: u32, site: u32): void { enter(); dropWeakRef(w, site); done(); }

/** Marks the object of `h` as not a leak: reports and leaksSince leave it out. */
export function ignore(h: u32): void { enter(); ignoreRef(h); done(); }

/**
 * malloc/free/realloc for code that holds blocks by pointer (C's malloc shim, AS's heap.alloc):
 * a raw block has no handles; the checked build traps on a double or foreign free, naming the
 * malloc site and the first free's site, and lists live raw blocks as leaks. See pointers.ts.
 */
export function mallocAt(size: u32, site: u32): usize { enter(); return leave(mallocRaw(size, site)); }
export function freeAt(ptr: usize, site: u32): void { enter(); freeRaw(ptr, site); done(); }
export function reallocAt(ptr: usize, size: u32, site: u32): usize { enter(); return leave(reallocRaw(ptr, size, site)); }
/** free for a garbage collector's sweep: checked that `ptr` is a live raw block, then reused at once
 *  (no poison, no quarantine: the collector owns the block's lifetime). See pointers.ts. */
export function freeCollected(ptr: usize): void { enter(); freeCollectedRaw(ptr); done(); }

/** Address of the payload (16-byte aligned). Valid until the object is freed or resized. */
// @ts-ignore: decorator
@inline export function ptr(h: u32): usize { return PAYLOAD(objectOf(h)); }

/** Size in bytes, as asked for at alloc or the last resize. */
// @ts-ignore: decorator
@inline export function size(h: u32): u32 { return <u32>OBJECT_SIZE(objectOf(h)); }

/** Number of live strong references to the object of `h`. */
// @ts-ignore: decorator
@inline export function refs(h: u32): u32 { return REFS(objectOf(h)); }

/** The order of the newest object or reference: leaksSince(mark) shows what came after it. */
export function mark(): u32 { return currentOrder(); }

/** Caps the memory the heap may grow to, in 64 KiB pages (never below the current size). */
export function setMemoryLimit(pages: u32): void { setPageLimit(pages); }

/**
 * Starts the heap at `address` or above (before the first allocation only; returns 0 if too
 * late). Lets a linked module keep its static data and stack below the heap (see README).
 */
export function reserveBelow(address: u32): u32 { return setHeapBase(address) ? 1 : 0; }

/** 1 in the checked build, 0 in the unchecked build. */
export function isChecked(): u32 { return CHECKED ? 1 : 0; }

/** Address of the handle table's view (handles.ts TABLE_VIEW), where a linked module resolves a
 *  live handle without calling in (runtime/imports.ts ptr); 0 in the unchecked and shared builds.
 *  The name carries the view's ABI version (handle-lookup.ts "ABI": 32-slot chunks). */
export function handleTableViewV2(): usize { return CHECKED && !SHARED ? TABLE_VIEW : 0; }
/** What modules built for 256-slot chunks import: 0, so such a module never indexes the table
 *  with the old chunk size: every ptr of theirs calls in (correct, slower; link() and merge accept
 *  it). */
export function handleTableView(): usize { return 0; }
/** Address of the quick lists' heads (blocks.ts QUICK_HEADS), where a linked module pops and
 *  pushes small blocks itself (runtime/imports.ts alloc, mallocAt, the last put, freeCollected);
 *  0 in the checked builds (an object takes a handle table slot) and the shared builds (thread
 *  caches, atomic counts). */
export function quickListsView(): usize { return CHECKED || SHARED ? 0 : QUICK_HEADS; }
/** What modules built before TABLE_VIEW had its first index (+12) import: 0, so their lookup,
 *  which would index the directory from chunk 0, is never made; every ptr of theirs calls in. */
export function tableView(): usize { return 0; }

/** Addresses of the records the host reads (errors.ts, walk.ts). */
export function errorRecord(): usize { return ERROR_RECORD; }
export function walkRecord(): usize { return WALK_RECORD; }
export function statsRecord(): usize { return STATS_RECORD; }
