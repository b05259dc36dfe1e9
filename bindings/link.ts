// Linking a user's wasm module against the standalone allocator module.
//
// - link(): at load time. The allocator build asked for is instantiated (a Heap), then the user
//   module against it: its imports from "rcalloc" get the allocator's exports of the same names,
//   `env.memory` (or `rcalloc.memory`) the allocator's memory. The user module is compiled once;
//   the same bytes run against either build.
// - prepareStaticLink(): the two rewrites binaryen's wasm-merge needs to fuse both into one module
//   (bin/rcalloc.js merge runs them and wasm-merge).
// - inspectModule(): the small wasm reader both use (imports, exports, memory, data segments).
// - Sites from wasm stack frames (with a source map: file:line:col), and the leak report of a
//   linked module, which leaves out the blocks rcalloc's AS runtime holds (runtime/blocks.ts).
//
// ╒═══════════════ Linear memory of a linked module (one memory, the allocator's) ═══════════════╕
// 0 ............ allocator's static data: records, TLSF roots, messages (< 16 KiB today)
// 65536 ........ user module's static data, placed there by `--memoryBase 65536` (USER_MEMORY_BASE)
// __data_end ... user module's shadow stack (`--stackSize`, 32 KiB by default with a custom
//                runtime), growing down from __heap_base
// heap base .... rcalloc's heap: the program's objects, its AS runtime's blocks, the handle table
//                (checked build); grows at the end of memory. link() calls reserveBelow(heap base)
//                before the user module runs; rcalloc's AS runtime then lowers it to the module's
//                exact __heap_base at instantiation (runtime/linked.ts).
// The heap base link() reserves: the module's exported `__heap_base` global if it has one, else
// the end of the pages its memory import asks for (asc sizes that import to hold data + stack).
import { wasmFileName } from "./api.js";
import { RcError } from "./errors.js";
import { Heap, type HeapOptions } from "./heap.js";
import { renderReport, type ObjectRecord, type ReferenceRecord, type Report, type ReportOptions } from "./report.js";

/** Where a linked module's static data starts: the first page belongs to the allocator. */
export const USER_MEMORY_BASE = 65536;

/** Marks a block of rcalloc's AS runtime (runtime/blocks.ts MARK, at payload + 4). */
const RUNTIME_MARK = 0x52435254;

const PAGE = 65536;

// ─── Errors ──────────────────────────────────────────────────────────────────────────────────

export type LinkErrorCode =
  | "NOT_WASM"            // not a wasm binary, or one that does not compile
  | "NO_RCALLOC_IMPORTS"  // imports nothing from "rcalloc": not built to link against it
  | "UNKNOWN_IMPORT"      // imports something from "rcalloc" the allocator does not export
  | "OWN_MEMORY"          // defines its own memory instead of importing the allocator's
  | "DATA_OVERLAP"        // its static data overlaps the allocator's (wrong --memoryBase)
  | "EXPORT_CONFLICT"     // static link: an export name the allocator also exports
  | "INSTANTIATE";        // WebAssembly refused to instantiate it (missing imports, ...)

/** The user module cannot be linked: the message says why and what to change. */
export class LinkError extends Error {
  readonly code: LinkErrorCode;
  constructor(code: LinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "LinkError";
    this.code = code;
  }
}

/** The user module called `abort` (an AssemblyScript `assert`, `throw`, bounds check, ...). */
export class ModuleAbortError extends Error {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  constructor(message: string, file: string, line: number, column: number) {
    super(file ? `${message} (at ${file}:${line}:${column})` : message);
    this.name = "ModuleAbortError";
    this.file = file;
    this.line = line;
    this.column = column;
  }
}

// ─── Reading wasm binaries ───────────────────────────────────────────────────────────────────

export type ExternKind = "function" | "table" | "memory" | "global" | "tag";
const KINDS: readonly ExternKind[] = ["function", "table", "memory", "global", "tag"];

export interface Limits {
  min: number;
  max?: number;
  shared: boolean;
}

export interface ImportEntry {
  module: string;
  name: string;
  kind: ExternKind;
  /** Memory imports: the pages asked for. */
  limits?: Limits;
}

