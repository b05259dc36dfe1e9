// rcalloc's command line: run a wasm module against the checked allocator and report
// reference-counting bugs (check), measure what the checked build costs on the module's own
// workload (bench), or fuse the allocator into the module with binaryen's wasm-merge (merge).
// bin/rcalloc.js only loads this file; each command has its own (cli-check.ts, cli-bench.ts,
// cli-merge.ts), and the exit statuses and usage errors live in cli-usage.ts.
import { printable } from "./format.js";
import { bench } from "./cli-bench.js";
import { check, exitStatusOf, usageResult } from "./cli-check.js";
import { merge } from "./cli-merge.js";
import { canIsolate, checkWithTimeout } from "./cli-timeout.js";
import { EXIT, fail, UsageError, type ErrorOutput, type ExitStatus, type Output } from "./cli-usage.js";

export { EXIT, type ExitStatus } from "./cli-usage.js";

export const HELP = `rcalloc — find reference-counting bugs in a wasm module, and measure what finding them costs

Usage:
  rcalloc check app.wasm [--entry NAME] [--json] [--html FILE] [--imports host.mjs] [--timeout S]
  rcalloc bench app.wasm --entry NAME [--rounds N] [--json] [--imports host.mjs]
  rcalloc merge app.wasm --checked|--unchecked -o OUT.wasm [--optimize] [--sites]
  rcalloc --help

check   Links app.wasm against the checked allocator (sites from wasm stack frames, and source
        lines when app.wasm.map is next to it, or from the DWARF of a C, C++ or Rust module
        built with -g), calls _start if exported, then the entry
        (default: main, if exported), and prints the misuse that trapped or the references
        still live at the end, grouped by where they were taken, each marked unreachable when
        no copy of it is left anywhere in memory. Blocks held by rcalloc's AssemblyScript
        runtime (live GC objects), objects the module marked with ignore(), and references
        held by the module's globals or returned by the entry (JS's to put) are not leaks.
          --entry NAME   exported function to call (no arguments)
          --json         print the result as JSON instead of text
          --html FILE    also write a self-contained HTML report to FILE
          --imports F    a module whose default export (memory, getString) returns the extra
                         imports app.wasm needs; AssemblyScript's usual host imports (env.trace,
                         env.seed, Math.*, Date.now, console.*) are given by default
          --timeout S    stop a run that takes longer than S seconds (default 60): exit 4
          --owns-memory-growth  the module grows memory on purpose, for its own use (without
                         it, a memory.grow in its code is refused as a second allocator)
bench   Runs the entry under the unchecked and the checked build (measureOverhead: fresh
        instances each round, builds interleaved, warm-up not counted), and prints the time per
        call of each, peak pages and the overhead ratio checked/unchecked: median, min and max
        over the rounds.
          --entry NAME   exported function to time (required; no arguments)
          --rounds N     timed rounds (default 10); each round runs both builds
          --json         print the measurement as JSON (docs/overhead.schema.json)
          --imports F    extra imports, as for check
          --owns-memory-growth  as for check
merge   Writes one module with the allocator build fused in (binaryen's wasm-merge, from the
        binaryen package). It exports the allocator's API too: Heap.instantiate() wraps it.
          --checked, --unchecked   which allocator build to merge in (one is required)
          -o, --output FILE        where to write the merged module
          --optimize               run wasm-opt -O3 on the result (inlines across the seam)
          --owns-memory-growth     as for check
          --sites                  with --checked: the module's calls into the allocator stay
                                   imports, so Heap.instantiate(bytes, { checked: true,
                                   stacks: true, sourceMap }) takes each call's wasm stack
                                   as its site; app.wasm.map goes through as OUT.wasm.map

Exit status (check): 0 clean, 1 leaks, 2 misuse trap (double put, use after put, ...),
  3 usage or file error (bad arguments, missing file, not wasm, not linkable, no such entry,
    an output file that cannot be written, a memory the heap cannot hold),
  4 the program failed otherwise (its own abort, a wasm trap, out of memory, --timeout).
bench and merge: 0 done, 2 misuse trap, 3 usage or file error, 4 failure.

app.wasm must import the allocator from module "rcalloc" and its memory (AssemblyScript:
  asc app.ts --runtime ./node_modules/rcalloc/runtime/rcalloc --importMemory --memoryBase 65536
  plus --debug --sourceMap for function names and source lines in reports).`;

/** How a command reports its progress (the check worker, cli-timeout.ts). */
export interface CommandHooks {
  /** What the run is doing now ("calling main"), for a timeout's message. */
  phase?(text: string): void;
  /** Already in the worker thread: run check here. */
  isolated?: boolean;
}

/**
 * Runs one command line (without "node rcalloc"); returns the exit status. `check` runs in a
 * worker thread that --timeout can stop, wherever the compiled worker exists (the package's
 * dist/); from TypeScript sources (a test runner) it runs in this thread, without a timeout.
 */
export async function main(
  argv: readonly string[], out: Output = console, err: ErrorOutput = process.stderr, hooks: CommandHooks = {},
): Promise<ExitStatus> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) fail("no command given (rcalloc --help for usage)");
    if (command === "--help" || command === "-h" || command === "help" || rest.includes("--help") || rest.includes("-h")) {
      out.log(HELP);
      return EXIT.CLEAN;
    }
    switch (command) {
      case "check": return !hooks.isolated && canIsolate() ? await checkWithTimeout(rest, out, err) : await check(rest, out, err, hooks.phase);
      case "bench": return await bench(rest, out, err);
      case "merge": return await merge(rest, out);
      default: fail(`unknown command "${command}" (commands: check, bench, merge; rcalloc --help for usage)`);
    }
  } catch (e) {
    const error = e as Error;
    const exit = e instanceof UsageError ? EXIT.USAGE : exitStatusOf(e);
    if (exit === EXIT.USAGE) {
      err.write(`rcalloc: error: ${printable(error.message)}\n`);
      // check --json: stdout is JSON whatever happened (cli-check.ts usageResult)
      if (command === "check" && rest.includes("--json")) out.log(JSON.stringify(usageResult(rest, error), null, 2));
      return exit;
    }
    const name = error.name && error.name !== "Error" ? `${error.name}: ` : "";
    err.write(`rcalloc: ${exit === EXIT.MISUSE ? "misuse" : "failed"}: ${printable(name + error.message)}\n`);
    return exit;
  }
}
