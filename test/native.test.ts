// C, C++ and Rust modules linked against rcalloc (examples/c, examples/cpp, examples/rust built
// with Debian's clang and rustc by examples/build-native.js): linked at load with link(), and run
// through `rcalloc check` / `rcalloc bench`, with the exact source lines in the reports. Each
// language is skipped, with the reason, only where its compiler is missing.
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DoublePutError, InvalidHandleError, link, UseAfterPutError, WASI_MODULE, WasiExitError } from "../bindings/node.js";
import { dwarfSections, dwarfSourceMap, sourceMapOfRows } from "../bindings/wasm-dwarf.js";
import { dwarfInlines } from "../bindings/wasm-dwarf-inlines.js";
import { parseWasm } from "../bindings/wasm-reader.js";
import { WasmSourceMap } from "../bindings/wasm-sites.js";
// @ts-expect-error: plain JS build script
import { buildNativeExamples, CLANG_FLAGS, CLANGXX_FLAGS, compilerEnv, nativeExamplePath, nativeMissing, RUSTC, RUSTC_FLAGS } from "../examples/build-native.js";

const BIN = fileURLToPath(new URL("../bin/rcalloc.js", import.meta.url));
const EXAMPLES = fileURLToPath(new URL("../examples", import.meta.url));

const missing = {
  c: nativeMissing("clang") as string | null,
  cpp: nativeMissing("clang++") as string | null,
  rust: nativeMissing("rustc") as string | null,
};
for (const reason of Object.values(missing)) if (reason) console.warn(`native examples: skipped: ${reason}`);

beforeAll(() => {
  buildNativeExamples({ names: ["c-strings", "c-cache", "cpp-list", "rust-handles", "rust-std"] });
}, 120_000);

/** "file:N" of the line of examples/<path> holding `marker` (so the tests follow edits). */
function lineOf(path: string, marker: string): string {
  const lines = readFileSync(join(EXAMPLES, path), "utf8").split("\n");
  const found = lines.findIndex((line) => line.includes(marker));
  if (found < 0) throw new Error(`${path} has no line with "${marker}"`);
  return `${path.split("/").pop()}:${found + 1}`;
}

/** Runs the rcalloc executable: exit status and stdout. */
async function rcalloc(...args: string[]): Promise<{ status: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, [BIN, ...args]);
    return { status: 0, stdout };
  } catch (e) {
    const failed = e as { code?: number; stdout?: string };
    if (typeof failed.code !== "number") throw e;
    return { status: failed.code, stdout: failed.stdout ?? "" };
  }
}

