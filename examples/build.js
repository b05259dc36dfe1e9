// npm run build:examples: compiles the AssemblyScript examples into build/examples/ (gitignored).
//
// Each example is compiled the way a user's project would be, with rcalloc "installed" in
// examples/node_modules/rcalloc (links to this package's assembly/ and runtime/, made here), so
// the flags below are the ones README "Use it in your module" gives:
//
//   cd examples
//   asc workload/index.ts --runtime ./node_modules/rcalloc/runtime/rcalloc --importMemory \
//     --memoryBase 65536 --exportRuntime -O3 --debug --sourceMap -o ../build/examples/workload.wasm
//
//   cd examples/as-library
//   asc assembly/index.ts --target checked       (asconfig.json: --use RC_CHECKED=1, runtime)
//
// Usage: node examples/build.js [--force] [name ...]   (names: see EXAMPLES; default all)
// It also builds the C, C++ and Rust examples (build-native.js; skipped when a compiler is missing).
// Up-to-date outputs are skipped. Concurrent builds (parallel test files) wait on a lock.
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

import { EXAMPLES_DIR, linkPackage, OUT, ROOT } from "./paths.js";

export { EXAMPLES_DIR, OUT, ROOT };

/** The asc flags of a module linked against the standalone allocator (link() or wasm-merge). */
export const LINKED_FLAGS = [
  "--runtime", "./node_modules/rcalloc/runtime/rcalloc",
  "--importMemory", "--memoryBase", "65536", "--exportRuntime",
];
/** Debug info, so `rcalloc check` names functions and source lines (--debug: names, --sourceMap). */
export const DEBUG_FLAGS = ["--debug", "--sourceMap"];

// The bug examples are debug builds (no inlining: every frame shows); the others are optimized.
const linked = (name, optimize, extra = []) => ({
  dir: EXAMPLES_DIR,
  inputs: [join(EXAMPLES_DIR, name)],
  output: join(OUT, `${name}.wasm`),
  args: [`${name}/index.ts`, ...LINKED_FLAGS, ...(optimize ? ["-O3"] : []), ...DEBUG_FLAGS, ...extra,
    "-o", relative(EXAMPLES_DIR, join(OUT, `${name}.wasm`))],
});

const library = (target, entry = "index", extra = []) => {
  const dir = join(EXAMPLES_DIR, "as-library");
  const output = join(OUT, `as-library${entry === "index" ? "" : `-${entry}`}.${target}.wasm`);
  return {
    dir,
    inputs: [join(dir, "assembly"), join(dir, "asconfig.json"), join(ROOT, "assembly")],
    output,
    args: [`assembly/${entry}.ts`, "--config", "asconfig.json", "--target", target, ...extra, "-o", relative(dir, output)],
  };
};

// The corpus (examples/corpus/*.ts, test/corpus.test.ts): one module a file, debug builds.
const CORPUS_DIR = join(EXAMPLES_DIR, "corpus");
const corpusModule = (file) => ({
  dir: EXAMPLES_DIR,
  inputs: [join(CORPUS_DIR, file)],
  output: join(OUT, "corpus", file.replace(/\.ts$/, ".wasm")),
  args: [`corpus/${file}`, ...LINKED_FLAGS, ...DEBUG_FLAGS, "-o", relative(EXAMPLES_DIR, join(OUT, "corpus", file.replace(/\.ts$/, ".wasm")))],
});
/** Names of the corpus modules ("corpus/lru-cache", ...). */
export const CORPUS = readdirSync(CORPUS_DIR).filter((f) => f.endsWith(".ts")).sort().map((f) => `corpus/${f.replace(/\.ts$/, "")}`);

/** The asc flags of a module linked against a shared-memory build (link() with shared/attach):
 *  it imports the shared memory and allocates nothing itself (no AS runtime heap). */
export const SHARED_LINKED_FLAGS = [
  "--runtime", "stub", "--enable", "threads", "--sharedMemory", "--importMemory", "--maximumMemory", "65535",
  "--memoryBase", "65536",
];

const sharedLinked = (name, file) => ({
  dir: EXAMPLES_DIR,
  inputs: [join(EXAMPLES_DIR, name, file)],
  output: join(OUT, `${name}.wasm`),
  args: [`${name}/${file}`, ...SHARED_LINKED_FLAGS, "-O3", "-o", relative(EXAMPLES_DIR, join(OUT, `${name}.wasm`))],
});

