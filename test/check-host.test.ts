// `rcalloc check` on modules as they come: AssemblyScript's default host imports, --imports for
// the rest, a module built without rcalloc's runtime refused with the flag to add, and --timeout
// for an entry that never returns.
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watToWasm } from "./wat.js";
import { asc, rcalloc } from "./run-tools.js";
// @ts-expect-error: plain JS build script
import { EXAMPLES_DIR, LINKED_FLAGS } from "../examples/build.js";

const BIN = fileURLToPath(new URL("../bin/rcalloc.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rcalloc-check-host-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

// The AssemblyScript string "hi!" (u32 byte length, then UTF-16LE) at 65536; the string at 65540.
const HI = String.raw`(data (i32.const 65536) "\06\00\00\00h\00i\00!\00")`;
const RCALLOC = `(import "rcalloc" "alloc" (func $alloc (param i32) (result i32)))`;
const WAT: Record<string, string> = {
  // What asc emits for console.log, Math.random, Date.now, trace and Math.PI (std/bindings/dom.ts).
  asHost: `${RCALLOC} (import "env" "memory" (memory 2))
    (import "env" "console.log" (func $log (param i32)))
    (import "env" "Math.random" (func $random (result f64)))
    (import "env" "Date.now" (func $now (result f64)))
    (import "env" "seed" (func $seed (result f64)))
    (import "env" "trace" (func $trace (param i32 i32 f64 f64 f64 f64 f64)))
    (import "env" "Math.PI" (global $pi f64))
    ${HI}
    (func (export "main") (result i32)
      (call $log (i32.const 65540))
      (call $trace (i32.const 65540) (i32.const 1) (f64.const 2.5) (f64.const 0) (f64.const 0) (f64.const 0) (f64.const 0))
      (i32.and
        (i32.and (f64.lt (call $random) (f64.const 1)) (f64.gt (call $now) (f64.const 0)))
        (i32.and (f64.gt (call $seed) (f64.const -1)) (f64.gt (global.get $pi) (f64.const 3.14)))))`,
  // A host function of the user's own: --imports gives it, reading the string it is passed.
  custom: `${RCALLOC} (import "env" "memory" (memory 2)) (import "host" "greet" (func $greet (param i32) (result i32))) ${HI}
    (func (export "main") (result i32) (call $greet (i32.const 65540)))`,
  // Never returns.
  hung: `${RCALLOC} (import "env" "memory" (memory 2)) (func (export "main") (loop $forever (br $forever)))`,
  // What a C module on wasi-libc's malloc (dlmalloc's sbrk) has, next to rcalloc.h handles.
  sbrk: `${RCALLOC} (import "env" "memory" (memory 2))
    (func $sbrk (param $pages i32) (result i32) (memory.grow (local.get $pages)))
    (func (export "main") (drop (call $alloc (i32.const 8))) (drop (call $sbrk (i32.const 1))))`,
  // AssemblyScript's runtime exported (--exportRuntime), without rcalloc's (no reserveBelow import).
  ownRuntime: `${RCALLOC} (import "env" "memory" (memory 2)) (func (export "__new") (param i32 i32) (result i32) (i32.const 0)) (func (export "main"))`,
};
const files: Record<string, string> = {};

beforeAll(async () => {
  for (const [name, wat] of Object.entries(WAT)) {
    files[name] = join(work, `${name}.wasm`);
    writeFileSync(files[name], watToWasm(`(module ${wat})`));
  }
  writeFileSync(join(work, "host.mjs"),
    "export default (memory, getString) => ({ host: { greet: (ptr) => getString(ptr) === 'hi!' ? 42 : -1 } });\n");
  writeFileSync(join(work, "not-a-function.mjs"), "export default 7;\n");
  // A real AssemblyScript module built for link at load without --runtime: AS's own TLSF inside.
  const flags = (LINKED_FLAGS as string[]).filter((f, i, all) => f !== "--runtime" && all[i - 1] !== "--runtime");
  files.tlsf = join(work, "tlsf.wasm");
  const { error, output } = await asc(["corpus/rope.ts", ...flags, "--debug", "-o", files.tlsf, "--baseDir", EXAMPLES_DIR,
    "--noColors"]);
  if (error) throw new Error(output);
  // The same, optimized, without names nor --exportRuntime: nothing but its memory.grow shows it.
  const bare = flags.filter((f) => f !== "--exportRuntime");
  files.tlsfBare = join(work, "tlsf-bare.wasm");
  const built = await asc(["corpus/rope.ts", ...bare, "-O3", "-o", files.tlsfBare, "--baseDir", EXAMPLES_DIR, "--noColors"]);
  if (built.error) throw new Error(built.output);
}, 60_000);

describe("host imports", () => {
  it("gives a module AssemblyScript's default host imports; what it prints goes to stderr", async () => {
    const r = await rcalloc("check", files.asHost);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/CLEAN {2}no references left after main returned 1\b/);
    expect(r.stderr).toBe("hi!\ntrace: hi! 2.5\n");
    const json = await rcalloc("check", files.asHost, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "clean", returned: 1 });
  });

  it("takes the rest from --imports host.mjs (given the memory and a string reader)", async () => {
    const r = await rcalloc("check", files.custom, "--imports", join(work, "host.mjs"));
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("after main returned 42");
  });

  it("names a missing import in one line (exit 3), and a bad --imports module", async () => {
    const missing = await rcalloc("check", files.custom);
    expect(missing.status).toBe(3);
    expect(missing.stderr).toBe('rcalloc: error: rcalloc: link: the module imports "host.greet" (function), which nothing provides: ' +
      "pass it in link()'s `imports` (rcalloc check and bench: --imports host.mjs)\n");
    const bad = await rcalloc("check", files.custom, "--imports", join(work, "not-a-function.mjs"));
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/--imports .*not-a-function\.mjs: its default export must be a function/);
    expect((await rcalloc("check", files.custom, "--imports", join(work, "absent.mjs"))).stderr).toMatch(/no such file/);
  });

  it("bench takes --imports too", async () => {
    const r = await rcalloc("bench", files.custom, "--entry", "main", "--rounds", "1", "--imports", join(work, "host.mjs"));
    expect(r.status, r.stderr).toBe(0);
    expect((await rcalloc("bench", files.custom, "--entry", "main", "--rounds", "1")).status).toBe(3);
  });
});