const work = mkdtempSync(join(tmpdir(), "rcalloc-native-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const INCLUDE = fileURLToPath(new URL("../include", import.meta.url));
const SHIM = join(INCLUDE, "rcalloc-malloc.c");

/** Compiles test/fixtures/c/<name> (and `more` sources and flags) with the README's flags into
 *  `output` in the work folder; its path. */
function compileFixture(name: string, more: string[] = [], output = name.replace(/\.c$/, ".wasm")): string {
  const out = join(work, output);
  const source = fileURLToPath(new URL(`fixtures/c/${name}`, import.meta.url));
  const r = spawnSync("clang", [...CLANG_FLAGS, "-I", INCLUDE, source, ...more, "-o", out], { encoding: "utf8", env: compilerEnv() });
  if (r.status !== 0) throw new Error(`clang ${name}: ${r.stderr}`);
  return out;
}

const wasm = (name: string) => readFileSync(nativeExamplePath(name) as string);

type Entries = Record<string, () => number>;

describe.skipIf(missing.c)("C: examples/c/strings.c", () => {
  const path = "c/strings.c";
  const file = () => nativeExamplePath("c-strings") as string;

  it("links at load against either build; a correct program leaves nothing", async () => {
    for (const checked of [true, false]) {
      const linked = await link<Entries>(wasm("c-strings"), { checked });
      expect(linked.exports.run_clean()).toBe("hello world".length * 2);
      expect(linked.report().leakCount).toBe(0);
      expect(linked.layout.dataStart).toBeGreaterThanOrEqual(65536);
    }
  });

  it("the checked build names the C line of each leaked reference", async () => {
    const linked = await link<Entries>(wasm("c-strings"), { checked: true });
    expect(linked.exports.run_leak()).toBe(3 * "hello world".length);
    const report = linked.report();
    expect(report.leakCount).toBe(3);
    expect(new Set(report.references.map((r) => r.site?.label))).toEqual(new Set([lineOf(path, "seeded leak")]));
  });

  it("a double unref throws DoublePutError naming where it was taken and first put", async () => {
    const linked = await link<Entries>(wasm("c-strings"), { checked: true });
    let error: unknown;
    try { linked.exports.run_double_unref(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(DoublePutError);
    expect((error as DoublePutError).site?.label).toBe(lineOf(path, "double unref: taken here"));
    expect((error as DoublePutError).putSite?.label).toBe(lineOf(path, "double unref: first put here"));
    expect(linked.heap.validate()).toBeUndefined(); // refused before any change
  });

  it("rcalloc check exits 0, 1 and 2 naming the C lines", async () => {
    const [clean, leak, twice] = await Promise.all([
      rcalloc("check", file(), "--entry", "run_clean"),
      rcalloc("check", file(), "--entry", "run_leak"),
      rcalloc("check", file(), "--entry", "run_double_unref"),
    ]);
    expect(clean.status).toBe(0);
    expect(clean.stdout).toMatch(/CLEAN {2}no references left after run_clean returned 22/);
    expect(leak.status).toBe(1);
    expect(leak.stdout).toContain(`3 references taken at ${lineOf(path, "seeded leak")} (3 objects, 48 bytes)`);
    expect(twice.status).toBe(2);
    expect(twice.stdout).toMatch(/MISUSE {2}DoublePutError \[DOUBLE_PUT\]/);
    expect(twice.stdout).toContain(`taken at    ${lineOf(path, "double unref: taken here")}\n`);
    expect(twice.stdout).toContain(`first put   ${lineOf(path, "double unref: first put here")}\n`);
  });

  it("rcalloc bench times the C entry under both builds", async () => {
    const r = await rcalloc("bench", file(), "--entry", "run_clean", "--rounds", "2");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/overhead {3}checked\/unchecked: median \d+\.\d+x/);
  });
});

describe.skipIf(missing.c)("C malloc on rcalloc: examples/c/cache.c with include/rcalloc-malloc.c", () => {
  const path = "c/cache.c";
  const file = () => nativeExamplePath("c-cache") as string;

  it("malloc, calloc, realloc, strdup and posix_memalign work in both builds and free everything", async () => {
    const sums = [];
    for (const checked of [true, false]) {
      const linked = await link<Entries>(wasm("c-cache"), { checked });
      sums.push(linked.exports.run_clean() >>> 0);
      expect(linked.report().objects).toEqual([]);
      linked.heap.validate();
    }
    expect(sums[0]).not.toBe(0); // 0: an alignment or zero-fill check inside failed
    expect(sums[1]).toBe(sums[0]);
  });

  it("over-aligned blocks (posix_memalign, aligned_alloc) are aligned, keep their bytes, and are freed whole", async () => {
    const out = compileFixture("aligned.c", [SHIM]);
    for (const checked of [true, false]) {
      const linked = await link<{ run(): number }>(readFileSync(out), { checked });
      expect(linked.exports.run()).toBe(0);
      expect(linked.report().objects).toEqual([]); // the shim's table of aligned blocks too
      linked.heap.validate();
    }
  });

  it("rcalloc check exits 1 on a block never freed, naming the malloc line", async () => {
    const r = await rcalloc("check", file(), "--entry", "run_leak");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/LEAKS {2}.*1 object \(32 bytes\)/);
    expect(r.stdout).toContain(`taken at ${lineOf(path, "value: allocated here")}`);
  });

  it("a double free is a DoublePutError naming the malloc line and the first free", async () => {
    const r = await rcalloc("check", file(), "--entry", "run_double_free");
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/MISUSE {2}DoublePutError \[DOUBLE_PUT\]/);
    expect(r.stdout).toContain(`taken at    ${lineOf(path, "value: allocated here")}\n`);
    expect(r.stdout).toContain(`first put   ${lineOf(path, "double free: first free here")}\n`);
  });

  it("free of a pointer malloc never returned is an InvalidHandleError, before any change", async () => {
    const linked = await link<Entries>(wasm("c-cache"), { checked: true });
    expect(() => linked.exports.run_bad_free()).toThrow(InvalidHandleError);
    linked.heap.validate();
    const r = await rcalloc("check", file(), "--entry", "run_bad_free");
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/INVALID_HANDLE/);
  });
});

describe.skipIf(missing.cpp)("C++: examples/cpp/list.cpp (rcalloc::Rc)", () => {
  const path = "cpp/list.cpp";
  const file = () => nativeExamplePath("cpp-list") as string;

  it("copies and destructors balance in a correct program, in both builds", async () => {
    for (const checked of [true, false]) {
      const linked = await link<Entries>(wasm("cpp-list"), { checked });
      expect(linked.exports.run_clean()).toBe(10 + 6 + 20 + 6);
      expect(linked.report().leakCount).toBe(0);
    }
  });

  it("rcalloc check exits 1 on a released handle nobody adopts, naming its C++ line", async () => {
    const r = await rcalloc("check", file(), "--entry", "run_leak");
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`1 reference taken at ${lineOf(path, "seeded leak")} \\(1 object, 8 bytes\\):\\n.*unreachable`));
  });

  it("adopting one handle twice is a use after put naming where it was taken", async () => {
    const linked = await link<Entries>(wasm("cpp-list"), { checked: true });
    expect(() => linked.exports.run_double_adopt()).toThrow(UseAfterPutError);
    const r = await rcalloc("check", file(), "--entry", "run_double_adopt");
    expect(r.status).toBe(2);
    expect(r.stdout).toContain(`taken at    ${lineOf(path, "double adopt: taken here")}\n`);
    expect(r.stdout).toMatch(/put at {6}run_double_adopt/);
  });
});

