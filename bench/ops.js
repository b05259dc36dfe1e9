// === benny suites: cost per operation, and the JS boundary through the TypeScript bindings ===
//
// Per-operation suites: each benny case calls one exported wasm loop of OPS operations
// (allocFree, getPut, ptrLoop, resizeLoop in workloads.ts), so the ~4.5 ns JS->wasm call is
// spread over OPS operations instead of drowning them. Every allocator gets a fresh instance per
// suite, warmed up (tiered up by V8) before benny starts timing.
//
// Boundary suite: the same operation called OPS times from JS, through the bindings
// (`heap.ptr(h)`, `heap.put(heap.get(h))`) and through the raw export (`heap.exports.ptr(h)`):
// the ratio is what the bindings add per call.
//
// Standalone: node bench/ops.js [--quick] [--bindings <module path>]

import b from "benny";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const OPS = 1000;
/** Calls of one case on one instance before it moves to a fresh one (runOpSuites). */
const REFRESH_CALLS = 20_000;

export const OP_CASES = [
  { id: "allocFree16", label: "alloc+free 16 B", call: (e) => () => e.allocFree(OPS, 16) },
  { id: "allocFree256", label: "alloc+free 256 B", call: (e) => () => e.allocFree(OPS, 256) },
  { id: "allocFree4096", label: "alloc+free 4 KiB", call: (e) => () => e.allocFree(OPS, 4096) },
  { id: "allocFree65536", label: "alloc+free 64 KiB", call: (e) => () => e.allocFree(OPS, 65536) },
  { id: "getPut", label: "get+put", call: (e) => () => e.getPut(OPS) },
  { id: "ptr", label: "ptr", call: (e) => () => e.ptrLoop(OPS) },
  { id: "resize", label: "resize 24/200/1000/3000 B", call: (e) => () => e.resizeLoop(OPS) },
];

export const FULL = { cases: { minSamples: 10, maxTime: 1, minTime: 0.05 }, warmCalls: 300 };
export const QUICK = { cases: { minSamples: 2, maxTime: 0.02, minTime: 0.005, initCount: 1 }, warmCalls: 30 };

// Results stay reachable so nothing looks dead to the JIT.
export let sink = 0;

/**
 * benny prints "Running ... suite" with console.log; that would tear the progress line, and the
 * results are printed in the final table anyway.
 */
async function quietSuite(name, ...parts) {
  const log = console.log;
  console.log = () => {};
  try {
    return await b.suite(name, ...parts);
  } finally {
    console.log = log;
  }
}

function caseResult(r) {
  const perCall = r.details.median; // seconds per call (median sample)
  return {
    opsPerSec: r.ops * OPS,
    nsPerOp: (perCall * 1e9) / OPS,
    minNs: (r.details.min * 1e9) / OPS,
    maxNs: (r.details.max * 1e9) / OPS,
    rme: r.margin,
    samples: r.samples,
  };
}

/** Runs one benny suite per operation over all allocators. */
export async function runOpSuites(allocators, settings, progress = () => {}) {
  const suites = [];
  for (const [i, opCase] of OP_CASES.entries()) {
    progress(i / OP_CASES.length, `benny: ${opCase.label}`);
    const fns = allocators.map((a) => {
      // A checked heap issues at most 2^28 references in its life (assembly/handles.ts): benny's
      // get+put case on an idle machine takes more than that from one heap (268M pairs at ~5 ns
      // is 1.3 s). So each case starts over on a fresh instance of the same compiled module every
      // REFRESH_CALLS calls (REFRESH_CALLS × OPS = 20M operations, well under the limit); an
      // instantiation costs ~1 ms against ~0.1 s of calls between two, inside the timing.
      let call = opCase.call(a.instantiate());
      let calls = 0;
      const fn = () => {
        if (++calls === REFRESH_CALLS) {
          calls = 0;
          call = opCase.call(a.instantiate());
        }
        return call();
      };
      for (let k = 0; k < settings.warmCalls; k++) sink ^= fn();
      return { a, fn };
    });
    let done = 0;
    const summary = await quietSuite(
      opCase.label,
      ...fns.map(({ a, fn }) => b.add(a.id, () => { sink ^= fn(); })),
      b.cycle(() => {
        done++;
        progress((i + done / fns.length) / OP_CASES.length, `benny: ${opCase.label}`);
      }),
      b.configure({ cases: settings.cases }),
    );
    const byId = Object.fromEntries(summary.results.map((r) => [r.name, caseResult(r)]));
    const floorNs = allocators.find((a) => a.floor) ? byId.floor.nsPerOp : null;
    const results = allocators.map((a) => ({
      id: a.id,
      label: a.label,
      floor: !!a.floor,
      ...byId[a.id],
      ownNs: floorNs !== null && !a.floor ? byId[a.id].nsPerOp - floorNs : null,
    }));
    suites.push({ id: opCase.id, label: opCase.label, opsPerCall: OPS, results });
  }
  progress(1, "benny: done");
  return suites;
}

