// === rcalloc's contract, imported from the standalone allocator module ("rcalloc") ===
//
// For AssemblyScript code in a module that is linked against build/rcalloc.*.wasm at load time
// (bindings: link()) or statically (wasm-merge, see README "Use it in your module"):
//
//   import { alloc, get, put, ptr } from "rcalloc/runtime/imports";
//
// Each function is a wasm import from module "rcalloc" with the contract's field name (get, put,
// ptr: inline wrappers, below), so the same module runs against the checked or the unchecked build
// without a rebuild. Only the
// functions a module calls become imports. Semantics: see assembly/index.ts. AS code that uses
// strings, arrays or classes also needs the runtime: --runtime ./node_modules/rcalloc/runtime/rcalloc.

import { CHECKED_HEADER, UNCHECKED_HEADER } from "../assembly/config";
import { addRef, dropRef } from "../assembly/layout";
import { liveSlotIn, SLOT_OBJECT, STRONG } from "../assembly/handle-lookup";

// @ts-ignore: decorator
@external("rcalloc", "alloc") export declare function alloc(size: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "allocAt") export declare function allocAt(size: u32, site: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "get") declare function getOf(h: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "getAt") export declare function getAt(h: u32, site: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "put") declare function putOf(h: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "putAt") export declare function putAt(h: u32, site: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "resize") export declare function resize(h: u32, size: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "resizeAt") export declare function resizeAt(h: u32, size: u32, site: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "getFor") export declare function getFor(h: u32, owner: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "getForAt") export declare function getForAt(h: u32, owner: u32, site: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "putFor") export declare function putFor(h: u32, owner: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "putForAt") export declare function putForAt(h: u32, owner: u32, site: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "move") export declare function move(h: u32, owner: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "moveAt") export declare function moveAt(h: u32, owner: u32, site: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "weak") export declare function weak(h: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "weakAt") export declare function weakAt(h: u32, site: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "upgrade") export declare function upgrade(w: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "upgradeAt") export declare function upgradeAt(w: u32, site: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "putWeak") export declare function putWeak(w: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "putWeakAt") export declare function putWeakAt(w: u32, site: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "mallocAt") export declare function mallocAt(size: u32, site: u32): usize;
// @ts-ignore: decorator
@external("rcalloc", "freeAt") export declare function freeAt(ptr: usize, site: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "reallocAt") export declare function reallocAt(ptr: usize, size: u32, site: u32): usize;
// @ts-ignore: decorator
@external("rcalloc", "freeCollected") export declare function freeCollected(ptr: usize): void;
// @ts-ignore: decorator
@external("rcalloc", "sortQuickLists") export declare function sortQuickLists(): void;
// @ts-ignore: decorator
@external("rcalloc", "ignore") export declare function ignore(h: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "ptr") declare function ptrOf(h: u32): usize;
// @ts-ignore: decorator
@external("rcalloc", "size") export declare function size(h: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "refs") export declare function refs(h: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "validate") export declare function validate(): void;
// @ts-ignore: decorator
@external("rcalloc", "mark") export declare function mark(): u32;
// @ts-ignore: decorator
@external("rcalloc", "isChecked") export declare function isChecked(): u32;
// @ts-ignore: decorator
@external("rcalloc", "reserveBelow") export declare function reserveBelow(address: u32): u32;
// @ts-ignore: decorator
@external("rcalloc", "handleTableView") declare function handleTableView(): usize;

/**
 * True against the unchecked build, whose handle is the payload address itself (assembly/index.ts),
 * so ptr() needs no call into the allocator's instance (~3–4 ns each when linked at load: the
 * workload example calls it for every object it touches). Set when this module starts; until then
 * (a merged module whose _start has not run) it is false and ptr() asks the allocator, which is
 * always right.
 */
// @ts-ignore: decorator
@lazy let handlesArePointers: bool = isChecked() == 0;

/**
 * Against the checked build, the address of its handle table's view (assembly/handles.ts
 * TABLE_VIEW), set when this module starts: ptr() resolves a live strong handle there itself,
 * with the lookup the allocator's own checks make (liveSlotIn), and calls the allocator's ptr
 * for anything else, which then raises the error with its sites. 0 against the unchecked and the
 * shared builds (no view) and until this module starts: ptr() calls in.
 */
// @ts-ignore: decorator
@lazy let handleTable: usize = handlesArePointers ? 0 : handleTableView();

/**
 * True against the unchecked build of a plain heap: the count of a handle's object is in the
 * block header in front of it (assembly/layout.ts), and a get or a put that is not the last is
 * this module's to make, with no call (as the allocator itself makes it). A module built with
 * threads may run on a shared heap, whose counts change atomically: it always calls.
 */
// @ts-ignore: decorator
@inline function countsHere(): bool { return !ASC_FEATURE_THREADS && handlesArePointers; }

/** Takes another reference to the object of `h` (the checked build: a new handle). */
// @ts-ignore: decorator
@inline export function get(h: u32): u32 {
  if (!countsHere()) return getOf(h);
  addRef(<usize>h - UNCHECKED_HEADER);
  return h;
}

/** Gives back the reference `h`; the object is freed with its last reference (by the allocator). */
// @ts-ignore: decorator
@inline export function put(h: u32): void {
  if (!countsHere() || !dropRef(<usize>h - UNCHECKED_HEADER)) putOf(h);
}

/** Address of the payload of `h` (16-byte aligned): the allocator's ptr, checked in the checked build. */
// @ts-ignore: decorator
@inline export function ptr(h: u32): usize {
  if (handlesArePointers) return <usize>h;
  let slot = handleTable ? liveSlotIn(handleTable, h, STRONG) : 0;
  return slot ? SLOT_OBJECT(slot) + CHECKED_HEADER : ptrOf(h);
}

/**
 * A site id naming `text` itself (bindings/sites.ts: bit 31 and bit 30 set, then the string's
 * address): `getAt(h, siteOf("parser.ts:42"))` makes the checked build's reports print
 * "parser.ts:42" with no host call. `text` must be a literal (static data, never freed).
 */
// @ts-ignore: decorator
@inline export function siteOf(text: string): u32 { return 0xC0000000 | <u32>changetype<usize>(text); }
