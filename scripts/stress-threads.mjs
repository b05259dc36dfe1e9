#!/usr/bin/env node
// The full threads stress (npm run stress:threads): N worker_threads workers on one shared heap,
// each doing --ops random operations (default 1,000,000) on private objects and on objects passed
// through a queue in the heap, for both shared builds, several seeds, worker counts and yield
// patterns; then the deliberate races, --rounds times each. npm test runs a bounded version
// (test/threads.test.ts). Exits 1 on the first failure.
//
//   node scripts/stress-threads.mjs [--ops N] [--workers 4,8] [--seeds 1,2] [--rounds N] [--builds unchecked,checked]
import { parseArgs } from "node:util";
import * as api from "../dist/node.js";
import { spawnNodeWorker } from "../test/threads/node-spawn.js";
import { runRace, runStress } from "../test/threads/stress-main.js";

const { values } = parseArgs({
  options: {
    ops: { type: "string", default: "1000000" },
    workers: { type: "string", default: "4,8" },
    seeds: { type: "string", default: "1,2" },
    rounds: { type: "string", default: "2000" },
    builds: { type: "string", default: "unchecked,checked" },
  },
});
const list = (s) => s.split(",").map(Number);
const ops = Number(values.ops);
const builds = values.builds.split(",").map((b) => b === "checked");
const YIELDS = [0, 64, 1000];

let failed = false;
const fail = (what) => {
  console.log(`  FAILED: ${what}`);
  failed = true;
};

console.log(`threads stress: ${ops} operations per worker\n`);
console.log("build      workers seed nap/ops   ops total    ms   ops/ms  passed  quiet-point objects  counts  leaks");
let n = 0;
for (const checked of builds) {
  for (const workers of list(values.workers)) {
    for (const seed of list(values.seeds)) {
      const yieldEvery = YIELDS[n++ % YIELDS.length];
      const t = performance.now();
      const r = await runStress(api, spawnNodeWorker, { checked, workers, ops, seed, yieldEvery });
      const ms = performance.now() - t;
      console.log(
        `${(checked ? "checked" : "unchecked").padEnd(10)} ${String(workers).padStart(7)} ${String(seed).padStart(4)} ${String(yieldEvery || "-").padStart(7)} ` +
        `${String(r.operations).padStart(11)} ${ms.toFixed(0).padStart(6)} ${(r.operations / ms).toFixed(1).padStart(7)} ${String(r.done.pushes).padStart(7)} ` +
        `${String(r.objectsAtQuietPoint).padStart(20)} ${r.wrongCounts === 0 ? "exact" : "WRONG"}  ${r.leftObjects + r.leftReferences}`,
      );
      if (r.wrongCounts || r.leftObjects || r.leftReferences) fail(`checked ${checked}, ${workers} workers, seed ${seed}`);
    }
  }
}

const rounds = Number(values.rounds);
console.log(`\nraces, ${rounds} rounds each (two workers; outcomes of racer 0 / racer 1):`);
const tally = (outcomes) => {
  const counts = {};
  for (const o of outcomes) counts[o.code] = (counts[o.code] ?? 0) + 1;
  return JSON.stringify(counts);
};
const races = [
  ["double-put", true], ["last-put", false], ["resurrect", true], ["get-for", false], ["get-put", true], ["walk", true],
  ["get-for-last", true], ["weak-last", true], ["walk-deaths", true],
];
for (const [kind, checkedOnly] of races) {
  for (const checked of builds) {
    if (checkedOnly && !checked) continue;
    const r = await runRace(api, spawnNodeWorker, { checked, kind, rounds, stacks: false });
    let ok = r.leftObjects === 0 && r.leftReferences === 0;
    if (kind === "double-put") ok &&= r.a.every((o, i) => [o.code, r.b[i].code].sort().join() === "DOUBLE_PUT,ok");
    if (kind === "last-put" || kind === "get-for") ok &&= [...r.a, ...r.b].every((o) => o.code === "ok");
    if (kind === "get-for") ok &&= r.a.every((o) => o.same && o.refs === 2);
    if (kind === "get-put") ok &&= r.a.every((o, i) => o.code === "ok" && o.got === (r.b[i].code === "ok") && o.refs === (o.got ? 2 : 1) && ["ok", "USE_AFTER_PUT"].includes(r.b[i].code));
    if (kind === "walk") ok &&= [...r.a, ...r.b].every((o) => o.code === "ok");
    if (kind === "get-for-last" || kind === "weak-last") {
      ok &&= r.a.every((o) => o.code === "ok") && r.b.every((o) => ["ok", "USE_AFTER_PUT"].includes(o.code) && (o.cookie ?? 0xc0ffee) === 0xc0ffee);
    }
    if (kind === "walk-deaths") ok &&= [...r.a, ...r.b].every((o) => o.code === "ok") && r.a.every((o) => o.stray === 0 && o.after === 1);
    if (kind === "resurrect") ok &&= r.b.every((o) => (o.code === "ok" && o.refs >= 1 && o.cookie === 0xc0ffee) || o.code === "USE_AFTER_PUT");
    console.log(`  ${kind.padEnd(11)} ${checked ? "checked  " : "unchecked"} ${tally(r.a)} / ${tally(r.b)}  ${ok ? "ok" : "WRONG"}`);
    if (!ok) fail(`race ${kind}`);
  }
}
process.exit(failed ? 1 : 0);
