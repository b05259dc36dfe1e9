// Sites from wasm call stacks: the wasm frames of a stack (V8 call sites or stack text), decoded
// through the module's source map (WasmSourceMap) to file:line:column, interned as heap sites.
import type { Heap } from "./heap.js";

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
export class WasmSites {
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
