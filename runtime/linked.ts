// === Memory manager of the linked runtime: AS blocks from the imported allocator ===
// __alloc __realloc __free for ./rcalloc.ts; the layout is in ./blocks.ts.
// ./builtin.ts has the same three functions over the compiled-in allocator (why twice: see there).

import { alloc, ptr, put, reserveBelow, resize } from "./imports";
import { handleOf, initBlock, objectSize, objectSizeOf, releaseBlock } from "./blocks";

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
  let bytes = objectSize(size);
  let h = alloc(bytes);
  return initBlock(ptr(h), h, bytes);
}

// @ts-ignore: decorator
@global @unsafe
export function __realloc(block: usize, size: usize): usize {
  let bytes = objectSize(size);
  if (<usize>bytes == objectSizeOf(block)) return block;
  let h = resize(handleOf(block), bytes); // the runtime holds the only reference
  return initBlock(ptr(h), h, bytes);
}

// @ts-ignore: decorator
@global @unsafe
export function __free(block: usize): void {
  put(releaseBlock(block));
}