/**
 * The bindings to measure: `spec` when given (a path), else the package itself by name (its
 * "exports" map picks dist/node.js under Node), else dist/index.js.
 */
async function importBindings(spec) {
  const tries = spec ? [pathToFileURL(path.resolve(spec)).href]
    : ["rcalloc", pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), "..", "dist", "index.js")).href];
  const errors = [];
  for (const target of tries) {
    try {
      const mod = await import(target);
      if (typeof mod.createHeap === "function") return { createHeap: mod.createHeap, from: target };
      errors.push(`${target}: no createHeap export`);
    } catch (err) {
      errors.push(`${target}: ${err.code ?? err.message}`);
    }
  }
  return { error: errors.join("; ") };
}

/**
 * The boundary suite through the bindings. Returns { skipped } when they cannot be loaded
 * (dist/ not built yet) or lack `heap.exports`.
 */
export async function runBoundarySuite(bindingsSpec, settings, progress = () => {}) {
  const { createHeap, from, error } = await importBindings(bindingsSpec);
  if (error) return { skipped: `boundary suite skipped: cannot load the bindings (${error}); build them first (npm run build)` };
  const pairs = [];
  for (const checked of [false, true]) {
    const build = checked ? "checked" : "unchecked";
    progress(checked ? 0.5 : 0, `benny: boundary, ${build} bindings`);
    let heap;
    try {
      heap = await createHeap({ checked, stacks: false });
    } catch (err) {
      return { skipped: `boundary suite skipped: createHeap({ checked: ${checked} }) failed: ${err.message}` };
    }
    const raw = heap.exports;
    if (!raw || typeof raw.ptr !== "function") {
      return { skipped: "boundary suite skipped: the heap has no `exports` property with the raw wasm exports yet" };
    }
    const h = heap.alloc(16);
    const { ptr, get, put } = raw;
    const cases = {
      "binding ptr": () => { let s = 0; for (let i = 0; i < OPS; i++) s += heap.ptr(h); sink ^= s; },
      "raw ptr": () => { let s = 0; for (let i = 0; i < OPS; i++) s += ptr(h); sink ^= s; },
      "binding get+put": () => { for (let i = 0; i < OPS; i++) heap.put(heap.get(h)); },
      "raw get+put": () => { for (let i = 0; i < OPS; i++) put(get(h)); },
    };
    for (const fn of Object.values(cases)) for (let k = 0; k < settings.warmCalls; k++) fn();
    const summary = await quietSuite(
      `boundary (${build})`,
      ...Object.entries(cases).map(([name, fn]) => b.add(name, fn)),
      b.configure({ cases: settings.cases }),
    );
    const r = Object.fromEntries(summary.results.map((x) => [x.name, caseResult(x)]));
    for (const op of ["ptr", "get+put"]) {
      const binding = r[`binding ${op}`].nsPerOp;
      const rawNs = r[`raw ${op}`].nsPerOp;
      pairs.push({ build, op, bindingNs: binding, rawNs, ratio: binding / rawNs });
    }
    heap.put(h);
  }
  progress(1, "benny: boundary done");
  return { from, pairs };
}

// Standalone run: prints the per-operation and boundary tables only.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { build } = await import("./build.js");
  const { loadAllocators } = await import("./allocators.js");
  const { opsTable, boundaryTable } = await import("./report.js");
  const quick = process.argv.includes("--quick");
  const i = process.argv.indexOf("--bindings");
  const bindings = i > 0 ? process.argv[i + 1] : null;
  const skipped = {};
  Object.assign(skipped, (await build((l) => console.error(l))).skipped);
  const allocators = await loadAllocators(skipped);
  for (const reason of Object.values(skipped)) console.error(reason);
  const settings = quick ? QUICK : FULL;
  console.log(opsTable(await runOpSuites(allocators, settings)));
  const boundary = await runBoundarySuite(bindings, settings);
  console.log(boundary.skipped ?? boundaryTable(boundary));
}
