// Node entry point: loads the wasm builds from the package's own build/ folder.
import { readFile } from "node:fs/promises";
import { Heap, type HeapOptions } from "./heap.js";
import { wasmFileName } from "./api.js";

export * from "./api.js";

const modules = new Map<string, Promise<WebAssembly.Module>>();

/** The compiled allocator module of one build (compiled once per process). */
export function loadModule(checked: boolean, debug = false): Promise<WebAssembly.Module> {
  const name = wasmFileName(checked, debug);
  let module = modules.get(name);
  if (!module) {
    module = readFile(new URL(`../build/${name}`, import.meta.url)).then((bytes) => WebAssembly.compile(bytes));
    modules.set(name, module);
  }
  return module;
}

/** A new, empty heap of the build asked for (unchecked by default). */
export async function createHeap(options: HeapOptions = {}): Promise<Heap> {
  return Heap.instantiateBuild(await loadModule(options.checked ?? false, options.debug ?? false), options);
}
