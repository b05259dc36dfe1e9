import { BaseSequencer, type TestSpecification } from "vitest/node";
import { defineConfig } from "vitest/config";

// The files that take longest, slowest first. Started first, they run beside the many short
// files instead of after them: vitest's own order puts files it has no timings for (a fresh
// clone) largest first, and these are small files that wait on child processes and workers.
const SLOW_FIRST = ["test/readme.test.ts", "test/threads.test.ts", "test/threads-browser.test.ts"];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.findIndex((name) => f.moduleId.endsWith(name));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b)); // stable: the rest keep vitest's order
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // vitest's default is one worker per core less one: a single worker on a 2-core machine, so
    // files ran one after another while most of them wait on child processes, Chromium or
    // worker threads. Two files at a time keep both cores busy.
    maxWorkers: 2,
    // A worker runs its files in one process with one module cache: the bindings, asc and the
    // compiled allocator builds load once per worker, not once per file (20 small files: 18 s ->
    // 6 s). Module state carries over from file to file, as in a long-lived program: heap tags
    // (15 per process) come back only by dispose() or garbage collection, and a shared heap's only
    // by dispose(), so a file must dispose the shared heaps it creates. No helper module registers
    // hooks or mocks, which would then run for one file only.
    isolate: false,
    sequence: { sequencer: SlowFirst },
  },
});
