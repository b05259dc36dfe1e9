// Starts a Node worker_threads worker of the threads tests and gives an endpoint to it.
import { Worker } from "node:worker_threads";

export function spawnNodeWorker() {
  const worker = new Worker(new URL("./node-worker.js", import.meta.url));
  const inbox = [];
  let waiting;
  const deliver = (message) => {
    if (waiting) waiting(message), (waiting = undefined);
    else inbox.push(message);
  };
  worker.on("message", deliver);
  worker.on("error", (e) => deliver({ error: String(e?.stack ?? e) }));
  return {
    send: (message) => worker.postMessage(message),
    receive: () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => (waiting = resolve))),
    terminate: () => worker.terminate(),
  };
}
