// Static linking: the two rewrites binaryen's wasm-merge needs to fuse a user module and the
// allocator into one module (bin/rcalloc.js merge runs them, then wasm-merge).
import { checkLinkable, LinkError } from "./linkable.js";
import { inspectModule, KINDS, parseWasm, toBytes, type WasmBytes } from "./wasm-reader.js";
import { encodeLimits, encodeName, replaceSections, uleb } from "./wasm-writer.js";
import { encodeExports, withGlobalExports } from "./module-globals.js";
import { SITES_MODULE } from "./wasm-sites.js";

/**
 * The two inputs for binaryen's `wasm-merge <allocator> rcalloc <user> <name>`:
 * - the user module imports its memory from "rcalloc" (asc's --importMemory names it
 *   `env.memory`, which wasm-merge would leave unresolved) and no longer exports it;
 * - its start function, if any, becomes the export `_start` (as asc's --exportStart does): the
 *   host wraps the merged module in a Heap (which sets the heap up) and then calls `_start`, so
 *   nothing allocates before the heap is configured;
 * - the allocator's memory asks for at least the pages the user module's import asks for
 *   (wasm-merge refuses a memory smaller than the import's minimum).
 * - with `sites` (checked build), the module's calls into the allocator stay imports from
 *   "rcalloc:sites", which Heap.instantiate gives: with `stacks`, each call's wasm stack becomes
 *   its site, as link() does; the rest of the allocator (its own calls) is fused in;
 * - its globals are exported for the leak scan (module-globals.ts).
 * `codeShift`: how far the user module's code moved (shiftSourceMap() fits its source map).
 * Throws LinkError for a module that cannot be linked (see link()).
 */
export function prepareStaticLink(
  allocatorWasm: WasmBytes, userWasm: WasmBytes, options: { sites?: boolean; ownsMemoryGrowth?: boolean } = {},
): { allocator: Uint8Array; user: Uint8Array; codeShift: number } {
  const allocatorBytes = toBytes(allocatorWasm);
  const userBytes = toBytes(userWasm);
  const a = parseWasm(allocatorBytes);
  const u = parseWasm(userBytes);
  const info = inspectModule(userBytes);
  const allocatorInfo = inspectModule(allocatorBytes);
  checkLinkable(info, new Set(a.exports.map((e) => e.name)), allocatorInfo.dataEnd, { bytes: userBytes, ownsMemoryGrowth: options.ownsMemoryGrowth });
  const allocatorNames = new Set(a.exports.map((e) => e.name));
  const conflicts = u.exports.filter((e) => e.name !== "memory" && allocatorNames.has(e.name)).map((e) => e.name);
  if (conflicts.length) {
    throw new LinkError("EXPORT_CONFLICT", `rcalloc: merge: the module exports ${conflicts.map((n) => `"${n}"`).join(", ")}, ` +
      "which the allocator exports too: rename the export");
  }
  // User: memory imported from "rcalloc", no memory export.
  const imports: number[] = [...uleb(u.imports.length)];
  for (const i of u.imports) {
    // With `sites`, calls into the allocator stay imports (of SITES_MODULE), for the host to take
    // the wasm stack as their site (Heap.instantiate with stacks); the memory is fused either way.
    const module = i.kind === "memory" ? "rcalloc" : options.sites && i.module === "rcalloc" && i.kind === "function" ? SITES_MODULE : i.module;
    const name = i.kind === "memory" ? "memory" : i.name;
    imports.push(...encodeName(module), ...encodeName(name), KINDS.indexOf(i.kind), ...i.desc);
  }
  const kept = u.exports.filter((e) => !(e.kind === "memory" && e.name === "memory"));
  if (u.start !== undefined) {
    if (kept.some((e) => e.name === "_start")) {
      throw new LinkError("EXPORT_CONFLICT", 'rcalloc: merge: the module has a start function and an export "_start"');
    }
    kept.push({ name: "_start", kind: "function", index: u.start });
  }
  // Its globals exported for the leak scan (module-globals.ts): they stay exports of the merged module.
  const exports = encodeExports(withGlobalExports(kept, info, true));
  // Without an export section, the new one takes the start section's place (7 comes before 8).
  const hasExports = u.sections.some((x) => x.id === 7);
  const sections = hasExports ? u.sections : u.sections.map((x) => x.id === 8 ? { ...x, id: 7 } : x);
  const user = replaceSections(userBytes, sections, new Map([[2, imports], [7, exports], [8, null]]));
  // Allocator: memory minimum raised to the user's.
  const need = info.memoryImport?.limits?.min ?? 0;
  if (!a.memory) throw new LinkError("NOT_WASM", "rcalloc: merge: the allocator module defines no memory");
  const memory = { ...a.memory, min: Math.max(a.memory.min, need) };
  const allocator = replaceSections(allocatorBytes, a.sections, new Map([[5, [1, ...encodeLimits(memory)]]]));
  // The rewritten sections come before the code: its offsets all moved by the same amount.
  const codeStart = (b: Uint8Array) => parseWasm(b).sections.find((x) => x.id === 10)?.start ?? 0;
  return { allocator, user, codeShift: codeStart(user) - codeStart(userBytes) };
}
