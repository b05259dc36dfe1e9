#!/usr/bin/env node
// Repeats the checked threads stress (test/threads/stress-main.js runStress) many times with
// small runs, to catch a rare race of the shared checked build's lock-free paths: each run is a
// fresh heap, so chunk retirement, directory growth and the first batches happen again and again.
// Prints every failure with its worker's stack and a tally; exits 1 when any run failed.
//
//   node scripts/stress-pins.mjs [--runs 200] [--ops 6000] [--workers 6] [--nap 64] [--seeds 1,2,3]
import { parseArgs } from "node:util";
import * as api from "../dist/node.js";
import { spawnNodeWorker } from "../test/threads/node-spawn.js";
import { runStress } from "../test/threads/stress-main.js";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "200" },
    ops: { type: "string", default: "6000" },
    workers: { type: "string", default: "6" },
    nap: { type: "string", default: "64" },
    seeds: { type: "string", default: "1,2,3" },
  },
});
const runs = Number(values.runs);
const seeds = values.seeds.split(",").map(Number);
let failures = 0;
const t0 = performance.now();
for (let run = 0; run < runs; run++) {
  const seed = seeds[run % seeds.length] + Math.floor(run / seeds.length) * 104729;
  try {
    const r = await runStress(api, spawnNodeWorker, {
      checked: true, workers: Number(values.workers), ops: Number(values.ops), seed, yieldEvery: Number(values.nap),
    });
    if (r.wrongCounts || r.leftObjects || r.leftReferences) throw new Error(`counts ${r.wrongCounts}, left ${r.leftObjects}/${r.leftReferences}`);
  } catch (e) {
    failures++;
    console.log(`run ${run} seed ${seed} FAILED: ${String(e?.stack ?? e).split("\n").slice(0, 12).join("\n  ")}`);
  }
}
console.log(`${runs} runs, ${failures} failed (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
process.exit(failures ? 1 : 0);
