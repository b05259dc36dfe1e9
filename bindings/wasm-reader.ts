// Reading wasm binaries: the imports, exports, memory, globals, start function, data segments and
// sourceMappingURL section of a module, for link() and prepareStaticLink() (no Node APIs).
import { LinkError } from "./link-error.js";

export type ExternKind = "function" | "table" | "memory" | "global" | "tag";
/** Extern kinds by their byte in the binary (import and export descriptors). */
export const KINDS: readonly ExternKind[] = ["function", "table", "memory", "global", "tag"];

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
  /** Active data segments whose offset is not a constant (e.g. `global.get $__memory_base` of an
   *  imported global): where they land cannot be known before instantiation. */
  unplacedSegments: number;
  /** Value of an exported constant global `__heap_base`, when the module has one. */
  heapBase?: number;
  /** The `sourceMappingURL` custom section (asc --sourceMap), if any. */
  sourceMappingURL?: string;
  /** Function names of the name section (asc --debug), by function index. */
  functionNames: Map<number, string>;
  /** Global names of the name section, by global index. */
  globalNames: Map<number, string>;
  /** Functions imported (the module's own functions are numbered from here). */
  importedFunctions: number;
  /** Byte range of each of the module's own function bodies in the binary, by function index. */
  functionBodies: Map<number, readonly [start: number, end: number]>;
  /** The module's own mutable i32 / i64 globals (what can hold a handle or address), by index. */
  mutableIntGlobals: { index: number; type: "i32" | "i64" }[];
}

/** Where a section of a binary is (prepareStaticLink() rewrites some). */
export interface Section {
  id: number;
  /** Offset of the section id byte. */
  start: number;
  /** Offsets of the payload. */
  bodyStart: number;
  end: number;
  /** A custom section (id 0): its name, and where its content starts after the name. */
  custom?: { name: string; contentStart: number };
}

export interface RawImport extends ImportEntry {
  /** Bytes of the descriptor (after the kind byte). */
  desc: Uint8Array;
}

/** A binary as parseWasm() reads it: more detail than ModuleInfo, for rewriting it. */
export interface ParsedWasm {
  sections: Section[];
  imports: RawImport[];
  exports: ExportEntry[];
  memory?: Limits;
  globals: { init?: number; mutable: boolean; type?: number }[];
  importedGlobals: number;
  importedFunctions: number;
  functionBodies: Map<number, readonly [start: number, end: number]>;
  functionNames: Map<number, string>;
  globalNames: Map<number, string>;
  /** The start function's index, if any. */
  start?: number;
  data: { offset?: number; length: number; active: boolean }[];
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
  valueType(): number {
    const t = this.byte();
    if (t === 0x63 || t === 0x64) this.s32(); // (ref null? ht)
    return t;
  }
  /** A name map (index → name) of the name section. */
  nameMap(into: Map<number, string>): void {
    for (let n = this.u32(); n > 0; n--) {
      const index = this.u32();
      into.set(index, this.name());
    }
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
        case 0x7c: case 0x7d: case 0x7e: stack.pop(); stack.pop(); stack.push(undefined); break; // i64 extended const
        case 0xfd: { // v128.const: a SIMD global (json-as built with --enable simd, as its README says)
          const sub = this.u32();
          if (sub !== 12) throw new RangeError(`unsupported constant expression opcode 0xfd ${sub}`);
          this.pos += 16;
          stack.push(undefined);
          break;
        }
        default: throw new RangeError(`unsupported constant expression opcode 0x${op.toString(16)}`);
      }
    }
  }
}

/** Whether the bytes start as a WebAssembly binary does (\0asm). */
export function isWasm(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

/** Wasm bytes as the functions here accept them. */
export type WasmBytes = BufferSource | Uint8Array;

export function toBytes(source: WasmBytes): Uint8Array {
  return source instanceof Uint8Array ? source
    : ArrayBuffer.isView(source) ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
    : new Uint8Array(source);
}

/** The sections of a wasm binary and what they declare (throws LinkError NOT_WASM). */
export function parseWasm(bytes: Uint8Array): ParsedWasm {
  if (!isWasm(bytes)) throw new LinkError("NOT_WASM", "rcalloc: link: not a WebAssembly module (no \\0asm header)");
  const version = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  if (version !== 1) throw new LinkError("NOT_WASM", `rcalloc: link: unsupported WebAssembly binary version ${version}`);
  const out: ParsedWasm = {
    sections: [], imports: [], exports: [], globals: [], importedGlobals: 0, importedFunctions: 0, data: [],
    functionBodies: new Map(), functionNames: new Map(), globalNames: new Map(),
  };
  const r = new Reader(bytes, 8);
  try {
    while (r.pos < bytes.length) {
      const start = r.pos;
      const id = r.byte();
      const size = r.u32();
      const bodyStart = r.pos;
      const end = bodyStart + size;
      if (end > bytes.length) throw new RangeError("section runs past the end of the binary");
      const section: Section = { id, start, bodyStart, end };
      out.sections.push(section);
      const s = new Reader(bytes, bodyStart);
      switch (id) {
        case 0: {
          const name = s.name();
          section.custom = { name, contentStart: s.pos };
          if (name === "sourceMappingURL") out.sourceMappingURL = s.name();
          else if (name === "name") readNames(s, end, out);
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
              case 0: s.u32(); out.importedFunctions++; break;
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
            const type = s.valueType();
            const mutable = s.byte() === 1;
            const init = s.constExpr(out.globals);
            out.globals.push({ init, mutable, type });
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
        case 10: {
          let index = out.importedFunctions;
          for (let n = s.u32(); n > 0; n--, index++) {
            const size = s.u32();
            out.functionBodies.set(index, [s.pos, s.pos + size]);
            s.pos += size;
          }
          break;
        }
        case 11: {
          for (let n = s.u32(); n > 0; n--) {
            const flags = s.u32();
            let offset: number | undefined;
            const active = flags === 0 || flags === 2;
            if (active) {
              if (flags === 2) s.u32();
              offset = s.constExpr(out.globals);
            }
            const length = s.u32();
            s.pos += length;
            out.data.push({ offset: offset === undefined ? undefined : offset >>> 0, length, active });
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

/** The function (1) and global (7) names of a "name" section that ends at `end`; a malformed
 *  name section only costs names (engines ignore it too). */
function readNames(s: Reader, end: number, out: ParsedWasm): void {
  try {
    while (s.pos < end) {
      const id = s.byte();
      const size = s.u32();
      const next = s.pos + size;
      if (id === 1) s.nameMap(out.functionNames);
      else if (id === 7) s.nameMap(out.globalNames);
      s.pos = next;
    }
  } catch {
    // keep the names read so far
  }
}

/** What a wasm binary imports, exports and places in memory (throws LinkError NOT_WASM). */
export function inspectModule(source: WasmBytes): ModuleInfo {
  const p = parseWasm(toBytes(source));
  let dataStart: number | undefined;
  let dataEnd = 0;
  let unplacedSegments = 0;
  for (const d of p.data) {
    if (d.active && d.offset === undefined) unplacedSegments++;
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
    dataStart, dataEnd, unplacedSegments, heapBase,
    sourceMappingURL: p.sourceMappingURL,
    functionNames: p.functionNames, globalNames: p.globalNames,
    importedFunctions: p.importedFunctions, functionBodies: p.functionBodies,
    mutableIntGlobals: p.globals.flatMap((g, index) => g.mutable && index >= p.importedGlobals && (g.type === 0x7f || g.type === 0x7e)
      ? [{ index, type: g.type === 0x7f ? "i32" as const : "i64" as const }] : []),
  };
}
