// Browser entry point (no Node APIs): the builds are fetched from the package's build/ folder,
// through URLs bundlers recognise (allocator-builds.ts), or from the `wasm` option.
import { loadBuild } from "./allocator-builds.js";
import { Heap, refuseDebugOption, type HeapOptions } from "./heap.js";
import { createSharedHeap } from "./shared-heap.js";

export * from "./api.js";

/** A new, empty heap of the build asked for (unchecked by default). */
export async function createHeap(options: HeapOptions = {}): Promise<Heap> {
  refuseDebugOption(options, "the browser entry");
  if (options.shared) return createSharedHeap((await loadBuild(options.checked ?? false, options.wasm, true)).module, options);
  return Heap.instantiateBuild((await loadBuild(options.checked ?? false, options.wasm)).module, options);
}
