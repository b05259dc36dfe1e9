// === Builds the bench wasm modules into bench/build/ when missing or stale ===
//
//   rcalloc.unchecked.wasm  rcalloc.checked.wasm   bench/assembly/rcalloc.ts (+ assembly/)
//   tlsf.wasm                                      bench/assembly/tlsf.ts, --runtime minimal
//   floor.wasm                                     bench/assembly/floor.ts
//   dlmalloc.wasm   bench/assembly/dlmalloc.ts (--importMemory) fused by wasm-merge with
//                   bench/c/dlmalloc.c linked against Debian's wasi-libc (clang + wasm-ld)
//
// Every module is the same workloads.ts behind a different allocator shim. A module is rebuilt
// when any source it may depend on (bench/assembly, assembly/, bench/c, this file) is newer.
// The dlmalloc module is skipped, with the reason, when clang, wasm-ld or wasi-libc is missing.

import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const require = createRequire(import.meta.url);
const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
export const BUILD = path.join(BENCH, "build");
const ASC = path.join(path.dirname(require.resolve("assemblyscript/package.json")), "bin", "asc.js");
const WASM_MERGE = path.join(path.dirname(require.resolve("binaryen/package.json")), "bin", "wasm-merge");
const WASI_LIBC = "/usr/lib/wasm32-wasi/libc.a";

// Same optimisation and features as the library's own asconfig.json (-O3, --noAssert, SIMD).
const AS_COMMON = ["-O3", "--noAssert", "--converge", "--enable", "simd"];

// `library`: the module also depends on the rcalloc sources in assembly/.
const AS_TARGETS = [
  { out: "rcalloc.unchecked.wasm", entry: "rcalloc.ts", library: true, args: ["--runtime", "stub", "--use", "RC_CHECKED=0"] },
  { out: "rcalloc.checked.wasm", entry: "rcalloc.ts", library: true, args: ["--runtime", "stub", "--use", "RC_CHECKED=1"] },
  { out: "tlsf.wasm", entry: "tlsf.ts", args: ["--runtime", "minimal"] },
  { out: "floor.wasm", entry: "floor.ts", args: ["--runtime", "stub"] },
];

function newestMtime(dirs, files) {
  let newest = 0;
  for (const dir of dirs) {
    if (!fs.existsSync(dir)) continue;
    for (const name of fs.readdirSync(dir)) {
      newest = Math.max(newest, fs.statSync(path.join(dir, name)).mtimeMs);
    }
  }
  for (const file of files) newest = Math.max(newest, fs.statSync(file).mtimeMs);
  return newest;
}

function isFresh(file, sourcesMtime) {
  return fs.existsSync(file) && fs.statSync(file).mtimeMs >= sourcesMtime;
}

function run(cmd, args, cwd) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    child.on("error", reject);
    child.on("close", (code) => {
      if (code === 0) resolve(output);
      else reject(new Error(`${path.basename(cmd)} ${args.join(" ")}\n${output}`));
    });
  });
}

// asc runs in bench/ so the repository's asconfig.json (the library's targets) is not picked up.
function asc(entry, out, args) {
  return run(process.execPath, [ASC, path.join("assembly", entry), "-o", path.join("build", out), ...AS_COMMON, ...args], BENCH);
}

