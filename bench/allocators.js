// === The allocators under comparison: which module, how to instantiate a fresh heap ===
//
// Every module exports the same loops (bench/assembly/workloads.ts). A fresh instance is a fresh
// heap: run.js and ops.js take one per workload or case, so page counts belong to that workload.

import fs from "node:fs";
import path from "node:path";
import { BUILD } from "./build.js";

export const ALLOCATORS = [
  { id: "unchecked", label: "rcalloc unchecked", file: "rcalloc.unchecked.wasm" },
  { id: "checked", label: "rcalloc checked", file: "rcalloc.checked.wasm" },
  // The same checked build with its quarantine off: what poisoning and holding freed blocks cost.
  { id: "checked-noq", label: "checked, no quarantine", file: "rcalloc.checked.wasm", init: (e) => e.setQuarantine(0, 0, 0) },
  { id: "tlsf", label: "AS TLSF", file: "tlsf.wasm", peer: true },
  { id: "dlmalloc", label: "dlmalloc", file: "dlmalloc.wasm", peer: true, wasi: true },
  { id: "floor", label: "floor (bump)", file: "floor.wasm", floor: true },
];

// node:wasi prints an ExperimentalWarning on first use; it would break the progress line, and
// the bench knows it uses WASI. Other warnings still print.
let WASI = null;
async function loadWasi() {
  if (WASI) return WASI;
  const emitWarning = process.emitWarning;
  process.emitWarning = (warning, ...rest) => {
    if (/WASI/.test(String(warning))) return;
    emitWarning.call(process, warning, ...rest);
  };
  ({ WASI } = await import("node:wasi"));
  return WASI;
}

/** Reads an AssemblyScript string (UTF-16, byte length at ptr - 4) for abort messages. */
function asString(memory, ptr) {
  if (!ptr) return "";
  const bytes = new Uint32Array(memory.buffer, ptr - 4, 1)[0];
  return String.fromCharCode(...new Uint16Array(memory.buffer, ptr, bytes >>> 1));
}

/**
 * The allocators whose module exists, each with `instantiate()` returning a fresh instance's
 * exports. `skipped` maps an allocator id to why it is absent.
 */
export async function loadAllocators(skipped = {}) {
  const loaded = [];
  for (const spec of ALLOCATORS) {
    const file = path.join(BUILD, spec.file);
    if (!fs.existsSync(file)) {
      skipped[spec.id] ??= `${spec.label} skipped: ${path.relative(process.cwd(), file)} not built`;
      continue;
    }
    const module = await WebAssembly.compile(fs.readFileSync(file));
    const WasiClass = spec.wasi ? await loadWasi() : null;
    const instantiate = () => {
      let memory = null;
      const env = {
        abort(msg, file, line, col) {
          throw new Error(`${spec.label}: abort: ${asString(memory, msg)} at ${asString(memory, file)}:${line}:${col}`);
        },
      };
      let instance;
      if (WasiClass) {
        const wasi = new WasiClass({ version: "preview1", args: [], env: {} });
        instance = new WebAssembly.Instance(module, { ...wasi.getImportObject(), env });
        wasi.initialize(instance); // reactor: runs _initialize (libc constructors)
      } else {
        instance = new WebAssembly.Instance(module, { env });
      }
      memory = instance.exports.memory;
      spec.init?.(instance.exports);
      return instance.exports;
    };
    loaded.push({ ...spec, instantiate });
  }
  return loaded;
}
