// The rcalloc command line: check (exit 0 clean / 1 leaks / 2 misuse / 3 usage), bench, merge,
// --help, and one-line errors. Most cases call main() in-process; two run the real executable.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { watToWasm } from "./wat.js";
import { Heap, link, programReport } from "../bindings/node.js";
import { rcalloc } from "./run-tools.js";
import { parseWasm } from "../bindings/wasm-reader.js";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";

const BIN = fileURLToPath(new URL("../bin/rcalloc.js", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rcalloc-cli-"));
const leaky = () => examplePath("leaky") as string;
const doublePut = () => examplePath("double-put") as string;
const workload = () => examplePath("workload") as string;
const cache = () => examplePath("cache") as string;

beforeAll(() => buildExamples({ names: ["leaky", "double-put", "workload", "cache"] }), 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("rcalloc check", () => {
  it("exits 1 on leaks and prints them grouped by site, with source lines", async () => {
    const r = await rcalloc("check", leaky());
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^rcalloc check: .*leaky\.wasm, entry main \(checked build\)/);
    expect(r.stdout).toMatch(/LEAKS {2}3 references to 3 objects \(138 bytes\) still live after main returned 14/);
    expect(r.stdout).toMatch(/1 reference taken at leaky\/index\.ts:\d+:\d+/);
    expect(r.stdout).toMatch(/2 references taken at leaky\/index\.ts:\d+:\d+/);
    expect(r.stdout).toMatch(/leaky\/index\/remember \(leaky\/index\.ts:\d+:\d+\)/);
    expect(r.stderr).toBe("");
  });

  it("exits 2 on a misuse trap and names where the reference was taken and first put", async () => {
    const r = await rcalloc("check", doublePut());
    expect(r.status).toBe(2);
    expect(r.stdout).toMatch(/MISUSE {2}DoublePutError \[DOUBLE_PUT\]/);
    expect(r.stdout).toMatch(/taken at {4}double-put\/index\.ts:\d+:\d+/);
    expect(r.stdout).toMatch(/first put {3}double-put\/index\.ts:\d+:\d+/);
    expect(r.stdout).toMatch(/double-put\/index\/deliver/);
    expect(r.stdout).toMatch(/trapped in {2}double-put\/index\/main \(double-put\/index\.ts:\d+:\d+\)/);
  });

  it("exits 0 for a correct program", async () => {
    const r = await rcalloc("check", workload(), "--entry", "main");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/CLEAN {2}no references left after main returned \d+/);
  });

  it("prints JSON with --json", async () => {
    const r = await rcalloc("check", leaky(), "--json");
    expect(r.status).toBe(1);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ status: "leaks", exitCode: 1, entry: "main", returned: 14, build: "checked" });
    expect(result.leaks.references).toHaveLength(3);
    expect(result.leaks.references[0].site.label).toMatch(/^leaky\/index\.ts:\d+:\d+$/);
    expect(result.leaks.bytes).toBe(138);
    // the early return's handle, and the two the collected "recent" list held: no copy anywhere
    expect(result.leaks.references.map((r: { reachable: boolean }) => r.reachable)).toEqual([false, false, false]);
    const misuse = JSON.parse((await rcalloc("check", doublePut(), "--json")).stdout);
    expect(misuse).toMatchObject({ status: "misuse", exitCode: 2, error: { name: "DoublePutError", code: "DOUBLE_PUT" } });
    expect(misuse.error.putSite.stack.join("\n")).toMatch(/deliver/);
  });

  it("checks a module built with threads on a shared heap of its memory's maximum", async () => {
    // asc --sharedMemory --maximumMemory 100 (AssemblyScript's own features/threads test): link()
    // with the default, unshared heap refused its shared memory import, and check exited 3
    const app = join(work, "shared-memory.wasm");
    writeFileSync(app, watToWasm(`(module
      (import "env" "memory" (memory 2 100 shared))
      (import "rcalloc" "alloc" (func $alloc (param i32) (result i32)))
      (func (export "main") (result i32) (drop (call $alloc (i32.const 24))) (i32.const 7)))`));
    const r = await rcalloc("check", app, "--json");
    expect(r.stderr).toBe("");
    expect(JSON.parse(r.stdout)).toMatchObject({ status: "leaks", exitCode: 1, returned: 7, leaks: { bytes: 24 } });
  });

  it("writes a self-contained HTML report with --html", async () => {
    const file = join(work, "leaky.html");
    const r = await rcalloc("check", leaky(), "--html", file);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/HTML report written to /);
    const html = readFileSync(file, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toMatch(/<title>rcalloc check: leaky\.wasm<\/title>/);
    expect(html).toMatch(/leaky\/index\.ts:28:\d+[\s\S]*leaky\/index\.ts:38:\d+/); // both leak sites
    expect(html).not.toMatch(/<link|src=|https?:/); // nothing loaded from elsewhere (inline script only)
    const misuseFile = join(work, "double-put.html");
    await rcalloc("check", doublePut(), "--html", misuseFile);
    expect(readFileSync(misuseFile, "utf8")).toMatch(/Misuse: DoublePutError <code>DOUBLE_PUT<\/code>/);
  });
});

