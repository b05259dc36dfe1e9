// Sites from wasm call stacks: the wasm frames of a stack (V8 call sites or stack text), decoded
// through the module's source map (WasmSourceMap) to file:line:column, interned as heap sites.
// Only frames of the module the map belongs to are decoded with it (ModuleCode): a stack also
// holds the allocator module's frames, whose offsets mean nothing in the user's map.
import { after, callee, type DecodedBody, decodeBody, enclosing } from "./wasm-code.js";
import type { ModuleInfo } from "./wasm-reader.js";
import { isStdLibraryName } from "./as-std-names.js";
import { dwarfInlines, type InlinedCall, type InlinedCode } from "./wasm-dwarf-inlines.js";
import { isRustStdPath, isRustStdSymbol } from "./rust-std.js";

/** A position in a source: 1-based line and column. */
export interface SourcePosition {
  source: string;
  line: number;
  column: number;
}

/**
 * A decoded source map of a wasm module (generated "column" = byte offset in the module).
 *
 *   offsets:   [ o0,          o1,   o2,          ... ]   ascending byte offsets of segments
 *   positions: [ [s, l, c],   null, [s, l, c],   ... ]   null: "no location" from that offset on
 *
 * binaryen writes a segment at an instruction's opcode when its location differs from the one
 * before, and a one-field segment (no location) for an instruction that has none: the location
 * in effect at an offset is the last segment at or before it.
 */
export class WasmSourceMap {
  private readonly offsets: number[] = [];
  private readonly positions: ([source: number, line: number, column: number] | null)[] = [];
  readonly sources: string[];
  private readonly contents: (string | null)[];
  private readonly lines = new Map<number, string[]>();

  constructor(map: string | { sources: string[]; mappings: string; sourceRoot?: string; sourcesContent?: (string | null)[] }) {
    const raw = typeof map === "string" ? JSON.parse(map) as { sources: string[]; mappings: string; sourcesContent?: (string | null)[] } : map;
    this.sources = raw.sources;
    this.contents = raw.sourcesContent ?? [];
    let source = 0, line = 0, column = 0, offset = 0;
    const firstLine = raw.mappings.split(";")[0];
    for (const segment of firstLine.split(",")) {
      if (!segment) continue;
      const v = decodeVlq(segment);
      offset += v[0];
      this.offsets.push(offset);
      if (v.length < 4) {
        this.positions.push(null);
        continue;
      }
      source += v[1]; line += v[2]; column += v[3];
      this.positions.push([source, line, column]);
    }
  }

  /**
   * "file:line:column" of the code at byte `offset` of the module, or undefined (no location). A
   * mapping before `from` (the start of the function holding `offset`) is another function's: then
   * undefined too.
   */
  locate(offset: number, from = 0): SourcePosition | undefined {
    const found = this.segmentAt(offset);
    if (found < 0 || this.offsets[found] < from) return undefined;
    return this.position(found);
  }

  /** The locations of the segments strictly between two offsets, in order (undefined: none). */
  *between(from: number, to: number): Generator<SourcePosition | undefined> {
    for (let i = this.segmentAt(from) + 1; i < this.offsets.length && this.offsets[i] < to; i++) yield this.position(i);
  }

  /** The text of `source` from a position on (up to `length` characters), when the map has it. */
  textAt(at: SourcePosition, length = 80): string | undefined {
    const index = this.sources.indexOf(at.source);
    const content = this.contents[index];
    if (typeof content !== "string") return undefined;
    let lines = this.lines.get(index);
    if (!lines) this.lines.set(index, lines = content.split("\n"));
    const line = lines[at.line - 1];
    return line === undefined ? undefined : line.slice(at.column - 1, at.column - 1 + length);
  }

  /** Index of the last segment at or before `offset`, or -1. */
  private segmentAt(offset: number): number {
    let lo = 0, hi = this.offsets.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.offsets[mid] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    return found;
  }

