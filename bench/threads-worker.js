// A worker of the threads bench: attaches to the shared heap, waits for the start signal, runs
// the loop, and reports how long it took.
import { parentPort, workerData } from "node:worker_threads";
import { attachHeap } from "../dist/node.js";
import { privateLoop } from "./threads-loop.js";

const { init, ops, seed, start } = workerData;
const heap = await attachHeap(init);
const signal = new Int32Array(start);
privateLoop(heap.exports, ops >> 4, seed); // warm up (V8 tiers up the loop)
Atomics.add(signal, 1, 1);
Atomics.wait(signal, 0, 0);
const t = performance.now();
privateLoop(heap.exports, ops, seed);
const ms = performance.now() - t;
heap.detach(); // before the report: the main thread validates once all have reported
parentPort.postMessage({ ms });
