// The allocator builds createHeap() and link() instantiate: from the package's build/ folder by
// default, or from what the caller passes as the `wasm` option (a URL, a Response, bytes, or a
// WebAssembly.Module). Works on Node (file: URLs, without importing node:fs) and in browsers
// (fetch), and with bundlers: each build's URL is one literal `new URL("…", import.meta.url)`,
// the pattern Vite, webpack 5 and esbuild-based tools recognise, copy and rewrite.
import { InvalidArgumentError } from "./errors.js";
import { inspectModule } from "./wasm-reader.js";

/** File name of a build inside the package's build/ folder (`debug`: the checked build that
 *  validates around every operation, assembly/config.ts; `shared`: the shared-memory build that
 *  workers attach to, assembly/shared.ts). */
export function wasmFileName(checked: boolean, debug = false, shared = false): string {
  if (shared) return debug ? "rcalloc.shared-debug.wasm" : checked ? "rcalloc.shared-checked.wasm" : "rcalloc.shared-unchecked.wasm";
  return debug ? "rcalloc.debug.wasm" : checked ? "rcalloc.checked.wasm" : "rcalloc.unchecked.wasm";
}

/** Where an allocator build can come from: the `wasm` option of createHeap() and link(). */
export type WasmSource =
  | string | URL | Response | PromiseLike<Response> | BufferSource | WebAssembly.Module;

/** A compiled allocator build and what link() checks a user module against. */
export interface AllocatorBuild {
  module: WebAssembly.Module;
  exports: Set<string>;
  /** End of the build's static data (0 when only a compiled module was given: unknown). */
  dataEnd: number;
  /** The bytes, when the build was loaded from bytes (not from a Module or a streamed Response). */
  bytes?: Uint8Array<ArrayBuffer>;
}

