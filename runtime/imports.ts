// === rcalloc's contract, imported from the standalone allocator module ("rcalloc") ===
//
// For AssemblyScript code in a module that is linked against build/rcalloc.*.wasm at load time
// (bindings: link()) or statically (wasm-merge, see README "Use it in your module"):
//
//   import { alloc, get, put, ptr } from "rcalloc/runtime/imports";
//
// Each function is a wasm import from module "rcalloc" with the contract's field name (alloc, get,
// put, ptr, size, mallocAt, freeCollected: inline wrappers, below, that serve what they can in the
// module), so the same module runs against the checked or the unchecked build without a rebuild.
// Only the functions a module calls become imports. Semantics: see assembly/index.ts. AS code that uses
// strings, arrays or classes also needs the runtime: --runtime ./node_modules/rcalloc/runtime/rcalloc.

import { CHECKED_HEADER, QUICK_MAX, UNCHECKED_HEADER } from "../assembly/config";
import {
  addRef, DEAD, dropRef, INFO, OBJECT_SIZE_BEHIND, PAIRED, RAW_REFS, SETFITTED, TAGS_MASK,
} from "../assembly/layout";
import { SLOT_OBJECT, slotAtIn, slotLive, STRONG } from "../assembly/handle-lookup";
import { blockSizeFor, popQuick, pushQuick } from "../assembly/quick-lists";

// @ts-ignore: decorator
@external("rcalloc", "alloc") declare function allocOf(size: u32): u32;
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
@external("rcalloc", "mallocAt") declare function mallocOf(size: u32, site: u32): usize;
// @ts-ignore: decorator
@external("rcalloc", "freeAt") export declare function freeAt(ptr: usize, site: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "reallocAt") export declare function reallocAt(ptr: usize, size: u32, site: u32): usize;
// @ts-ignore: decorator
@external("rcalloc", "freeCollected") declare function freeCollectedOf(ptr: usize): void;
// @ts-ignore: decorator
@external("rcalloc", "sortQuickLists") export declare function sortQuickLists(): void;
// @ts-ignore: decorator
@external("rcalloc", "ignore") export declare function ignore(h: u32): void;
// @ts-ignore: decorator
@external("rcalloc", "ptr") declare function ptrOf(h: u32): usize;
// @ts-ignore: decorator
@external("rcalloc", "size") declare function sizeOf(h: u32): u32;
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
@external("rcalloc", "handleTableViewV2") declare function handleTableView(): usize;
// @ts-ignore: decorator
@external("rcalloc", "quickListsView") declare function quickListsView(): usize;

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
 * with the lookup the allocator's own checks make (slotAtIn, slotLive), and calls the allocator's ptr
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

/**
 * Against the plain unchecked build, the address of its quick lists' heads (assembly/blocks.ts
 * QUICK_HEADS), set when this module starts: a new small object (alloc, mallocAt) pops a cached
 * block of its size there, and a small object's end (the last put, freeCollected) pushes its block
 * back, with no call, where that is all the allocator would do (assembly/quick-lists.ts; the
 * workload example allocates and frees 9,000 objects a run, the AS runtime's collector gives back
 * and takes anew tens of thousands of blocks a strings/Maps run). An empty list, a larger block,
 * weak handles or an ignore mark: the call. 0 against the other builds and until this module
 * starts: every one of those calls in.
 */
// @ts-ignore: decorator
@lazy let quickHeads: usize = countsHere() ? quickListsView() : 0;

/** A cached block for a new object of `size` bytes whose count word reads `refs` (and the
 *  slack, as assembly/lifecycle.ts newObject writes it), or 0: the caller calls in. */
// @ts-ignore: decorator
@inline function takeQuick(size: u32, refs: u32): usize {
  if (!quickHeads || <usize>size > QUICK_MAX - UNCHECKED_HEADER) return 0;
  let blockSize = blockSizeFor(<usize>size, UNCHECKED_HEADER);
  let block = popQuick(quickHeads, blockSize);
  if (block) SETFITTED(block, blockSize, UNCHECKED_HEADER, <usize>size, refs);
  return block;
}

/** Caches the block of an ended object, unless it has one of the `held` tags or is not small
 *  (then false: the caller calls in), as assembly/blocks.ts freeBlock does. */