  private position(i: number): SourcePosition | undefined {
    const p = this.positions[i];
    return p ? { source: this.sources[p[0]], line: p[1] + 1, column: p[2] + 1 } : undefined;
  }
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

export function encodeVlq(value: number): string {
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

/** The numbers of one source-map segment (base64 VLQs). */
export function decodeVlq(segment: string): number[] {
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
// Firefox: "examples/leaky/index/remember@http://x/dist/link.js line 92 > WebAssembly.compile:wasm-function[12]:0x4a1"
//          "@http://x/dist/link.js line 92 > WebAssembly.compile:wasm-function[12]:0x4a1"
//          (the module's URL is where it was compiled: the script's line, or the .wasm streamed)
// V8's URL holds no space or parenthesis, and a name may (a C++ name with a function pointer
// parameter, "sort_by(int (*)(int, int))"): the name is all up to the last " (" before it.
// Firefox's URL holds spaces, and a URL or a name may hold an "@" (Vite's /@fs/, a method called
// ["x@y"]): the name ends at the first "@" a URL scheme follows.
const V8_WASM_FRAME = /^\s*at (?:(.+) \()?([^\s()]+):wasm-function\[(\d+)\]:0x([0-9a-f]+)\)?\s*$/;
const FIREFOX_WASM_FRAME = /^\s*(.*?)@([A-Za-z][\w+.-]*:.+?):wasm-function\[(\d+)\]:0x([0-9a-f]+)\s*$/;

function wasmFrames(stack: string): WasmFrame[] {
  const frames: WasmFrame[] = [];
  for (const line of stack.split("\n")) {
    const m = V8_WASM_FRAME.exec(line) ?? FIREFOX_WASM_FRAME.exec(line);
    if (!m) continue;
    frames.push({ name: m[1] || undefined, url: m[2], index: Number(m[3]), offset: parseInt(m[4], 16), text: line.trim() });
  }
  return frames;
}

/** Where a frame of a user module stands in its sources (ModuleCode.site). */
export interface FrameSite {
  /** The exact source position, when known. */
  at?: SourcePosition;
  /** A function of rcalloc's or AssemblyScript's library: not the caller. */
  library: boolean;
  /** User code whose line optimization dropped: the function's file (from its name, when it
   *  names one), its index and the offset in the module's binary. `topLevel`: no optimization
   *  dropped it: asc's call of an imported file's top-level code (`start:<file>`) has no line. */
  lost?: { file?: string; function: number; offset: number; topLevel?: boolean };
  /** The calls a -O2 -g C, C++ or Rust build inlined at this code, innermost first (its DWARF): the
   *  frame is then one per inlined function, `at` the innermost's line, and `library` the wasm
   *  function's own (at the outermost call). */
  inlined?: InlinedCall[];
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
  private readonly bodies = new Map<number, DecodedBody>();
  private readonly userBodies = new Map<number, boolean>();

  /** Names of the function imports from "rcalloc", by function index (others: undefined). */
  private readonly rcallocImports: (string | undefined)[];

  /** Function names of the name section, by index (empty without one). */
  private readonly functionNames: ReadonlyMap<number, string>;

  /** The inlined calls of a C, C++ or Rust module's DWARF (null: none), read at the first frame. */
  private inlinedCode?: InlinedCode | null;

  /**
   * `shift`: bytes the code moved when the module was rewritten before compiling
   * (module-globals.ts). `bytes`: the binary `info` was read from (kept, not copied): a frame in
   * rcalloc's inlined code is then named by the call it was inlined for (site()).
   */
  constructor(info: Pick<ModuleInfo, "functionBodies"> & Partial<Pick<ModuleInfo, "imports" | "functionNames">>, readonly map?: WasmSourceMap,
    private readonly shift = 0, private readonly bytes?: Uint8Array) {
    this.functionNames = info.functionNames ?? new Map();
    this.rcallocImports = (info.imports ?? []).filter((e) => e.kind === "function").map((e) => (e.module === "rcalloc" ? e.name : undefined));
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
    const i = this.bodyOf(frame);
    return i < 0 ? -1 : this.starts[i];
  }

  /** file:line:column of the code at one of this module's frames; undefined for other modules' frames. */
  locate(frame: WasmFrame): SourcePosition | undefined {
    if (!this.map) return undefined;
    const start = this.bodyStart(frame);
    return start < 0 ? undefined : this.map.locate(frame.offset - this.shift, start);
  }

  /**
   * What one of this module's frames stands for (undefined: another module's frame, or no source
   * map). Code of rcalloc (or AssemblyScript's library) inlined into a user function stands for the
   * call it was inlined for, which inlinedCall() finds, or for nothing known: then `lost`, never
   * the line of an earlier statement.
   */
  site(frame: WasmFrame): FrameSite | undefined {
    const i = this.bodyOf(frame);
    const map = this.map;
    if (i < 0 || !map) return undefined;
    const offset = frame.offset - this.shift;
    const at = map.locate(offset, this.starts[i]);
    const dwarf = this.dwarf();
    if (dwarf) {
      // A C, C++ or Rust module: the frame is its function's, with the calls inlined at the code;
      // whose code it is, its own line (at the outermost call) or its name says. The checks below
      // undo asc's inlining, which such a module has none of.
      const inlined = dwarf.at(offset);
      const outer = inlined.length ? inlined[inlined.length - 1].call : at;
      if (outer || inlined.length) return { at, library: isGlue(outer, frame.name), ...(inlined.length ? { inlined } : {}) };
    }
    if (at && !isLibraryCode(at.source)) return { at, library: false };
    const library = frame.name ? isLibraryCode(frame.name) : !this.hasUserCode(i);
    if (library) return { at, library };
    // No location: asc put the call's on the drop or conversion wrapping it. Library code: inlined.
    const call = at ? this.inlinedCall(i, offset) : this.wrapper(i, offset);
    if (call) return { at: call, library };
    // `new C()`: asc's constructor allocates the object (`this = __alloc(size)` for an @unmanaged
    // class, __new for a managed one) with no line; the `new` is the caller's frame's line.
    if (this.allocatesForNew(frame, offset)) return { library: true };
    const topLevel = this.callsTopLevel(offset);
    // A function the map has no line of (C built without -g, linked with a -g libc): none was lost.
    // asc's constructors and top-level code have none either, and are told apart above and here.
    if (!at && !this.hasUserCode(i) && !topLevel) return undefined;
    const lost = { file: frame.name && this.fileOf(frame.name), function: this.indexes[i], offset };
    return { library, lost: topLevel ? { ...lost, topLevel: true } : lost };
  }

  /**
   * The call that library code at `offset` of body `i` was inlined for. asc inlines a call into a
   * block located at the call (`put(h)`'s at the `p`; unlocated when the call's value is dropped
   * or converted: then the drop or conversion right after the block is located at the call),
   * evaluates the arguments into locals in it, then runs the inlined body:
   *
   *   block            ;; user.ts:7:3   <- the call
   *     ...args        ;; user.ts:7:7   (user code, or none)
   *     local.set      ;; (no location)
   *     ...body        ;; ~lib/rcalloc/runtime/imports.ts ...  <- offset
   *   end
   *
   * Optimizing may drop that block, and the nearest enclosing structure located in user code is
   * then an earlier statement's (a loop, an if, a for's block). So the innermost enclosing
   * structure located in user code must be a block, hold no user code after its library code, and
   * sit at a call in the source (when the map has the sources' text); otherwise undefined.
   */
  private inlinedCall(i: number, offset: number): SourcePosition | undefined {
    const map = this.map!, from = this.starts[i];
    const body = this.decoded(i);
    const chain = body?.ok ? enclosing(body, offset) : undefined;
    for (const s of chain ?? []) {
      const own = map.locate(s.start, from);
      if (own && isLibraryCode(own.source)) continue; // inlined by library code
      if (s.op !== "block") {
        if (own) return undefined; // an earlier statement's loop or if
        continue; // control flow the optimizer made
      }
      const at = own ?? this.wrapper(i, s.end);
      if (!at) return undefined; // a block of unknown origin
      let library = false;
      for (const p of map.between(s.start, s.end)) {
        if (!p) continue;
        if (isLibraryCode(p.source)) library = true;
        else if (library) return undefined; // a user statement after the library code
      }
      return library && this.callsAt(at, offset) ? at : undefined;
    }
    return undefined;
  }

  /** The location of the drop or conversion right after the instruction (or `end`) at `offset` of
   *  body `i`, when it is located at a call in user code: asc's place for an unlocated call's. */
  private wrapper(i: number, offset: number): SourcePosition | undefined {
    const body = this.decoded(i);
    if (!body?.ok) return undefined;
    const next = after(body, offset);
    if (next === undefined || !isWrapper(this.bytes![next])) return undefined;
    const at = this.map!.locate(next, this.starts[i]);
    return at && !isLibraryCode(at.source) && this.callsAt(at) ? at : undefined;
  }

  /**
   * Whether the source text at `at` is a call (true when the map has no text) and, given the
   * frame's `offset` and a call there to an rcalloc import, the call of that import's wrapper:
   * optimizing can move one statement's inlined code into the next call's block (-O2: `const a =
   * alloc(16); const b = get(a);` put the alloc's call inside the get's block, and the alloc's
   * leak was named at the get).
   */
  private callsAt(at: SourcePosition, offset?: number): boolean {
    const text = this.map!.textAt(at);
    if (text === undefined) return true;
    const index = offset === undefined || !this.bytes ? undefined : callee(this.bytes, offset);
    const wrapper = index === undefined ? undefined : WRAPPER_CALLS[this.rcallocImports[index] ?? ""];
    return (wrapper ?? CALL).test(text);
  }

  /** Whether the instruction at `offset` calls a file's top-level code (`start:<file>`, which asc
   *  calls from `~start` and from the start of each file that imports it, with no line). */
  private callsTopLevel(offset: number): boolean {
    const index = this.bytes ? callee(this.bytes, offset) : undefined;
    return index !== undefined && (this.functionNames.get(index)?.startsWith("start:") ?? false);
  }

  /** Whether the frame is a constructor's allocation of its object: a call at `offset` of
   *  rcalloc's runtime's __alloc or __new from a function named `...#constructor`. */
  private allocatesForNew(frame: WasmFrame, offset: number): boolean {
    const index = this.bytes && frame.name?.endsWith("#constructor") ? callee(this.bytes, offset) : undefined;
    const name = index === undefined ? undefined : this.functionNames.get(index);
    return name !== undefined && /(^|\/)rcalloc\/runtime\/\w+\/__(alloc|new)$/.test(name);
  }

  /** The module's inlined calls, from the DWARF of the binary it was read from. */
  private dwarf(): InlinedCode | undefined {
    if (this.inlinedCode === undefined) {
      try {
        this.inlinedCode = (this.bytes && dwarfInlines(this.bytes)) ?? null;
      } catch {
        this.inlinedCode = null; // DWARF this reader cannot follow: each frame is its wasm function
      }
    }
    return this.inlinedCode ?? undefined;
  }

  private bodyOf(frame: WasmFrame): number {
    if (this.url && frame.url && frame.url !== this.url) return -1;
    const offset = frame.offset - this.shift;
    let lo = 0, hi = this.starts.length - 1, found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] <= offset) { found = mid; lo = mid + 1; } else hi = mid - 1;
    }
    if (found < 0 || offset >= this.ends[found]) return -1;
    if (frame.index !== undefined && frame.index !== this.indexes[found]) return -1;
    return found;
  }