describe("a module that runs its own allocator", () => {
  it("is refused with the flag to add: AssemblyScript built without --runtime rcalloc (names say ~lib/rt/tlsf)", async () => {
    const r = await rcalloc("check", files.tlsf);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/runs AssemblyScript's own allocator \(~lib\/rt\/tlsf\).*--runtime \.\/node_modules\/rcalloc\/runtime\/rcalloc/);
  });

  it("is refused without names when it exports AssemblyScript's runtime but not rcalloc's", async () => {
    const r = await rcalloc("check", files.ownRuntime);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/exports __new but does not import rcalloc's reserveBelow.*--runtime/);
  });

  it("is refused when only its memory.grow shows it (AS -O3 without names or --exportRuntime; C on libc's malloc)", async () => {
    for (const file of [files.tlsfBare, files.sbrk]) {
      const r = await rcalloc("check", file);
      expect(r.status, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toMatch(/grows memory itself \(memory\.grow in (function \d+|sbrk)\): most likely it runs an allocator of its own/);
      expect(r.stderr).toMatch(/--runtime \.\/node_modules\/rcalloc\/runtime\/rcalloc.*include\/rcalloc-malloc\.c.*rcalloc::Malloc.*ownsMemoryGrowth: true.*--owns-memory-growth/);
    }
    // Said to grow memory on purpose, it runs.
    const r = await rcalloc("check", files.sbrk, "--owns-memory-growth");
    expect(r.stdout).toMatch(/LEAK/);
    expect(r.status, r.stdout + r.stderr).toBe(1);
  });
});

describe("--timeout (the compiled command: check runs in a worker thread)", () => {
  const run = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args]).then(
    ({ stdout, stderr }) => ({ status: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ status: e.code, stdout: e.stdout, stderr: e.stderr }));

  it("stops an entry that never returns and exits 4 saying where it was", async () => {
    // 3 s, not 1: on a loaded 2-core machine starting the worker and linking took over 1 s, and
    // the run stopped while "linking the module" instead of in the entry
    const r = await run("check", files.hung, "--timeout", "3");
    expect(r.status).toBe(4);
    expect(r.stdout).toMatch(/^TIMEOUT {2}the run did not finish within 3 s, while running the entry main: stopped/);
    const json = await run("check", files.hung, "--timeout", "3", "--json");
    expect(json.status).toBe(4);
    expect(JSON.parse(json.stdout)).toMatchObject({ status: "timeout", exitCode: 4, timeoutSeconds: 3, phase: "running the entry main", error: { during: "running the entry main" } });
  });

  it("lets a run that finishes in time report as usual, and refuses a bad value", async () => {
    expect((await run("check", files.asHost, "--timeout", "30")).status).toBe(0);
    const bad = await run("check", files.asHost, "--timeout", "soon");
    expect(bad.status).toBe(3);
    expect(bad.stderr).toMatch(/--timeout must be a positive number of seconds, got soon/);
  });
});
