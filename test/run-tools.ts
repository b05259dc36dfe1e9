// The two tools tests run in-process: the rcalloc CLI and the AssemblyScript compiler, each with
// its output captured (no child process: faster, and a failure shows the tool's own words).

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { main as cliMain } from "../bindings/cli.js";
// @ts-expect-error: plain JS build script
import { DEBUG_FLAGS, EXAMPLES_DIR, LINKED_FLAGS } from "../examples/build.js";
// @ts-expect-error: plain JS build script
import { linkPackage } from "../examples/paths.js";
// @ts-expect-error: plain JS build script
import { CLANG_FLAGS, compilerEnv, nativeMissing } from "../examples/build-native.js";

export interface CliRun { status: number; stdout: string; stderr: string }

/** Runs `rcalloc ...args` in-process: exit status, stdout (lines) and stderr. */
export async function rcalloc(...args: string[]): Promise<CliRun> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await cliMain(args, { log: (line: string) => out.push(line) }, { write: (s: string) => err.push(s), isTTY: false });
  return { status, stdout: out.join("\n"), stderr: err.join("") };
}

/** Runs `asc ...args`: the compiler's error (null when it built) and everything it printed. */
export async function asc(args: string[]): Promise<{ error: Error | null; output: string }> {
  const { main } = await import("assemblyscript/asc");
  const output: string[] = [];
  const stream = { write: (chunk: unknown) => { output.push(String(chunk)); return true; } };
  const { error } = await main(args, { stdout: stream, stderr: stream });
  return { error, output: output.join("") };
}

/** Builds each AssemblyScript source of `sources` (file name → text) as a user builds a module
 *  linked at load (examples/build.js LINKED_FLAGS, then `flags`) into a new directory under
 *  examples/ named `prefix`…, so "rcalloc/runtime/imports" resolves as in a user's project; each
 *  X.ts becomes X.wasm there. Returns the directory (the caller removes it). */
export async function buildLinkedSources(prefix: string, sources: Record<string, string>, flags = ["--debug", "--sourceMap"]): Promise<string> {
  linkPackage();
  const dir = mkdtempSync(join(EXAMPLES_DIR, prefix));
  for (const [file, text] of Object.entries(sources)) {
    writeFileSync(join(dir, file), text);
    const { error, output } = await asc([relative(EXAMPLES_DIR, join(dir, file)), ...LINKED_FLAGS, ...flags,
      "-o", relative(EXAMPLES_DIR, join(dir, file.replace(/\.ts$/, ".wasm"))), "--baseDir", EXAMPLES_DIR, "--noColors"]);
    if (error) throw new Error(output);
  }
  return dir;
}

/** Builds test/fixtures/ptr (AssemblyScript against rcalloc/runtime/imports) as users build a
 *  debug module linked at load, rcalloc from node_modules (examples/node_modules/rcalloc links this
 *  package), into `out` (its source map beside it). */
export async function buildPtrFixture(out: string): Promise<void> {
  const dir = fileURLToPath(new URL("fixtures/ptr/", import.meta.url));
  linkPackage();
  const modules = join(EXAMPLES_DIR, "node_modules");
  const flags = [...LINKED_FLAGS, ...DEBUG_FLAGS].map((f: string) => f.replace("./node_modules/", `${modules}/`));
  const { error, output } = await asc(["index.ts", ...flags, "--path", modules, "--baseDir", dir, "-o", out, "--noColors"]);
  if (error) throw new Error(output);
}

/** Builds each C source of `sources` (file name → text) as README "From C / C++" builds a module
 *  linked at load (examples/build-native.js CLANG_FLAGS, with include/rcalloc-malloc.c: malloc is
 *  rcalloc's), in a new directory under examples/ named `prefix`…, compiled from there so sites
 *  read "X.c:line"; each X.c becomes X.wasm. Returns the directory (the caller removes it), or
 *  null when clang cannot build wasm here (the reason is nativeMissing("clang")). */
export function buildCSources(prefix: string, sources: Record<string, string>): string | null {
  if (nativeMissing("clang")) return null;
  linkPackage();
  const include = join(EXAMPLES_DIR, "node_modules", "rcalloc", "include");
  const dir = mkdtempSync(join(EXAMPLES_DIR, prefix));
  for (const [file, text] of Object.entries(sources)) {
    writeFileSync(join(dir, file), text);
    const r = spawnSync("clang", [...CLANG_FLAGS, "-I", include, file, join(include, "rcalloc-malloc.c"), "-o", file.replace(/\.c$/, ".wasm")],
      { cwd: dir, encoding: "utf8", env: compilerEnv() });
    if (r.status !== 0) throw new Error(`clang ${file}: ${r.stderr}`);
  }
  return dir;
}
