// === The workload example, checked: this checkout's allocator against another checkout's ===
//
// Issue 10's measure on a real program: examples/workload linked at load (bench/as-programs.js
// builds it into bench/build/programs/workload.rcalloc.wasm), run ×16 a round against this
// checkout's unchecked and checked builds and against the checked build of another checkout
// (--base: its root, with dist/ and build/ built, such as a second checkout of main), in interleaved rounds (the
// order reversed every other round). Prints the median [min–max] of the rounds' paired ratios:
// checked ÷ unchecked for both checked builds, and new ÷ base checked.
//
//   node bench/workload-ab.js --base <checkout> [--rounds N]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { stats } from "./replay.js";

const { values } = parseArgs({ options: { base: { type: "string" }, rounds: { type: "string", default: "21" } } });
if (!values.base) throw new Error("--base <checkout>: another checkout with dist/ and build/ built");
const ROOT = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const program = fs.readFileSync(path.join(ROOT, "bench", "build", "programs", "workload.rcalloc.wasm"));
const api = await import(path.join(ROOT, "dist", "node.js"));
const baseApi = await import(path.join(path.resolve(values.base), "dist", "node.js"));

async function open(lib, checked) {
  const { instance } = await lib.link(program, { checked });
  const run = instance.exports.run;
  return () => {
    const start = performance.now();
    for (let i = 0; i < 16; i++) run();
    return performance.now() - start;
  };
}
const runs = { unchecked: await open(api, false), checked: await open(api, true), base: await open(baseApi, true) };
const times = { unchecked: [], checked: [], base: [] };
for (const f of Object.values(runs)) f(); // warm-up
const ids = Object.keys(runs);
for (let r = 0; r < Number(values.rounds); r++) {
  for (const id of r % 2 ? [...ids].reverse() : ids) times[id].push(runs[id]());
}
const ratio = (a, b) => stats(times[a].map((t, i) => t / times[b][i]));
const fmt = (s) => `${s.median.toFixed(2)} [${s.min.toFixed(2)}–${s.max.toFixed(2)}]`;
console.log(`workload example, linked, run() ×16, ${values.rounds} rounds, load ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
console.log(`checked÷unchecked new ${fmt(ratio("checked", "unchecked"))}  base ${fmt(ratio("base", "unchecked"))}  new÷base ${fmt(ratio("checked", "base"))}`);