describe("ignore(h): an object kept on purpose is never a leak", () => {
  // examples/cache keeps a glyph cache for good and marks it with ignore(); everything else is put.
  it("rcalloc check exits 0 and says so in text, JSON and HTML", async () => {
    const text = await rcalloc("check", cache());
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/CLEAN {2}no references left after main returned \d+ \(1 ignored object: not leaks\)/);
    const json = JSON.parse((await rcalloc("check", cache(), "--json")).stdout);
    expect(json).toMatchObject({ status: "clean", exitCode: 0, leaks: { count: 0, objects: [], references: [], bytes: 0, ignored: 1 } });
    const file = join(work, "cache.html");
    expect((await rcalloc("check", cache(), "--html", file)).status).toBe(0);
    const html = readFileSync(file, "utf8");
    expect(html).toMatch(/<div class="card ok"><div class="l">Still held<\/div><div class="v">0 <span class="u">references<\/span>/);
    expect(html).toContain("1 ignored object not counted");
    expect(html).toContain("No leaks: nothing in this report is still live.");
  });

  it("programReport and heap.report() agree with leaksSince, in both builds", async () => {
    for (const checked of [true, false]) {
      const linked = await link<{ main(): bigint }>(readFileSync(cache()), { checked });
      const mark = linked.heap.mark();
      linked.exports.main();
      linked.collect();
      expect(linked.heap.leaksSince(mark).leakCount).toBe(0);
      const report = linked.report({ scan: true });
      expect(report.leakCount).toBe(0);
      expect(report.objects.filter((o) => o.ignored)).toHaveLength(1);
      expect(report.toString()).toMatch(/1 ignored object not shown/);
      expect(linked.heap.report().leakCount).toBe(report.runtime.objects);
    }
  });
});

