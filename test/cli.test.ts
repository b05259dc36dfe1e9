// The rcalloc command line: check (exit 0 clean / 1 leaks / 2 misuse / 3 usage), bench, merge,
// --help, and one-line errors. Most cases call main() in-process; two run the real executable.
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Heap, link, programReport } from "../bindings/node.js";
import { main } from "../bindings/cli.js";
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

/** Runs the CLI in-process: exit status, stdout and stderr. */
async function rcalloc(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const status = await main(args, { log: (line: string) => out.push(line) }, { write: (s: string) => err.push(s), isTTY: false });
  return { status, stdout: out.join("\n"), stderr: err.join("") };
}

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
    expect(result.leaks.references.map((r: { reachable: boolean }) => r.reachable)).toEqual([false, true, true]);
    const misuse = JSON.parse((await rcalloc("check", doublePut(), "--json")).stdout);
    expect(misuse).toMatchObject({ status: "misuse", exitCode: 2, error: { name: "DoublePutError", code: "DOUBLE_PUT" } });
    expect(misuse.error.putSite.stack.join("\n")).toMatch(/deliver/);
  });

  it("writes a self-contained HTML report with --html", async () => {
    const file = join(work, "leaky.html");
    const r = await rcalloc("check", leaky(), "--html", file);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/HTML report written to /);
    const html = readFileSync(file, "utf8");
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toMatch(/<title>rcalloc check: leaky\.wasm<\/title>/);
    expect(html).toMatch(/leaky\/index\.ts:27:\d+[\s\S]*leaky\/index\.ts:37:\d+/); // both leak sites
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

describe("usage errors: exit 3 and one line on stderr", () => {
  const notWasm = join(work, "notes.txt");
  const noImports = join(work, "plain.wasm");
  beforeAll(() => {
    writeFileSync(notWasm, "these are not the bytes you are looking for\n");
    writeFileSync(noImports, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])); // an empty module
  });

  it.each([
    ["a missing file", ["check", "missing.wasm"], /^rcalloc: error: missing\.wasm: no such file$/],
    ["a file that is not wasm", ["check", notWasm], /is not a WebAssembly module$/],
    ["a module that imports nothing from rcalloc", ["check", noImports], /imports nothing from "rcalloc"/],
    ["a missing entry", ["check", "ENTRY_PLACEHOLDER", "--entry", "nope"], /has no exported function "nope" \(exported functions: run, main, /],
    ["bench without --entry", ["bench", "ENTRY_PLACEHOLDER"], /bench needs --entry NAME/],
    ["bench with a bad --rounds", ["bench", "ENTRY_PLACEHOLDER", "--entry", "run", "--rounds", "0"], /--rounds must be a positive integer/],
    ["an unknown option", ["check", "ENTRY_PLACEHOLDER", "--frobnicate"], /unknown option --frobnicate/],
    ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["no command", [], /no command given/],
    ["merge without a build", ["merge", "ENTRY_PLACEHOLDER", "-o", "x.wasm"], /exactly one of --checked and --unchecked/],
  ])("%s", async (_, args, message) => {
    const r = await rcalloc(...args.map((a) => a === "ENTRY_PLACEHOLDER" ? workload() : a));
    expect(r.status).toBe(3);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr.trimEnd()).toMatch(message);
    expect(r.stdout).toBe("");
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
