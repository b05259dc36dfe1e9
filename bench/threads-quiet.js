// === Threads bench on a shared machine: only the runs no other process disturbed ===
//
// On a machine other work shares, bench/threads.js's wall-time scaling is the other work's. This
// runs its checked rows (shared heap and own heaps, 1 and 2 workers; the bench's warm-up and,
// for comparison, the old one-call warm-up) only after a quiet moment (other processes used at
// most three 10 ms ticks of CPU in 300 ms), and keeps a run only when they used at most one tick
// during it (thread-cpu.js othersCpuMs). Stops after `--minutes` or once every row has 12 runs.
//
//   node bench/threads-quiet.js [--minutes N] [--ops N]
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import { createHeap } from "../dist/node.js";
import { othersCpuMs } from "./thread-cpu.js";

const { values } = parseArgs({ options: { minutes: { type: "string", default: "10" }, ops: { type: "string", default: "400000" } } });
const OPS = Number(values.ops);
const QUIET_CHECK_MS = 30; // other processes' CPU in the 300 ms before a round
const QUIET_RUN_MS = 10; // ... and during a run that counts

/** One run of `workers` workers (own: each on a non-shared heap); its rate and others' CPU. */
async function run(workers, own, warmUpCalls) {
  const heap = own ? undefined : await createHeap({ shared: true, checked: true });
  const start = new SharedArrayBuffer(8);
  const signal = new Int32Array(start);
  const init = heap?.shareable();
  const threads = Array.from({ length: workers }, (_, i) => new Worker(new URL("./threads-worker.js", import.meta.url), {
    workerData: { init, ops: OPS, seed: 17 + i, start, own: own ? { checked: true } : undefined, warmUpCalls },
  }));
  const done = threads.map((w) => new Promise((resolve, reject) => { w.once("message", resolve); w.once("error", reject); }));
  const exited = threads.map((w) => new Promise((resolve) => w.once("exit", resolve)));
  while (Atomics.load(signal, 1) < workers) await new Promise((r) => setTimeout(r, 5));
  const others = othersCpuMs();
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
  const results = await Promise.all(done);
  const othersMs = othersCpuMs(others);
  await Promise.all(exited); // each detached before its message
  heap?.validate();
  heap?.dispose();
  return { rate: (workers * OPS) / (Math.max(...results.map((r) => r.ms)) * 1000), othersMs, cpu: results.map((r) => r.cpuNsPerOp) };
}

const rows = [];
for (const warmUpCalls of [undefined, 1]) for (const own of [false, true]) for (const workers of [1, 2]) rows.push({ warmUpCalls, own, workers, rates: [], cpu: [] });
const until = Date.now() + Number(values.minutes) * 60_000;
let quiet = 0;
while (Date.now() < until && Math.min(...rows.map((r) => r.rates.length)) < 12) {
  const others = othersCpuMs();
  await new Promise((r) => setTimeout(r, 300));
  if (othersCpuMs(others) > QUIET_CHECK_MS) continue;
  quiet++;
  for (const row of quiet & 1 ? rows : [...rows].reverse()) {
    const x = await run(row.workers, row.own, row.warmUpCalls);
    if (x.othersMs <= QUIET_RUN_MS) { row.rates.push(x.rate); row.cpu.push(...x.cpu); }
  }
}
const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : NaN);
console.log(`${quiet} quiet rounds; runs kept when other processes used ≤ ${QUIET_RUN_MS} ms of CPU during them`);
for (const row of rows) {
  const one = rows.find((r) => r.warmUpCalls === row.warmUpCalls && r.own === row.own && r.workers === 1);
  const name = `${row.warmUpCalls === 1 ? "old warm-up" : "warmUp"}, ${row.own ? "own heaps" : "shared"} checked`;
  const range = row.rates.length ? `[${Math.min(...row.rates).toFixed(2)}–${Math.max(...row.rates).toFixed(2)}]` : "";
  console.log(`${name.padEnd(32)} ${row.workers} worker(s)  ${median(row.rates).toFixed(2)} ops/µs ${range} n=${row.rates.length}  ×1 worker ${(median(row.rates) / median(one.rates)).toFixed(2)}  CPU ns/op ${median(row.cpu).toFixed(1)}`);
}
