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