/** The package's own file of a build. Literal URLs only: bundlers do not follow computed ones. */
export function defaultBuildUrl(checked: boolean, shared = false): URL {
  if (shared) {
    return checked
      ? new URL("../build/rcalloc.shared-checked.wasm", import.meta.url)
      : new URL("../build/rcalloc.shared-unchecked.wasm", import.meta.url);
  }
  return checked
    ? new URL("../build/rcalloc.checked.wasm", import.meta.url)
    : new URL("../build/rcalloc.unchecked.wasm", import.meta.url);
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** What to tell a user whose build could not be loaded from `where`. */
function loadFailure(checked: boolean, where: string, why: string, cause?: unknown): Error {
  const file = checked ? "rcalloc.checked.wasm" : "rcalloc.unchecked.wasm";
  return new Error(
    `rcalloc: cannot load the ${checked ? "checked" : "unchecked"} allocator build from ${where}: ${why}. ` +
    `Serve the package's build/${file} (a bundler that did not copy it, or a server that rewrites ` +
    `unknown paths, causes this) and pass where it is as the \`wasm\` option: ` +
    `createHeap({ checked: ${checked}, wasm: url }) or link(module, { checked: ${checked}, wasm: url }) ` +
    `(a URL, a Response, the bytes, or a WebAssembly.Module).`,
    cause === undefined ? undefined : { cause },
  );
}

/** The `wasm` option's URL; a string that is none (a plain file path in Node) is a typed error. */
function urlOf(source: string | URL, base: string | undefined): URL {
  try {
    return new URL(source, base);
  } catch {
    throw new InvalidArgumentError(
      `rcalloc: the \`wasm\` option ${JSON.stringify(String(source))} is not a URL${base ? "" : " (a file path is not one)"}: ` +
      "pass a URL (Node: a file: URL, pathToFileURL(path)), a Response, the bytes (Node: readFileSync(path)) or a WebAssembly.Module");
  }
}

async function readFileUrl(url: URL): Promise<Uint8Array<ArrayBuffer>> {
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

/** The bytes of a Response, checked: a 404 page or an HTML fallback is not wasm. */
async function responseBytes(response: Response, checked: boolean, where: string): Promise<Uint8Array<ArrayBuffer>> {
  if (!response.ok) throw loadFailure(checked, where, `HTTP ${response.status}`);
  const bytes = new Uint8Array(await response.arrayBuffer());
  if (!WASM_MAGIC.every((b, i) => bytes[i] === b)) {
    const type = response.headers.get("content-type") ?? "no content type";
    throw loadFailure(checked, where, `the response is not wasm (${type}, starts ${JSON.stringify(new TextDecoder().decode(bytes.subarray(0, 16)))})`);
  }
  return bytes;
}

async function fetchBytes(url: URL, checked: boolean): Promise<Uint8Array<ArrayBuffer>> {
  if (url.protocol === "file:") {
    try {
      return await readFileUrl(url);
    } catch (e) {
      throw loadFailure(checked, url.href, (e as Error).message, e);
    }
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (e) {
    throw loadFailure(checked, url.href, `fetch failed (${(e as Error).message})`, e);
  }
  return responseBytes(response, checked, url.href);
}

function isResponse(source: unknown): source is Response | PromiseLike<Response> {
  return (typeof Response === "function" && source instanceof Response) ||
    typeof (source as PromiseLike<unknown>)?.then === "function";
}

/** Compiles `source` (default: the package's file of the build) into an AllocatorBuild. */
async function compileBuild(checked: boolean, source: WasmSource | undefined, shared: boolean): Promise<AllocatorBuild> {
  if (source instanceof WebAssembly.Module) {
    const exports = new Set(WebAssembly.Module.exports(source).map((e) => e.name));
    return { module: source, exports, dataEnd: 0 };
  }
  let bytes: Uint8Array<ArrayBuffer>;
  if (isResponse(source)) {
    const response = await source;
    bytes = await responseBytes(response, checked, response.url || "the Response passed as `wasm`");
  } else if (source === undefined || typeof source === "string" || source instanceof URL) {
    const base = typeof location === "object" && location ? location.href : undefined;
    bytes = await fetchBytes(source === undefined ? defaultBuildUrl(checked, shared) : urlOf(source, base), checked);
  } else {
    const view = ArrayBuffer.isView(source)
      ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : new Uint8Array(source);
    bytes = new Uint8Array(view) as Uint8Array<ArrayBuffer>; // a copy: the caller may reuse theirs
  }
  const info = inspectModule(bytes);
  const module = await WebAssembly.compile(bytes);
  return { module, bytes, dataEnd: info.dataEnd, exports: new Set(info.exports.map((e) => e.name)) };
}

// Builds loaded by URL are compiled once per page or process; a failed load is retried next time.
const byUrl = new Map<string, Promise<AllocatorBuild>>();

/**
 * The allocator build asked for, compiled: from `source` (the `wasm` option) or the package's
 * build/ folder (`shared`: the shared-memory build). Builds loaded by URL are cached per URL; bytes, Responses and Modules are not.
 */
export function loadBuild(checked: boolean, source?: WasmSource, shared = false): Promise<AllocatorBuild> {
  const byLocation = source === undefined || typeof source === "string" || source instanceof URL;
  if (!byLocation) return compileBuild(checked, source, shared);
  const key = `${checked}:${shared}:${source === undefined ? "package" : String(source)}`;
  let build = byUrl.get(key);
  if (!build) {
    build = compileBuild(checked, source, shared);
    build.catch(() => byUrl.delete(key));
    byUrl.set(key, build);
  }
  return build;
}

/** The bytes of an allocator build, from the package's build/ folder (or `source`). */
export async function allocatorBytes(checked: boolean, source?: WasmSource): Promise<Uint8Array<ArrayBuffer>> {
  const build = await loadBuild(checked, source);
  if (!build.bytes) throw new TypeError("rcalloc: allocatorBytes: a WebAssembly.Module has no bytes to give; pass a URL or the bytes");
  return build.bytes;
}