export interface ExportEntry {
  name: string;
  kind: ExternKind;
  index: number;
}

export interface ModuleInfo {
  imports: ImportEntry[];
  exports: ExportEntry[];
  /** Names imported from module "rcalloc", in order. */
  rcallocImports: string[];
  /** The imported memory, if any (`env.memory` for asc's --importMemory). */
  memoryImport?: ImportEntry;
  /** A memory the module defines itself, if any. */
  memory?: Limits;
  /** Lowest address written by an active data segment (undefined: none at a constant offset). */
  dataStart?: number;
  /** End of the highest active data segment (0: none). */
  dataEnd: number;
  /** Value of an exported constant global `__heap_base`, when the module has one. */
  heapBase?: number;
  /** The `sourceMappingURL` custom section (asc --sourceMap), if any. */
  sourceMappingURL?: string;
}

interface Section {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Offsets of the payload. */
  bodyStart: number;
  end: number;
}

interface RawImport extends ImportEntry {
  /** Bytes of the descriptor (after the kind byte). */
  desc: Uint8Array;
}

interface Parsed {
  sections: Section[];
  imports: RawImport[];
  exports: ExportEntry[];
  memory?: Limits;
  globals: { init?: number; mutable: boolean }[];
  importedGlobals: number;
  /** The start function's index, if any. */
  start?: number;
  data: { offset?: number; length: number }[];
  sourceMappingURL?: string;
}

const utf8 = new TextDecoder();

class Reader {
  pos: number;
  constructor(readonly bytes: Uint8Array, pos = 0) {
    this.pos = pos;
  }
  byte(): number {
    if (this.pos >= this.bytes.length) throw new RangeError("unexpected end of the binary");
    return this.bytes[this.pos++];
  }
  /** Unsigned LEB128 (up to 2^53). */
  u32(): number {
    let result = 0;
    let scale = 1;
    for (;;) {
      const b = this.byte();
      result += (b & 0x7f) * scale;
      if (!(b & 0x80)) return result;
      scale *= 128;
    }
  }
  /** Signed LEB128, as an i32 value (i64 values are read but truncated). */
  s32(): number {
    let result = 0;
    let shift = 0;
    let b: number;
    do {
      b = this.byte();
      if (shift < 32) result |= (b & 0x7f) << shift;
      shift += 7;
    } while (b & 0x80);
    if (shift < 32 && b & 0x40) result |= -1 << shift;
    return result | 0;
  }
  name(): string {
    const length = this.u32();
    const text = utf8.decode(this.bytes.subarray(this.pos, this.pos + length));
    this.pos += length;
    return text;
  }
  limits(): Limits {
    const flags = this.byte();
    const min = this.u32();
    const max = flags & 1 ? this.u32() : undefined;
    return { min, max, shared: (flags & 2) !== 0 };
  }
  valueType(): void {
    const t = this.byte();
    if (t === 0x63 || t === 0x64) this.s32(); // (ref null? ht)
  }
  /** A constant expression; its i32 value when it is one (i32.const and extended-const i32 ops). */
  constExpr(globals: readonly { init?: number }[]): number | undefined {
    const stack: (number | undefined)[] = [];
    for (;;) {
      const op = this.byte();
      switch (op) {
        case 0x0b: return stack.length === 1 ? stack[0] : undefined;
        case 0x41: stack.push(this.s32()); break;
        case 0x42: this.s32(); stack.push(undefined); break;
        case 0x43: this.pos += 4; stack.push(undefined); break;
        case 0x44: this.pos += 8; stack.push(undefined); break;
        case 0x23: stack.push(globals[this.u32()]?.init); break;
        case 0xd0: this.s32(); stack.push(undefined); break;
        case 0xd2: this.u32(); stack.push(undefined); break;
        case 0x6a: case 0x6b: case 0x6c: {
          const b = stack.pop();
          const a = stack.pop();
          stack.push(a === undefined || b === undefined ? undefined
            : op === 0x6a ? (a + b) | 0 : op === 0x6b ? (a - b) | 0 : Math.imul(a, b));
          break;
        }
        default: throw new RangeError(`unsupported constant expression opcode 0x${op.toString(16)}`);
      }
    }
  }
}

