// The worker thread `rcalloc check` runs in (cli-timeout.ts), so a hung entry can be stopped:
// it runs the command line given in workerData and posts back what it prints and its exit status.
import { parentPort, workerData } from "node:worker_threads";
import { main } from "./cli.js";
import type { WorkerMessage } from "./cli-timeout.js";

const post = (message: WorkerMessage) => parentPort!.postMessage(message);
const { argv } = workerData as { argv: string[] };
const status = await main(argv, { log: (line) => post({ kind: "log", line }) }, { write: (text) => post({ kind: "err", text }), isTTY: false },
  { phase: (phase) => post({ kind: "phase", phase }), isolated: true });
post({ kind: "done", status });
