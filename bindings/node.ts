// Node entry point: the builds are read from the package's own build/ folder (allocator-builds.ts),
// or from the `wasm` option.
import { loadBuild } from "./allocator-builds.js";
import { Heap, type HeapOptions } from "./heap.js";
import { createSharedHeap } from "./shared-heap.js";

export * from "./api.js";

/** A new, empty heap of the build asked for (unchecked by default). */
export async function createHeap(options: HeapOptions = {}): Promise<Heap> {
  // The debug builds are Node's only: their literal URLs stay out of the browser entry's bundles.
  if (options.shared) {
    const sharedDebug = options.debug ? new URL("../build/rcalloc.shared-debug.wasm", import.meta.url) : undefined;
    return createSharedHeap((await loadBuild(options.checked ?? options.debug ?? false, options.wasm ?? sharedDebug, true)).module, options);
  }
  const debug = options.debug ? new URL("../build/rcalloc.debug.wasm", import.meta.url) : undefined;
  const build = await loadBuild(options.checked ?? options.debug ?? false, options.wasm ?? debug);
  return Heap.instantiateBuild(build.module, options);
}
