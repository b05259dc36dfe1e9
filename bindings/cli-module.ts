// The module a command runs: read, vetted (one usage error for each way it can be unusable), its
// source map found (app.wasm.map, else the lines of a -g build's DWARF), its entry checked.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { LinkOptions } from "./link.js";
import { LinkError } from "./linkable.js";
import { dwarfSourceMap } from "./wasm-dwarf.js";
import { inspectModule, isWasm, type ModuleInfo } from "./wasm-reader.js";
import { fail } from "./cli-usage.js";

export interface AppModule {
  bytes: Uint8Array;
  info: ModuleInfo;
  /** The parsed source map, when one is found (an unreadable one only costs source lines). */
  sourceMap?: { sources: string[]; mappings: string };
}

/** Reads and vets app.wasm: a module that imports the allocator from "rcalloc". */
export function readApp(file: string | undefined): AppModule {
  if (!file) fail("no module given (rcalloc --help for usage)");
  if (!existsSync(file)) fail(`${file}: no such file`);
  if (statSync(file).isDirectory()) fail(`${file} is a directory, not a wasm module`);
  const bytes = readFileSync(file);
  let info: ModuleInfo;
  try {
    info = inspectModule(bytes);
  } catch (e) {
    // A wasm binary the reader cannot read says why (a construct it does not know), not "not wasm".
    if (e instanceof LinkError) fail(isWasm(bytes) ? `${file}: ${e.message.replace(/^rcalloc: link: /, "")}` : `${file} is not a WebAssembly module`);
    throw e;
  }
  if (!WebAssembly.validate(bytes)) fail(`${file} is not a valid WebAssembly module (it does not validate)`);
  if (info.rcallocImports.length === 0) {
    const merged = info.exports.some((e) => e.name === "errorRecord") && info.exports.some((e) => e.name === "isChecked");
    fail(merged
      ? `${file} contains the allocator itself (compiled in or merged); check runs modules that import it from "rcalloc"`
      : `${file} imports nothing from "rcalloc" (build it with --runtime rcalloc/runtime/rcalloc, or import rcalloc/runtime/imports)`);
  }
  return { bytes, info, sourceMap: readSourceMap(file, info) ?? dwarfSourceMap(bytes) };
}

/** app.wasm.map next to the module, or the file its sourceMappingURL section names. */
function readSourceMap(file: string, info: ModuleInfo): AppModule["sourceMap"] {
  const candidates = [`${file}.map`];
  if (info.sourceMappingURL && !/^[a-z]+:/i.test(info.sourceMappingURL)) {
    candidates.unshift(join(dirname(file), info.sourceMappingURL));
  }
  for (const path of candidates) {
    if (existsSync(path)) {
      try {
        return JSON.parse(readFileSync(path, "utf8"));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

/** Refuses an entry that is not an exported function, listing the ones there are. */
export function requireEntry(file: string, info: ModuleInfo, entry: string): void {
  const found = info.exports.find((e) => e.name === entry);
  if (found && found.kind === "function") return;
  const functions = info.exports.filter((e) => e.kind === "function").map((e) => e.name);
  const list = functions.length ? functions.slice(0, 12).join(", ") + (functions.length > 12 ? ", ..." : "") : "none";
  fail(found
    ? `${file}: export "${entry}" is a ${found.kind}, not a function`
    : `${file} has no exported function "${entry}" (exported functions: ${list})`);
}

/**
 * `--imports host.mjs`: a module whose default export, given the instance's memory and a reader
 * of its strings, returns the extra imports ({ env: { ... }, ... }) the module needs.
 */
export async function loadHostImports(file: string): Promise<NonNullable<LinkOptions["hostImports"]>> {
  if (!existsSync(file)) fail(`--imports ${file}: no such file`);
  let loaded: { default?: unknown };
  try {
    loaded = await import(pathToFileURL(resolve(file)).href) as { default?: unknown };
  } catch (e) {
    fail(`--imports ${file}: cannot load it (${(e as Error).message.split("\n")[0]})`);
  }
  const make = loaded.default;
  if (typeof make !== "function") {
    fail(`--imports ${file}: its default export must be a function (memory, getString) => imports, got ${typeof make}`);
  }
  return (memory, getString) => {
    const imports = make(memory, getString) as unknown;
    if (typeof imports !== "object" || imports === null) fail(`--imports ${file}: its default export returned ${String(imports)}, not an imports object`);
    return imports as Record<string, Record<string, unknown>>;
  };
}
