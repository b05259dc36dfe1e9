// Plain typed arrays over wasm memory, the way wasm-bindgen and Emscripten hand them out: one
// cached whole-memory Uint8Array, rebuilt when memory.grow has detached its buffer, and payload
// views cut from it. Never a Proxy, so every Web API that checks for a real view accepts them.
//
// Which calls can grow memory (and so detach every plain view taken before them): alloc, get,
// getFor, move, weak, upgrade, resize, copy, allocString — anything that may allocate an object
// or a handle-table chunk. ptr, size, refs, put, putFor, putWeak, validate, stats, report and
// the views' own reads never grow it.
//
// Resizable buffers (WebAssembly.Memory.prototype.toResizableBuffer, feature-detected): plain
// views over one survive growth, but Web APIs that refuse resizable buffers reject them
// (Chromium 156 and Firefox 153: TextDecoder.decode, TextEncoder.encodeInto, Blob), and the
// memory must declare a maximum. So they are opt-in (HeapOptions.resizable); the string helpers
// work either way.
// Those APIs refuse views of shared memory (a shared heap) too: the string helpers copy there.

/** The typed-array constructors a view can be made of. */
export type TypedArrayConstructor =
  | Uint8ArrayConstructor | Int8ArrayConstructor | Uint8ClampedArrayConstructor
  | Uint16ArrayConstructor | Int16ArrayConstructor | Uint32ArrayConstructor | Int32ArrayConstructor
  | Float32ArrayConstructor | Float64ArrayConstructor | BigUint64ArrayConstructor | BigInt64ArrayConstructor;

/** Text encodings of the string helpers: UTF-8 bytes, or UTF-16 code units (little-endian, as JS strings). */
export type StringEncoding = "utf-8" | "utf-16";

/** What the views need of a heap: the memory and how to resolve a handle (which checks it). */
export interface PayloadResolver {
  readonly memory: WebAssembly.Memory;
  ptr(h: number): number;
  size(h: number): number;
}

type MemoryWithResizable = WebAssembly.Memory & { toResizableBuffer?(): ArrayBuffer };

/**
 * Switches `memory` to a resizable buffer where the engine can (toResizableBuffer exists and
 * the memory declares a maximum). Returns whether views now survive growth.
 */
export function makeResizable(memory: WebAssembly.Memory): boolean {
  const m = memory as MemoryWithResizable;
  if (typeof m.toResizableBuffer !== "function") return false;
  try {
    m.toResizableBuffer();
    return true;
  } catch {
    return false; // no maximum declared: growth keeps detaching, as without the feature
  }
}

/** True when `buffer` is a resizable ArrayBuffer (ES2024; absent on Node 20). */
function isResizable(buffer: ArrayBufferLike): boolean {
  return (buffer as { resizable?: boolean }).resizable === true;
}

/**
 * `memory.buffer`, at least `end` bytes long. A shared memory grown by another thread can show
 * this thread its old, shorter buffer until the engine delivers the growth (V8 does it at the
 * thread's next interrupt check, which a short wasm call may not reach: measured in the threads
 * stress); `memory.grow(0)` brings it up to date. Never called for a non-shared memory, where
 * grow(0) would detach every view.
 */
export function bufferCovering(memory: WebAssembly.Memory, end: number): ArrayBufferLike {
  const buffer = memory.buffer;
  if (buffer.byteLength >= end || !isShared(buffer)) return buffer;
  memory.grow(0);
  return memory.buffer;
}

function isShared(buffer: ArrayBufferLike): boolean {
  return typeof SharedArrayBuffer === "function" && buffer instanceof SharedArrayBuffer;
}

/**
 * `bytes`, or a copy of them where browsers' TextDecoder.decode and TextEncoder.encodeInto refuse
 * the view in place: over shared memory (a shared heap; Chromium: "must not be shared") or a
 * resizable buffer (HeapOptions.resizable).
 */
export function decodable(bytes: Uint8Array): Uint8Array {
  return inPlaceRefused(bytes.buffer) ? bytes.slice() : bytes;
}

function inPlaceRefused(buffer: ArrayBufferLike): boolean {
  return isShared(buffer) || isResizable(buffer);
}

/**
 * An AssemblyScript string at `ptr` (UTF-16 code units; its byte length in the word at ptr - 4),
 * as trap messages, aborts and linked modules pass them. `ptr` comes from wasm as an i32, so it
 * is read as unsigned (a string above 2 GiB reaches JS negative). "" for 0, an odd address or one
 * outside memory; at most `maxBytes` bytes, and no more than memory holds (the length word may
 * be what a corruption hit).
 */
export function readWasmString(memory: WebAssembly.Memory, ptr: number, maxBytes = Infinity): string {
  ptr >>>= 0;
  if (ptr < 4 || ptr & 1) return "";
  const buffer = bufferCovering(memory, ptr);
  if (ptr > buffer.byteLength) return "";
  // a DataView: UTF-16 needs only 2-byte alignment, so the length word may sit at 2 mod 4
  const bytes = Math.min(new DataView(buffer).getUint32(ptr - 4, true), buffer.byteLength - ptr, maxBytes);
  const units = new Uint16Array(buffer, ptr, bytes >>> 1);
  let out = "";
  for (let i = 0; i < units.length; i += 1024) out += String.fromCharCode(...units.subarray(i, i + 1024));
  return out;
}

/** One cached whole-memory Uint8Array, rebuilt when memory growth detached its buffer. */
export class MemoryBytes {
  private readonly memory: WebAssembly.Memory;
  private cached: Uint8Array;

  private readonly shared: boolean;

