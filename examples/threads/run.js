#!/usr/bin/env node
// Two workers pass objects through a queue in a shared heap: the module examples/threads/queue.ts
// (built with --sharedMemory) is linked against the shared build in the main thread and again in
// each worker (link(bytes, { attach })). The producer allocates and pushes; the consumer pops,
// reads and puts. Then the report: nothing left but the queue, which the main thread puts.
//
//   npm run build:examples && node examples/threads/run.js [count] [--checked]
import { realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { link } from "../../dist/node.js";
import { examplePath } from "../build.js";

/** Runs the example; returns what was sent and received and what the heap holds after. */
export async function runThreadsExample({ count = 100_000, checked = false } = {}) {
  const bytes = await readFile(examplePath("threads"));
  const linked = await link(bytes, { shared: true, checked });
  const queueHandle = linked.exports.newQueue(256) >>> 0;
  const queue = linked.heap.ptr(queueHandle);
  const init = linked.shareable();
  const run = (role) => new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./worker.js", import.meta.url), { workerData: { init, bytes, role, queue, count } });
    worker.once("message", (m) => (m.error ? reject(new Error(m.error)) : resolve(m.sum)));
    worker.once("error", reject);
  });
  const [sent, received] = await Promise.all([run("produce"), run("consume")]);
  linked.heap.put(queueHandle);
  linked.heap.validate();
  const report = linked.report();
  return { sent, received, objects: report.objects.length, references: report.references.length };
}

// Run when executed, not when imported by the tests.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const count = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 100_000);
  const checked = process.argv.includes("--checked");
  const t = performance.now();
  const r = await runThreadsExample({ count, checked });
  console.log(`${checked ? "checked" : "unchecked"} shared heap: ${count} objects passed from one worker to another in ${(performance.now() - t).toFixed(0)} ms`);
  console.log(`sum sent ${r.sent}, sum received ${r.received}; left in the heap: ${r.objects} objects, ${r.references} references`);
  process.exitCode = r.sent === r.received && r.objects === 0 ? 0 : 1;
}
