// A worker of the threads bench: attaches to the shared heap (or, for the machine's own scaling,
// creates a non-shared heap of its own), waits for the start signal, runs the loop, and reports
// how long it took, the CPU time it used, and how often it took the heap lock.
import { parentPort, workerData } from "node:worker_threads";
import { attachHeap, createHeap } from "../dist/node.js";
import { privateLoop } from "./threads-loop.js";
import { threadCpuNs } from "./thread-cpu.js";

const { init, ops, seed, start, own } = workerData;
const heap = own ? await createHeap({ checked: own.checked }) : await attachHeap(init);
const signal = new Int32Array(start);
privateLoop(heap.exports, ops >> 4, seed); // warm up (V8 tiers up the loop)
Atomics.add(signal, 1, 1);
Atomics.wait(signal, 0, 0);
const takes = heap.exports.lockTakes?.() >>> 0;
const cpu = threadCpuNs();
const t = performance.now();
privateLoop(heap.exports, ops, seed);
const ms = performance.now() - t;
const cpuNsPerOp = cpu === undefined ? undefined : (threadCpuNs() - cpu) / ops;
const lockTakes = heap.exports.lockTakes ? (heap.exports.lockTakes() >>> 0) - takes : 0;
if (own) heap.dispose();
else heap.detach(); // before the report: the main thread validates once all have reported
parentPort.postMessage({ ms, lockTakes, cpuNsPerOp });