describe.skipIf(missing.cpp)("C++ built with -O2 -g: rcalloc::Rc's methods, inlined, are rcalloc's", () => {
  it("a use after put is put and trapped at list.cpp's lines, not rcalloc.hpp's", async () => {
    const out = join(work, "list-g.wasm");
    const r = spawnSync("clang++", [...CLANGXX_FLAGS, "-g", "-I", INCLUDE, join(EXAMPLES, "cpp/list.cpp"), "-o", out], { encoding: "utf8", env: compilerEnv() });
    if (r.status !== 0) throw new Error(`clang++ list.cpp: ${r.stderr}`);
    const run = await rcalloc("check", out, "--entry", "run_double_adopt");
    expect(run.status).toBe(2);
    // ~Rc at the end of the block put it; sum's list.get() on the adopted copy trapped
    expect(run.stdout).toMatch(/put at {6}\S*list\.cpp:\d+:\d+\n\s+run_double_adopt \(\S*list\.cpp:\d+:\d+\)\n/);
    const line = (marker: string) => lineOf("cpp/list.cpp", marker).split(":")[1];
    expect(run.stdout).toMatch(new RegExp(`trapped in {2}sum \\(\\S*list\\.cpp:${line("list.get(); n;")}:\\d+, inlined into run_double_adopt\\)\\n`
      + `\\s+run_double_adopt \\(\\S*list\\.cpp:${line("total += sum(second)")}:\\d+\\)`));
    expect(run.stdout).not.toContain("rcalloc.hpp");
  });

  it("an inlined method named as the allocator's functions (Pool::free) is the user's frame", async () => {
    // DWARF names it "free", as C's free: it was left out as allocator glue, and the free read "double_free (pool.cpp:N)".
    const out = join(work, "pool.wasm");
    const source = fileURLToPath(new URL("fixtures/c/pool.cpp", import.meta.url));
    const r = spawnSync("clang++", [...CLANGXX_FLAGS, "-g", "-I", INCLUDE, source, "-x", "c", SHIM, "-o", out], { encoding: "utf8", env: compilerEnv() });
    if (r.status !== 0) throw new Error(`clang++ pool.cpp: ${r.stderr}`);
    const run = await rcalloc("check", out, "--entry", "double_free");
    expect(run.status).toBe(2);
    const at = (name: string, marker: string, into?: string) => frameAt("c/pool.cpp", name, marker, into);
    expect(run.stdout).toMatch(new RegExp(`first put {3}\\S+\\n\\s+${at("free", "Pool::free: freed here", "double_free")}\\n\\s+${at("double_free", "double_free: the first free")}\\n`));
    expect(run.stdout).toMatch(new RegExp(`trapped in {2}${at("free", "Pool::free: freed here", "double_free")}\\n\\s+${at("double_free", "double_free: a double free")}\\n`));
  });
});

describe.skipIf(missing.rust)("Rust: examples/rust/lib.rs (RcHandle: Clone = get, Drop = put)", () => {
  const path = "rust/lib.rs";
  const file = () => nativeExamplePath("rust-handles") as string;

  it("clones and drops balance in a correct program, in both builds", async () => {
    for (const checked of [true, false]) {
      const linked = await link<Entries>(wasm("rust-handles"), { checked });
      expect(linked.exports.run_clean()).toBe(3 * 16 + 4);
      expect(linked.report().leakCount).toBe(0);
    }
  });

  it("rcalloc check exits 1 on a forgotten clone and 2 on a double drop, naming the Rust lines", async () => {
    const [leak, twice] = await Promise.all([
      rcalloc("check", file(), "--entry", "run_leak"),
      rcalloc("check", file(), "--entry", "run_double_drop"),
    ]);
    expect(leak.status).toBe(1);
    expect(leak.stdout).toContain(`1 reference taken at ${lineOf(path, "seeded leak")} (1 object, 16 bytes)`);
    expect(twice.status).toBe(2);
    expect(twice.stdout).toMatch(/MISUSE {2}DoublePutError \[DOUBLE_PUT\]/);
    expect(twice.stdout).toContain(`taken at    ${lineOf(path, "double drop: taken here")}\n`);
    expect(twice.stdout).toContain(`first put   ${lineOf(path, "double drop: first put here")}\n`);
  });
});

