// === Threads bench, where a worker's wall time goes (diagnosis; Linux only) ===
//
// Runs bench/threads.js's workers (shared heap, or "own heaps") and splits each worker's wall time
// of the measured loop into: CPU (schedstat field 1), waiting for a core (field 2, run-queue
// delay: load), and the rest, off the CPU by its own choice (sleeps: atomic.wait, futexes, GC
// safepoints). Also its voluntary / involuntary context switches (/proc/thread-self/status) and
// lock takes, and the CPU time every other thread of the process used meanwhile (V8's compiler
// and GC helpers, the main thread), per thread (name/tid). schedstat's CPU time moves in ticks
// (about 4 ms here), so "off" is ± a few ms per worker.
//
// DIAG_WINDOWS=1 also prints each worker's measured window on CLOCK_MONOTONIC, to match against
// `perf record -k CLOCK_MONOTONIC -g -- node --perf-basic-prof bench/threads-diag.js`.
//
// --old-warm-up alternates rounds whose workers warm up with one call of the loop (as before
// 2026-12-03) with rounds of the bench's warm-up (threads-loop.js warmUp), and prints both.
//
//   node bench/threads-diag.js [--checked 0|1] [--workers N] [--ops N] [--rounds N] [--own] [--old-warm-up]
import { readFileSync, readdirSync } from "node:fs";
import { parseArgs } from "node:util";
import { workersRound } from "./threads-round.js";

const { values } = parseArgs({ options: {
  checked: { type: "string", default: "1" }, workers: { type: "string", default: "2" }, ops: { type: "string", default: "400000" },
  rounds: { type: "string", default: "5" }, own: { type: "boolean", default: false }, "old-warm-up": { type: "boolean", default: false },
} });
const checked = values.checked !== "0";
const WORKERS = Number(values.workers);
const OPS = Number(values.ops);
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** CPU ns of every thread of this process, by tid, with its name. */
function tasks() {
  const out = new Map();
  for (const tid of readdirSync("/proc/self/task")) {
    try {
      const cpu = Number(readFileSync(`/proc/self/task/${tid}/schedstat`, "utf8").split(" ")[0]);
      const name = readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim();
      out.set(tid, { cpu, name });
    } catch {}
  }
  return out;
}

async function run(warmUpCalls) {
  let t0, before;
  const { results: reports, watched: after } = await workersRound({
    checked, workers: WORKERS, ops: OPS, own: values.own, warmUpCalls, diag: true,
    watch() { before = tasks(); t0 = performance.timeOrigin + performance.now(); return tasks; },
  });
  const results = reports.map((r) => ({ ...r, ...r.sched }));
  const others = new Map();
  const workerTids = new Set(results.map((r) => String(r.tid)));
  for (const [tid, a] of after) {
    if (workerTids.has(tid)) continue;
    const used = a.cpu - (before.get(tid)?.cpu ?? 0);
    if (used > 0) others.set(`${a.name}/${tid}`, used);
  }
  return { t0, results, others };
}

const kinds = values["old-warm-up"] ? [["one warm-up call", 1], ["warmUp", undefined]] : [["warmUp", undefined]];
const rounds = kinds.map(() => []);
for (let r = 0; r < Number(values.rounds); r++) for (const [k, [, calls]] of kinds.entries()) rounds[k].push(await run(calls));
const ms = (ns) => (ns / 1e6).toFixed(1);
const offMs = (w) => w.ms - (w.cpu + w.runq) / 1e6;
console.log(`${values.own ? "own heaps" : "shared"} ${checked ? "checked" : "unchecked"}, ${WORKERS} workers, ${OPS} ops each; per worker, ms: wall = cpu + runq (waiting for a core) + off (off the CPU)`);
for (const [k, [kind]] of kinds.entries()) {
  console.log(`--- ${kind}`);
  for (const { t0, results, others } of rounds[k]) {
    const slow = Math.max(...results.map((r) => r.ms));
    const otherCpu = [...others.values()].reduce((a, b) => a + b, 0);
    console.log(`round: ${(WORKERS * OPS / (slow * 1000)).toFixed(2)} ops/µs; other threads' CPU ${ms(otherCpu)} ms (${[...others].map(([n, c]) => `${n} ${ms(c)}`).join(", ")})`);
    for (const w of results) {
      if (process.env.DIAG_WINDOWS) console.log(`  window ${w.tid} ${w.window[0].toFixed(6)} ${w.window[1].toFixed(6)}`);
      console.log(`  start +${(w.startAt - t0).toFixed(2)} wall ${w.ms.toFixed(1)} cpu ${ms(w.cpu)} runq ${ms(w.runq)} off ${offMs(w).toFixed(1)}  vol ${w.vol} invol ${w.invol}  locks ${w.lockTakes}`);
    }
  }
  const all = rounds[k].flatMap((r) => r.results);
  const m = (f) => median(all.map(f)).toFixed(1);
  const other = rounds[k].map((r) => [...r.others.values()].reduce((a, b) => a + b, 0) / 1e6);
  console.log(`median over workers: wall ${m((w) => w.ms)} cpu ${m((w) => w.cpu / 1e6)} runq ${m((w) => w.runq / 1e6)} off ${m(offMs)} vol ${m((w) => w.vol)} invol ${m((w) => w.invol)}; other threads' CPU per round ${median(other).toFixed(1)} [${Math.min(...other).toFixed(1)}–${Math.max(...other).toFixed(1)}] ms`);
}
