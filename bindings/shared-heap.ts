// Shared heaps: one heap in a shared WebAssembly.Memory, used from several threads (Node
// worker_threads, browser Web Workers). The creating thread calls createHeap({ shared: true });
// each worker gets heap.shareable() by postMessage and calls attachHeap(init). Every thread runs
// its own instance of the shared build (assembly/shared.ts) on the same memory; the allocator's
// state lives in that memory and each operation holds the heap lock (assembly/threads.ts).
import { Heap, type HeapOptions, type SharedHeapInit } from "./heap.js";

/** Pages of the shared memory at creation: the build's static data fits in one. */
const INITIAL_PAGES = 1;
/** The maximum the shared builds declare (assembly/config.ts MAX_PAGES); shared memory needs one. */
const MAX_PAGES = 65535;

/**
 * Why shared memory is unavailable here, or undefined when it is. A browser page gets
 * SharedArrayBuffer (and shared WebAssembly.Memory) only when cross-origin isolated.
 */
export function sharedMemoryProblem(): string | undefined {
  const g = globalThis as { crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (g.crossOriginIsolated === false) {
    return "rcalloc: shared heaps need shared memory, which this page may not use: it is not cross-origin isolated " +
      "(crossOriginIsolated is false). Serve the page (and its workers) with the headers " +
      "Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp.";
  }
  if (typeof g.SharedArrayBuffer !== "function") {
    return "rcalloc: shared heaps need SharedArrayBuffer and shared WebAssembly.Memory, which this runtime does not offer.";
  }
  return undefined;
}

/** The maximum, in pages, a new shared heap's memory declares for `maxPages` (HeapOptions). */
export function sharedHeapMaximum(maxPages: number | undefined): number {
  return Math.max(INITIAL_PAGES, Math.min(maxPages ?? MAX_PAGES, MAX_PAGES));
}

/** A new shared memory for a heap of at most `maxPages` pages. */
function sharedMemory(maxPages: number | undefined): WebAssembly.Memory {
  const problem = sharedMemoryProblem();
  if (problem) throw new Error(problem);
  return new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: sharedHeapMaximum(maxPages), shared: true });
}

/** createHeap({ shared: true }): a new heap in a new shared memory, from the compiled shared build. */
export function createSharedHeap(module: WebAssembly.Module, options: HeapOptions): Promise<Heap> {
  return Heap.instantiateBuild(module, options, { memory: sharedMemory(options.maxPages), attach: false });
}

/**
 * In a worker: the heap another thread created with createHeap({ shared: true }), from the
 * `init` it posted (heap.shareable()). `options`: this thread's own (stacks, lockTimeout); the build, memory
 * limit and quarantine are the heap's. Typed errors as on any heap; call heap.detach() when the
 * worker is done.
 */
export async function attachHeap(init: SharedHeapInit, options: Pick<HeapOptions, "stacks" | "lockTimeout"> = {}): Promise<Heap> {
  const problem = sharedMemoryProblem();
  if (problem) throw new Error(problem);
  if (!(init?.module instanceof WebAssembly.Module) || !(init.memory instanceof WebAssembly.Memory)) {
    throw new TypeError("rcalloc: attachHeap(init): init is what heap.shareable() returns ({ module, memory, checked })");
  }
  return Heap.instantiate(init.module, { checked: init.checked, stacks: options.stacks, lockTimeout: options.lockTimeout }, { memory: init.memory, attach: true });
}