function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

/** Wasm bytes as the functions here accept them. */
export type WasmBytes = BufferSource | Uint8Array;

function toBytes(source: WasmBytes): Uint8Array {
  return source instanceof Uint8Array ? source
    : ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
    : new Uint8Array(source);
}

function parse(bytes: Uint8Array): Parsed {
  if (!isWasm(bytes)) throw new LinkError("NOT_WASM", "rcalloc: link: not a WebAssembly module (no \\0asm header)");
  const version = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  if (version !== 1) throw new LinkError("NOT_WASM", `rcalloc: link: unsupported WebAssembly binary version ${version}`);
  const out: Parsed = { sections: [], imports: [], exports: [], globals: [], importedGlobals: 0, data: [] };
  const r = new Reader(bytes, 8);
  try {
    while (r.pos < bytes.length) {
      const start = r.pos;
      const id = r.byte();
      const size = r.u32();
      const bodyStart = r.pos;
      const end = bodyStart + size;
      if (end > bytes.length) throw new RangeError("section runs past the end of the binary");
      out.sections.push({ id, start, bodyStart, end });
      const s = new Reader(bytes, bodyStart);
      switch (id) {
        case 0: {
          if (s.name() === "sourceMappingURL") out.sourceMappingURL = s.name();
          break;
        }
        case 2: {
          for (let n = s.u32(); n > 0; n--) {
            const module = s.name();
            const name = s.name();
            const kindByte = s.byte();
            const descStart = s.pos;
            let limits: Limits | undefined;
            switch (kindByte) {
              case 0: s.u32(); break;
              case 1: s.valueType(); s.limits(); break;
              case 2: limits = s.limits(); break;
              case 3: s.valueType(); s.byte(); out.globals.push({ mutable: true }); out.importedGlobals++; break;
              case 4: s.byte(); s.u32(); break;
              default: throw new RangeError(`unknown import kind ${kindByte}`);
            }
            out.imports.push({ module, name, kind: KINDS[kindByte], limits, desc: bytes.slice(descStart, s.pos) });
          }
          break;
        }
        case 5: {
          if (s.u32() > 0) out.memory = s.limits();
          break;
        }
        case 6: {
          for (let n = s.u32(); n > 0; n--) {
            s.valueType();
            const mutable = s.byte() === 1;
            const init = s.constExpr(out.globals);
            out.globals.push({ init, mutable });
          }
          break;
        }
        case 7: {
          for (let n = s.u32(); n > 0; n--) {
            const name = s.name();
            const kind = KINDS[s.byte()] ?? "function";
            out.exports.push({ name, kind, index: s.u32() });
          }
          break;
        }
        case 8: {
          out.start = s.u32();
          break;
        }
        case 11: {
          for (let n = s.u32(); n > 0; n--) {
            const flags = s.u32();
            let offset: number | undefined;
            if (flags === 0 || flags === 2) {
              if (flags === 2) s.u32();
              offset = s.constExpr(out.globals);
            }
            const length = s.u32();
            s.pos += length;
            out.data.push({ offset: offset === undefined ? undefined : offset >>> 0, length });
          }
          break;
        }
      }
      r.pos = end;
    }
  } catch (e) {
    if (e instanceof LinkError) throw e;
    throw new LinkError("NOT_WASM", `rcalloc: link: malformed WebAssembly binary: ${(e as Error).message}`, { cause: e });
  }
  return out;
}

