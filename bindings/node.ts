// Node entry point: the builds are read from the package's own build/ folder (allocator-builds.ts),
// or from the `wasm` option.
import { loadBuild } from "./allocator-builds.js";
import { Heap, type HeapOptions } from "./heap.js";
import { createSharedHeap } from "./shared-heap.js";

export * from "./api.js";

/** A new, empty heap of the build asked for (unchecked by default). */
export async function createHeap(options: HeapOptions = {}): Promise<Heap> {
  // The debug build is Node's only: its literal URL stays out of the browser entry's bundles.
  const debug = options.debug ? new URL("../build/rcalloc.debug.wasm", import.meta.url) : undefined;
  if (options.shared) return createSharedHeap((await loadBuild(options.checked ?? false, options.wasm, true)).module, options);
  const build = await loadBuild(options.checked ?? options.debug ?? false, options.wasm ?? debug);
  return Heap.instantiateBuild(build.module, options);
}