describe.skipIf(missing.rust)("Rust with std: examples/rust-std/lib.rs (#[global_allocator] rcalloc::Malloc)", () => {
  const file = () => nativeExamplePath("rust-std") as string;

  it("Vec, String and Box live on rcalloc's malloc in both builds, and are all freed", async () => {
    const module = readFileSync(file());
    expect(WebAssembly.Module.imports(new WebAssembly.Module(module)).map((i) => i.name)).toContain("mallocAt");
    for (const checked of [true, false]) {
      const linked = await link<Entries>(module, { checked });
      expect(linked.exports.run_clean()).toBe(10 * 6 + 90 * 7 + 7); // "word 0".."word 99", boxed[3]
      expect(linked.report().objects).toEqual([]);
    }
  });

  it("rcalloc check exits 1 on a leaked Box (named by the Rust function) and 2 on a double free", async () => {
    const [leak, twice] = await Promise.all([
      rcalloc("check", file(), "--entry", "run_leak"),
      rcalloc("check", file(), "--entry", "run_double_free"),
    ]);
    expect(leak.status).toBe(1);
    expect(leak.stdout).toMatch(/LEAKS {2}2 references to 2 objects/); // the Box and the Vec's buffer
    // the Box and the Vec's buffer, each named by its call in run_leak, not std's allocator glue
    expect(leak.stdout.match(/1 reference taken at run_leak \(wasm 0x[0-9a-f]+\)/g)).toHaveLength(2);
    expect(twice.status).toBe(2);
    expect(twice.stdout).toMatch(/DoublePutError \[DOUBLE_PUT\]/);
    expect(twice.stdout).toMatch(/first put {3}run_double_free \(wasm 0x[0-9a-f]+\)/);
  });
});

describe.skipIf(missing.c)("C: plain malloc and free called by library code (no RC_MALLOC_SITES)", () => {
  it("rcalloc check names the function that called malloc or free, not the C allocator's own", async () => {
    const out = compileFixture("plain-malloc.c", [SHIM]); // no -g: sites name functions
    const [leak, twice] = await Promise.all([rcalloc("check", out, "--entry", "leak"), rcalloc("check", out, "--entry", "double_free")]);
    expect(leak.status).toBe(1);
    expect(leak.stdout).toMatch(/1 reference taken at make_copy \(wasm 0x[0-9a-f]+\)/);
    expect(leak.stdout).toMatch(/backtrace:\n\s+make_copy \(wasm 0x[0-9a-f]+\)\n\s+leak /);
    expect(twice.status).toBe(2);
    expect(twice.stdout).toMatch(/taken at make_copy \(wasm 0x[0-9a-f]+\); first put at drop_copy \(wasm 0x[0-9a-f]+\)\)/);
    expect(twice.stdout).toMatch(/trapped in {2}drop_copy \(wasm 0x[0-9a-f]+\)\n\s+double_free /);
  });
});

describe.skipIf(missing.c)("C built with -g: rcalloc check reads the lines of its DWARF", () => {
  it("names file:line of each frame, the C allocator's own left out", async () => {
    const out = compileFixture("plain-malloc.c", [SHIM, "-g"]);
    // "plain-malloc.c:N:" of the fixture's line holding `marker` (the path before it is clang's)
    const at = (marker: string) => `plain-malloc\\.c:${lineOf("../test/fixtures/c/plain-malloc.c", marker).split(":")[1]}:\\d+`;
    const [leak, twice] = await Promise.all([rcalloc("check", out, "--entry", "leak"), rcalloc("check", out, "--entry", "double_free")]);
    expect(leak.status).toBe(1);
    const malloc = at("char *copy = allocate");
    expect(leak.stdout).toMatch(new RegExp(`1 reference taken at \\S*${malloc} `));
    expect(leak.stdout).toMatch(new RegExp(`backtrace:\\n\\s+make_copy \\(\\S*${malloc}\\)\\n\\s+leak \\(\\S*${at("return (int)strlen(make_copy")}\\)`));
    expect(twice.status).toBe(2);
    const free = at("deallocate(copy)");
    expect(twice.stdout).toMatch(new RegExp(`first put {3}\\S*${free}\\n\\s+drop_copy \\(\\S*${free}\\)\\n\\s+double_free \\(\\S*${at("the first free")}\\)`));
    expect(twice.stdout).toMatch(new RegExp(`trapped in {2}drop_copy \\(\\S*${free}\\)\\n\\s+double_free \\(\\S*${at("a double free")}\\)`));
  });
});

describe.skipIf(missing.c)("C built with -g, linked with stacks", () => {
  it("link() reads the lines of its DWARF when given no source map", async () => {
    const out = compileFixture("plain-malloc.c", [SHIM, "-g"]);
    const line = lineOf("../test/fixtures/c/plain-malloc.c", "char *copy = allocate").split(":")[1];
    const linked = await link<{ leak(): number }>(readFileSync(out), { checked: true, stacks: true });
    linked.exports.leak();
    const [leaked] = linked.report({ scan: true }).references;
    expect(leaked.site?.label).toMatch(new RegExp(`plain-malloc\\.c:${line}:\\d+$`));
    linked.heap.dispose();
  });
});

/** A frame of a backtrace as a pattern: "name (path/file:N:col)" at the fixture's line holding
 *  `marker`, with ", inlined into caller" when `into` is given (the path before it is clang's). */
function frameAt(fixture: string, name: string, marker: string, into?: string): string {
  const file = fixture.split("/").pop()!;
  const line = lineOf(`../test/fixtures/${fixture}`, marker).split(":")[1];
  return `${name} \\(\\S*${file.replace(".", "\\.")}:${line}:\\d+${into ? `, inlined into ${into}` : ""}\\)`;
}

