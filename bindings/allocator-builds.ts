// The allocator builds link() instantiates: read from the package's build/ folder (or a baseUrl),
// compiled once per URL, on Node (file: URLs, without importing node:fs) and in browsers (fetch).
import { wasmFileName } from "./api.js";
import { inspectModule } from "./wasm-reader.js";

/** A compiled allocator build and what link() checks a user module against. */
export interface AllocatorBuild {
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

/** The allocator build asked for, compiled (cached per URL; a failed load is retried next time). */
export function loadBuild(checked: boolean, baseUrl?: string | URL): Promise<AllocatorBuild> {
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
