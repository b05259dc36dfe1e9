// What makes a user module linkable against the allocator: where its data must start, the
// checks both link() and prepareStaticLink() make, and LinkError, which names the fix when one fails.
import { LinkError } from "./link-error.js";
import { growsMemory } from "./wasm-code.js";
import type { ModuleInfo } from "./wasm-reader.js";

/** Where a linked module's static data starts: the first page belongs to the allocator. */
export const USER_MEMORY_BASE = 65536;

export { LinkError, type LinkErrorCode } from "./link-error.js";

/** What the checks read of the module's code, and what the caller allows it. */
export interface LinkableCode {
  /** The module's binary (the offsets of `info.functionBodies`). */
  bytes: Uint8Array;
  /** The module grows memory for its own use, on purpose (link option `ownsMemoryGrowth`). */
  ownsMemoryGrowth?: boolean;
}

/** The checks both link() and prepareStaticLink() make; throws LinkError naming the fix. */
export function checkLinkable(
  info: ModuleInfo, allocatorExports: ReadonlySet<string>, allocatorDataEnd: number, code: LinkableCode,
): void {
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
  const own = ownAllocator(info);
  if (own) {
    throw new LinkError("OWN_ALLOCATOR",
      `rcalloc: link: the module runs AssemblyScript's own allocator (${own}), a second heap in the allocator's memory: ` +
      "build it with --runtime ./node_modules/rcalloc/runtime/rcalloc");
  }
  const grower = code.ownsMemoryGrowth ? undefined : memoryGrower(info, code.bytes);
  if (grower !== undefined) {
    throw new LinkError("GROWS_MEMORY",
      `rcalloc: link: the module grows memory itself (memory.grow in ${grower}): most likely it runs an allocator of its own ` +
      "next to rcalloc's, a second heap in the allocator's memory, which breaks both. Build it on rcalloc's: " +
      "AssemblyScript with --runtime ./node_modules/rcalloc/runtime/rcalloc; C with include/rcalloc-malloc.c linked in " +
      "(not the libc's malloc); Rust with rcalloc::Malloc as #[global_allocator] (README, \"From Rust\"). " +
      "If it grows memory on purpose, for its own use, pass link(module, { ownsMemoryGrowth: true }) " +
      "(rcalloc check --owns-memory-growth)");
  }
  if (info.dataStart !== undefined && info.dataStart < allocatorDataEnd) {
    throw new LinkError("DATA_OVERLAP",
      `rcalloc: link: the module's static data starts at ${info.dataStart}, inside the allocator's ` +
      `(which ends at ${allocatorDataEnd}): build it with --memoryBase ${USER_MEMORY_BASE}`);
  }
}

/**
 * What shows that a module allocates with AssemblyScript's own runtime instead of rcalloc's
 * (which imports rcalloc's reserveBelow at start): the functions of ~lib/rt/tlsf or ~lib/rt/stub
 * by their names (asc --debug), or, without names, the runtime's exports (--exportRuntime)
 * without that import. A module stripped of both is not recognised.
 */
function ownAllocator(info: ModuleInfo): string | undefined {
  for (const name of info.functionNames.values()) {
    const m = /^~lib\/rt\/(tlsf|stub)\//.exec(name);
    if (m) return `~lib/rt/${m[1]}`;
  }
  const runtimeExport = info.exports.some((e) => e.name === "__new" && e.kind === "function");
  if (runtimeExport && !info.rcallocImports.includes("reserveBelow")) return "it exports __new but does not import rcalloc's reserveBelow";
  return undefined;
}

/**
 * The first function of the module that holds a memory.grow, by name (or index), if any. A module
 * built to link against rcalloc has none: every block it needs comes from the heap, which grows
 * the memory itself; an allocator of its own has one (AssemblyScript's TLSF and stub, wasi-libc's
 * dlmalloc, Rust std's). One pass over the code; a body this reader cannot decode counts as none.
 */
function memoryGrower(info: ModuleInfo, bytes: Uint8Array): string | undefined {
  for (const [index, [start, end]] of info.functionBodies) {
    if (growsMemory(bytes, start, end)) return info.functionNames.get(index) ?? `function ${index}`;
  }
  return undefined;
}
