#!/usr/bin/env node
// === Real AssemblyScript programs on AS's stock runtimes and on rcalloc's runtime ===
//
//   node bench/as-programs.js [--quick] [--only binary-trees|strings-maps|json-document|workload]
//   (also part of npm run bench, and of bench:quick with --quick)
//
// Each program is ordinary AS code, built once per runtime into bench/build/programs/:
//   incremental, minimal, stub   AS's own runtimes, the program in its own memory
//                                (minimal never collects by itself: the host calls __collect
//                                after each run, inside the timing; stub never frees: a fresh
//                                instance each run, each run's garbage all kept)
//   minimal-stack                a reference, not a runtime to pick: AS minimal built with the
//                                shadow stack (--stackSize) that asc adds to every runtime but
//                                stub and minimal, incremental and rcalloc's included: a
//                                collector that runs inside a call must find the objects only
//                                locals hold, so every such local is stored to that stack too.
//                                This row is a program's cost with that stack and no collector
//                                work during the run: the floor for any runtime that collects
//                                by itself (docs/performance.md, "The shadow stack's floor")
//   rcalloc                      --runtime rcalloc/runtime/rcalloc, linked at load (link())
//                                against the unchecked and the checked build
//   library-unchecked/-checked   --runtime rcalloc/runtime/library (the allocator compiled in)
//   merged-unchecked             `rcalloc merge --unchecked --optimize` of the rcalloc build
// Programs: bench/programs/binary-trees.ts (depths 12, 16, 20), bench/programs/strings-maps.ts,
// bench/programs/json-document.ts (the npm library assemblyscript-json), and examples/workload
// (written against rcalloc's handles; on AS's runtimes its imports are
// bench/programs/refcount-shim.ts). Rounds interleave the variants (the order reversed every
// other round); a round of a short program times several runs (`repeat`); a cell is ms per run,
// median [min–max], and the ratio to AS incremental in the same round, median [min–max]; pages
// are the memory at the end (memory never shrinks: the peak).
// Every variant must return the same checksum.

import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { EXAMPLES_DIR, linkPackage } from "../examples/paths.js";

const require = createRequire(import.meta.url);
const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const OUT = path.join(BENCH, "build", "programs");
const ASC = path.join(path.dirname(require.resolve("assemblyscript/package.json")), "bin", "asc.js");
const CLI = path.join(ROOT, "bin", "rcalloc.js");
const PAGE = 65536;

/** Programs: source, entry, and the sizes measured (label, argument, rounds full / quick). */
export const PROGRAMS = [
  {
    id: "binary-trees", label: "binary-trees", source: path.join(BENCH, "programs", "binary-trees.ts"),
    // The Benchmarks Game's loop allocates 2^(depth + 5) nodes a depth step: depth 16 and 20 run
    // 1/16 and 1/256 of it (the second argument), their stretch and long-lived trees full size.
    // Depth 20 takes ~10 s a round (all variants): 5 rounds, since 2 read 0.61–1.23 between them.
    sizes: [
      { label: "depth 12", args: [12, 0], rounds: 11, quick: 2 },
      { label: "depth 16, loop 1/16", args: [16, 4], rounds: 15, quick: 1 },
      { label: "depth 20, loop 1/256", args: [20, 8], rounds: 5, quick: 0 },
    ],
  },
  {
    id: "strings-maps", label: "strings/Maps", source: path.join(BENCH, "programs", "strings-maps.ts"),
    // One run takes 13–20 ms, so 31 rounds cost the full bench ~5 s more than 11 did: the median of
    // its ratio swung 0.74–0.85 between runs of 11 rounds, at the 0.8 target line. Single runs,
    // not `repeat`: a run right after another variant's runs starts with cold caches, as here it
    // always has; repeating warms them, for incremental more than for rcalloc (0.78–0.81 then).
    sizes: [{ label: "50k words", args: [50_000], rounds: 31, quick: 2 }],
  },
  {
    // A real npm library, not written for this bench: one run takes 45–75 ms (a ~180 KB document
    // encoded, parsed and encoded again).
    id: "json-document", label: "JSON document (assemblyscript-json)", source: path.join(BENCH, "programs", "json-document.ts"),
    sizes: [{ label: "2000 records", args: [2000], rounds: 21, quick: 1 }],
  },
  {
    // One run takes 2–5 ms: a round times 16 of them (`repeat`), so the load of a shared machine
    // averages out instead of deciding a round (single runs swung 0.1–6× of incremental).
    id: "workload", label: "workload example", source: path.join(EXAMPLES_DIR, "workload", "index.ts"),
    shim: true, sizes: [{ label: "run() ×16", args: [], repeat: 16, rounds: 11, quick: 2 }],
  },
];