/** What a wasm binary imports, exports and places in memory (throws LinkError NOT_WASM). */
export function inspectModule(source: WasmBytes): ModuleInfo {
  const p = parse(toBytes(source));
  let dataStart: number | undefined;
  let dataEnd = 0;
  for (const d of p.data) {
    if (d.offset === undefined || d.length === 0) continue;
    dataStart = dataStart === undefined ? d.offset : Math.min(dataStart, d.offset);
    dataEnd = Math.max(dataEnd, d.offset + d.length);
  }
  let heapBase: number | undefined;
  const heapBaseExport = p.exports.find((e) => e.name === "__heap_base" && e.kind === "global");
  if (heapBaseExport) {
    const g = p.globals[heapBaseExport.index];
    if (g && !g.mutable && g.init !== undefined) heapBase = g.init >>> 0;
  }
  return {
    imports: p.imports.map(({ module, name, kind, limits }) => ({ module, name, kind, limits })),
    exports: p.exports,
    rcallocImports: p.imports.filter((i) => i.module === "rcalloc" && i.kind === "function").map((i) => i.name),
    memoryImport: p.imports.find((i) => i.kind === "memory"),
    memory: p.memory,
    dataStart, dataEnd, heapBase,
    sourceMappingURL: p.sourceMappingURL,
  };
}

// ─── Writing wasm binaries (for wasm-merge) ──────────────────────────────────────────────────

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
  const a = parse(allocatorBytes);
  const u = parse(userBytes);
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

/** The checks both link() and prepareStaticLink() make; throws LinkError naming the fix. */
function checkLinkable(info: ModuleInfo, allocatorExports: ReadonlySet<string>, allocatorDataEnd: number): void {
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
  if (info.dataStart !== undefined && info.dataStart < allocatorDataEnd) {
    throw new LinkError("DATA_OVERLAP",
      `rcalloc: link: the module's static data starts at ${info.dataStart}, inside the allocator's ` +
      `(which ends at ${allocatorDataEnd}): build it with --memoryBase ${USER_MEMORY_BASE}`);
  }
}

// ─── Loading the allocator builds (Node or browser) ──────────────────────────────────────────

interface AllocatorBuild {
  module: WebAssembly.Module;
  exports: Set<string>;
  dataEnd: number;
  bytes: Uint8Array<ArrayBuffer>;
}

const builds = new Map<string, Promise<AllocatorBuild>>();