function hasTool(cmd) {
  const r = spawnSync(cmd, ["--version"], { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/** Why dlmalloc cannot be built here, or null when the toolchain is complete. */
export function dlmallocMissing() {
  const missing = [];
  if (!hasTool("clang")) missing.push("clang");
  if (!hasTool("wasm-ld")) missing.push("wasm-ld (lld)");
  if (!fs.existsSync(WASI_LIBC)) missing.push(`wasi-libc (${WASI_LIBC})`);
  return missing.length ? `dlmalloc skipped: ${missing.join(", ")} not installed (apt-get install clang lld wasi-libc)` : null;
}

/** End of the AS module's static data, read by instantiating it against a scratch memory. */
async function asHeapBase(file) {
  const module = await WebAssembly.compile(fs.readFileSync(file));
  const stub = () => 0;
  const env = { memory: new WebAssembly.Memory({ initial: 1 }), malloc: stub, free: stub, realloc: stub, abort: stub };
  const instance = await WebAssembly.instantiate(module, { env });
  return instance.exports.heapBase();
}

async function buildDlmalloc() {
  const asPart = path.join(BUILD, "dlmalloc.as.wasm");
  const cPart = path.join(BUILD, "dlmalloc.c.wasm");
  await asc("dlmalloc.ts", "dlmalloc.as.wasm", ["--runtime", "stub", "--importMemory", "--noExportMemory"]);
  // The C side's data, stack and heap start right after the AS tables (--global-base), so the
  // fused module's memory layout matches the other bench modules' (tables, then the heap).
  const base = (await asHeapBase(asPart) + 15) & ~15;
  const clang = ["--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
    "-Wl,--export=malloc", "-Wl,--export=free", "-Wl,--export=realloc", `-Wl,--global-base=${base}`,
    path.join(BENCH, "c", "dlmalloc.c"), "-o", cPart];
  try {
    await run("clang", clang, BENCH);
  } catch (err) {
    // Debian ships compiler-rt for wasm32 separately (libclang-rt-*-dev-wasm32); malloc/free/
    // realloc need none of its builtins, so link libc alone when it is absent.
    if (!/libclang_rt\.builtins-wasm32/.test(err.message)) throw err;
    await run("clang", [...clang, "-nodefaultlibs", "-lc"], BENCH);
  }
  // Name the C module "env": the AS part's env.memory/env.malloc/... imports resolve to it.
  await run(process.execPath, [WASM_MERGE, cPart, "env", asPart, "workloads", "--all-features",
    "-o", path.join(BUILD, "dlmalloc.wasm")], BENCH);
}

/**
 * Builds what is missing or stale (older than any source it may depend on, or this file). Returns { built: [names], skipped: {dlmalloc: reason} }.
 * `log(line)` reports each step.
 */
export async function build(log = () => {}) {
  fs.mkdirSync(BUILD, { recursive: true });
  const benchMtime = newestMtime([path.join(BENCH, "assembly")], [fileURLToPath(import.meta.url)]);
  const libraryMtime = Math.max(benchMtime, newestMtime([path.join(ROOT, "assembly")], []));
  const jobs = [];
  for (const t of AS_TARGETS) {
    if (isFresh(path.join(BUILD, t.out), t.library ? libraryMtime : benchMtime)) continue;
    jobs.push({ name: t.out, run: () => asc(t.entry, t.out, t.args) });
  }
  const skipped = {};
  const missing = dlmallocMissing();
  if (missing) {
    skipped.dlmalloc = missing;
  } else {
    const cMtime = Math.max(benchMtime, newestMtime([path.join(BENCH, "c")], []));
    if (!isFresh(path.join(BUILD, "dlmalloc.wasm"), cMtime)) jobs.push({ name: "dlmalloc.wasm", run: buildDlmalloc });
  }
  // Two at a time: asc is single-threaded and this machine has two cores.
  const built = [];
  const queue = [...jobs];
  const worker = async () => {
    for (let job; (job = queue.shift()); ) {
      log(`building bench/build/${job.name}`);
      try {
        await job.run();
        built.push(job.name);
      } catch (err) {
        if (job.name !== "dlmalloc.wasm") throw err;
        skipped.dlmalloc = `dlmalloc skipped: build failed: ${err.message.trim().split("\n").slice(0, 6).join(" | ")}`;
      }
    }
  };
  await Promise.all([worker(), worker()]);
  return { built, skipped };
}

// `node bench/build.js` builds without running anything.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { built, skipped } = await build((line) => console.log(line));
  console.log(built.length ? `built: ${built.join(", ")}` : "bench modules are up to date");
  for (const reason of Object.values(skipped)) console.log(reason);
}
