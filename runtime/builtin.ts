// === Memory manager of the library runtime: AS blocks from the compiled-in allocator ===
// __alloc __realloc __free for ./library.ts; the layout is in ./blocks.ts. The import below is
// the package's own `rcalloc/assembly`, the same file the program imports, so there is one heap.

import { alloc, ptr, put, resize } from "rcalloc/assembly";
import { capacityOf, handleOf, initBlock, objectSize, releaseBlock } from "./blocks";

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
  if (<usize>bytes == capacityOf(block) + 16) return block;
  let h = resize(handleOf(block), bytes); // the runtime holds the only reference
  return initBlock(ptr(h), h, bytes);
}

// @ts-ignore: decorator
@global @unsafe
export function __free(block: usize): void {
  put(releaseBlock(block));
}
