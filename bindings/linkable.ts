// What makes a user module linkable against the allocator: where its data must start, the
// checks both link() and prepareStaticLink() make, and LinkError, which names the fix when one fails.
import { LinkError } from "./link-error.js";
import type { ModuleInfo } from "./wasm-reader.js";

/** Where a linked module's static data starts: the first page belongs to the allocator. */
export const USER_MEMORY_BASE = 65536;

export { LinkError, type LinkErrorCode } from "./link-error.js";

/** The checks both link() and prepareStaticLink() make; throws LinkError naming the fix. */
export function checkLinkable(info: ModuleInfo, allocatorExports: ReadonlySet<string>, allocatorDataEnd: number): void {
  if (info.rcallocImports.length === 0) {
    throw new LinkError("NO_RCALLOC_IMPORTS",
      'rcalloc: link: the module imports nothing from "rcalloc": build it against rcalloc/runtime/imports or --runtime rcalloc/runtime/rcalloc');
  }
  const unknown = info.imports.filter((i) => i.module === "rcalloc" &&
    !(i.kind === "function" && allocatorExports.has(i.name)) && !(i.kind === "memory" && i.name === "memory"));
  if (unknown.length) {
    throw new LinkError("UNKNOWN_IMPORT",
      `rcalloc: link: the module imports ${unknown.map((i) => `"rcalloc.${i.name}" (${i.kind})`).join(", ")}, which the allocator does not export`);
  }
  if (info.memory) {
    throw new LinkError("OWN_MEMORY",
      "rcalloc: link: the module defines its own memory; build it with --importMemory so it uses the allocator's");
  }
  if (info.unplacedSegments) {
    throw new LinkError("DATA_UNPLACED",
      `rcalloc: link: ${info.unplacedSegments} of the module's data segments sit at a non-constant offset ` +
      "(global.get of an imported global such as __memory_base), so link() cannot check that they stay clear " +
      `of the allocator's data: build it at a fixed address (AssemblyScript: --memoryBase ${USER_MEMORY_BASE}; ` +
      `clang: without -fPIC, with -Wl,--global-base=${USER_MEMORY_BASE})`);
  }
  if (info.dataStart !== undefined && info.dataStart < allocatorDataEnd) {
    throw new LinkError("DATA_OVERLAP",
      `rcalloc: link: the module's static data starts at ${info.dataStart}, inside the allocator's ` +
      `(which ends at ${allocatorDataEnd}): build it with --memoryBase ${USER_MEMORY_BASE}`);
  }
}
