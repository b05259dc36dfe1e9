// A worker of the threads bench: attaches to the shared heap (or, for the machine's own scaling,
// creates a non-shared heap of its own), warms up, waits for the start signal, runs the loop, and
// reports how long it took, the CPU time it used, and how often it took the heap lock (with
// `diag`, also its scheduler figures and window: bench/threads-diag.js).
import { parentPort, workerData } from "node:worker_threads";
import { attachHeap, createHeap } from "../dist/node.js";
import { privateLoop, warmUp } from "./threads-loop.js";
import { threadCpuNs, threadSched } from "./thread-cpu.js";

const { init, ops, seed, start, own, diag, warmUpCalls } = workerData;
const heap = own ? await createHeap({ checked: own.checked }) : await attachHeap(init);
const signal = new Int32Array(start);
await warmUp(heap.exports, ops >> 4, seed, privateLoop, warmUpCalls);
Atomics.add(signal, 1, 1);
Atomics.wait(signal, 0, 0);
const takes = heap.exports.lockTakes?.() >>> 0;
const schedStart = diag && threadSched();
const cpu = threadCpuNs();
const mono = process.hrtime.bigint(); // CLOCK_MONOTONIC, as `perf record -k CLOCK_MONOTONIC`
const t = performance.now();
privateLoop(heap.exports, ops, seed);
const ms = performance.now() - t;
const monoEnd = process.hrtime.bigint();
const schedEnd = diag && threadSched();
const cpuNsPerOp = cpu === undefined ? undefined : (threadCpuNs() - cpu) / ops;
const lockTakes = heap.exports.lockTakes ? (heap.exports.lockTakes() >>> 0) - takes : 0;
if (own) heap.dispose();
else heap.detach(); // before the report: the main thread validates once all have reported
const sched = diag && {
  startAt: performance.timeOrigin + t, window: [Number(mono) / 1e9, Number(monoEnd) / 1e9], tid: schedEnd.tid,
  cpu: schedEnd.cpu - schedStart.cpu, runq: schedEnd.runq - schedStart.runq, vol: schedEnd.vol - schedStart.vol, invol: schedEnd.invol - schedStart.invol,
};
parentPort.postMessage({ ms, lockTakes, cpuNsPerOp, sched });