// @ts-ignore: decorator
@inline function giveQuick(block: usize, held: u32): bool {
  if (!quickHeads) return false;
  let info = INFO(block);
  let size = <usize>(info & ~TAGS_MASK);
  if ((info & held) || size > QUICK_MAX) return false;
  pushQuick(quickHeads, block, size);
  return true;
}

/** A new object of `size` bytes and a handle holding one reference (unchecked: its address). */
// @ts-ignore: decorator
@inline export function alloc(size: u32): u32 {
  let block = takeQuick(size, 1);
  return block ? <u32>(block + UNCHECKED_HEADER) : allocOf(size);
}

/** malloc: a raw block of `size` bytes (assembly/pointers.ts mallocRaw), or 0 when memory is exhausted. */
// @ts-ignore: decorator
@inline export function mallocAt(size: u32, site: u32): usize {
  let block = takeQuick(size, RAW_REFS);
  return block ? block + UNCHECKED_HEADER : mallocOf(size, site);
}

/** A garbage collector's free of the raw block at `ptr` (assembly/pointers.ts freeCollectedRaw). */
// @ts-ignore: decorator
@inline export function freeCollected(ptr: usize): void {
  if (!giveQuick(ptr - UNCHECKED_HEADER, PAIRED)) freeCollectedOf(ptr);
}

/** Takes another reference to the object of `h` (the checked build: a new handle). */
// @ts-ignore: decorator
@inline export function get(h: u32): u32 {
  if (!countsHere()) return getOf(h);
  addRef(<usize>h - UNCHECKED_HEADER);
  return h;
}

/** Gives back the reference `h`; the object is freed with its last reference (by the allocator).
 *  The return is a branch out of the block asc inlines the call into, so a --debug build keeps that
 *  block, located at the call, even where the call is all of a function or an if's arm (binaryen
 *  writes an unbranched block there as its bare contents): bindings/wasm-sites.ts names the call by it. */
// @ts-ignore: decorator
@inline export function put(h: u32): void {
  if (!countsHere()) putOf(h);
  else if (!dropRef(<usize>h - UNCHECKED_HEADER)) putLast(h);
  return;
}

/** put() of the last reference (unchecked): the block cached here as assembly/lifecycle.ts
 *  freeObject would, else the allocator's put. */
function putLast(h: u32): void {
  if (!giveQuick(<usize>h - UNCHECKED_HEADER, PAIRED | DEAD)) putOf(h);
}

/** Address of the payload of `h` (16-byte aligned): the allocator's ptr, checked in the checked build. */
// @ts-ignore: decorator
@inline export function ptr(h: u32): usize {
  if (handlesArePointers) return <usize>h;
  let object = tableObject(h);
  return object ? object + CHECKED_HEADER : ptrOf(h);
}

/** The block of `h`'s object, from the checked build's table when `h` is a live strong handle,
 *  else 0 (the caller calls in). The object is read through slotAtIn()'s address inside the
 *  branch on slotLive(), not through a select on it: that read need not wait for the state word
 *  (a tree walk makes one per step: assembly/handle-lookup.ts). */
// @ts-ignore: decorator
@inline function tableObject(h: u32): usize {
  let slot = handleTable ? slotAtIn(handleTable, h) : 0;
  if (slot && slotLive(slot, h, STRONG, false)) return SLOT_OBJECT(slot);
  return 0;
}

/** Size in bytes of the object of `h`, as asked for at alloc or the last resize: read here as
 *  ptr() finds the object (a plain heap's block header), else the allocator's size. */
// @ts-ignore: decorator
@inline export function size(h: u32): u32 {
  if (countsHere()) return <u32>OBJECT_SIZE_BEHIND(<usize>h - UNCHECKED_HEADER, UNCHECKED_HEADER);
  let object = tableObject(h);
  return object ? <u32>OBJECT_SIZE_BEHIND(object, CHECKED_HEADER) : sizeOf(h);
}

/**
 * A site id naming `text` itself (bindings/sites.ts: bit 31 and bit 30 set, then the string's
 * address): `getAt(h, siteOf("parser.ts:42"))` makes the checked build's reports print
 * "parser.ts:42" with no host call. `text` must be a literal (static data, never freed).
 */
// @ts-ignore: decorator
@inline export function siteOf(text: string): u32 { return 0xC0000000 | <u32>changetype<usize>(text); }
