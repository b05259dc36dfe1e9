// The library path with sites from the wasm stack: built with --use RC_HOST_SITES=1 (asconfig's
// "sites" target, with names and a source map), so each reference this module takes is named by
// the line that took it, as when it is linked at load. The host wraps it with stacks:
//   Heap.instantiate(bytes, { checked: true, stacks: true, sourceMap })

import { alloc, get, put } from "rcalloc/assembly";

export * from "rcalloc/assembly";

/** A leak: one reference is never put. */
export function leak(): void {
  const kept = alloc(24);
  put(get(kept));
  get(kept); // LEAK: taken, never put
  put(kept);
}

/** A double put. */
export function doublePut(): void {
  const h = alloc(8); // TAKEN
  put(h); // FIRST PUT
  put(h); // DOUBLE PUT
}
