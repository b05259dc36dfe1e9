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
import { othersCpuMs } from "./thread-cpu.js";
import { roundRate, workersRound } from "./threads-round.js";

const { values } = parseArgs({ options: { minutes: { type: "string", default: "10" }, ops: { type: "string", default: "400000" } } });
const OPS = Number(values.ops);
const QUIET_CHECK_MS = 30; // other processes' CPU in the 300 ms before a round
const QUIET_RUN_MS = 10; // ... and during a run that counts

/** One run of `workers` workers (own: each on a non-shared heap); its rate and others' CPU. */
async function run(workers, own, warmUpCalls) {
  const { results, watched: othersMs } = await workersRound({
    checked: true, workers, ops: OPS, own, warmUpCalls,
    watch() { const others = othersCpuMs(); return () => othersCpuMs(others); },
  });
  return { rate: roundRate(results, OPS), othersMs, cpu: results.map((r) => r.cpuNsPerOp) };
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