describe("exit statuses, exactly as documented (rcalloc --help)", () => {
  // Small modules for the paths the examples do not take, written as WAT (binaryen assembles them).
  const RCALLOC = `(import "rcalloc" "alloc" (func $alloc (param i32) (result i32)))`;
  const WAT: Record<string, string> = {
    trap: `${RCALLOC} (import "env" "memory" (memory 2)) (func (export "main") (result i32) unreachable)`,
    abort: `${RCALLOC} (import "env" "abort" (func $abort (param i32 i32 i32 i32))) (import "env" "memory" (memory 2))
      (func (export "main") (call $abort (i32.const 0) (i32.const 0) (i32.const 3) (i32.const 4)))`,
    oom: `${RCALLOC} (import "env" "memory" (memory 2)) (func (export "main") (result i32) (call $alloc (i32.const -16)))`,
    pages65536: `${RCALLOC} (import "env" "memory" (memory 65536)) (func (export "main"))`,
    pages65535: `${RCALLOC} (import "env" "memory" (memory 65535)) (func (export "main"))`,
    ownMemory: `${RCALLOC} (memory 1) (func (export "main"))`,
    unknownImport: `(import "rcalloc" "frobnicate" (func (param i32))) (import "env" "memory" (memory 2)) (func (export "main"))`,
    dataOverlap: `${RCALLOC} (import "env" "memory" (memory 2)) (data (i32.const 16) "overlap") (func (export "main"))`,
    hostImport: `${RCALLOC} (import "host" "now" (func (result f64))) (import "env" "memory" (memory 2)) (func (export "main"))`,
    globalEntry: `${RCALLOC} (import "env" "memory" (memory 2)) (global (export "answer") i32 (i32.const 42)) (func (export "main"))`,
    allocatorInside: `(memory 1) (func (export "errorRecord") (result i32) (i32.const 0)) (func (export "isChecked") (result i32) (i32.const 1))`,
  };
  const files: Record<string, string> = {};
  beforeAll(async () => {
    for (const [name, wat] of Object.entries(WAT)) {
      files[name] = join(work, `${name}.wasm`);
      writeFileSync(files[name], watToWasm(`(module ${wat})`));
    }
    files.notWasm = join(work, "notes.txt");
    writeFileSync(files.notWasm, "these are not the bytes you are looking for\n");
    files.empty = join(work, "plain.wasm");
    writeFileSync(files.empty, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])); // an empty module
    // Well-formed sections, but a function that leaves an i32 on the stack: does not validate.
    files.invalid = join(work, "invalid.wasm");
    writeFileSync(files.invalid, new Uint8Array([
      0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
      1, 9, 2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0, // types: (i32) -> i32, () -> ()
      2, 17, 1, 7, ...Buffer.from("rcalloc"), 5, ...Buffer.from("alloc"), 0, 0, // import rcalloc.alloc
      3, 2, 1, 1, // one function of type () -> ()
      10, 6, 1, 4, 0, 0x41, 0, 0x0b, // body: i32.const 0, end
    ]));
    files.folder = join(work, "a-folder");
    mkdirSync(files.folder, { recursive: true });
    files.noFolder = join(work, "no-such-folder", "out");
  }, 60_000);

  /** One row: what is run, the exit status, where the message goes and what it says. */
  type Row = [name: string, args: string[], exit: number, stream: "stdout" | "stderr", message: RegExp];
  const rows: Row[] = [
    ["a correct program", ["check", "{workload}"], 0, "stdout", /^CLEAN {2}no references left/m],
    ["leaks", ["check", "{leaky}"], 1, "stdout", /^LEAKS {2}3 references to 3 objects \(138 bytes\) still live/m],
    ["a misuse trap", ["check", "{doublePut}"], 2, "stdout", /^MISUSE {2}DoublePutError \[DOUBLE_PUT\]/m],
    ["a wasm trap in the program", ["check", "{trap}"], 4, "stdout", /^FAILED {2}RuntimeError\nunreachable/m],
    ["the program's own abort", ["check", "{abort}"], 4, "stdout", /^FAILED {2}ModuleAbortError\nabort/m],
    ["out of memory", ["check", "{oom}"], 4, "stdout", /^FAILED {2}OutOfMemoryError \[OUT_OF_MEMORY\]/m],
    ["--help", ["--help"], 0, "stdout", /0 clean, 1 leaks, 2 misuse trap/],
    ["no command", [], 3, "stderr", /no command given \(rcalloc --help for usage\)/],
    ["an unknown command", ["frobnicate"], 3, "stderr", /unknown command "frobnicate"/],
    ["an unknown option", ["check", "{workload}", "--frobnicate"], 3, "stderr", /unknown option --frobnicate/],
    ["an option without its value", ["check", "{workload}", "--entry"], 3, "stderr", /option --entry needs a value/],
    ["a flag given a value", ["check", "{workload}", "--json=yes"], 3, "stderr", /option --json takes no value/],
    ["two modules", ["check", "{workload}", "{leaky}"], 3, "stderr", /check takes one module, got 2/],
    ["no module", ["check"], 3, "stderr", /no module given/],
    ["a missing file", ["check", "missing.wasm"], 3, "stderr", /^rcalloc: error: missing\.wasm: no such file$/],
    ["a folder as the module", ["check", "{folder}"], 3, "stderr", /a-folder is a directory, not a wasm module/],
    ["a file that is not wasm", ["check", "{notWasm}"], 3, "stderr", /is not a WebAssembly module$/],
    ["a module that does not validate", ["check", "{invalid}"], 3, "stderr", /is not a valid WebAssembly module \(it does not validate\)/],
    ["a module that imports nothing from rcalloc", ["check", "{empty}"], 3, "stderr", /imports nothing from "rcalloc" \(build it with --runtime/],
    ["a module with the allocator inside", ["check", "{allocatorInside}"], 3, "stderr", /contains the allocator itself/],
    ["a missing entry", ["check", "{workload}", "--entry", "nope"], 3, "stderr", /has no exported function "nope" \(exported functions: run, main, /],
    ["an entry that is not a function", ["check", "{globalEntry}", "--entry", "answer"], 3, "stderr", /export "answer" is a global, not a function/],
    ["an import the allocator lacks", ["check", "{unknownImport}"], 3, "stderr", /imports "rcalloc\.frobnicate" \(function\), which the allocator does not export/],
    ["a module with its own memory", ["check", "{ownMemory}"], 3, "stderr", /defines its own memory; build it with --importMemory/],
    ["data over the allocator's", ["check", "{dataOverlap}"], 3, "stderr", /build it with --memoryBase 65536/],
    ["a host import nobody provides", ["check", "{hostImport}"], 3, "stderr", /rcalloc: link: the module imports "host.now" \(function\), which nothing provides.*--imports host.mjs/],
    ["a memory minimum of 65,536 pages", ["check", "{pages65536}"], 3, "stderr", /asks for 65536 pages before the heap starts, which leaves no room below the heap's limit of 65535 pages/],
    ["a memory minimum of 65,535 pages", ["check", "{pages65535}"], 3, "stderr", /asks for 65535 pages before the heap starts, which leaves no room .*less static data or a smaller --stackSize/],
    ["--html into a missing folder", ["check", "{leaky}", "--html", "{noFolder}/r.html"], 3, "stderr", /--html .*r\.html: folder .*no-such-folder\/out does not exist \(create it first/],
    ["--html onto a folder", ["check", "{leaky}", "--html", "{folder}"], 3, "stderr", /--html .*a-folder is a folder: give a file name, such as .*a-folder\/report\.html/],
    ["bench of a misuse", ["bench", "{doublePut}", "--entry", "main"], 2, "stderr", /^rcalloc: misuse: DoublePutError: rcalloc: double put/],
    ["bench of a trapping program", ["bench", "{trap}", "--entry", "main"], 4, "stderr", /^rcalloc: failed: RuntimeError: unreachable/],
    ["bench without --entry", ["bench", "{workload}"], 3, "stderr", /bench needs --entry NAME/],
    ["bench with a bad --rounds", ["bench", "{workload}", "--entry", "run", "--rounds", "0"], 3, "stderr", /--rounds must be a positive integer/],
    ["bench of a missing entry", ["bench", "{workload}", "--entry", "nope"], 3, "stderr", /has no exported function "nope"/],
    ["merge without a build", ["merge", "{workload}", "-o", "x.wasm"], 3, "stderr", /exactly one of --checked and --unchecked/],
    ["merge with both builds", ["merge", "{workload}", "--checked", "--unchecked", "-o", "x.wasm"], 3, "stderr", /exactly one of --checked and --unchecked/],
    ["merge without -o", ["merge", "{workload}", "--checked"], 3, "stderr", /merge needs -o OUT\.wasm/],
    ["merge -o into a missing folder", ["merge", "{workload}", "--checked", "-o", "{noFolder}/m.wasm"], 3, "stderr", /-o .*m\.wasm: folder .*no-such-folder\/out does not exist/],
    ["merge -o onto a folder", ["merge", "{workload}", "--checked", "-o", "{folder}"], 3, "stderr", /-o .*a-folder is a folder: give a file name/],
    ["merge of a module that cannot link", ["merge", "{ownMemory}", "--checked", "-o", "x.wasm"], 3, "stderr", /defines its own memory/],
  ];

  it.each(rows)("%s: exit %i", async (_, args, exit, stream, message) => {
    const examples: Record<string, string> = { workload: workload(), leaky: leaky(), doublePut: doublePut() };
    const r = await rcalloc(...args.map((a) => a.replace(/\{(\w+)\}/g, (__, name: string) => files[name] ?? examples[name])));
    expect(r.status, r.stderr || r.stdout).toBe(exit);
    expect(r[stream].trimEnd()).toMatch(message);
    if (stream === "stderr") {
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1); // one line, never a stack trace
      expect(r.stdout).toBe("");
    } else {
      expect(r.stderr).toBe("");
    }
  });

  it("check --json prints a JSON object on a usage error too (exit 3), with the one line on stderr", async () => {
    const cases: [string[], object][] = [
      [["missing.wasm", "--json"], { file: "missing.wasm", error: { name: "UsageError", code: null, message: "missing.wasm: no such file" } }],
      [["--timeout", "5", files.unknownImport, "--json"], { file: files.unknownImport, error: { name: "LinkError", code: "UNKNOWN_IMPORT" } }],
      [["--json"], { file: null, error: { message: "no module given (rcalloc --help for usage)" } }],
    ];
    for (const [args, expected] of cases) {
      const r = await rcalloc("check", ...args);
      expect(r.status).toBe(3);
      expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
      expect(JSON.parse(r.stdout)).toMatchObject({
        tool: "rcalloc check", build: "checked", status: "usage", exitCode: 3, ...expected,
        error: { handle: null, site: null, trappedAt: [], ...(expected as { error: object }).error },
      });
    }
  });

  it("--help prints usage and exits 0", async () => {
    const r = await rcalloc("--help");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/rcalloc check app\.wasm \[--entry NAME\] \[--json\] \[--html FILE\]/);
    expect(r.stdout).toMatch(/rcalloc bench app\.wasm --entry NAME \[--rounds N\]/);
    expect(r.stdout).toMatch(/0 clean, 1 leaks, 2 misuse trap/);
    expect((await rcalloc("check", "--help")).status).toBe(0);
  });
});

