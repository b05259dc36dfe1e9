// Builds the C, C++ and Rust examples into build/examples/ (gitignored) with Debian's clang, lld,
// wasi-libc and rustc, the way README "From C / C++" and "From Rust" give the commands:
//
//   cd examples/c
//   clang --target=wasm32-wasi --sysroot=/usr -O2 -mexec-model=reactor \
//     -I ../node_modules/rcalloc/include -Wl,--import-memory -Wl,--global-base=65536 \
//     -Wl,--export=__heap_base strings.c -o ../../build/examples/c-strings.wasm
//
// Each compiler runs in the example's folder, so __FILE__ (and so every RC_SITE()) is the bare
// file name. An example whose compiler is missing is skipped with the reason (nativeMissing).
// Called by examples/build.js (npm run build:examples) and by the tests.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { EXAMPLES_DIR, linkPackage, OUT, ROOT } from "./paths.js";

/** Debian's rustc: ~/.cargo/bin/rustc (rustup) shadows it on PATH and has no wasm32 std here. */
export const RUSTC = "/usr/bin/rustc";
const WASI_LIBC = "/usr/lib/wasm32-wasi/libc.a";
const INCLUDE = "../node_modules/rcalloc/include";

/** clang flags of a C or C++ module linked against the allocator at load time (README). */
export const CLANG_FLAGS = [
  "--target=wasm32-wasi", "--sysroot=/usr", "-O2", "-mexec-model=reactor",
  "-Wl,--import-memory", "-Wl,--global-base=65536", "-Wl,--export=__heap_base",
];
/** C++ without the C++ library (Debian ships none for wasm32) and without exceptions. */
export const CLANGXX_FLAGS = [...CLANG_FLAGS, "-fno-exceptions", "-fno-rtti", "-nostdlib++"];
/** rustc flags of a Rust cdylib linked against the allocator at load time (README). */
export const RUSTC_FLAGS = [
  "--target", "wasm32-unknown-unknown", "--crate-type", "cdylib", "-O", "--edition", "2021",
  "-C", "link-arg=--import-memory", "-C", "link-arg=--global-base=65536", "-C", "link-arg=--export=__heap_base",
];

const c = (name, dir, sources, extra = []) => ({
  tool: "clang", dir: join(EXAMPLES_DIR, dir), sources, output: join(OUT, `${name}.wasm`),
  args: [...CLANG_FLAGS, "-I", INCLUDE, ...extra, ...sources, "-o", relative(join(EXAMPLES_DIR, dir), join(OUT, `${name}.wasm`))],
});

/** Output name → how to build it. */
export const NATIVE_EXAMPLES = {
  "c-strings": c("c-strings", "c", ["strings.c"]),
  "c-cache": c("c-cache", "c", ["cache.c", "../node_modules/rcalloc/include/rcalloc-malloc.c"]),
  "cpp-list": {
    ...c("cpp-list", "cpp", ["list.cpp"]), tool: "clang++",
    args: [...CLANGXX_FLAGS, "-I", INCLUDE, "list.cpp", "-o", relative(join(EXAMPLES_DIR, "cpp"), join(OUT, "cpp-list.wasm"))],
  },
  "rust-handles": {
    tool: "rustc", dir: join(EXAMPLES_DIR, "rust"), sources: ["lib.rs"], output: join(OUT, "rust-handles.wasm"),
    args: [...RUSTC_FLAGS, "lib.rs", "-o", relative(join(EXAMPLES_DIR, "rust"), join(OUT, "rust-handles.wasm"))],
  },
  "rust-std": {
    tool: "rustc", dir: join(EXAMPLES_DIR, "rust-std"), sources: ["lib.rs"], output: join(OUT, "rust-std.wasm"),
    args: [...RUSTC_FLAGS, "lib.rs", "-o", relative(join(EXAMPLES_DIR, "rust-std"), join(OUT, "rust-std.wasm"))],
  },
};

function works(command, args) {
  const r = spawnSync(command, args, { stdio: "ignore" });
  return !r.error && r.status === 0;
}

