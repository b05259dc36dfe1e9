// Sites from wasm call stacks: the wasm frames of a stack (V8 call sites or stack text), decoded
// through the module's source map (WasmSourceMap) to file:line:column, interned as heap sites.
// Only frames of the module the map belongs to are decoded with it (ModuleCode): a stack also
// holds the allocator module's frames, whose offsets mean nothing in the user's map.
import type { ModuleInfo } from "./wasm-reader.js";

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

  /**
   * "file:line:column" of the code at byte `offset` of the module, or undefined. A mapping before
   * `from` (the start of the function holding `offset`) is another function's: then undefined too.
   */
  locate(offset: number, from = 0, skip?: (source: string) => boolean): { source: string; line: number; column: number } | undefined {
    let lo = 0, hi = this.offsets.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    // `skip`: code inlined from sources the caller does not want (rcalloc's own, inlined into a
    // user function): the nearest mapping before it in the same function, the line that called it.
    while (skip && found >= 0 && this.offsets[found] >= from && skip(this.sources[this.positions[found][0]])) found--;
    if (found < 0 || this.offsets[found] < from) return undefined;
    const [s, line, column] = this.positions[found];
    return { source: this.sources[s], line: line + 1, column: column + 1 };
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function encodeVlq(value: number): string {
  let v = value < 0 ? (-value << 1) | 1 : value << 1;
  let out = "";
  do {
    let digit = v & 31;
    v >>>= 5;
    if (v) digit |= 32;
    out += BASE64[digit];
  } while (v);
  return out;
}

/**
 * A wasm source map for the same code moved by `delta` bytes (sections before the code were
 * rewritten): offsets are deltas after the first, so only the first segment's offset changes.
 */
export function shiftSourceMap<T extends { mappings: string }>(map: T, delta: number): T {
  if (!delta) return map;
  const first = /^[g-z0-9+/]*[A-Za-f]/.exec(map.mappings); // a VLQ ends at its first digit below 32
  if (!first) return map;
  const [offset] = decodeVlq(first[0]);
  return { ...map, mappings: encodeVlq(offset + delta) + map.mappings.slice(first[0].length) };
}

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

export interface WasmFrame {
  name?: string;
  /** Byte offset in the module's binary. */
  offset: number;
  /** The engine's URL of the module ("wasm://wasm/3c1f0b2e"), when the stack gives it. */
  url?: string;
  /** Function index, when the stack gives it (stack text). */
  index?: number;
  text: string;
}

// V8:      "    at examples/leaky/index/remember (wasm://wasm/3c1f0b2e:wasm-function[12]:0x4a1)"
//          "    at wasm://wasm/3c1f0b2e:wasm-function[12]:0x4a1"
// Firefox: "examples/leaky/index/remember@wasm://... line 1 > WebAssembly.instantiate:wasm-function[12]:0x4a1"
const WASM_FRAME = /(?:at (?:(.+?) \()?|^(.*?)@)?((?:wasm:\/\/|[^\s@]*WebAssembly\.\w+:)[^\s]*?):?wasm-function\[(\d+)\]:0x([0-9a-f]+)/;

function wasmFrames(stack: string): WasmFrame[] {
  const frames: WasmFrame[] = [];
  for (const line of stack.split("\n")) {
    const m = WASM_FRAME.exec(line);
    if (!m) continue;
    const url = m[3].startsWith("wasm://") ? m[3] : undefined;
    frames.push({ name: m[1] ?? (m[2] || undefined), url, index: Number(m[4]), offset: parseInt(m[5], 16), text: line.trim() });
  }
  return frames;
}

/**
 * The code of one wasm module, to tell its frames from another module's (the allocator's, in a
 * linked program): a frame is its own when the offset lies in one of its function bodies (the
 * function the stack names, when it names one) and, once the engine's URL for the module is known
 * (learn()), the URL is that one. Only its own frames are decoded with its source map, and only
 * with a mapping inside the same function body.
 */
export class ModuleCode {
  private url?: string;
  private readonly starts: number[];
  private readonly ends: number[];
  private readonly indexes: number[];

  /** `shift`: bytes the code moved when the module was rewritten before compiling (module-globals.ts). */
  constructor(info: Pick<ModuleInfo, "functionBodies">, readonly map?: WasmSourceMap, private readonly shift = 0) {
    const bodies = [...info.functionBodies].sort((a, b) => a[1][0] - b[1][0]);
    this.indexes = bodies.map(([index]) => index);
    this.starts = bodies.map(([, range]) => range[0]);
    this.ends = bodies.map(([, range]) => range[1]);
  }

  /** The engine's URL for this module, from a frame known to be its own. */
  learn(url: string | undefined): void {
    if (url && !this.url) this.url = url;
  }

  /** Start of the function body of this module holding `frame`, or -1 when the frame is not its own. */
  bodyStart(frame: WasmFrame): number {
    if (this.url && frame.url && frame.url !== this.url) return -1;
    const offset = frame.offset - this.shift;
    let lo = 0, hi = this.starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0 || offset >= this.ends[found]) return -1;
    if (frame.index !== undefined && frame.index !== this.indexes[found]) return -1;
    return this.starts[found];
  }

  /** file:line:column of one of this module's frames; undefined for other modules' frames.
   *  `skip`: sources whose inlined code stands for the line that called it (WasmSourceMap.locate). */
  locate(frame: WasmFrame, skip?: (source: string) => boolean): { source: string; line: number; column: number } | undefined {
    if (!this.map) return undefined;
    const start = this.bodyStart(frame);
    return start < 0 ? undefined : this.map.locate(frame.offset - this.shift, start, skip);
  }
}

/** Module a merged module imports the allocator's functions from when its calls should carry
 *  sites from the wasm stack (prepareStaticLink's `sites`, Heap.instantiate). */
export const SITES_MODULE = "rcalloc:sites";

/** A source map alone (no module to bound it) decodes every frame, as before ModuleCode. */
function locateWith(code: ModuleCode | WasmSourceMap | undefined, frame: WasmFrame) {
  return code instanceof ModuleCode ? code.locate(frame) : code?.locate(frame.offset);
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
          const url = site.getFileName();
          if (!url?.startsWith("wasm:")) continue;
          const name = site.getFunctionName() ?? undefined;
          frames.push({ name, url, offset: (site.getColumnNumber() ?? 1) - 1, text: name ?? "" });
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
 * Given the module's code, only its own frames (not the allocator module's).
 */
export function wasmStack(stack: string, code?: ModuleCode | WasmSourceMap): string[] {
  const lines: string[] = [];
  for (const f of wasmFrames(stack)) {
    // Another module's frame (the allocator's, under a linked module's call) is rcalloc's own.
    if (code instanceof ModuleCode && code.bodyStart(f) < 0) continue;
    // In a user function, rcalloc's inlined code (runtime/imports' ptr) stands for the line calling it.
    const at = code instanceof ModuleCode && !isLibraryFrame(f.name, undefined)
      ? code.locate(f, (source) => isLibraryFrame(undefined, source))
      : locateWith(code, f);
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

/** Where site ids come from: a heap's site table (Heap.site). */
export interface SiteTable {
  site(label: string, stack?: string): number;
}

/** Turns wasm stack frames into site ids of `heap` (deduplicated by the frames). */
export class WasmSites {
  private readonly byStack = new Map<string, number>();
  constructor(private readonly heap: SiteTable, private readonly code?: ModuleCode) {}

  capture(): number {
    const frames = currentWasmFrames();
    // Called from an import of the module: its own frames are on top, so its URL is the first one.
    if (frames.length && this.code && this.code.bodyStart(frames[0]) >= 0) this.code.learn(frames[0].url);
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
      // In a user function, rcalloc's inlined code (the library path) stands for the line calling it.
      const inUserCode = !isLibraryFrame(f.name, undefined);
      const at = this.code?.locate(f, inUserCode ? (source) => isLibraryFrame(undefined, source) : undefined);
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

type Fn = (...args: number[]) => number | void;

/** The allocator export `name` with a site from the wasm stack (the *At variant when there is one). */
export function withSite(e: Record<string, Fn>, name: string, sites: WasmSites): Fn {
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