  private decoded(i: number): DecodedBody | undefined {
    if (!this.bytes) return undefined;
    let body = this.bodies.get(i);
    if (!body) this.bodies.set(i, body = decodeBody(this.bytes, this.starts[i], this.ends[i]));
    return body;
  }

  /** Whether body `i` has any code located in user sources (an unnamed function's test). */
  private hasUserCode(i: number): boolean {
    let user = this.userBodies.get(i);
    if (user === undefined) {
      user = false;
      for (const p of this.map!.between(this.starts[i] - 1, this.ends[i])) if (p && !isLibraryCode(p.source)) { user = true; break; }
      this.userBodies.set(i, user);
    }
    return user;
  }

  /** The source file of an AssemblyScript function name ("app/util/main" in "app/util.ts"). */
  private fileOf(name: string): string | undefined {
    let file: string | undefined;
    for (const source of this.map!.sources) {
      const stem = source.replace(/\.[^./]+$/, "");
      if (name.startsWith(`${stem}/`) && !isLibraryCode(source) && (!file || source.length > file.length)) file = source;
    }
    return file;
  }
}

/** drop (0x1a) and the conversions (0xa7-0xc4: wrap, truncate, extend, convert, reinterpret). */
const isWrapper = (opcode: number) => opcode === 0x1a || (opcode >= 0xa7 && opcode <= 0xc4);

