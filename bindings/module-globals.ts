// Wasm globals as roots of the leak scan. A module's top-level `let` (a wasm global) can hold a
// handle, and no scan of linear memory sees it. So the module is rewritten before it is
// compiled (link(), and `rcalloc merge` before wasm-merge) to export each of its own mutable
// i32/i64 globals under a reserved name, "rcalloc:global:<name>" (its name-section name, else
// "#<index>"); the report then marks a reference whose handle (unchecked: object address) a
// global holds as held by global `name` — a root, not a leak (bindings/leaks.ts).
import { KINDS, parseWasm, type ExportEntry, type ModuleInfo } from "./wasm-reader.js";
import { encodeName, replaceSections, uleb } from "./wasm-writer.js";
import { isStdLibraryName } from "./as-std-names.js";

/** Prefix of the exports that expose a module's globals to the scan. */
export const GLOBAL_EXPORT_PREFIX = "rcalloc:global:";

/** A global of AssemblyScript's own bookkeeping (~argumentsLength, the standard library's scratch
 *  words and runtime) or of rcalloc compiled in from node_modules, not of a package: json-as keeps
 *  its output buffer, a heap.alloc block, in `~lib/json-as/lib/as-bs/bs.buffer`, a root. */
function isToolchainGlobal(name: string): boolean {
  return name.startsWith("~") && (!name.startsWith("~lib/") || isStdLibraryName(name));
}

/** The globals worth scanning: the module's own mutable integers, its packages' included,
 *  AssemblyScript's bookkeeping left out when names tell it apart (isToolchainGlobal). `namedOnly`: a
 *  module with the allocator compiled in (the library path), whose unnamed globals may be the
 *  allocator's own words (a quarantine's byte limit of 256 MiB, a FIFO's head past 256 MiB): read
 *  as roots, such a value that equals a live handle made its leak uncounted, so only the globals
 *  the name section names outside ~lib (rcalloc from node_modules is ~lib/rcalloc/...) count. */
function scannedGlobals(info: ModuleInfo, namedOnly: boolean): { index: number; name: string }[] {
  const used = new Set<string>();
  const out: { index: number; name: string }[] = [];
  for (const g of info.mutableIntGlobals) {
    const named = info.globalNames.get(g.index);
    if ((named && isToolchainGlobal(named)) || (namedOnly && !named)) continue;
    const name = named && !used.has(named) ? named : `#${g.index}`;
    used.add(name);
    out.push({ index: g.index, name });
  }
  return out;
}

/** An export (of memory 0) that says a module's globals are exposed already: a merged module's
 *  globals besides its app's are the allocator's bookkeeping, never roots. */
export const GLOBALS_EXPOSED = "rcalloc:globals-exposed";

/** `exports` plus one export per scanned global (none already exported under the reserved names);
 *  with `marked`, the GLOBALS_EXPOSED mark too (a module that imports or defines a memory);
 *  `namedOnly` as scannedGlobals'. */
export function withGlobalExports(exports: readonly ExportEntry[], info: ModuleInfo, marked = false, namedOnly = false): ExportEntry[] {
  const kept = exports.filter((e) => !e.name.startsWith(GLOBAL_EXPORT_PREFIX) && e.name !== GLOBALS_EXPOSED);
  const globals = scannedGlobals(info, namedOnly).map((g) => ({ name: GLOBAL_EXPORT_PREFIX + g.name, kind: "global" as const, index: g.index }));
  return [...kept, ...globals, ...(marked ? [{ name: GLOBALS_EXPOSED, kind: "memory" as const, index: 0 }] : [])];
}

export function encodeExports(exports: readonly ExportEntry[]): number[] {
  const out: number[] = [...uleb(exports.length)];
  for (const e of exports) out.push(...encodeName(e.name), KINDS.indexOf(e.kind), ...uleb(e.index));
  return out;
}

/**
 * The module with its globals exported for the scan, and `shift`: how many bytes its code moved
 * (the export section grew), so offsets in its stacks map back to the original binary and its
 * source map. The module unchanged (shift 0) when it has no export section or nothing to expose.
 * `namedOnly` as scannedGlobals' (a module with the allocator compiled in).
 */
export function exposeGlobals(bytes: Uint8Array, info: ModuleInfo, namedOnly = false): { bytes: Uint8Array; shift: number } {
  if (info.exports.some((e) => e.name === GLOBALS_EXPOSED)) return { bytes, shift: 0 };
  const parsed = parseWasm(bytes);
  const exports = withGlobalExports(parsed.exports, info, false, namedOnly);
  if (exports.length === parsed.exports.length || !parsed.sections.some((s) => s.id === 7)) return { bytes, shift: 0 };
  const out = replaceSections(bytes, parsed.sections, new Map([[7, encodeExports(exports)]]));
  const code = (b: Uint8Array) => parseWasm(b).sections.find((s) => s.id === 10)?.start ?? 0;
  return { bytes: out, shift: code(out) - code(bytes) };
}

/** What each exposed global of an instance holds now: value (u32) → "global `name`". */
export function globalRoots(exports: WebAssembly.Exports): Map<number, string> {
  const roots = new Map<number, string>();
  for (const [name, value] of Object.entries(exports)) {
    if (!name.startsWith(GLOBAL_EXPORT_PREFIX) || !(value instanceof WebAssembly.Global)) continue;
    const v = value.value as number | bigint;
    const word = typeof v === "bigint" ? Number(v & 0xffffffffn) : v >>> 0;
    if (word && !roots.has(word)) roots.set(word, `global \`${name.slice(GLOBAL_EXPORT_PREFIX.length)}\``);
  }
  return roots;
}