describe.skipIf(missing.c)("C built with -O2 -g: a function clang inlined is a frame of its own (its DWARF's .debug_info)", () => {
  // The line table gives the inlined function's line, the name section the function it was inlined
  // into: each site read "leak (inlined.c:12:20)", line 12 being make_node's, and lost the call.
  const at = (name: string, marker: string, into?: string) => frameAt("c/inlined.c", name, marker, into);
  const built = new Map<string, string>();
  const build = (level: string) => {
    if (!built.has(level)) built.set(level, compileFixture("inlined.c", [SHIM, "-g", level], `inlined${level}.wasm`));
    return built.get(level)!;
  };

  it("a leak names the inlined function at its malloc and the caller at its call, nested calls each at theirs", async () => {
    const out = build("-O2");
    const [leak, nested] = await Promise.all([rcalloc("check", out, "--entry", "leak"), rcalloc("check", out, "--entry", "leak_nested")]);
    expect(leak.status).toBe(1);
    const malloc = at("make_node", "make_node: allocated here", "leak");
    expect(leak.stdout).toMatch(new RegExp(`1 reference taken at \\S*inlined\\.c:${lineOf("../test/fixtures/c/inlined.c", "make_node: allocated here").split(":")[1]}:\\d+ `));
    expect(leak.stdout).toMatch(new RegExp(`backtrace:\\n\\s+${malloc}\\n\\s+${at("leak", "leak: calls make_node")}\\n`));
    expect(nested.status).toBe(1);
    const inPair = at("make_node", "make_node: allocated here", "pair");
    const caller = at("leak_nested", "leak_nested: calls pair");
    expect(nested.stdout).toMatch(new RegExp(`${inPair}\\n\\s+${at("pair", "pair: calls make_node", "leak_nested")}\\n\\s+${caller}\\n`));
    expect(nested.stdout).toMatch(new RegExp(`${inPair}\\n\\s+${at("pair", "head->next = make_node", "leak_nested")}\\n\\s+${caller}\\n`));
  });

  it("a double free and a write after free name the inlined malloc, free and caller lines", async () => {
    const out = build("-O2");
    const [twice, written] = await Promise.all([rcalloc("check", out, "--entry", "double_free"), rcalloc("check", out, "--entry", "write_after_free")]);
    expect(twice.status).toBe(2);
    const free = (caller: string) => at("drop_node", "drop_node: freed here", caller);
    expect(twice.stdout).toMatch(new RegExp(`taken at {4}\\S+\\n\\s+${at("make_node", "make_node: allocated here", "double_free")}\\n\\s+${at("double_free", "double_free: calls make_node")}\\n`));
    expect(twice.stdout).toMatch(new RegExp(`first put {3}\\S+\\n\\s+${free("double_free")}\\n\\s+${at("double_free", "double_free: the first free")}\\n`));
    expect(twice.stdout).toMatch(new RegExp(`trapped in {2}${free("double_free")}\\n\\s+${at("double_free", "double_free: a double free")}\\n`));
    expect(written.status).toBe(2);
    expect(written.stdout).toMatch(/WriteAfterFreeError \[WRITE_AFTER_FREE\]/);
    expect(written.stdout).toMatch(new RegExp(`taken at {4}\\S+\\n\\s+${at("make_node", "make_node: allocated here", "write_after_free")}\\n\\s+${at("write_after_free", "write_after_free: calls make_node")}\\n`));
    expect(written.stdout).toMatch(new RegExp(`put at {6}\\S+\\n\\s+${free("write_after_free")}\\n\\s+${at("write_after_free", "write_after_free: frees")}\\n`));
  });

  it("--json and a typed error's site carry the same frames", async () => {
    const out = build("-O2");
    const json = JSON.parse((await rcalloc("check", out, "--entry", "leak", "--json")).stdout);
    const [reference] = json.leaks.references;
    expect(reference.site.stack).toHaveLength(2);
    expect(reference.site.stack[0]).toMatch(new RegExp(`^${at("make_node", "make_node: allocated here", "leak")}$`));
    expect(reference.site.stack[1]).toMatch(new RegExp(`^${at("leak", "leak: calls make_node")}$`));
    const linked = await link<Entries>(readFileSync(out), { checked: true, stacks: true });
    let error: unknown;
    try { linked.exports.double_free(); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(DoublePutError);
    const put = (error as DoublePutError).putSite?.stack.split("\n");
    expect(put).toHaveLength(2);
    expect(put![0]).toMatch(new RegExp(`^${at("drop_node", "drop_node: freed here", "double_free")}$`));
    expect(put![1]).toMatch(new RegExp(`^${at("double_free", "double_free: the first free")}$`));
    linked.heap.dispose();
  });

  it("built with -gdwarf-5 (strings, addresses and ranges by index; a v5 line table) it reads the same", async () => {
    const [v4, v5] = [build("-O2"), compileFixture("inlined.c", [SHIM, "-O2", "-gdwarf-5"], "inlined-dwarf5.wasm")];
    for (const entry of ["leak_nested", "double_free", "write_after_free"]) {
      const [four, five] = await Promise.all([rcalloc("check", v4, "--entry", entry), rcalloc("check", v5, "--entry", entry)]);
      expect(five.stdout).toContain("inlined into");
      const body = (stdout: string) => stdout.split("\n").slice(1).join("\n"); // past the file's name
      expect(body(five.stdout)).toBe(body(four.stdout));
    }
  });

  it("the same program at -O0 (nothing inlined) reads the same frames, none marked inlined", async () => {
    const [O0, O2] = [build("-O0"), build("-O2")];
    for (const entry of ["leak", "leak_nested", "double_free", "write_after_free"]) {
      const [plain, optimized] = await Promise.all([rcalloc("check", O0, "--entry", entry), rcalloc("check", O2, "--entry", entry)]);
      expect(plain.stdout).not.toContain("inlined into");
      const body = (stdout: string) => stdout.replace(/, inlined into \w+\)/g, ")").split("\n").slice(1).join("\n"); // past the file's name
      expect(body(optimized.stdout)).toBe(body(plain.stdout));
    }
  });
});