  constructor(memory: WebAssembly.Memory) {
    this.memory = memory;
    this.cached = new Uint8Array(memory.buffer);
    this.shared = isShared(memory.buffer);
  }

  /** The whole memory as bytes; re-read it after any call that can grow memory. */
  get u8(): Uint8Array {
    // A detached buffer has byteLength 0 (wasm-bindgen's test); a resizable one never detaches.
    // A shared memory's buffer never detaches either: growth (by any thread) gives a new one.
    if (this.cached.byteLength === 0 || (this.shared && this.cached.buffer !== this.memory.buffer)) {
      this.cached = new Uint8Array(this.memory.buffer);
    }
    return this.cached;
  }

  /** The whole memory as bytes, at least `end` long: a range the allocator just gave out. */
  covering(end: number): Uint8Array {
    const u8 = this.u8;
    if (u8.byteLength >= end || !this.shared) return u8;
    this.cached = new Uint8Array(bufferCovering(this.memory, end));
    return this.cached;
  }

  /** True while views survive growth (the memory was made resizable). */
  get resizable(): boolean {
    return isResizable(this.memory.buffer);
  }
}

/**
 * A payload seen as a typed array that follows memory: `.array` is a plain typed array, rebuilt
 * (re-resolving the handle) when memory growth detached the last one. The checked build
 * re-resolves the handle on every `.array`, so a view of a put reference throws.
 */
export class HeapView<T extends ArrayBufferView = Uint8Array> {
  /** The handle the view resolves. */
  readonly handle: number;
  private readonly heap: PayloadResolver;
  private readonly Type: TypedArrayConstructor;
  private readonly recheck: boolean;
  private current: T;
  private ptr: number;
  private length = 0;

  constructor(heap: PayloadResolver, h: number, Type: TypedArrayConstructor, recheck: boolean) {
    this.heap = heap;
    this.handle = h;
    this.Type = Type;
    this.recheck = recheck;
    this.ptr = heap.ptr(h) >>> 0;
    this.current = this.build(this.ptr);
  }

  /** The payload as a plain typed array (length: whole elements that fit in the payload). */
  get array(): T {
    // Checked: resolve on every access, so a put, moved or resized-away handle throws here.
    // A view of a detached buffer has length 0: cheaper to test than memory.buffer (an API call)
    // or byteLength (not inlined by V8 11.3).
    const p = this.recheck ? this.heap.ptr(this.handle) >>> 0 : this.ptr;
    if (p !== this.ptr || (this.current as unknown as { length: number }).length !== this.length) {
      this.ptr = this.recheck ? p : this.heap.ptr(this.handle) >>> 0;
      this.current = this.build(this.ptr);
    }
    return this.current;
  }

  private byteSize(): number {
    return this.heap.size(this.handle) >>> 0;
  }

  private build(p: number): T {
    const length = Math.floor(this.byteSize() / this.Type.BYTES_PER_ELEMENT);
    this.length = length;
    const end = p + length * this.Type.BYTES_PER_ELEMENT;
    return new this.Type(bufferCovering(this.heap.memory, end) as ArrayBuffer, p, length) as unknown as T;
  }
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder("utf-8");

/** What allocString needs of a heap. */
export interface StringAllocator {
  alloc(size: number): number;
  resize(h: number, size: number): number;
  bytes(h: number): Uint8Array;
  put(h: number): void;
}

/**
 * A new object holding `text` in `encoding`, exactly its encoded size. UTF-8 the way
 * wasm-bindgen passes strings: an object of one byte a character first (right for ASCII), and
 * only when a wider character turns up, resized to the worst case for the rest, then down to
 * what was written — no separate pass to measure the text.
 */
export function allocEncoded(heap: StringAllocator, text: string, encoding: StringEncoding): number {
  if (encoding === "utf-16") {
    // Code units in the engine's byte order (little-endian, as wasm), the order decode() reads.
    const h = heap.alloc(text.length * 2);
    const units = new Uint16Array(text.length);
    for (let i = 0; i < text.length; i++) units[i] = text.charCodeAt(i);
    heap.bytes(h).set(new Uint8Array(units.buffer));
    return h;
  }
  let h = heap.alloc(text.length);
  try {
    const target = heap.bytes(h);
    if (inPlaceRefused(target.buffer)) {
      // encodeInto refuses shared and resizable buffers: encode, then copy.
      const encoded = utf8Encoder.encode(text);
      h = heap.resize(h, encoded.length);
      heap.bytes(h).set(encoded);
      return h;
    }
    const first = utf8Encoder.encodeInto(text, target);
    if (first.read === text.length) return h;
    // Not all ASCII: room for 3 bytes a remaining UTF-16 unit (a surrogate pair takes 4 for 2).
    const written = first.written;
    h = heap.resize(h, written + (text.length - first.read) * 3);
    const rest = utf8Encoder.encodeInto(text.slice(first.read), heap.bytes(h).subarray(written));
    return heap.resize(h, written + rest.written);
  } catch (e) {
    heap.put(h); // a resize ran out of memory (h is as it was): the caller never got h, so it would leak
    throw e;
  }
}

/** Decodes `bytes` as `encoding`. UTF-16 keeps every code unit, lone surrogates included, as JS does. */
export function decode(bytes: Uint8Array, encoding: StringEncoding): string {
  if (encoding === "utf-16") {
    const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
    const units = new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength >>> 1);
    let out = "";
    for (let i = 0; i < units.length; i += 4096) out += String.fromCharCode(...units.subarray(i, i + 4096));
    return out;
  }
  return utf8Decoder.decode(decodable(bytes));
}
