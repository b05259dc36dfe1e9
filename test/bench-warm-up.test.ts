// The threads bench's warm-up (bench/threads-loop.js warmUp) leaves the loop compiled by V8's
// optimizing tier before the measured call (or being compiled: then the test waits for it), and
// a call after it stays there: with one warm-up call the loop was only marked for it, so the
// measured call compiled it on a background thread inside the measured window, which took a
// core from a second worker (docs/threads.md, "Where the rest of the second core went"); and code
// optimized before the loop's last lines had run deopted there at every call.
import v8 from "node:v8";
import { expect, test } from "vitest";
import { createHeap } from "../dist/node.js";
// @ts-expect-error: plain JS bench module
import { privateLoop, warmUp } from "../bench/threads-loop.js";

// %GetOptimizationStatus bits (V8's OptimizationStatus)
const OPTIMIZED = 16;
const TURBOFANNED = 64;
const OPTIMIZING_CONCURRENTLY = 1024;

test("the threads bench's warm-up leaves the loop optimized", async () => {
  v8.setFlagsFromString("--allow-natives-syntax");
  const status = new Function("f", "return %GetOptimizationStatus(f);") as (f: unknown) => number;
  const heap = await createHeap({ checked: true });
  const loop = privateLoop; // this file's copy: no other test calls it
  await warmUp(heap.exports, 25_000, 17);
  // a compile still running on a loaded machine: wait for it (not a timing assertion)
  while (status(loop) & OPTIMIZING_CONCURRENTLY) await new Promise((resolve) => setTimeout(resolve, 10));
  expect(status(loop) & (OPTIMIZED | TURBOFANNED), status(loop).toString(2)).toBe(OPTIMIZED | TURBOFANNED);
  loop(heap.exports, 25_000, 99); // as the measured call: no deopt
  expect(status(loop) & (OPTIMIZED | TURBOFANNED), status(loop).toString(2)).toBe(OPTIMIZED | TURBOFANNED);
  heap.dispose();
});