/** Output name → how to build it. */
export const EXAMPLES = {
  threads: sharedLinked("threads", "queue.ts"),
  leaky: linked("leaky", false),
  "double-put": linked("double-put", false),
  cache: linked("cache", false),
  workload: linked("workload", true),
  // --exportStart: its top level (globals, the runtime's setup) runs when link() calls _start.
  "as-program": linked("as-program", true, ["--exportStart", "_start"]),
  "as-library.checked": library("checked"),
  "as-library.unchecked": library("unchecked"),
  "as-library-registry.checked": library("checked", "registry", ["--debug"]),
  "as-library-registry.unchecked": library("unchecked", "registry", ["--debug"]),
  "as-library-sites.sites": library("sites", "sites"),
  ...Object.fromEntries(CORPUS.map((name) => [name, corpusModule(`${name.slice("corpus/".length)}.ts`)])),
};

/** Path of a built example ("leaky" → build/examples/leaky.wasm). */
export function examplePath(name) {
  return EXAMPLES[name].output;
}

function newestMtime(path) {
  if (!existsSync(path)) return 0;
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "build") continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

async function withLock(body) {
  const lock = join(OUT, ".lock");
  mkdirSync(OUT, { recursive: true });
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch (e) {
      if (e.code !== "EEXIST") throw e;
      // Another process builds: wait for it (a lock older than 5 minutes is stale).
      try {
        if (Date.now() - statSync(lock).mtimeMs > 300_000) rmSync(lock, { recursive: true, force: true });
      } catch { /* gone meanwhile */ }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  try {
    return await body();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/**
 * Builds the examples that are missing or older than their sources (all with `force`).
 * Returns the names built. Throws with asc's diagnostics when a build fails.
 */
export async function buildExamples({ force = false, names = Object.keys(EXAMPLES), log = () => {} } = {}) {
  return withLock(async () => {
    linkPackage();
    // runtime/imports.ts inlines the handle lookup of assembly/handle-lookup.ts (TABLE_VIEW's layout)
    const shared = Math.max(newestMtime(join(ROOT, "runtime")), newestMtime(join(ROOT, "assembly", "handle-lookup.ts")),
      newestMtime(fileURLToPath(import.meta.url)));
    const stale = names.filter((name) => {
      const e = EXAMPLES[name];
      if (!e) throw new Error(`unknown example "${name}" (known: ${Object.keys(EXAMPLES).join(", ")})`);
      const built = existsSync(e.output) ? statSync(e.output).mtimeMs : 0;
      return force || built < Math.max(shared, ...e.inputs.map(newestMtime));
    });
    if (stale.length === 0) return [];
    const { main } = await import("assemblyscript/asc");
    for (const name of stale) {
      const e = EXAMPLES[name];
      const started = Date.now();
      const output = [];
      const stream = { write: (chunk) => { output.push(String(chunk)); return true; } };
      const { error } = await main([...e.args, "--baseDir", e.dir, "--noColors"], { stdout: stream, stderr: stream });
      if (error) throw new Error(`building example ${name} failed: ${error.message}\n${output.join("")}`);
      log(`built ${relative(ROOT, e.output)} (${Date.now() - started} ms)`);
    }
    return stale;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const force = args.includes("--force");
  const names = args.filter((a) => !a.startsWith("--"));
  const log = (line) => console.log(line);
  const asNames = names.filter((n) => n in EXAMPLES);
  const { NATIVE_EXAMPLES, buildNativeExamples } = await import("./build-native.js");
  const nativeNames = names.filter((n) => n in NATIVE_EXAMPLES);
  const built = !names.length || asNames.length ? await buildExamples({ force, names: asNames.length ? asNames : undefined, log }) : [];
  const native = !names.length || nativeNames.length
    ? buildNativeExamples({ force, names: nativeNames.length ? nativeNames : undefined, log })
    : { built: [], skipped: {} };
  for (const reason of Object.values(native.skipped)) console.log(reason);
  if (built.length + native.built.length === 0) console.log(`examples are up to date in ${relative(ROOT, OUT)}/`);
}
