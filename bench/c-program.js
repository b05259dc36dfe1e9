#!/usr/bin/env node
// === A real C program on rcalloc's malloc: bench/c/json.c, dlmalloc against rcalloc ===
//
//   node bench/c-program.js [--quick]      (also part of npm run bench)
//
// The same JSON parser (a tree node per value, a string per key, arrays grown by realloc) is
// compiled twice with Debian's clang -O2:
//   json.dlmalloc.wasm   with wasi-libc's dlmalloc, in its own memory (the program as usual)
//   json.rcalloc.wasm    with include/rcalloc-malloc.c, linked at load (link()) against rcalloc
//                        unchecked, checked, and checked without its quarantine; and fused with
//                        each build by `rcalloc merge --optimize` (wasm-merge + wasm-opt -O3:
//                        malloc is then a call inside one module, as dlmalloc's is)
// Each timed call parses the generated ~340 KB document, walks the tree and frees it. Rounds
// interleave the allocators; the table gives ms per parse (median, min–max), the ratio to
// dlmalloc, and memory pages at the end. Every allocator must return the same checksum.
// Skipped with the reason when clang, lld, wasi-libc or compiler-rt for wasm32 is missing.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { CLANG_FLAGS, compilerEnv, nativeMissing } from "../examples/build-native.js";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const BUILD = path.join(BENCH, "build");
const SOURCE = path.join(BENCH, "c", "json.c");
const SHIM = path.join(ROOT, "include", "rcalloc-malloc.c");

export const FULL = { rounds: 15, parsesPerCall: 4, warmCalls: 6 };
export const QUICK = { rounds: 2, parsesPerCall: 1, warmCalls: 1 };

const OUTPUTS = {
  dlmalloc: {
    file: path.join(BUILD, "json.dlmalloc.wasm"),
    args: ["--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor", SOURCE],
  },
  rcalloc: {
    file: path.join(BUILD, "json.rcalloc.wasm"),
    args: [...CLANG_FLAGS, "-I", path.join(ROOT, "include"), SOURCE, SHIM],
  },
};
/** json.rcalloc.wasm with each allocator build fused in (rcalloc merge --optimize): no calls across instances. */
const MERGED = {
  unchecked: path.join(BUILD, "json.rcalloc.merged-unchecked.wasm"),
  checked: path.join(BUILD, "json.rcalloc.merged-checked.wasm"),
};
const CLI = path.join(ROOT, "bin", "rcalloc.js");

function mtime(file) {
  return fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0;
}

