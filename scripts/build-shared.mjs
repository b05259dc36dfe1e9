// Builds the shared-memory allocator builds (build/rcalloc.shared-{checked,unchecked,debug}.wasm).
//
// Every instance of a shared build (one per worker) applies the module's active data segments
// to the one shared memory when it is instantiated. asc writes a segment for every static
// region, zeros included (it cannot assume an imported memory starts zeroed), and a worker that
// attaches later would zero the allocator's live state (TLSF heads, quick lists, threads.ts).
// The host creates the memory (new WebAssembly.Memory: zero-filled), so the all-zero segments
// are dropped: only read-only data (messages) is written again, with the bytes it holds.
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
for (const flavour of ["checked", "unchecked", "debug"]) {
  const out = `build/rcalloc.shared-${flavour}`;
  execFileSync(bin("asc"), ["assembly/shared.ts", "--target", `shared-${flavour}`], { cwd: root, stdio: "inherit" });
  execFileSync(bin("wasm-opt"), [`${out}.wasm`, "--all-features", "--zero-filled-memory", "--memory-packing", "-o", `${out}.wasm`], { cwd: root, stdio: "inherit" });
  execFileSync(bin("wasm-dis"), [`${out}.wasm`, "-o", `${out}.wat`], { cwd: root, stdio: "inherit" });
}
