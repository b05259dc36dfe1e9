// A Node worker_threads worker of the threads tests (worker-core.js does the work).
import { parentPort } from "node:worker_threads";
import * as api from "../../dist/node.js";
import { serve } from "./worker-core.js";

const inbox = [];
let waiting;
parentPort.on("message", (message) => {
  if (waiting) waiting(message), (waiting = undefined);
  else inbox.push(message);
});
const receive = () => (inbox.length ? Promise.resolve(inbox.shift()) : new Promise((resolve) => (waiting = resolve)));
await serve(api, { receive, send: (message) => parentPort.postMessage(message) });
parentPort.close();
