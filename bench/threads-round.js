// === One round of the threads bench's workers: start them together, collect their reports ===
//
// bench/threads.js, threads-diag.js and threads-quiet.js all time the same thing: `workers`
// workers (bench/threads-worker.js) on one shared heap, or each on a non-shared heap of its own
// (`own`: the machine's ceiling), held at a barrier after their warm-up and released at once.
import { Worker } from "node:worker_threads";
import { createHeap } from "../dist/node.js";

/**
 * Runs one round and returns the workers' reports (threads-worker.js) and `watched`: `watch`, when
 * given, is called just before the start signal and returns a function called once every worker
 * has reported (what other threads or processes did meanwhile). The shared heap is validated
 * after all workers detached and ended (never terminated mid-operation), then disposed.
 */
export async function workersRound({ checked, workers, ops, own = false, warmUpCalls, diag = false, watch }) {
  const heap = own ? undefined : await createHeap({ shared: true, checked });
  const start = new SharedArrayBuffer(8);
  const signal = new Int32Array(start);
  const init = heap?.shareable();
  const threads = Array.from({ length: workers }, (_, i) => new Worker(new URL("./threads-worker.js", import.meta.url), {
    workerData: { init, ops, seed: 17 + i, start, own: own ? { checked } : undefined, diag, warmUpCalls },
  }));
  const done = threads.map((w) => new Promise((resolve, reject) => { w.once("message", resolve); w.once("error", reject); }));
  const exited = threads.map((w) => new Promise((resolve) => w.once("exit", resolve)));
  while (Atomics.load(signal, 1) < workers) await new Promise((r) => setTimeout(r, 5));
  const stopWatch = watch?.();
  Atomics.store(signal, 0, 1);
  Atomics.notify(signal, 0);
  const results = await Promise.all(done);
  const watched = stopWatch?.();
  await Promise.all(exited); // each detached before its message
  heap?.validate();
  heap?.dispose();
  return { results, watched };
}

/** All workers' operations over the slowest worker's wall time, in ops/µs. */
export function roundRate(results, ops) {
  return (results.length * ops) / (Math.max(...results.map((r) => r.ms)) * 1000);
}