const STOCK = ["incremental", "minimal", "stub"];
/** Variants in table order: id, label, how it is built (file suffix). */
export const VARIANTS = [
  { id: "incremental", label: "AS incremental (stock default)", file: "incremental" },
  { id: "minimal", label: "AS minimal", file: "minimal" },
  { id: "stub", label: "AS stub (never frees)", file: "stub" },
  { id: "minimal-stack", label: "AS minimal + shadow stack (reference: the floor of a collector inside a call)", file: "minimal-stack" },
  { id: "linked-unchecked", label: "rcalloc link, unchecked", file: "rcalloc" },
  { id: "linked-checked", label: "rcalloc link, checked", file: "rcalloc" },
  { id: "library-unchecked", label: "rcalloc library, unchecked", file: "library-unchecked" },
  { id: "library-checked", label: "rcalloc library, checked", file: "library-checked" },
  { id: "merged-unchecked", label: "rcalloc merge --unchecked --optimize", file: "merged-unchecked" },
];

const fileOf = (program, suffix) => path.join(OUT, `${program.id}.${suffix}.wasm`);
const mtime = (file) => (fs.existsSync(file) ? fs.statSync(file).mtimeMs : 0);

function newest(dir) {
  let n = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    n = Math.max(n, entry.isDirectory() ? newest(p) : mtime(p));
  }
  return n;
}

