// Static linking: the two rewrites binaryen's wasm-merge needs to fuse a user module and the
// allocator into one module (bin/rcalloc.js merge runs them, then wasm-merge).
import { checkLinkable, LinkError } from "./linkable.js";
import { inspectModule, KINDS, parseWasm, toBytes, type Limits, type Section, type WasmBytes } from "./wasm-reader.js";

const utf8Encoder = new TextEncoder();

function uleb(value: number): number[] {
  const out: number[] = [];
  do {
    let b = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    out.push(b);
  } while (value > 0);
  return out;
}

function encodeName(text: string): number[] {
  const b = utf8Encoder.encode(text);
  return [...uleb(b.length), ...b];
}

function encodeLimits(l: Limits): number[] {
  const flags = (l.max !== undefined ? 1 : 0) | (l.shared ? 2 : 0);
  return [flags, ...uleb(l.min), ...(l.max !== undefined ? uleb(l.max) : [])];
}

/** `bytes` with some sections' payloads replaced (by section id; null drops the section). */
function replaceSections(bytes: Uint8Array, sections: Section[], bodies: Map<number, number[] | null>): Uint8Array {
  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  for (const s of sections) {
    const body = s.id === 0 ? undefined : bodies.get(s.id);
    if (body === null) continue;
    if (body) parts.push(new Uint8Array([s.id, ...uleb(body.length), ...body]));
    else parts.push(bytes.subarray(s.start, s.end));
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/**
 * The two inputs for binaryen's `wasm-merge <allocator> rcalloc <user> <name>`:
 * - the user module imports its memory from "rcalloc" (asc's --importMemory names it
 *   `env.memory`, which wasm-merge would leave unresolved) and no longer exports it;
 * - its start function, if any, becomes the export `_start` (as asc's --exportStart does): the
 *   host wraps the merged module in a Heap (which sets the heap up) and then calls `_start`, so
 *   nothing allocates before the heap is configured;
 * - the allocator's memory asks for at least the pages the user module's import asks for
 *   (wasm-merge refuses a memory smaller than the import's minimum).
 * Throws LinkError for a module that cannot be linked (see link()).
 */
export function prepareStaticLink(allocatorWasm: WasmBytes, userWasm: WasmBytes): { allocator: Uint8Array; user: Uint8Array } {
  const allocatorBytes = toBytes(allocatorWasm);
  const userBytes = toBytes(userWasm);
  const a = parseWasm(allocatorBytes);
  const u = parseWasm(userBytes);
  const info = inspectModule(userBytes);
  const allocatorInfo = inspectModule(allocatorBytes);
  checkLinkable(info, new Set(a.exports.map((e) => e.name)), allocatorInfo.dataEnd);
  const allocatorNames = new Set(a.exports.map((e) => e.name));
  const conflicts = u.exports.filter((e) => e.name !== "memory" && allocatorNames.has(e.name)).map((e) => e.name);
  if (conflicts.length) {
    throw new LinkError("EXPORT_CONFLICT", `rcalloc: merge: the module exports ${conflicts.map((n) => `"${n}"`).join(", ")}, ` +
      "which the allocator exports too: rename the export");
  }
  // User: memory imported from "rcalloc", no memory export.
  const imports: number[] = [...uleb(u.imports.length)];
  for (const i of u.imports) {
    const module = i.kind === "memory" ? "rcalloc" : i.module;
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
  const exports: number[] = [...uleb(kept.length)];
  for (const e of kept) exports.push(...encodeName(e.name), KINDS.indexOf(e.kind), ...uleb(e.index));
  // Without an export section, the new one takes the start section's place (7 comes before 8).
  const hasExports = u.sections.some((x) => x.id === 7);
  const sections = hasExports ? u.sections : u.sections.map((x) => x.id === 8 ? { ...x, id: 7 } : x);
  const user = replaceSections(userBytes, sections, new Map([[2, imports], [7, exports], [8, null]]));
  // Allocator: memory minimum raised to the user's.
  const need = info.memoryImport?.limits?.min ?? 0;
  if (!a.memory) throw new LinkError("NOT_WASM", "rcalloc: merge: the allocator module defines no memory");
  const memory = { ...a.memory, min: Math.max(a.memory.min, need) };
  const allocator = replaceSections(allocatorBytes, a.sections, new Map([[5, [1, ...encodeLimits(memory)]]]));
  return { allocator, user };
}
