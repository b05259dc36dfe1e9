#!/usr/bin/env node
// === Replay A/B: this checkout's rcalloc bench module against another build, interleaved ===
//
// bench/run.js compares rcalloc with its peers; this puts a base build of rcalloc (--base: a
// directory holding rcalloc.<flavour>.wasm, such as a copy of the main branch's bench/build)
// beside this checkout's in the same replay rounds (bench/replay.js), so "this ÷ base" compares
// both in one machine state, round by round. AS TLSF and the floor run too: the own times are
// total minus the floor's, as in the full bench.
//
//   node bench/replay-ab.js --base <dir> [--flavour unchecked|checked] [--workloads random10000,lifo]
//                           [--rounds 41] [--wall (wall time instead of the thread's CPU time)]
//                           [--slice ms per allocator per round: 400 on CPU time, 40 on wall time]
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadAllocators } from "./allocators.js";
import { build, BUILD } from "./build.js";
import { FULL, replayWorkload, stats, WORKLOADS } from "./replay.js";
import { threadCpuNs } from "./thread-cpu.js";

const { values } = parseArgs({
  options: {
    base: { type: "string" },
    flavour: { type: "string", default: "unchecked" },
    workloads: { type: "string", default: "random10000" },
    rounds: { type: "string", default: "41" },
    wall: { type: "boolean", default: false },
    slice: { type: "string" },
  },
});
if (!values.base) throw new Error("--base <dir>: a directory holding the other rcalloc.<flavour>.wasm");
const flavour = values.flavour;
await build();
const all = await loadAllocators();
const mine = all.find((a) => a.id === flavour);
const peers = all.filter((a) => a.id === "tlsf" || a.floor);
// The base build: the same spec as this checkout's, read from the other directory.
const baseFile = path.resolve(values.base, `rcalloc.${flavour}.wasm`);
const baseModule = await WebAssembly.compile(fs.readFileSync(baseFile));
const base = {
  ...mine,
  id: "base",
  label: `base ${flavour}`,
  instantiate() {
    const instance = new WebAssembly.Instance(baseModule, { env: { abort() { throw new Error("base: abort"); } } });
    mine.init?.(instance.exports);
    return instance.exports;
  },
};
const allocators = [base, { ...mine, label: `this ${flavour}` }, ...peers];
// The thread's CPU time by default: the machine is shared, and wall time counts waits for a core.
// It advances in scheduler ticks here (4 ms), so a round's slice is 400 ms of AS TLSF's CPU time
// by default, not 40, calibrated here in CPU time (wall time under load gave slices of 40 ms).
const cpu = threadCpuNs() !== undefined && !values.wall;
const sliceMs = Number(values.slice ?? (cpu ? 400 : FULL.sliceMs));
const settings = { ...FULL, rounds: Number(values.rounds), sliceMs, ...(cpu ? { clock: threadCpuNs } : {}) };

/** Calls of `workload` that take sliceMs of this thread's CPU time on AS TLSF (the slowest). */
function cpuCallsPerSlice(workload) {
  const f = peers.find((a) => a.id === "tlsf").instantiate()[workload.fn];
  const [a, b] = workload.args;
  for (let i = 0; i < 20; i++) f(settings.opsPerCall, 0x5EED + i, a, b); // tier up
  const t0 = threadCpuNs();
  let calls = 0;
  while (threadCpuNs() - t0 < 200e6) f(settings.opsPerCall, ++calls, a, b);
  return Math.max(1, Math.round((calls * sliceMs * 1e6) / (threadCpuNs() - t0)));
}
const fmt = (s, d = 2) => `${s.median.toFixed(d)} [${s.min.toFixed(d)}-${s.max.toFixed(d)}]`;

console.log(`${cpu ? "thread CPU time" : "wall time"}\nbase ${baseFile}\nthis ${path.join(BUILD, `rcalloc.${flavour}.wasm`)}`);
for (const id of values.workloads.split(",")) {
  const workload = WORKLOADS.find((w) => w.id === id);
  if (!workload) throw new Error(`unknown workload ${id} (${WORKLOADS.map((w) => w.id).join(", ")})`);
  const load = fs.readFileSync("/proc/loadavg", "utf8").split(" ")[0];
  const r = replayWorkload(workload, allocators, cpu ? { ...settings, callsPerRound: cpuCallsPerSlice(workload) } : settings);
  const byId = Object.fromEntries(r.results.map((x) => [x.id, x]));
  const floorNs = byId.floor.nsPerOp;
  // Per round: own(this) / own(base) (positive own times only).
  const ownRounds = (x) => x.rounds.map((opsPerUs, i) => 1000 / opsPerUs - 1000 / byId.floor.rounds[i]);
  const a = ownRounds(byId.base);
  const b = ownRounds(byId[flavour]);
  const t = ownRounds(byId.tlsf);
  const ratio = b.map((x, i) => x / a[i]).filter((x) => Number.isFinite(x) && x > 0);
  console.log(`\n${workload.label}: ${r.rounds} rounds x ${r.callsPerRound} calls x ${r.opsPerCall} ops, load ${load} at start`);
  console.log(`  floor ns/op ${fmt(floorNs)}`);
  for (const x of r.results) {
    if (x.floor) continue;
    console.log(`  ${x.label.padEnd(20)} own ns/op ${fmt(x.ownNs)}  pages ${x.pages.peak}`);
  }
  console.log(`  this / base own time, per round: ${fmt(stats(ratio), 3)}`);
  console.log(`  base / AS TLSF: ${(stats(a).median / stats(t).median).toFixed(3)}   this / AS TLSF: ${(stats(b).median / stats(t).median).toFixed(3)}`);
}
