// The CPU time the calling thread has used, in ns (Linux: /proc/thread-self/schedstat), or
// undefined where the system does not say. Unlike wall time it does not count the time a thread
// waits for a core, so on a machine shared with other work it still shows whether adding
// threads makes each operation cost more (contention: shared cache lines, the lock).
import { readFileSync } from "node:fs";

export function threadCpuNs() {
  try {
    return Number(readFileSync("/proc/thread-self/schedstat", "utf8").split(" ")[0]);
  } catch {
    return undefined;
  }
}

/** This thread's scheduler figures (Linux): CPU ns, ns waiting for a core, voluntary and
 *  involuntary context switches, and its thread id (bench/threads-diag.js). */
export function threadSched() {
  const [cpu, runq] = readFileSync("/proc/thread-self/schedstat", "utf8").split(" ").map(Number);
  const status = readFileSync("/proc/thread-self/status", "utf8");
  const field = (name) => Number(status.match(new RegExp(`${name}:\\s+(\\d+)`))[1]);
  return { cpu, runq, vol: field("voluntary_ctxt_switches"), invol: field("nonvoluntary_ctxt_switches"), tid: field("Pid") };
}

/** CPU time other processes used, in ms, since `from` (undefined: start counting; Linux: busy
 *  time in /proc/stat minus this process's, in 10 ms ticks): a bench row measured while other
 *  work ran is not an idle machine's, whatever the load average said before it. */
export function othersCpuMs(from) {
  try {
    const all = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    const self = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    const ticks = all[0] + all[1] + all[2] + all[5] + all[6] + all[7] - Number(self[11]) - Number(self[12]);
    return from === undefined ? ticks : (ticks - from) * 10;
  } catch {
    return undefined;
  }
}