function asc(args, cwd) {
  const r = spawnSync(process.execPath, [ASC, ...args], { cwd, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`asc ${args.join(" ")} failed:\n${r.stdout}${r.stderr}`);
}

/**
 * The source of `program` for a runtime. The workload imports rcalloc's handles from
 * rcalloc/runtime/imports (linked at load); on AS's own runtimes they come from the shim, on the
 * library runtime from rcalloc/assembly (compiled in): a copy with that import replaced.
 */
function sourceFor(program, kind) {
  if (!program.shim || kind === "linked") return program.source;
  const from = kind === "stock"
    ? `./${path.relative(OUT, path.join(BENCH, "programs", "refcount-shim")).split(path.sep).join("/")}`
    : "rcalloc/assembly";
  const text = fs.readFileSync(program.source, "utf8");
  const replaced = text.replace(/from "rcalloc\/runtime\/imports"/, `from "${from}"`);
  if (replaced === text) throw new Error(`${program.source} does not import rcalloc/runtime/imports`);
  const out = path.join(OUT, `${program.id}.${kind}.ts`);
  if (!fs.existsSync(out) || fs.readFileSync(out, "utf8") !== replaced) fs.writeFileSync(out, replaced);
  return out;
}

/** Builds every variant of every program when stale. */
export function buildPrograms(log = () => {}) {
  fs.mkdirSync(OUT, { recursive: true });
  linkPackage(); // examples/node_modules/rcalloc: the runtime paths below resolve as a user's would
  // ... and "rcalloc/assembly" in the copies sourceFor() writes here, as the same package.
  const installed = path.join(OUT, "node_modules", "rcalloc");
  if (!fs.existsSync(installed)) {
    fs.mkdirSync(path.dirname(installed), { recursive: true });
    fs.symlinkSync(path.relative(path.dirname(installed), path.join(EXAMPLES_DIR, "node_modules", "rcalloc")), installed, "dir");
  }
  const runtimeSources = Math.max(newest(path.join(ROOT, "runtime")), newest(path.join(ROOT, "assembly")), mtime(fileURLToPath(import.meta.url)));
  const common = ["-O3", "--exportRuntime"];
  for (const program of PROGRAMS) {
    const source = Math.max(mtime(program.source), program.shim ? mtime(path.join(BENCH, "programs", "refcount-shim.ts")) : 0);
    const rel = (file) => path.relative(EXAMPLES_DIR, file);
    const jobs = [
      ...STOCK.map((rt) => ({ suffix: rt, input: () => sourceFor(program, "stock"), args: ["--runtime", rt] })),
      // asc's own size for incremental's shadow stack (DEFAULT_STACK_SIZE)
      { suffix: "minimal-stack", input: () => sourceFor(program, "stock"), args: ["--runtime", "minimal", "--stackSize", "32768"] },
      { suffix: "rcalloc", input: () => sourceFor(program, "linked"), args: ["--runtime", "./node_modules/rcalloc/runtime/rcalloc", "--importMemory", "--memoryBase", "65536"], rc: true },
      ...["unchecked", "checked"].map((b) => ({
        suffix: `library-${b}`, input: () => sourceFor(program, "library"), rc: true,
        args: ["--runtime", "./node_modules/rcalloc/runtime/library", "--use", `RC_CHECKED=${b === "checked" ? 1 : 0}`],
      })),
    ];
    for (const job of jobs) {
      const file = fileOf(program, job.suffix);
      if (mtime(file) >= Math.max(source, job.rc ? runtimeSources : 0)) continue;
      log(`building bench/build/programs/${path.basename(file)}`);
      asc([rel(job.input()), ...job.args, ...common, "-o", rel(file)], EXAMPLES_DIR);
    }
    const merged = fileOf(program, "merged-unchecked");
    if (mtime(merged) < Math.max(mtime(fileOf(program, "rcalloc")), mtime(path.join(ROOT, "build", "rcalloc.unchecked.wasm")))) {
      log(`building bench/build/programs/${path.basename(merged)}`);
      const r = spawnSync(process.execPath, [CLI, "merge", fileOf(program, "rcalloc"), "--unchecked", "--optimize", "-o", merged], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`rcalloc merge failed:\n${r.stderr}`);
    }
  }
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const stats = (values) => ({ median: median(values), min: Math.min(...values), max: Math.max(...values) });

function abortImport(getMemory) {
  return (message, file, line, column) => {
    const read = (p) => {
      if (!p) return "";
      const buffer = getMemory().buffer;
      const bytes = new Uint32Array(buffer, p - 4, 1)[0];
      return String.fromCharCode(...new Uint16Array(buffer, p, bytes >>> 1));
    };
    throw new Error(`abort: ${read(message)} at ${read(file)}:${line}:${column}`);
  };
}

/** A module in its own memory (AS's runtimes, the library path): exports and memory. */
async function instantiateOwn(module) {
  let memory;
  const { exports } = await WebAssembly.instantiate(module, { env: { abort: abortImport(() => memory) } });
  memory = exports.memory;
  return { exports, memory };
}

/** Opens one variant of `program`: { call(args, repeat) → { ms, sum }, pages() }: ms is the time of
 *  `repeat` runs (default 1), sum the last run's checksum. */
async function openVariant(api, program, variant) {
  const module = await WebAssembly.compile(fs.readFileSync(fileOf(program, variant.file)));
  const checksum = (value) => (typeof value === "bigint" ? Number(value & 0xffffffffn) : value >>> 0);
  if (variant.id === "stub") {
    // Never frees: a fresh instance for every run, so one run's garbage is all it holds.
    let peak = 0;
    return {
      async call(args, repeat = 1) {
        let ms = 0;
        let sum;
        for (let i = 0; i < repeat; i++) {
          const { exports, memory } = await instantiateOwn(module);
          const start = performance.now();
          sum = exports.run(...args);
          ms += performance.now() - start;
          peak = Math.max(peak, memory.buffer.byteLength / PAGE);
        }
        return { ms, sum: checksum(sum) };
      },
      pages: () => peak,
    };
  }
  let exports;
  let memory;
  if (variant.id.startsWith("linked")) {
    const linked = await api.link(fs.readFileSync(fileOf(program, variant.file)), { checked: variant.id.endsWith("checked") && !variant.id.endsWith("unchecked") });
    ({ exports } = linked.instance);
    memory = linked.heap.memory;
  } else if (variant.id === "merged-unchecked") {
    const heap = await api.Heap.instantiate(module, { checked: false });
    heap.exports._start();
    exports = heap.exports;
    memory = heap.memory;
  } else {
    ({ exports, memory } = await instantiateOwn(module));
  }
  const collect = variant.id.startsWith("minimal") ? exports.__collect : null;
  return {
    async call(args, repeat = 1) {
      let sum;
      const start = performance.now();
      for (let i = 0; i < repeat; i++) {
        sum = exports.run(...args);
        if (collect) collect();
      }
      return { ms: performance.now() - start, sum: checksum(sum) };
    },
    pages: () => memory.buffer.byteLength / PAGE,
  };
}

/**
 * Runs every program at every size: { programs: [{ id, label, size, rounds, rows: [{ id, label,
 * ms, ratio, pages }] }] }. `progress(fraction, text)` is told each round.
 */
export async function runPrograms({ quick = false, only = null } = {}, progress = () => {}, log = () => {}) {
  buildPrograms(log);
  const api = await import("../dist/node.js");
  const cases = [];
  for (const program of PROGRAMS) {
    if (only && program.id !== only) continue;
    for (const size of program.sizes) {
      const rounds = quick ? size.quick : size.rounds;
      if (rounds > 0) cases.push({ program, size, rounds });
    }
  }
  const totalRounds = cases.reduce((n, c) => n + c.rounds + 1, 0);
  let done = 0;
  const results = [];
  for (const { program, size, rounds } of cases) {
    const live = [];
    for (const variant of VARIANTS) live.push({ variant, session: await openVariant(api, program, variant), times: [] });
    for (const r of live) r.sum = (await r.session.call(size.args, size.repeat)).sum; // warm-up, and the checksum
    const sums = new Set(live.map((r) => r.sum));
    if (sums.size !== 1) throw new Error(`${program.id} ${size.label}: checksums disagree: ${live.map((r) => `${r.variant.id} ${r.sum}`).join(", ")}`);
    progress(++done / totalRounds, `${program.label} ${size.label}: warm-up`);
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? [...live].reverse() : live;
      for (const r of order) r.times.push((await r.session.call(size.args, size.repeat)).ms / (size.repeat ?? 1));
      progress(++done / totalRounds, `${program.label} ${size.label}: round ${round + 1}/${rounds}`);
    }
    const base = live.find((r) => r.variant.id === "incremental");
    results.push({
      id: program.id, label: program.label, size: size.label, rounds,
      rows: live.map((r) => ({
        id: r.variant.id, label: r.variant.label, ms: stats(r.times),
        ratio: stats(r.times.map((t, i) => t / base.times[i])), pages: r.session.pages(),
      })),
    });
  }
  return { programs: results };
}

const fmt = (s, digits) => `${s.median.toFixed(digits)} [${s.min.toFixed(digits)}–${s.max.toFixed(digits)}]`;

/** The results as text tables, one per program and size. */
export function programsTable(result) {
  const out = [];
  for (const p of result.programs) {
    const base = p.rows.find((r) => r.id === "incremental");
    out.push(`${p.label}, ${p.size} (${p.rounds} interleaved rounds): ms per run and ratio to AS incremental, median [min–max]`, "",
      "| runtime | ms per run | vs AS incremental | peak pages | pages vs incremental |", "| --- | ---: | ---: | ---: | ---: |");
    for (const r of p.rows) {
      out.push(`| ${r.label} | ${fmt(r.ms, 2)} | ${fmt(r.ratio, 2)} | ${r.pages} | ${(r.pages / base.pages).toFixed(2)} |`);
    }
    out.push("");
  }
  return out.join("\n").trimEnd();
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const argv = process.argv.slice(2);
  const only = argv.includes("--only") ? argv[argv.indexOf("--only") + 1] : null;
  const result = await runPrograms({ quick: argv.includes("--quick"), only },
    (f, text) => process.stderr.write(`\r${(f * 100).toFixed(0)}% ${text}\x1b[K`), (line) => console.error(line));
  process.stderr.write("\n");
  console.log(programsTable(result));
  if (argv.includes("--json")) console.log(JSON.stringify(result));
}