/** Source text at a call: a name, maybe dotted and with type arguments, then "(" (not a keyword). */
/** The source text of a call to each inlined wrapper of runtime/imports.ts (and AS's heap.*,
 *  which the runtime serves with them), by the rcalloc import the wrapper calls. */
const WRAPPER_CALLS: Record<string, RegExp> = {
  alloc: /^alloc\s*\(/, get: /^get\s*\(/, put: /^put\s*\(/, ptr: /^ptr\s*\(/, size: /^size\s*\(/,
  mallocAt: /^heap\s*\.\s*alloc\s*\(/, reallocAt: /^heap\s*\.\s*realloc\s*\(/, freeAt: /^heap\s*\.\s*free\s*\(/,
};

const CALL = /^(?!(?:if|for|while|do|switch|return|new|throw|else|case)\b)[A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*\s*(?:<[^()]*>)?\s*\(/;

/** Module a merged module imports the allocator's functions from when its calls should carry
 *  sites from the wasm stack (prepareStaticLink's `sites`, Heap.instantiate). */
export const SITES_MODULE = "rcalloc:sites";

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
 * Given the module's code, only its own frames (not the allocator module's). `withLibrary`: the
 * library's frames too (a trap with no frame of the program's, which would otherwise say nothing).
 */
export function wasmStack(stack: string, code?: ModuleCode | WasmSourceMap, withLibrary = false): string[] {
  const lines: string[] = [];
  for (const f of wasmFrames(stack)) {
    // Another module's frame (the allocator's, under a linked module's call) is rcalloc's own.
    if (code instanceof ModuleCode && code.bodyStart(f) < 0) continue;
    for (const d of describeFrames(f, code)) if (!d.library || withLibrary) lines.push(d.line);
  }
  return lines;
}

/** One frame for a stack or a site: whether it is library code, where it is, its line of text. A
 *  frame in code a C, C++ or Rust build inlined is one per inlined function, innermost first, as
 *  `addr2line -i` reads it: "make_node (app.c:12:5, inlined into main)", then "main (app.c:30:9)"
 *  at the call; the wasm function's name last. */
function describeFrames(f: WasmFrame, code?: ModuleCode | WasmSourceMap): FrameText[] {
  const site: FrameSite | undefined = code instanceof ModuleCode ? code.site(f) : undefined;
  if (!site?.inlined?.length) return [describeFrame(f, site, code)];
  const inlined = site.inlined;
  const frames: FrameText[] = inlined.map((level, k) => {
    const at = k === 0 ? site.at : inlined[k - 1].call;
    const outer = k + 1 < inlined.length ? withoutGenerics(inlined[k + 1].name) : f.name ? readableSymbol(f.name) : "(wasm)";
    const where = at ? position(at) : `wasm 0x${f.offset.toString(16)}`;
    const name = withoutGenerics(level.name);
    return { name, at, library: isInlinedGlue(at, level.name), where, line: `${name} (${where}, inlined into ${outer})` };
  });
  return [...frames, describeFrame(f, { at: inlined[inlined.length - 1].call, library: site.library }, code)];
}

interface FrameText { name?: string; at?: SourcePosition; library: boolean; where: string; line: string }

function describeFrame(f: WasmFrame, site: FrameSite | undefined, code?: ModuleCode | WasmSourceMap): FrameText {
  // A source map alone (no module to bound it) decodes every frame, as before ModuleCode.
  const at = site ? site.at : code instanceof WasmSourceMap ? code.locate(f.offset) : undefined;
  const library = site ? site.library : isLibraryCode(at?.source ?? f.name ?? "");
  const where = at ? position(at)
    : site?.lost ? `${site.lost.file ? `${site.lost.file}: ` : ""}${site.lost.topLevel ? "top-level code, no line" : "line lost to optimization"}, wasm 0x${site.lost.offset.toString(16)}`
    : `wasm 0x${f.offset.toString(16)}`;
  const name = f.name ? readableSymbol(f.name) : site?.lost ? `wasm-function[${site.lost.function}]` : undefined;
  return { name, at, library, where, line: `${name ?? "(wasm)"} (${where})` };
}

const position = (at: SourcePosition) => `${at.source}:${at.line}:${at.column}`;

/** A wasm function's name for a frame's text: a Rust symbol in legacy mangling (rustc's default:
 *  `_ZN7inlined9make_node17h0123456789abcdefE`, maybe with an LTO `.llvm.N` suffix) as its path,
 *  `inlined::make_node`; any other name as it is (lld demangles C++'s itself). */
export function readableSymbol(name: string): string {
  if (!name.startsWith("_ZN")) return name;
  const parts: string[] = [];
  let pos = 3;
  while (pos < name.length && name[pos] !== "E") {
    const digits = /^\d+/.exec(name.slice(pos));
    if (!digits) return name;
    pos += digits[0].length;
    parts.push(name.slice(pos, pos + Number(digits[0])));
    pos += Number(digits[0]);
  }
  // Rust's ends with its hash segment and "E"; C++'s has its parameter types after "E"
  const hash = parts.pop();
  if (!hash || !/^h[0-9a-f]{16}$/.test(hash) || !/^E(\.llvm\.\d+)?$/.test(name.slice(pos)) || !parts.length) return name;
  return parts.map(unescapeRust).join("::");
}

const RUST_ESCAPES: Record<string, string> = {
  $LT$: "<", $GT$: ">", $RF$: "&", $BP$: "*", $C$: ",", $SP$: "@", $u20$: " ", $u27$: "'", $u5b$: "[", $u5d$: "]",
  $u7b$: "{", $u7d$: "}", $u7e$: "~",
};

/** A legacy-mangled Rust path segment's escapes ($LT$, .., a leading _$) as the characters. */
const unescapeRust = (segment: string) =>
  segment.replace(/^_\$/, "$").replace(/\$(LT|GT|RF|BP|C|SP|u[0-9a-f]{2})\$/g, (e) => RUST_ESCAPES[e] ?? e).replace(/\.\./g, "::");

/** A name from a C, C++ or Rust module's DWARF for a frame's text, its generic arguments left out:
 *  a Rust closure in an iterator reads "{closure#0}", not "{closure#0}<u64, alloc::boxed::Box<u64,
 *  ...>, ...>" (hundreds of characters); file and line tell two instances apart. Unbalanced
 *  brackets (C++'s operator<) stay. */
function withoutGenerics(name: string): string {
  let depth = 0, out = "";
  for (const ch of name) {
    if (ch === "<") depth++;
    else if (ch === ">" && depth > 0) depth--;
    else if (depth === 0) out += ch;
  }
  return depth === 0 && out ? out : name;
}

/** The allocator glue compiled into a native module: include/rcalloc-malloc.c's functions (C and
 *  C++) and Rust's global-allocator entry points (std's __rust_* calling rcalloc.rs's Malloc
 *  through __rg_*), by name or, in a -g build's lines, by file (rcalloc.hpp's Rc<T> too, inlined). A block's site is the code that
 *  called malloc (or strdup, Box::new ...), not the glue. */
const ALLOCATOR_GLUE = new Set([
  "malloc", "calloc", "realloc", "free", "aligned_alloc", "posix_memalign", "__libc_malloc", "__libc_calloc",
  "__libc_free", "rcalloc_malloc_at", "rcalloc_calloc_at", "rcalloc_realloc_at", "rcalloc_free_at", "aligned_at",
  "__rust_alloc", "__rust_dealloc", "__rust_realloc", "__rust_alloc_zeroed",
  "__rg_alloc", "__rg_dealloc", "__rg_realloc", "__rg_alloc_zeroed",
]);

/** Sources (and function names) of rcalloc, of AssemblyScript's standard library and of the
 *  allocator glue compiled into a native module, inlined or not, and of Rust's standard library:
 *  never the caller. rcalloc's runtime imports its ../assembly/ code. A package's (`~lib/json-as/...`) is the program's own:
 *  its lines are sites. */
function isLibraryCode(where: string): boolean {
  return isStdLibraryName(where) || /(^|\/)rcalloc\/(runtime|assembly)\//.test(where) || ALLOCATOR_GLUE.has(where)
    || /(^|\/)(rcalloc-malloc\.c|rcalloc\.rs|rcalloc\.hpp)$/.test(where) || isRustStdPath(where) || isRustStdSymbol(where);
}

/** Whether a function of a C, C++ or Rust module (or a function inlined in one) is library code, by
 *  its line's source or its name: Rust's __rg_alloc is located at the user's #[global_allocator]. */
const isGlue = (at: SourcePosition | undefined, name: string | undefined) =>
  (!!at && isLibraryCode(at.source)) || (!!name && isLibraryCode(name));

/** Whether a function inlined in a C, C++ or Rust module is library code: by its line's source, or
 *  its name when that is Rust's allocator entry points' (__rust_alloc, __rg_alloc ...). Its name is
 *  DWARF's short one, which the user's own functions share with the allocator's (C++'s Pool::free,
 *  Rust's fn free are "free"), unlike the wasm function's own qualified name; with no line (line 0,
 *  an LTO build's inlined malloc) the name is all there is. */
const isInlinedGlue = (at: SourcePosition | undefined, name: string) =>
  at ? isLibraryCode(at.source) || (/^__r(ust|g)_/.test(name) && ALLOCATOR_GLUE.has(name)) : ALLOCATOR_GLUE.has(name);

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
    // Library frames are left out wherever they are, as wasmStack leaves them out: a Rust iterator's
    // std frames between the user's closure and the user's function used up the frames shown.
    // A stack of library frames only is kept whole.
    const described = frames.flatMap((f) => describeFrames(f, this.code));
    const users = described.filter((d) => !d.library);
    const user = (users.length ? users : described).slice(0, 12);
    if (user.length === 0) return 0;
    const top = user[0];
    const label = top.at ? top.where : top.name ? `${top.name} (${top.where})` : top.where;
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
