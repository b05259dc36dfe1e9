// === Threads bench: the shared-memory builds with 1, 2 and 4 workers, and on one thread ===
//
// Each worker runs bench/threads-loop.js on its own objects (alloc, put, get+put through the raw
// exports) on one shared heap; ops/µs is all workers' operations over the wall time of the
// slowest, "lock/1k" how many times the workers took the heap lock per 1,000 operations, and
// "CPU ns/op" the CPU time each operation cost its worker (the mean over workers; Linux only),
// which machine load does not hide the way it hides wall-time scaling, and "elsewhere" how many
// cores other processes kept busy meanwhile (Linux: 0 on an idle machine; a row whose runs read
// more is not an idle machine's scaling, whatever the load average said before it).
// The "own heaps" rows run the same workers each on a non-shared heap of its own: nothing is
// shared, so they show how this machine scales the loop (cores, other load), the ceiling for the
// shared rows. Rounds interleave the rows, so each ratio compares one machine state. Then, on one
// thread, the same loop on the shared build against the non-shared build of the same flavour,
// interleaved rounds: the shared build's single-thread cost (the heap lock and the state it loads
// and stores around each operation); the checked build both alone (never handed to a worker: no
// atomic steps on its lock-free paths) and after heap.shareable().
//
//   node bench/threads.js [--ops N] [--rounds N]
import { parseArgs } from "node:util";
import { createHeap } from "../dist/node.js";
import { othersCpuMs } from "./thread-cpu.js";
import { ownLoop, warmUp } from "./threads-loop.js";
import { roundRate, workersRound } from "./threads-round.js";

const { values } = parseArgs({ options: { ops: { type: "string", default: "400000" }, rounds: { type: "string", default: "5" } } });
const OPS = Number(values.ops);
const ROUNDS = Number(values.rounds);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** One round: `workers` workers on one shared heap (or, `own`, each on a non-shared heap). */
async function workersRun(checked, workers, own) {
  const { results, watched: elsewhere } = await workersRound({
    checked, workers, ops: OPS, own,
    watch() {
      const others = othersCpuMs();
      const t = performance.now();
      return () => othersCpuMs(others) / (performance.now() - t); // cores other processes used
    },
  });
  return {
    rate: roundRate(results, OPS),
    lockPer1k: results.reduce((n, r) => n + r.lockTakes, 0) / (workers * OPS / 1000),
    cpuNsPerOp: results.some((r) => r.cpuNsPerOp === undefined) ? NaN : results.reduce((n, r) => n + r.cpuNsPerOp, 0) / workers,
    elsewhere,
  };
}

/** One thread: a heap kept for every round, called from its own copy of the loop (ownLoop); `row`
 *  names the table row, so the plain heap of each row gets a copy no other heap has called. */
async function singleThread(row, checked, shared, handed = false) {
  const heap = await createHeap({ checked, shared });
  if (handed) heap.shareable(); // the build leaves its one-thread mode (assembly/thread-slots.ts)
  const loop = await ownLoop(`${row}-${checked}-${shared}-${handed}`);
  await warmUp(heap.exports, OPS >> 2, 3, loop); // V8 tiers up the loop and the exports
  return {
    heap,
    ms(round) { const t = performance.now(); loop(heap.exports, OPS, 5 + round); return performance.now() - t; },
  };
}

console.log(`threads bench: ${OPS} operations per worker, ${ROUNDS} rounds, median [min–max]\n`);
console.log("build                        workers  ops/µs              ×1 worker  lock/1k  CPU ns/op  elsewhere");
const WORKERS = [1, 2, 4];
for (const checked of [false, true]) {
  const rows = [["shared", false], ["own heaps", true]].map(([name, own]) => ({ name, own, rates: WORKERS.map(() => []), locks: WORKERS.map(() => []), cpu: WORKERS.map(() => []), elsewhere: WORKERS.map(() => []) }));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [i, workers] of WORKERS.entries()) {
      for (const row of rows) {
        const x = await workersRun(checked, workers, row.own);
        row.rates[i].push(x.rate);
        row.locks[i].push(x.lockPer1k);
        row.cpu[i].push(x.cpuNsPerOp);
        row.elsewhere[i].push(x.elsewhere);
      }
    }
  }
  for (const row of rows) {
    for (const [i, workers] of WORKERS.entries()) {
      const rates = row.rates[i];
      const range = `${median(rates).toFixed(2)} [${Math.min(...rates).toFixed(2)}–${Math.max(...rates).toFixed(2)}]`;
      const name = `${row.name} ${checked ? "checked" : "unchecked"}`;
      console.log(`${name.padEnd(28)} ${String(workers).padStart(7)}  ${range.padEnd(20)} ${(median(rates) / median(row.rates[0])).toFixed(2).padStart(8)}×  ${(row.own ? "-" : median(row.locks[i]).toFixed(2)).padStart(7)}  ${median(row.cpu[i]).toFixed(1).padStart(9)}  ${median(row.elsewhere[i]).toFixed(2).padStart(9)}`);
    }
  }
}
console.log("\none thread, shared build time / non-shared build time (same loop, interleaved rounds)");
for (const [checked, handed] of [[false, false], [false, true], [true, false], [true, true]]) {
  const row = `${checked}-${handed}`;
  const plain = await singleThread(row, checked, false);
  const shared = await singleThread(row, checked, true, handed);
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    let p, s; // alternate which goes first
    if (r & 1) { s = shared.ms(r); p = plain.ms(r); } else { p = plain.ms(r); s = shared.ms(r); }
    ratios.push(s / p);
  }
  plain.heap.dispose();
  shared.heap.dispose();
  const name = `${checked ? "checked" : "unchecked"}${handed ? ", after shareable()" : ""}`;
  console.log(`${name.padEnd(28)}  ${median(ratios).toFixed(2)}x [${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}]`);
}
