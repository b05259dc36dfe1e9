// === Checked build A/B: this checkout's checked build against another's, in the same rounds ===
//
// Issue 10's measure is the checked build's whole-loop time ÷ the unchecked build's. This runs
// the replay harness (bench/replay.js) with the unchecked build, this checkout's checked build,
// a base checked build (--base: a directory holding rcalloc.checked.wasm from bench/build, such
// as a copy of the main branch's) and the floor as allocators in one interleaved run, and prints
// per workload the median [min–max] of the rounds' paired ratios: checked ÷ unchecked whole loop
// for both checked builds, and new ÷ base checked. Nothing here runs in npm test.
//
//   node bench/checked-ab.js --base <dir> [--rounds N] [--only id,id] [--ops N]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { build } from "./build.js";
import { loadAllocators } from "./allocators.js";
import { FULL, replayWorkload, stats, WORKLOADS } from "./replay.js";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    rounds: { type: "string", default: "21" },
    only: { type: "string", default: "random64,lifo,fifo,refcount,random10000,growing" },
    ops: { type: "string", default: String(FULL.opsPerCall) },
  },
});
if (!values.base) throw new Error("--base <dir>: a directory holding the other rcalloc.checked.wasm");
await build();
const all = await loadAllocators();
const pick = (id) => all.find((a) => a.id === id);
const baseFile = path.join(values.base, "rcalloc.checked.wasm");
const baseModule = await WebAssembly.compile(fs.readFileSync(baseFile));
const base = {
  id: "base", label: "checked (base)",
  instantiate: () => new WebAssembly.Instance(baseModule, { env: { abort() { throw new Error("base: abort"); } } }).exports,
};
const allocators = [pick("unchecked"), pick("checked"), base, pick("floor")];
const settings = { ...FULL, rounds: Number(values.rounds), opsPerCall: Number(values.ops) };
const ids = values.only.split(",");

const fmt = (s) => `${s.median.toFixed(2)} [${s.min.toFixed(2)}–${s.max.toFixed(2)}]`;
console.log(`load: ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}; rounds ${settings.rounds}`);
for (const workload of WORKLOADS.filter((w) => ids.includes(w.id))) {
  const r = replayWorkload(workload, allocators, settings);
  const by = (id) => r.results.find((x) => x.id === id);
  // rounds are ops/µs: a time ratio is the inverse ratio of them
  const ratio = (a, b) => stats(by(a).rounds.map((x, i) => by(b).rounds[i] / x));
  console.log(`${workload.label.padEnd(24)} checked÷unchecked new ${fmt(ratio("checked", "unchecked"))}  base ${fmt(ratio("base", "unchecked"))}` +
    `  new÷base ${fmt(ratio("checked", "base"))}  pages new ${by("checked").pages.peak} base ${by("base").pages.peak}`);
}
console.log(`load: ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}`);
