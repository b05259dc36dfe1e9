// === Memory manager of the library runtime: AS blocks from the compiled-in allocator ===
// __alloc __realloc __free for ./library.ts; the layout is in ./blocks.ts. The import below is
// the package's own `rcalloc/assembly`, the same file the program imports, so there is one heap.
// ./linked.ts has the same three functions over the imported allocator: AS binds a call to an
// import path at compile time, and passing the allocator in as a function would make it indirect.

import { alloc, ptr, put, resize } from "rcalloc/assembly";
import { handleOf, initBlock, objectSize, objectSizeOf, releaseBlock } from "./blocks";

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