/** The module with its custom section `name`'s content replaced (its size written again). DWARF's
 *  sections follow the code: the code's offsets stay. */
function withSection(bytes: Uint8Array, name: string, content: Uint8Array): Uint8Array {
  const s = parseWasm(bytes).sections.find((x) => x.custom?.name === name)!;
  const payload = [...bytes.subarray(s.bodyStart, s.custom!.contentStart), ...content]; // the name, then the content
  const size: number[] = [];
  for (let n = payload.length; ; n >>>= 7) { size.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0)); if (n <= 0x7f) break; }
  return new Uint8Array([...bytes.subarray(0, s.start), 0, ...size, ...payload, ...bytes.subarray(s.end)]);
}

describe.skipIf(missing.c)("C built with -flto -O2 -g: a function inlined from another file's unit", () => {
  it("is named: its unit, none of whose code was kept, is read for it", async () => {
    // The inlined call names its function by offset in the other unit (DW_FORM_ref_addr), whose DIEs were not read: "(inlined)".
    const util = fileURLToPath(new URL("fixtures/c/lto-util.c", import.meta.url));
    const out = compileFixture("lto-app.c", [util, SHIM, "-flto", "-O2", "-g"]);
    const leak = await rcalloc("check", out, "--entry", "leak");
    expect(leak.status).toBe(1);
    expect(leak.stdout).toMatch(new RegExp(`backtrace:\\n\\s+${frameAt("c/lto-util.c", "make_node", "make_node: allocated here", "leak")}\\n\\s+${frameAt("c/lto-app.c", "leak", "leak: calls make_node")}\\n`));
  });
});

describe.skipIf(missing.c)("C in a folder named like Rust's toolchain (rustc-*)", () => {
  it("keeps its own vendor/ files and relative paths: only the toolchain's real folders are Rust's std", async () => {
    // A project in .../rustc-bridge (rustc-hash, rustc-demangle are real projects) had its
    // relative paths joined with its folder and its vendor/ code hidden as Rust's std.
    const root = join(work, "rustc-bridge");
    mkdirSync(join(root, "src"), { recursive: true });
    mkdirSync(join(root, "vendor"), { recursive: true });
    writeFileSync(join(root, "vendor", "mini.c"), "#include <stdlib.h>\n__attribute__((noinline)) void *mini_make(int n) {\n  return malloc(n);\n}\n");
    writeFileSync(join(root, "src", "app.c"), "void *mini_make(int n);\n__attribute__((export_name(\"leak\"))) int leak(void) {\n  void *p = mini_make(16);\n  return p != 0;\n}\n");
    const out = join(work, "rustc-bridge.wasm");
    const r = spawnSync("clang", [...CLANG_FLAGS, "-I", INCLUDE, "src/app.c", "vendor/mini.c", SHIM, "-O2", "-g", "-o", out], { cwd: root, encoding: "utf8", env: compilerEnv() });
    if (r.status !== 0) throw new Error(`clang: ${r.stderr}`);
    const leak = await rcalloc("check", out, "--entry", "leak");
    expect(leak.status).toBe(1);
    expect(leak.stdout).toMatch(/1 reference taken at vendor\/mini\.c:3:\d+ .*\n.*\n\s+backtrace:\n\s+mini_make \(vendor\/mini\.c:3:\d+\)\n\s+leak \(src\/app\.c:3:\d+\)\n/);
  });
});