describe("rcalloc bench", () => {
  it("interleaves both builds and prints the overhead ratio with min/median/max and progress", async () => {
    const r = await rcalloc("bench", workload(), "--entry", "run", "--rounds", "3");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/3 rounds, \d+ calls? per build per round, builds interleaved/);
    expect(r.stdout).toMatch(/^unchecked +[\d.]+ ms\/call +min [\d.]+ +max [\d.]+$/m);
    expect(r.stdout).toMatch(/^checked +[\d.]+ ms\/call +min [\d.]+ +max [\d.]+$/m);
    expect(r.stdout).toMatch(/overhead +checked\/unchecked: median [\d.]+x +min [\d.]+x +max [\d.]+x/);
    expect(r.stderr).toMatch(/round 1\/3: unchecked [\d.]+ ms, checked [\d.]+ ms, ratio [\d.]+/);
    expect(r.stderr).toMatch(/round 3\/3/);
  }, 30_000);

  it("--json prints the measurement in the documented shape (docs/overhead.schema.json)", async () => {
    const r = await rcalloc("bench", workload(), "--entry", "run", "--rounds", "2", "--json");
    expect(r.status).toBe(0);
    const result = JSON.parse(r.stdout);
    expect(result).toMatchObject({ kind: "module", entry: "run", rounds: 2 });
    expect(result.builds.unchecked.perCallMs.median).toBeGreaterThan(0);
    expect(result.builds.checked.perCallMs.median).toBeGreaterThan(0);
    expect(result.ratio.median).toBeGreaterThan(0);
  }, 30_000);
});

