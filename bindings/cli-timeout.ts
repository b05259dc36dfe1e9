// `rcalloc check --timeout S`: the check runs in a worker thread, which is terminated when the
// run takes longer than S seconds (a hung or endless entry); the command then exits 4 and says
// what is known: the entry, the time limit, and what the module printed so far.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { EXIT, fail, type ErrorOutput, type ExitStatus, type Output } from "./cli-usage.js";

/** What the worker (cli-worker.ts) posts to the main thread. Declared here, on the side that
 *  starts the worker, so the worker depends on this file and not the other way round. */
export type WorkerMessage =
  | { kind: "log"; line: string }
  | { kind: "err"; text: string }
  | { kind: "phase"; phase: string }
  | { kind: "done"; status: number };

/** Seconds a check may run by default. */
export const DEFAULT_TIMEOUT_SECONDS = 60;

/** The compiled worker next to this file (dist/); absent when this file runs from TypeScript sources. */
const WORKER = new URL("./cli-worker.js", import.meta.url);

/** The value of --timeout in argv (seconds), or the default; a usage error when it is not a positive number. */
export function timeoutOf(argv: readonly string[]): number {
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--timeout") value = argv[i + 1];
    else if (argv[i].startsWith("--timeout=")) value = argv[i].slice("--timeout=".length);
  }
  if (value === undefined) return DEFAULT_TIMEOUT_SECONDS;
  const seconds = Number(value);
  if (!(seconds > 0) || !Number.isFinite(seconds)) fail(`--timeout must be a positive number of seconds, got ${value}`);
  return seconds;
}

/** Whether check can run in a worker here (the compiled package; not TypeScript sources under a test runner). */
export function canIsolate(): boolean {
  return WORKER.protocol === "file:" && existsSync(fileURLToPath(WORKER));
}

/** Runs `rcalloc check <argv>` in a worker, stopped after --timeout seconds (exit 4). */
export async function checkWithTimeout(argv: readonly string[], out: Output, err: ErrorOutput): Promise<ExitStatus> {
  const seconds = timeoutOf(argv);
  const worker = new Worker(WORKER, { workerData: { argv: ["check", ...argv] } });
  let status: number | undefined;
  let phase = "linking the module";
  const done = new Promise<void>((resolve, reject) => {
    worker.on("message", (m: WorkerMessage) => {
      if (m.kind === "log") out.log(m.line);
      else if (m.kind === "err") err.write(m.text);
      else if (m.kind === "phase") phase = m.phase;
      else if (m.kind === "done") { status = m.status; resolve(); }
    });
    worker.on("error", reject);
    worker.on("exit", () => resolve());
  });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => { timer = setTimeout(() => resolve("timeout"), seconds * 1000); });
  const outcome = await Promise.race([done, expired]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    await worker.terminate();
    const json = argv.includes("--json");
    const message = `the run did not finish within ${seconds} s, while ${phase}: stopped. ` +
      "No report: the heap was not walked (a longer --timeout, or a smaller workload, gives one)";
    if (json) {
      out.log(JSON.stringify({ tool: "rcalloc check", file: argv.find((a) => !a.startsWith("-")) ?? null, build: "checked",
        status: "timeout", exitCode: EXIT.FAILED, timeoutSeconds: seconds, phase, error: { name: "Timeout", code: null, message, during: phase } }, null, 2));
    } else {
      out.log(`TIMEOUT  ${message}`);
    }
    return EXIT.FAILED;
  }
  await worker.terminate();
  if (status === undefined) return EXIT.FAILED;
  return status as ExitStatus;
}