describe.skipIf(missing.c)("C built with -O2 -g, its DWARF corrupt: read as far as it goes, never a hang or a throw", () => {
  const v4 = () => readFileSync(compileFixture("inlined.c", [SHIM, "-O2", "-g"], "corrupt-v4.wasm"));
  const v5 = () => readFileSync(compileFixture("inlined.c", [SHIM, "-O2", "-gdwarf-5"], "corrupt-v5.wasm"));

  it("a DWARF 5 line header whose directories have no fields and a count of 2^32-1 skips its unit", async () => {
    // Entries of no fields read no bytes: the count alone bounded the loop (2^32 times, until out of memory).
    const bytes = v5();
    const line = dwarfSections(bytes)!.sections.get(".debug_line")!;
    const u32 = (at: number) => new DataView(line.buffer, line.byteOffset + at, 4).getUint32(0, true);
    let unit = 0;
    while (line[unit + 4] !== 5) unit += 4 + u32(unit); // to inlined.c's (wasi-libc's are version 4)
    let p = unit + 4 + 2 + 2 + 4 + 5; // unit_length, version, address and selector sizes, header_length, five settings
    p += line[p]; // opcode_base, then its opcodes' lengths: the directory format count
    line.set([0x00, 0xff, 0xff, 0xff, 0xff, 0x0f], p); // no fields; 2^32-1 directories (in `bytes`)
    expect(dwarfSourceMap(bytes)).toBeDefined(); // the other units' lines (the libc's)
    const linked = await link<Entries>(bytes, { checked: true, stacks: true });
    linked.exports.leak();
    const [leaked] = linked.report({ scan: true }).references;
    expect(leaked.site?.label).toBeDefined();
    linked.heap.dispose();
  });

  it("a few hundred fixed byte flips and truncations of each DWARF section neither throw nor hang", () => {
    let seed = 7;
    const random = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * n);
    let cases = 0;
    for (const [bytes, names] of [
      [v4(), [".debug_info", ".debug_abbrev", ".debug_line", ".debug_ranges"]],
      [v5(), [".debug_info", ".debug_abbrev", ".debug_line", ".debug_rnglists", ".debug_addr", ".debug_str_offsets"]],
    ] as const) {
      const { codeStart, sections } = dwarfSections(bytes)!;
      const codeEnd = parseWasm(bytes).sections.find((s) => s.id === 10)!.end;
      for (const name of names) {
        const original = sections.get(name);
        expect(original, name).toBeDefined();
        for (let i = 0; i < 40; i++) {
          const content = i < 10 ? original!.slice(0, random(original!.length)) : original!.slice();
          if (i >= 10) for (let k = 1 + random(8); k > 0; k--) content[random(content.length)] = [0x00, 0xff, 0x80, 0x7f, random(256)][random(5)];
          const mutated = withSection(bytes, name, content);
          dwarfSourceMap(mutated);
          const inlines = dwarfInlines(mutated);
          for (let at = codeStart; at < codeEnd; at += 5) inlines?.at(at);
          cases++;
        }
      }
    }
    expect(cases).toBe(400);
  });
});

describe.skipIf(missing.rust)("Rust with std built with -O -g: a function rustc inlined is a frame of its own", () => {
  const at = (name: string, marker: string, into?: string) => frameAt("rust/inlined.rs", name, marker, into);
  const build = () => {
    const out = join(work, "inlined-rust.wasm");
    const source = fileURLToPath(new URL("fixtures/rust/inlined.rs", import.meta.url));
    const r = spawnSync(RUSTC, [...RUSTC_FLAGS, "-g", source, "-o", out], { encoding: "utf8", env: compilerEnv() });
    if (r.status !== 0) throw new Error(`rustc inlined.rs: ${r.stderr}`);
    return out;
  };

  it("names the inlined helper at its line and the caller at its call, Rust's std allocation left out", async () => {
    const out = build();
    const [leak, twice] = await Promise.all([rcalloc("check", out, "--entry", "leak"), rcalloc("check", out, "--entry", "double_free")]);
    expect(leak.status).toBe(1);
    expect(leak.stdout).toMatch(new RegExp(`backtrace:\\n\\s+${at("make_list", "make_list: allocated here", "leak")}\\n\\s+${at("leak", "leak: calls make_list")}\\n`));
    expect(leak.stdout).not.toMatch(/library\/alloc/);
    expect(twice.status).toBe(2);
    const free = at("drop_box", "drop_box: freed here", "double_free");
    expect(twice.stdout).toMatch(new RegExp(`first put {3}\\S+\\n\\s+${free}\\n\\s+${at("double_free", "double_free: the first free")}\\n`));
    expect(twice.stdout).toMatch(new RegExp(`trapped in {2}${free}\\n\\s+${at("double_free", "double_free: a double free")}\\n`));
  });

  it("String::push, format! and collect name the user's line, std's precompiled frames left out", async () => {
    // Debian's std names its files from its own folder (library/alloc/src/raw_vec.rs, comp dir
    // /usr/src/rustc-1.63.0): they read as user code ("taken at library/alloc/src/alloc.rs:89:14");
    // a std function with no line, by its mangled name ("taken at _ZN5alloc7raw_vec11finish_grow...").
    const out = build();
    const line = (marker: string) => lineOf("../test/fixtures/rust/inlined.rs", marker).split(":")[1];
    const [pushed, formatted, boxes] = await Promise.all(["leak_string", "leak_format", "leak_boxes"].map((e) => rcalloc("check", out, "--entry", e)));
    expect(pushed.stdout).toMatch(new RegExp(`1 reference taken at \\S*inlined\\.rs:${line("leak_string: pushes")}:\\d+ .*\\n.*\\n\\s+backtrace:\\n\\s+${at("leak_string", "leak_string: pushes")}\\n`));
    expect(formatted.stdout).toMatch(new RegExp(`1 reference taken at \\S*inlined\\.rs:${line("leak_format: formats")}:\\d+ .*\\n.*\\n\\s+backtrace:\\n\\s+${at("leak_format", "leak_format: formats")}\\n`));
    // each Box::new in the closure: the closure, inlined, then the function that collects (std's
    // frames between the two used up the frames shown: the function was never named)
    expect(boxes.stdout).toMatch(new RegExp(`5 references taken at \\S*inlined\\.rs:${line("leak_boxes: collects")}:\\d+ `));
    // the closure inlined into std's generic closure: its name without its type arguments
    // (hundreds of characters: "{closure#0}<u64, alloc::boxed::Box<u64, alloc::alloc::Global>, ...>")
    expect(boxes.stdout).toMatch(new RegExp(`backtrace:\\n\\s+\\{closure#0\\} \\(\\S*inlined\\.rs:${line("leak_boxes: collects")}:\\d+, inlined into \\{closure#0\\}\\)\\n\\s+${at("leak_boxes", "leak_boxes: collects")}\\n`));
    for (const run of [pushed, formatted, boxes]) expect(run.stdout).not.toMatch(/library\/|_ZN/);
  });

  it("names a function rustc did not inline by its path, not its mangled symbol", async () => {
    // its wasm function's name is _ZN7inlined9make_node17h<hash>E (rustc's legacy mangling)
    const leak = await rcalloc("check", build(), "--entry", "leak_node");
    expect(leak.status).toBe(1);
    expect(leak.stdout).toMatch(new RegExp(`backtrace:\\n\\s+inlined::make_node \\(\\S*inlined\\.rs:${lineOf("../test/fixtures/rust/inlined.rs", "make_node: allocated here").split(":")[1]}:\\d+\\)\\n\\s+${at("leak_node", "leak_node: calls make_node")}\\n`));
    expect(leak.stdout).not.toMatch(/_ZN/);
  });
});