/** Builds the two modules when stale; returns null, or why they cannot be built here. */
export function buildCProgram(log = () => {}) {
  const missing = nativeMissing("clang");
  if (missing) return `C program skipped: ${missing}`;
  fs.mkdirSync(BUILD, { recursive: true });
  const sources = Math.max(mtime(SOURCE), mtime(SHIM), mtime(path.join(ROOT, "include", "rcalloc.h")), mtime(fileURLToPath(import.meta.url)));
  for (const [name, o] of Object.entries(OUTPUTS)) {
    if (mtime(o.file) >= sources) continue;
    log(`building bench/build/${path.basename(o.file)}`);
    const r = spawnSync("clang", [...o.args, "-o", o.file], { encoding: "utf8", env: compilerEnv() });
    if (r.status !== 0) throw new Error(`building the ${name} C program failed:\n${r.stderr}`);
  }
  for (const [build, file] of Object.entries(MERGED)) {
    if (mtime(file) >= Math.max(mtime(OUTPUTS.rcalloc.file), mtime(path.join(ROOT, "build", `rcalloc.${build}.wasm`)))) continue;
    log(`building bench/build/${path.basename(file)}`);
    const r = spawnSync(process.execPath, [CLI, "merge", OUTPUTS.rcalloc.file, `--${build}`, "--optimize", "-o", file], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`merging the C program failed:\n${r.stderr}`);
  }
  return null;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Counts the allocator calls of one parse (an untimed run through counting imports). */
async function countCalls(api, module) {
  const counts = { malloc: 0, realloc: 0, free: 0 };
  let e;
  const rcalloc = {
    mallocAt: (size, site) => (counts.malloc++, e.mallocAt(size, site)),
    reallocAt: (ptr, size, site) => (counts.realloc++, e.reallocAt(ptr, size, site)),
    freeAt: (ptr, site) => (counts.free++, e.freeAt(ptr, site)),
  };
  const linked = await api.link(module, { checked: false, imports: { rcalloc } });
  e = linked.heap.exports;
  linked.instance.exports.run(1); // the document is generated on the first call
  for (const k of Object.keys(counts)) counts[k] = 0;
  linked.instance.exports.run(1);
  return counts;
}

/**
 * Runs the benchmark: { documentBytes, calls, rows: [{ id, label, ms: {median,min,max}, ratio, pages }] },
 * or { skipped } when the C toolchain is missing. `progress(fraction, text)` is told each round.
 */
export async function runCProgram(settings = FULL, progress = () => {}, log = () => {}) {
  const skipped = buildCProgram(log);
  if (skipped) return { skipped };
  const api = await import("../dist/node.js");
  const dl = await WebAssembly.instantiate(fs.readFileSync(OUTPUTS.dlmalloc.file), {});
  dl.instance.exports._initialize();
  const bytes = fs.readFileSync(OUTPUTS.rcalloc.file);
  const unchecked = await api.link(bytes, { checked: false });
  const checked = await api.link(unchecked.module, { checked: true });
  const bare = await api.link(unchecked.module, { checked: true, quarantine: false });
  const merged = {};
  for (const [build, file] of Object.entries(MERGED)) {
    const heap = await api.Heap.instantiate(await WebAssembly.compile(fs.readFileSync(file)), { checked: build === "checked" });
    // What link() does for a linked module: the heap above the C data and stack, then constructors.
    heap.exports.reserveBelow(heap.exports.__heap_base.value);
    heap.exports._initialize();
    merged[build] = heap;
  }
  const runs = [
    { id: "dlmalloc", label: "wasi-libc dlmalloc", exports: dl.instance.exports, memory: dl.instance.exports.memory },
    { id: "unchecked", label: "rcalloc unchecked", exports: unchecked.instance.exports, memory: unchecked.heap.memory },
    { id: "checked", label: "rcalloc checked", exports: checked.instance.exports, memory: checked.heap.memory },
    { id: "checked-bare", label: "rcalloc checked, no quarantine", exports: bare.instance.exports, memory: bare.heap.memory },
    { id: "merged-unchecked", label: "rcalloc unchecked, merged", exports: merged.unchecked.exports, memory: merged.unchecked.memory },
    { id: "merged-checked", label: "rcalloc checked, merged", exports: merged.checked.exports, memory: merged.checked.memory },
  ];
  const n = settings.parsesPerCall;
  let mark = 0;
  for (const r of runs) {
    r.checksum = r.exports.run(1) >>> 0; // the first run also makes the document, kept for good
    if (r.id === "checked") mark = checked.heap.mark();
    for (let i = 0; i < settings.warmCalls; i++) r.exports.run(n);
    r.times = [];
  }
  const sums = new Set(runs.map((r) => r.checksum));
  if (sums.size !== 1 || runs[0].checksum === 0) {
    throw new Error(`the C program's checksums disagree: ${runs.map((r) => `${r.id} ${r.checksum}`).join(", ")}`);
  }
  for (let round = 0; round < settings.rounds; round++) {
    const order = round % 2 ? [...runs].reverse() : runs;
    for (const r of order) {
      const start = performance.now();
      r.exports.run(n);
      r.times.push((performance.now() - start) / n);
    }
    progress((round + 1) / settings.rounds, `C program: round ${round + 1}/${settings.rounds}`);
  }
  const leaks = checked.heap.leaksSince(mark);
  if (leaks.leakCount !== 0) throw new Error(`the C program leaked under the checked build:\n${leaks.toString()}`);
  const calls = await countCalls(api, unchecked.module);
  const base = median(runs[0].times);
  return {
    documentBytes: dl.instance.exports.documentBytes() >>> 0,
    calls,
    rows: runs.map((r) => ({
      id: r.id, label: r.label,
      ms: { median: median(r.times), min: Math.min(...r.times), max: Math.max(...r.times) },
      ratio: median(r.times) / base,
      minRatio: Math.min(...r.times) / Math.min(...runs[0].times),
      pages: r.memory.buffer.byteLength / 65536,
    })),
  };
}

/** The result as a text table. */
export function cProgramTable(result) {
  if (result.skipped) return result.skipped;
  const c = result.calls;
  const perParse = c.malloc + c.realloc + c.free;
  const lines = [
    `C program: JSON parse + walk + free of a ${(result.documentBytes / 1024).toFixed(0)} KB document ` +
      `(${c.malloc} malloc, ${c.realloc} realloc, ${c.free} free per parse), ms per parse`,
    "",
    "| allocator | median | min – max | vs dlmalloc (median, min) | ns per allocator call over dlmalloc | pages |",
    "| --- | ---: | ---: | ---: | ---: | ---: |",
  ];
  const base = result.rows[0].ms.median;
  for (const r of result.rows) {
    const extra = (r.ms.median - base) * 1e6 / perParse;
    lines.push(`| ${r.label} | ${r.ms.median.toFixed(3)} | ${r.ms.min.toFixed(3)} – ${r.ms.max.toFixed(3)} | ` +
      `${r.ratio.toFixed(2)}×, ${r.minRatio.toFixed(2)}× | ${r === result.rows[0] ? "" : (extra >= 0 ? "+" : "") + extra.toFixed(1)} | ${r.pages} |`);
  }
  lines.push("", "(ns per allocator call over dlmalloc: the difference in median ms per parse over the malloc + realloc + free calls of a parse;",
    " on a busy machine the min column is the steadier comparison)");
  return lines.join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const quick = process.argv.includes("--quick");
  const result = await runCProgram(quick ? QUICK : FULL, () => {}, (line) => console.error(line));
  console.log(cProgramTable(result));
}