/**
 * Why `tool` ("clang", "clang++", "rustc") cannot build a wasm32 module here, or null. The reason
 * names the Debian packages to install.
 */
export function nativeMissing(tool) {
  if (tool === "rustc") {
    if (!works(RUSTC, ["--version"])) return `${RUSTC} not installed (apt-get install rustc libstd-rust-dev-wasm32)`;
    const sysroot = spawnSync(RUSTC, ["--print", "sysroot"], { encoding: "utf8" }).stdout.trim();
    if (!existsSync(join(sysroot, "lib", "rustlib", "wasm32-unknown-unknown"))) {
      return "Rust's wasm32 standard library is not installed (apt-get install libstd-rust-dev-wasm32)";
    }
    return null;
  }
  const missing = [];
  if (!works(tool, ["--version"])) missing.push("clang");
  if (!works("wasm-ld", ["--version"])) missing.push("lld");
  if (!existsSync(WASI_LIBC)) missing.push("wasi-libc");
  if (!missing.length) {
    // compiler-rt for wasm32 is a package of its own on Debian; without it wasm-ld fails.
    const resources = spawnSync(tool, ["--print-resource-dir"], { encoding: "utf8" }).stdout.trim();
    if (!existsSync(join(resources, "lib", "wasi", "libclang_rt.builtins-wasm32.a"))) missing.push("libclang-rt-14-dev-wasm32");
  }
  return missing.length ? `${tool} cannot build wasm32 modules here (apt-get install ${missing.join(" ")})` : null;
}

/**
 * Builds the native examples that are missing or older than their sources (all with `force`).
 * Returns { built: [names], skipped: { name: reason } }. Throws with the compiler's output when
 * a build fails.
 */
export function buildNativeExamples({ force = false, names = Object.keys(NATIVE_EXAMPLES), log = () => {} } = {}) {
  mkdirSync(OUT, { recursive: true });
  linkPackage();
  const include = Math.max(...["rcalloc.h", "rcalloc-malloc.c", "rcalloc.rs"].map((f) => mtime(join(ROOT, "include", f))));
  const built = [];
  const skipped = {};
  for (const name of names) {
    const e = NATIVE_EXAMPLES[name];
    if (!e) throw new Error(`unknown native example "${name}" (known: ${Object.keys(NATIVE_EXAMPLES).join(", ")})`);
    const missing = nativeMissing(e.tool);
    if (missing) {
      skipped[name] = `${name} skipped: ${missing}`;
      continue;
    }
    const newest = Math.max(include, mtime(new URL(import.meta.url).pathname), ...e.sources.map((s) => mtime(join(e.dir, s))));
    if (!force && mtime(e.output) >= newest) continue;
    const started = Date.now();
    const r = spawnSync(e.tool === "rustc" ? RUSTC : e.tool, e.args, { cwd: e.dir, encoding: "utf8", env: compilerEnv() });
    if (r.status !== 0) throw new Error(`building example ${name} failed (${e.tool} ${e.args.join(" ")}):\n${r.stderr}${r.stdout}`);
    built.push(name);
    log(`built ${relative(ROOT, e.output)} (${Date.now() - started} ms)`);
  }
  return { built, skipped };
}

/** Path of a built native example ("c-strings" → build/examples/c-strings.wasm). */
export function nativeExamplePath(name) {
  return NATIVE_EXAMPLES[name].output;
}

/**
 * The environment without node_modules/.bin on PATH: clang runs any wasm-opt it finds there
 * (binaryen's, under npm scripts and vitest) after an optimized link, and wasm-opt drops the name
 * section that gives function names to the frames of `rcalloc check`. Same output as from a shell.
 */
export function compilerEnv() {
  const path = (process.env.PATH ?? "").split(":").filter((dir) => !/node_modules[\\/]\.bin/.test(dir)).join(":");
  return { ...process.env, PATH: path };
}

function mtime(path) {
  return existsSync(path) ? statSync(path).mtimeMs : 0;
}
