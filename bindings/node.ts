// Node entry point: the builds are read from the package's own build/ folder (allocator-builds.ts),
// or from the `wasm` option.
import { loadBuild } from "./allocator-builds.js";
import { Heap, type HeapOptions } from "./heap.js";

export * from "./api.js";

/** A new, empty heap of the build asked for (unchecked by default). */
export async function createHeap(options: HeapOptions = {}): Promise<Heap> {
  return Heap.instantiate((await loadBuild(options.checked ?? false, options.wasm)).module, options);
}
