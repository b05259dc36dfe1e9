// === Memory manager of the library runtime: AS blocks from the compiled-in allocator ===
// __alloc __realloc __free (heap.*), __alloc_object __free_object __swept __collected (the collector,
// ./itcms.ts) for ./library.ts; the blocks and their sites are in ./blocks.ts. The import below is the
// package's own `rcalloc/assembly`, the same file the program imports, so there is one heap.
// ./linked.ts has the same functions over the imported allocator (why twice: see there).

import { freeAt, freeCollected, mallocAt, reallocAt } from "rcalloc/assembly";
import { allocated, blockSize, GC_ALLOC_SITE, unlinked } from "./blocks";
import { adoptMap, freedMap, mapBytes, mapCovers, markFreed, takeFreed } from "./freed";
import { cacheBlock, capacityFor, markStale, takeCached, takeStale } from "./cache";
import { OBJECT_OVERHEAD } from "~lib/rt/common";

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