async function readUrl(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  if (url.protocol === "file:") {
    // Node: no `import "node:fs"` here, so browser bundles of this file stay free of it.
    type ReadFile = (u: URL) => Promise<Uint8Array>;
    const proc = (globalThis as { process?: { getBuiltinModule?(id: string): unknown } }).process;
    let fs = proc?.getBuiltinModule?.("node:fs/promises") as { readFile: ReadFile } | undefined;
    if (!fs) {
      const id = "node:fs/promises";
      fs = (await import(/* @vite-ignore */ /* webpackIgnore: true */ id)) as { readFile: ReadFile };
    }
    return new Uint8Array(await fs.readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(`rcalloc: cannot fetch ${url.href}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

/** The bytes of an allocator build, from the package's build/ folder (or `baseUrl`). */
export function allocatorBytes(checked: boolean, baseUrl?: string | URL): Promise<Uint8Array<ArrayBuffer>> {
  return loadBuild(checked, baseUrl).then((b) => b.bytes);
}

function loadBuild(checked: boolean, baseUrl?: string | URL): Promise<AllocatorBuild> {
  const url = new URL(wasmFileName(checked), baseUrl ?? new URL("../build/", import.meta.url));
  let build = builds.get(url.href);
  if (!build) {
    build = readUrl(url).then(async (bytes) => {
      const module = await WebAssembly.compile(bytes);
      const info = inspectModule(bytes);
      return { module, bytes, dataEnd: info.dataEnd, exports: new Set(info.exports.map((e) => e.name)) };
    });
    build.catch(() => builds.delete(url.href));
    builds.set(url.href, build);
  }
  return build;
}

// ─── Sites from wasm stack frames ────────────────────────────────────────────────────────────

/** A decoded source map of a wasm module (generated "column" = byte offset in the module). */
export class WasmSourceMap {
  private readonly offsets: number[] = [];
  private readonly positions: [source: number, line: number, column: number][] = [];
  readonly sources: string[];

  constructor(map: string | { sources: string[]; mappings: string; sourceRoot?: string }) {
    const raw = typeof map === "string" ? JSON.parse(map) as { sources: string[]; mappings: string } : map;
    this.sources = raw.sources;
    let source = 0, line = 0, column = 0, offset = 0;
    const firstLine = raw.mappings.split(";")[0];
    for (const segment of firstLine.split(",")) {
      if (!segment) continue;
      const v = decodeVlq(segment);
      offset += v[0];
      if (v.length < 4) continue;
      source += v[1]; line += v[2]; column += v[3];
      this.offsets.push(offset);
      this.positions.push([source, line, column]);
    }
  }

  /** "file:line:column" of the code at byte `offset` of the module, or undefined. */
  locate(offset: number): { source: string; line: number; column: number } | undefined {
    let lo = 0, hi = this.offsets.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const [s, line, column] = this.positions[found];
    return { source: this.sources[s], line: line + 1, column: column + 1 };
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function decodeVlq(segment: string): number[] {
  const out: number[] = [];
  let value = 0, shift = 0;
  for (const ch of segment) {
    const digit = BASE64.indexOf(ch);
    value += (digit & 31) * 2 ** shift;
    if (digit & 32) { shift += 5; continue; }
    out.push(value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2));
    value = 0; shift = 0;
  }
  return out;
}

interface WasmFrame {
  name?: string;
  offset: number;
  text: string;
}

// V8:      "    at examples/leaky/index/remember (wasm://wasm/3c1f0b2e:wasm-function[12]:0x4a1)"
//          "    at wasm://wasm/3c1f0b2e:wasm-function[12]:0x4a1"
// Firefox: "examples/leaky/index/remember@wasm://... line 1 > WebAssembly.instantiate:wasm-function[12]:0x4a1"
const WASM_FRAME = /(?:at (?:(.+?) \()?|^(.*?)@)?(?:wasm:\/\/|[^\s@]*WebAssembly\.\w+:)[^\s]*?wasm-function\[\d+\]:0x([0-9a-f]+)/;

function wasmFrames(stack: string): WasmFrame[] {
  const frames: WasmFrame[] = [];
  for (const line of stack.split("\n")) {
    const m = WASM_FRAME.exec(line);
    if (m) frames.push({ name: m[1] ?? (m[2] || undefined), offset: parseInt(m[3], 16), text: line.trim() });
  }
  return frames;
}

interface CallSite {
  getFileName(): string | null | undefined;
  getFunctionName(): string | null;
  getColumnNumber(): number | null;
}

type V8Error = ErrorConstructor & {
  prepareStackTrace?: (error: Error, sites: CallSite[]) => unknown;
  captureStackTrace?(target: object): void;
};

/**
 * The wasm frames of the current stack. V8 (Node, Chromium) hands them over as call sites, which
 * skips formatting the stack as text and any prepareStackTrace hook of the host (test runners
 * install source-map ones, which are slow); other engines parse the text.
 */
function currentWasmFrames(): WasmFrame[] {
  const E = Error as V8Error;
  const savedLimit = Error.stackTraceLimit;
  Error.stackTraceLimit = 32;
  try {
    if (typeof E.captureStackTrace === "function") {
      const savedPrepare = E.prepareStackTrace;
      E.prepareStackTrace = (_error, sites) => sites;
      const holder: { stack?: unknown } = {};
      E.captureStackTrace(holder);
      const sites = holder.stack; // formatted lazily: read it before the hook goes back
      E.prepareStackTrace = savedPrepare;
      if (Array.isArray(sites)) {
        const frames: WasmFrame[] = [];
        for (const site of sites as CallSite[]) {
          if (!site.getFileName()?.startsWith("wasm:")) continue;
          const name = site.getFunctionName() ?? undefined;
          frames.push({ name, offset: (site.getColumnNumber() ?? 1) - 1, text: name ?? "" });
        }
        return frames;
      }
    }
    return wasmFrames(new Error().stack ?? "");
  } finally {
    Error.stackTraceLimit = savedLimit;
  }
}

/**
 * The wasm frames of a stack (an Error's `stack`) outside AssemblyScript's library and rcalloc's
 * runtime, one line each ("name (file:line:column)" with a source map, else the wasm offset).
 */
export function wasmStack(stack: string, map?: WasmSourceMap): string[] {
  const lines: string[] = [];
  for (const f of wasmFrames(stack)) {
    const at = map?.locate(f.offset);
    if (isLibraryFrame(f.name, at?.source)) continue;
    lines.push(`${f.name ?? "(wasm)"} (${at ? `${at.source}:${at.line}:${at.column}` : `wasm 0x${f.offset.toString(16)}`})`);
  }
  return lines;
}

/** Frames of rcalloc's AS runtime and of AssemblyScript's standard library are not the caller. */
function isLibraryFrame(name: string | undefined, source: string | undefined): boolean {
  const where = source ?? name ?? "";
  return where.startsWith("~lib/") || /(^|\/)rcalloc\/runtime\//.test(where);
}

/** Turns wasm stack frames into site ids of `heap` (deduplicated by the frames). */
class WasmSites {
  private readonly byStack = new Map<string, number>();
  constructor(private readonly heap: Heap, private readonly map?: WasmSourceMap) {}

  capture(): number {
    const frames = currentWasmFrames();
    const key = frames.map((f) => f.offset).join(",");
    let id = this.byStack.get(key);
    if (id === undefined) {
      id = this.intern(frames);
      this.byStack.set(key, id);
    }
    return id;
  }

  private intern(frames: WasmFrame[]): number {
    const described = frames.map((f) => {
      const at = this.map?.locate(f.offset);
      const where = at ? `${at.source}:${at.line}:${at.column}` : `wasm 0x${f.offset.toString(16)}`;
      return { frame: f, at, where, line: `${f.name ?? "(wasm)"} (${where})` };
    });
    let first = described.findIndex((d) => !isLibraryFrame(d.frame.name, d.at?.source));
    if (first < 0) first = 0;
    const user = described.slice(first, first + 12);
    if (user.length === 0) return 0;
    const top = user[0];
    const label = top.at ? top.where : top.frame.name ? `${top.frame.name} (${top.where})` : top.where;
    return this.heap.site(label, user.map((d) => d.line).join("\n"));
  }
}

// ─── link() ──────────────────────────────────────────────────────────────────────────────────

/**
 * Options of link(): those of createHeap (checked, maxPages, ...) and more. With `stacks` (checked
 * build), every alloc/get/put/resize... the user module calls records the wasm call stack as its
 * site: function names from the name section (asc --debug), file:line:column with `sourceMap`.
 * That costs a stack capture per call (a few microseconds); without `stacks` the module calls the
 * allocator's exports directly.
 */
export interface LinkOptions extends Omit<HeapOptions, "imports"> {
  /** Imports of the user module besides "rcalloc" and env.memory / env.abort (merged over them). */
  imports?: Record<string, Record<string, unknown>>;
  /** Where the allocator builds are (default: the package's build/ folder). */
  baseUrl?: string | URL;
  /** The user module's source map (asc --sourceMap), so sites read file:line:column. */
  sourceMap?: string | { sources: string[]; mappings: string };
}

export interface LinkLayout {
  /** End of the allocator's static data. */
  allocatorDataEnd: number;
  /** First and end address of the user module's static data (0, 0 if it has none). */
  dataStart: number;
  dataEnd: number;
  /** The heap starts at or above this address: user data and stack are below it. */
  heapBase: number;
  /** Pages the user module's memory import asks for. */
  pages: number;
}

/** What the loader adds to a module's exports (see @assemblyscript/loader). */
export interface LoaderHelpers {
  __getString(ptr: number): string;
  __getArray(ptr: number): number[];
  __getArrayView(ptr: number): ArrayBufferView;
  __getArrayBuffer(ptr: number): ArrayBuffer;
  __newString?(text: string): number;
  [name: string]: unknown;
}

/** A report of a linked module: its own objects and references, without its runtime's blocks. */
export interface LinkedReport extends Report {
  /** Blocks rcalloc's AS runtime holds (live GC objects, buffers): not leaks of the program. */
  runtime: { objects: number; bytes: number };
}

export interface Linked<T = Record<string, unknown>> {
  /** The allocator instance (typed errors, report, stats). */
  heap: Heap;
  /** The user module's instance and its compiled module (reuse it to link again). */
  instance: WebAssembly.Instance;
  module: WebAssembly.Module;
  /** The user module's exports, through @assemblyscript/loader (demangled, string helpers). */
  exports: T & LoaderHelpers;
  layout: LinkLayout;
  /** An AssemblyScript string of the user module (by pointer). */
  getString(ptr: number): string;
  /** Runs the module's garbage collector if it exports one (__collect, --exportRuntime). */
  collect(): boolean;
  /**
   * The heap report without the blocks of rcalloc's AS runtime: what the program itself
   * allocated and took. With `{ scan: true }`, the module's data and stack are scanned too.
   */
  report(request?: { scan?: boolean }): LinkedReport;
}

type Fn = (...args: number[]) => number | void;

/**
 * Links `userWasm` (bytes or a compiled module) against the allocator build `options.checked`
 * asks for, and instantiates it. The user module imports the functions it needs from "rcalloc"
 * (the allocator's export names) and its memory as `env.memory` or `rcalloc.memory`; it must not
 * define a memory of its own. Build it once, link it against either build (see README, "Use it in
 * your module", for the asc flags). Traps of the allocator surface as RcError subclasses; an
 * `abort` of the module as ModuleAbortError; what stops the link as LinkError.
 */
export async function link<T = Record<string, unknown>>(
  userWasm: BufferSource | WebAssembly.Module, options: LinkOptions = {},
): Promise<Linked<T>> {
  const build = await loadBuild(options.checked ?? false, options.baseUrl);
  let module: WebAssembly.Module;
  let info: ModuleInfo;
  if (userWasm instanceof WebAssembly.Module) {
    const known = compiledInfo.get(userWasm);
    if (!known) {
      throw new TypeError("rcalloc: link: pass the module's bytes (its memory layout is read from them), " +
        "or the `module` of an earlier link()");
    }
    module = userWasm;
    info = known;
  } else {
    info = inspectModule(userWasm);
    try {
      module = await WebAssembly.compile(userWasm);
    } catch (e) {
      throw new LinkError("NOT_WASM", `rcalloc: link: the module does not compile: ${(e as Error).message}`, { cause: e });
    }
    compiledInfo.set(module, info);
  }
  checkLinkable(info, build.exports, build.dataEnd);

  const heap = await Heap.instantiate(build.module, { ...options, imports: undefined }); // options.imports are the user module's
  const e = heap.exports as unknown as Record<string, Fn> & { memory: WebAssembly.Memory };
  const memory = heap.memory;

  // Layout: grow to the pages the module asks for, keep the heap above its data and stack.
  const pages = info.memoryImport?.limits?.min ?? 0;
  const have = memory.buffer.byteLength / PAGE;
  if (pages > have) memory.grow(pages - have);
  const heapBase = Math.max(info.heapBase ?? pages * PAGE, info.dataEnd);
  if (heapBase > 0 && !e.reserveBelow(heapBase)) {
    throw new LinkError("INSTANTIATE", "rcalloc: link: the heap has already started");
  }
  const layout: LinkLayout = {
    allocatorDataEnd: build.dataEnd, dataStart: info.dataStart ?? 0, dataEnd: info.dataEnd, heapBase, pages,
  };

  // Imports: "rcalloc" from the allocator (with sites from wasm frames when asked), env.
  const sites = heap.checked && options.stacks
    ? new WasmSites(heap, options.sourceMap ? new WasmSourceMap(options.sourceMap) : undefined)
    : undefined;
  const rcalloc: Record<string, unknown> = { memory };
  for (const name of info.rcallocImports) rcalloc[name] = sites ? withSite(e, name, sites) : e[name];
  const abort = (message: number, file: number, line: number, column: number): never => {
    throw new ModuleAbortError(readString(memory, message) || "abort", readString(memory, file), line, column);
  };
  const extra = options.imports ?? {};
  const imports: Record<string, Record<string, unknown>> = { ...extra };
  imports.env = { abort, memory, ...extra.env };
  imports.rcalloc = { ...rcalloc, ...extra.rcalloc };

  const loader = await import("@assemblyscript/loader");
  let result: { instance: WebAssembly.Instance; exports: Record<string, unknown> };
  try {
    result = await loader.instantiate(module, imports as never) as unknown as typeof result;
  } catch (err) {
    if (err instanceof RcError || err instanceof ModuleAbortError) throw err;
    if (err instanceof WebAssembly.LinkError) {
      throw new LinkError("INSTANTIATE", `rcalloc: link: ${err.message}`, { cause: err });
    }
    throw err;
  }
  const exports = result.exports as T & LoaderHelpers;
  const exportsMemory = result.instance.exports.memory instanceof WebAssembly.Memory;
  const getString = (ptr: number): string => exportsMemory ? exports.__getString(ptr) : readString(memory, ptr);
  if (!exportsMemory) exports.__getString = getString; // the loader reads strings via exported memory only

  return {
    heap, instance: result.instance, module, exports, layout, getString,
    collect() {
      const collect = result.instance.exports.__collect;
      if (typeof collect !== "function") return false;
      collect();
      return true;
    },
    report(request = {}) {
      const roots: [number, number][] = layout.dataEnd ? [[layout.dataStart, heapBase]] : [];
      return programReport(heap, request.scan ? heap.report({ scan: true, roots }) : heap.report());
    },
  };
}

/** Module infos of modules link() compiled, so linking the same Module again needs no bytes. */
const compiledInfo = new WeakMap<WebAssembly.Module, ModuleInfo>();

/** The allocator export `name` with a site from the wasm stack (the *At variant when there is one). */
function withSite(e: Record<string, Fn>, name: string, sites: WasmSites): Fn {
  const f = e[name];
  const at = e[`${name}At`];
  if (typeof at === "function") return (...args: number[]) => at(...args, sites.capture());
  if (name.endsWith("At") && typeof f === "function") {
    return (...args: number[]) => {
      if (!args[args.length - 1]) args[args.length - 1] = sites.capture();
      return f(...args);
    };
  }
  return f;
}

function readString(memory: WebAssembly.Memory, ptr: number): string {
  if (!ptr) return "";
  const buffer = memory.buffer;
  const bytes = new Uint32Array(buffer, ptr - 4, 1)[0];
  const units = new Uint16Array(buffer, ptr, bytes >>> 1);
  let out = "";
  for (let i = 0; i < units.length; i += 1024) out += String.fromCharCode(...units.subarray(i, i + 1024));
  return out;
}

/** `report` without what rcalloc's AS runtime holds (runtime/blocks.ts: handle at +0, MARK at +4). */
export function programReport(heap: Heap, report: Report): LinkedReport {
  const words = new Uint32Array(heap.memory.buffer);
  const held = (ptr: number, handle: number) => (ptr & 3) === 0 && words[(ptr >>> 2) + 1] === RUNTIME_MARK && words[ptr >>> 2] === handle >>> 0;
  const runtimeRefs = new Set<number>();
  const references: ReferenceRecord[] = [];
  for (const r of report.references) {
    if (!r.weak && held(r.ptr, r.handle)) runtimeRefs.add(r.ptr);
    else references.push(r);
  }
  const objects: ObjectRecord[] = [];
  let runtimeBytes = 0;
  let runtimeObjects = 0;
  for (const o of report.objects) {
    const runtime = report.checked ? runtimeRefs.has(o.ptr) && o.refs === 1 : held(o.ptr, o.ptr);
    if (runtime) { runtimeObjects++; runtimeBytes += o.size; } else objects.push(o);
  }
  const stats = {
    ...report.stats,
    liveObjects: objects.length,
    liveBytes: objects.reduce((n, o) => n + o.size, 0),
    liveReferences: references.filter((r) => !r.weak).length,
  };
  const leakCount = report.checked ? references.filter((r) => !r.weak).length : objects.length;
  const runtime = { objects: runtimeObjects, bytes: runtimeBytes };
  return {
    ...report, objects, references, stats, leakCount, runtime,
    toString(options?: ReportOptions) {
      const note = runtime.objects
        ? `\n\n(not counted: ${runtime.objects} block${runtime.objects === 1 ? "" : "s"} of ${runtime.bytes} bytes held by the AssemblyScript runtime)`
        : "";
      return renderReport(this, options) + note;
    },
  };
}
