// Starts a Node worker_threads worker of the threads tests and gives an endpoint to it.
import { Worker } from "node:worker_threads";

/** How long stop() waits for a worker to exit by itself before it terminates it (a failed run). */
const EXIT_WAIT_MS = 5000;

export function spawnNodeWorker() {
  const worker = new Worker(new URL("./node-worker.js", import.meta.url));
  const exited = new Promise((resolve) => worker.once("exit", resolve));
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
    // A worker exits by itself once it detached (node-worker.js). Terminating one that is still
    // running could stop it mid-operation, holding the heap lock: only a run that failed does.
    stop: () => Promise.race([exited, new Promise((resolve) => setTimeout(resolve, EXIT_WAIT_MS).unref())])
      .then(() => worker.terminate()),
    /** Stops it now, wherever it is (the test of a worker terminated while it holds the lock). */
    terminate: () => worker.terminate(),
  };
}