describe("rcalloc merge", () => {
  it("writes one module with the allocator fused in, which runs like the linked one", async () => {
    const out = join(work, "workload.merged.wasm");
    const r = await rcalloc("merge", workload(), "--unchecked", "-o", out);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/with the unchecked allocator merged in/);
    const heap = await Heap.instantiate(await WebAssembly.compile(readFileSync(out)), { checked: false });
    const exports = heap.exports as unknown as { _start(): void; main(): bigint };
    exports._start();
    const linked = await link<{ main(): bigint }>(readFileSync(workload()), { checked: false });
    expect(exports.main()).toBe(linked.exports.main());
    expect(programReport(heap, heap.report()).leakCount).toBe(0);
  }, 30_000);

  it("merges a module holding a null funcref into one this engine compiles, optimized or not", async () => {
    // AssemblyScript's own features/reference-types test, merged: binaryen with GC on wrote the
    // null as GC's `ref.null nofunc` ("Unknown heap type -13" without GC, as in Node 20).
    const app = join(work, "funcref.wasm");
    writeFileSync(app, watToWasm(`(module ${`(import "rcalloc" "alloc" (func $alloc (param i32) (result i32)))`}
      (import "env" "memory" (memory 2))
      (global $callback (export "callback") (mut funcref) (ref.null func))
      (func (export "main") (result i32) (ref.is_null (global.get $callback))))`));
    for (const optimize of [[], ["--optimize"]]) {
      const out = join(work, "funcref.merged.wasm");
      expect((await rcalloc("merge", app, "--checked", "-o", out, ...optimize)).status).toBe(0);
      // the null is written as `ref.null func` (0xd0 0x70), not GC's `ref.null nofunc` (0xd0 0x73),
      // which an engine with GC would accept too
      const merged = readFileSync(out);
      const globals = parseWasm(merged).sections.find((section) => section.id === 6)!;
      const initBytes = [...merged.subarray(globals.bodyStart, globals.end)].map((b) => b.toString(16).padStart(2, "0")).join(" ");
      expect(initBytes).not.toMatch(/d0 7[1-3]/);
      const heap = await Heap.instantiate(await WebAssembly.compile(merged), { checked: true });
      expect((heap.exports as unknown as { main(): number }).main()).toBe(1);
      heap.dispose();
    }
  }, 30_000);
});

describe("the executable", () => {
  const run = (...args: string[]) => promisify(execFile)(process.execPath, [BIN, ...args]).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

  it("sets the exit status", async () => {
    expect(existsSync(BIN)).toBe(true);
    const [leaks, misuse, usage] = await Promise.all([run("check", leaky()), run("check", doublePut()), run("check", "missing.wasm")]);
    expect(leaks.code).toBe(1);
    expect(leaks.stdout).toMatch(/LEAKS/);
    expect(misuse.code).toBe(2);
    expect(usage.code).toBe(3);
    expect(usage.stderr).toBe("rcalloc: error: missing.wasm: no such file\n");
  }, 30_000);
});
