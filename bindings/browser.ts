// Browser entry point: fetches the wasm builds next to this file's package (no Node APIs).
import { Heap, type HeapOptions } from "./heap.js";
import { wasmFileName } from "./api.js";

export * from "./api.js";

const modules = new Map<boolean, Promise<WebAssembly.Module>>();

/** The compiled allocator module of one build (compiled once per page). */
export function loadModule(checked: boolean, baseUrl: string | URL = new URL("../build/", import.meta.url)): Promise<WebAssembly.Module> {
  let module = modules.get(checked);
  if (!module) {
    const url = new URL(wasmFileName(checked), baseUrl);
    module = WebAssembly.compileStreaming(fetch(url)).catch(async () => {
      // Servers that do not send application/wasm: compile from the bytes instead.
      const response = await fetch(url);
      if (!response.ok) throw new Error(`rcalloc: cannot fetch ${url}: HTTP ${response.status}`);
      return WebAssembly.compile(await response.arrayBuffer());
    });
    modules.set(checked, module);
  }
  return module;
}

/** A new, empty heap of the build asked for (unchecked by default). */
export async function createHeap(options: HeapOptions = {}): Promise<Heap> {
  return Heap.instantiateBuild(await loadModule(options.checked ?? false), options);
}