describe.skipIf(missing.c)("C with WASI: printf, the clock and exit through link()'s minimal WASI", () => {
  it("prints a line at a time, reads the clock, and turns exit() into WasiExitError", async () => {
    {
      const out = compileFixture("printf.c");
      expect(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(out))).map((i) => i.module)).toContain(WASI_MODULE);
      const log = vi.spyOn(console, "log").mockImplementation(() => {});
      const error = vi.spyOn(console, "error").mockImplementation(() => {});
      try {
        const linked = await link<{ greet(n: number): number; quit(status: number): void }>(readFileSync(out), { checked: true });
        expect(linked.exports.greet(41)).toBe(42);
        expect(log.mock.calls).toEqual([["hello 41 from C, 1 refs"]]);
        expect(error.mock.calls).toEqual([["clock set"]]);
        let exit: unknown;
        try { linked.exports.quit(3); } catch (e) { exit = e; }
        expect(exit).toBeInstanceOf(WasiExitError);
        expect((exit as WasiExitError).code).toBe(3);
        expect(log.mock.calls.at(-1)).toEqual(["bye"]); // the unfinished line is flushed at exit
      } finally {
        log.mockRestore();
        error.mockRestore();
      }
    }
  });

  it("rcalloc check: a command module's argv (wasi-libc's startup mallocs it for the whole run) is no leak", async () => {
    const out = compileFixture("args.c", [SHIM, "-mexec-model=command"]);
    const run = await rcalloc("check", out);
    expect(run.stdout).toMatch(/CLEAN {2}no references left after instantiation \(2 references held by static data/);
    expect(run.status).toBe(0);
  });

  it("a DWARF row of line 0 (no source line) has no location: it is not the file's line 1", () => {
    const { sources, mappings } = sourceMapOfRows([
      { address: 0, file: 1, path: "lib.c", line: 12, column: 3 },
      { address: 8, file: 1, path: "lib.c", line: 0, column: 1 },
      { address: 16, file: 1, path: "lib.c", line: 14, column: 5 },
      { address: 24, file: -1, line: 0, column: 0 },
    ], 100);
    const map = new WasmSourceMap({ sources, mappings });
    expect(map.locate(104)).toMatchObject({ source: "lib.c", line: 12 });
    expect(map.locate(110)).toBeUndefined();
    expect(map.locate(118)).toMatchObject({ source: "lib.c", line: 14 });
  });

  it("a command module with main(void) links with the malloc shim (its __main_void is weak) and runs", async () => {
    const out = compileFixture("main-void.c", [SHIM, "-mexec-model=command"]);
    const run = await rcalloc("check", out);
    expect(run.stdout).toMatch(/LEAKS {2}1 reference to 1 object \(16 bytes\)/);
    expect(run.status).toBe(1);
  });

  it("rcalloc check keeps stdout for its report: the module's printf goes to stderr with its other output", async () => {
    const out = compileFixture("printf.c");
    // greet, called without arguments, prints "hello 0" and frees what it took
    const run = spawnSync(process.execPath, [BIN, "check", out, "--entry", "greet", "--json"], { encoding: "utf8" });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ status: "clean", returned: 1 }); // nothing but the JSON
    expect(run.stderr).toContain("hello 0 from C, 1 refs\n");
    expect(run.stderr).toContain("clock set\n");
  });
});
