// === Memory manager of the linked runtime: AS blocks from the imported allocator ===
// __alloc __realloc __free (heap.*), __alloc_object __free_object __swept __collected (the collector,
// ./itcms.ts) for ./rcalloc.ts; the blocks and their sites are in ./blocks.ts. ./builtin.ts has the same
// functions over the compiled-in allocator: AS binds a call to an import path at compile time,
// and passing the allocator in as a function would make every call indirect.

import { freeAt, freeCollected, mallocAt, reallocAt, reserveBelow } from "./imports";
import { allocated, blockSize, GC_ALLOC_SITE, unlinked } from "./blocks";
import { adoptMap, freedMap, mapBytes, mapCovers, markFreed, takeFreed } from "./freed";
import { cacheBlock, capacityFor, markStale, takeCached, takeStale } from "./cache";
import { OBJECT_OVERHEAD } from "~lib/rt/common";

/**
 * Keeps the shared heap above this module's static data and shadow stack (__heap_base).
 * Runs at instantiation (./rcalloc.ts), before anything else can allocate; the allocator
 * refuses (returns 0) once its heap has started, and then this module's memory may already
 * be in use by the heap: stop rather than corrupt it.
 */
export function reserveHeap(): void {
  if (!reserveBelow(<u32>__heap_base)) {
    abort("rcalloc runtime: the heap started before this module reserved its data and stack");
  }
}

// @ts-ignore: decorator
@global @unsafe
export function __alloc(size: usize): usize {
  return allocated(mallocAt(blockSize(size), 0));
}

// @ts-ignore: decorator
@global @unsafe
export function __realloc(block: usize, size: usize): usize {
  return allocated(reallocAt(block, blockSize(size), 0));
}

// @ts-ignore: decorator
@global @unsafe
export function __free(block: usize): void {
  freeAt(block, 0);
}

// @ts-ignore: decorator
@global @unsafe
export function __alloc_object(size: usize): usize {
  let block = takeCached(size);
  return block ? block : allocated(mallocAt(blockSize(capacityFor(size)), GC_ALLOC_SITE()));
}

// @ts-ignore: decorator
@global @unsafe
export function __free_object(block: usize): void {
  if (!mapCovers(block)) growMap(block);
  markFreed(block); // given back when the sweep ends, in address order (./freed.ts)
}

function growMap(block: usize): void {
  let bytes = mapBytes(block);
  adoptMap(allocated(reallocAt(freedMap(), blockSize(bytes), GC_ALLOC_SITE())), bytes);
}

// @ts-ignore: decorator
@global @unsafe
export function __swept(): void {
  releaseStale();
  for (let block = takeFreed(); block; block = takeFreed()) {
    if (!cacheBlock(block, OBJECT_OVERHEAD + <usize>load<u32>(block, 12))) freeCollected(unlinked(block)); // rtSize
  }
  markStale();
}

// @ts-ignore: decorator
@global @unsafe
export function __collected(): void {
  markStale();
  releaseStale();
}

function releaseStale(): void {
  for (let block = takeStale(); block; block = takeStale()) freeCollected(unlinked(block));
}
