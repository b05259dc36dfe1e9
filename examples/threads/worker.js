// A worker of examples/threads/run.js: links queue.wasm against the shared heap it was sent and
// produces or consumes.
import { parentPort, workerData } from "node:worker_threads";
import { link } from "../../dist/node.js";

const { init, bytes, role, queue, count } = workerData;
try {
  const linked = await link(bytes, { attach: init });
  const sum = role === "produce" ? linked.exports.produce(queue, count) : linked.exports.consume(queue, count);
  linked.heap.detach();
  parentPort.postMessage({ sum });
} catch (e) {
  parentPort.postMessage({ error: String(e?.stack ?? e) });
}
