// === One thread, two builds: the shared checked build's cost against the plain checked build ===
//
// bench/threads.js measures the builds of this checkout; this runs the same one-thread loop
// (bench/threads-loop.js) on the plain checked build and on two shared checked builds — this
// checkout's and another's (--base: a directory holding build/rcalloc.shared-checked.wasm, such
// as a copy of the main branch's build) — in interleaved rounds, so each ratio compares builds
// in one machine state. Each shared build runs alone (never handed over) and after
// heap.shareable(). Prints per case the median [min–max] of shared time ÷ plain time.
//
//   node bench/threads-ab.js --base <dir> [--ops N] [--rounds N]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createHeap } from "../dist/node.js";
import { timeLoop } from "./threads-loop.js";

const { values } = parseArgs({
  options: { base: { type: "string" }, ops: { type: "string", default: "400000" }, rounds: { type: "string", default: "15" } },
});
if (!values.base) throw new Error("--base <dir>: a checkout or copy whose build/ holds the other shared checked build");
const OPS = Number(values.ops);
const ROUNDS = Number(values.rounds);
const builds = {
  base: readFileSync(join(values.base, "build/rcalloc.shared-checked.wasm")),
  this: readFileSync(new URL("../build/rcalloc.shared-checked.wasm", import.meta.url)),
};

/** Milliseconds of the loop on a fresh checked heap. */
async function loop(options, handed) {
  const heap = await createHeap({ checked: true, ...options });
  if (handed) heap.shareable();
  const ms = timeLoop(heap, OPS, 5);
  heap.dispose();
  return ms;
}

const cases = [];
for (const name of ["base", "this"]) for (const handed of [false, true]) cases.push({ name, handed, ratios: [] });
for (let r = 0; r < ROUNDS; r++) {
  for (const c of r & 1 ? [...cases].reverse() : cases) {
    const plain = await loop({}, false);
    const shared = await loop({ shared: true, wasm: builds[c.name] }, c.handed);
    c.ratios.push(shared / plain);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
console.log(`one thread, shared checked time / plain checked time, ${ROUNDS} interleaved rounds of ${OPS} operations`);
for (const c of cases) {
  const name = `${c.name}${c.handed ? ", after shareable()" : ", alone"}`;
  console.log(`${name.padEnd(26)} ${median(c.ratios).toFixed(2)}x [${Math.min(...c.ratios).toFixed(2)}–${Math.max(...c.ratios).toFixed(2)}]`);
}
