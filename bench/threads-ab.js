// === One thread, two builds: a shared build's cost against the plain build of its flavour ===
//
// bench/threads.js measures the builds of this checkout; this runs the same one-thread loop
// (bench/threads-loop.js) on the plain build and on two shared builds of one flavour (--flavour
// checked, the default, or unchecked) — this checkout's and another's (--base: a directory
// holding build/rcalloc.shared-<flavour>.wasm, such as a copy of the main branch's build) — in
// interleaved rounds, so each ratio compares builds in one machine state. Each shared build runs
// alone (never handed over) and after heap.shareable(). Prints per case the median [min–max] of
// shared time ÷ plain time, then of this build's time ÷ the base build's, round by round.
//
// Each case keeps one heap for every round, called from its own copy of the loop (ownLoop).
//
//   node bench/threads-ab.js --base <dir> [--flavour checked|unchecked] [--ops N] [--rounds N]
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createHeap } from "../dist/node.js";
import { ownLoop, warmUp } from "./threads-loop.js";

const { values } = parseArgs({
  options: { base: { type: "string" }, flavour: { type: "string", default: "checked" }, ops: { type: "string", default: "400000" }, rounds: { type: "string", default: "15" } },
});
if (!values.base) throw new Error("--base <dir>: a checkout or copy whose build/ holds the other shared build");
const FLAVOUR = values.flavour;
if (FLAVOUR !== "checked" && FLAVOUR !== "unchecked") throw new Error("--flavour: checked or unchecked");
const checked = FLAVOUR === "checked";
const OPS = Number(values.ops);
const ROUNDS = Number(values.rounds);
const builds = {
  base: readFileSync(join(values.base, `build/rcalloc.shared-${FLAVOUR}.wasm`)),
  this: readFileSync(new URL(`../build/rcalloc.shared-${FLAVOUR}.wasm`, import.meta.url)),
};

/** A case: its heap, and its own copy of the loop. */
async function makeCase(name, options, handed) {
  const heap = await createHeap({ checked, ...options });
  if (handed) heap.shareable();
  const privateLoop = await ownLoop(name);
  await warmUp(heap.exports, OPS >> 2, 3, privateLoop); // V8 tiers up the loop and the exports
  return { name, handed, heap, privateLoop, times: [] };
}

const plain = await makeCase("plain", {}, false);
const cases = [];
for (const name of ["base", "this"]) for (const handed of [false, true]) {
  cases.push(await makeCase(`${name}${handed ? ", after shareable()" : ", alone"}`, { shared: true, wasm: builds[name] }, handed));
}
for (let r = 0; r < ROUNDS; r++) {
  for (const c of r & 1 ? [plain, ...cases].reverse() : [plain, ...cases]) {
    const t = performance.now();
    c.privateLoop(c.heap.exports, OPS, 5 + r);
    c.times.push(performance.now() - t);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const range = (xs) => `${median(xs).toFixed(2)}x [${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}]`;
const ratios = (a, b) => a.times.map((t, r) => t / b.times[r]);
console.log(`one thread, shared ${FLAVOUR} time / plain ${FLAVOUR} time, ${ROUNDS} interleaved rounds of ${OPS} operations`);
for (const c of cases) console.log(`${c.name.padEnd(30)} ${range(ratios(c, plain))}`);
// The two shared builds against each other, round by round: this build's time ÷ the base's.
for (const handed of [false, true]) {
  const [base, mine] = ["base", "this"].map((name) => cases.find((c) => c.name.startsWith(name) && c.handed === handed));
  console.log(`${`this / base${handed ? ", after shareable()" : ", alone"}`.padEnd(30)} ${range(ratios(mine, base))}`);
}
for (const c of [plain, ...cases]) c.heap.dispose();
