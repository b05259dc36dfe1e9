// The corpus (examples/corpus/*.ts): realistic AssemblyScript modules, each with one seeded
// refcount bug or none, built as users build them (examples/build.js), run through
// `rcalloc check` (text and --json): the exit status, and the exact file:line of the bug (the
// taking site of a leak, the misusing call of a trap) in both outputs. The same modules merged
// with the allocator (rcalloc merge --checked --sites) find the same bugs at the same lines. Third-party AssemblyScript (as-bignum,
// assemblyscript-json) and std-library programs run clean in both builds.
//
// Each module says what to expect in its header: "// expect: exit N [CODE]", and marks the line
// of the bug with "//!".
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Heap, inspectModule, link, ModuleCode, programReport, RcError, WasmSourceMap, wasmStack } from "../bindings/node.js";
import { rcalloc } from "./run-tools.js";
import type { CheckResult } from "../bindings/cli-check.js";
// @ts-expect-error: plain JS build script
import { buildExamples, CORPUS, EXAMPLES_DIR, examplePath } from "../examples/build.js";

const work = mkdtempSync(join(tmpdir(), "rcalloc-corpus-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const LIBRARY = ["as-library-registry.checked", "as-library-registry.unchecked"];
beforeAll(() => buildExamples({ names: [...CORPUS, ...LIBRARY] }), 120_000);

interface Expectation {
  name: string;
  file: string;
  exit: 0 | 1 | 2;
  code?: string;
  /** "corpus/x.ts:LINE:" of the line marked //! */
  at?: string;
}

const corpus: Expectation[] = (CORPUS as string[]).map((name) => {
  const file = `${name}.ts`;
  const source = readFileSync(join(EXAMPLES_DIR, file), "utf8").split("\n");
  const header = source.map((l) => /^\/\/ expect: exit (\d)(?: ([A-Z_]+))?/.exec(l)).find(Boolean);
  if (!header) throw new Error(`${file}: no "// expect:" line`);
  const marked = source.findIndex((l) => l.trimEnd().endsWith("//!") && !l.trimStart().startsWith("//"));
  return {
    name, file, exit: Number(header[1]) as 0 | 1 | 2, code: header[2],
    at: marked >= 0 ? `${file}:${marked + 1}:` : undefined,
  };
});

describe("the corpus under rcalloc check (link at load): exit status and the bug's file:line, text and JSON", () => {
  it("has at least 12 modules with seeded bugs or none, and a few of each kind", () => {
    const own = corpus.filter((c) => !c.name.startsWith("corpus/lib-") && !c.name.startsWith("corpus/std-"));
    expect(own.length).toBeGreaterThanOrEqual(12);
    expect(own.filter((c) => c.exit === 1).length).toBeGreaterThanOrEqual(3);
    expect(own.filter((c) => c.exit === 2).length).toBeGreaterThanOrEqual(5);
    expect(own.filter((c) => c.exit === 0).length).toBeGreaterThanOrEqual(4);
    for (const c of own) if (c.exit) expect(c.at, c.file).toBeDefined();
  });

  for (const c of corpus) {
    it(`${c.file}: exit ${c.exit}${c.code ? ` ${c.code}` : ""}${c.at ? ` at ${c.at}` : ""}`, async () => {
      const path = examplePath(c.name) as string;
      const text = await rcalloc("check", path);
      const json = await rcalloc("check", path, "--json");
      expect(text.status, text.stdout + text.stderr).toBe(c.exit);
      expect(json.status).toBe(c.exit);
      const result = JSON.parse(json.stdout) as CheckResult;
      expect(result.exitCode).toBe(c.exit);
      if (c.exit === 1) {
        // the leak's group is headed by the taking site, in text; every leaked reference's site in JSON
        expect(text.stdout).toContain(`taken at ${c.at}`);
        expect(result.leaks!.references.length).toBeGreaterThan(0);
        for (const r of result.leaks!.references) expect(r.site?.label).toMatch(new RegExp(`^${c.at!.replace(/[.]/g, "\\.")}\\d+$`));
      } else if (c.exit === 2) {
        expect(result.error!.code).toBe(c.code);
        // the first frame the trap names is the misusing call
        expect(result.error!.trappedAt[0]).toContain(`(${c.at}`);
        expect(text.stdout).toMatch(new RegExp(`trapped in +\\S+ \\(${c.at!.replace(/[.]/g, "\\.")}\\d+\\)`));
      } else {
        expect(result.leaks!.count).toBe(0);
        expect(result.leaks!.references).toEqual([]);
        expect(text.stdout).toMatch(/^CLEAN {2}no references left/m);
      }
    });
  }

  it("names what holds the references of the correct-but-suspicious modules", async () => {
    const held = async (name: string) => (JSON.parse((await rcalloc("check", examplePath(name), "--json")).stdout) as CheckResult).leaks!;
    expect((await held("corpus/global-config")).held.map((h) => h.heldBy)).toEqual(["global `corpus/global-config/config`"]);
    expect((await held("corpus/js-handle")).held.map((h) => h.heldBy)).toEqual(["JS (returned by main)"]);
    expect((await held("corpus/interning")).ignored).toBe(5);
    const text = await rcalloc("check", examplePath("corpus/global-config"));
    expect(text.stdout).toContain("1 reference held by global `corpus/global-config/config`: not leaks");
  });

  it("names the move's target and the owners in misuse messages", async () => {
    const graph = await rcalloc("check", examplePath("corpus/graph"));
    expect(graph.stdout).toMatch(/moved at corpus\/graph\.ts:9:\d+ to handle 0x[0-9a-f]+ \(owner 2\)/);
    expect(graph.stdout).toMatch(/moved at {4}corpus\/graph\.ts:9:\d+/);
    const bus = await rcalloc("check", examplePath("corpus/event-bus"));
    expect(bus.stdout).toMatch(/owner 11 holds none; held by owner 12 \(handle 0x[0-9a-f]+, taken at corpus\/event-bus\.ts:15:\d+\)/);
  });
});

describe("the std library and third-party AssemblyScript, unchecked build", () => {
  for (const name of (CORPUS as string[]).filter((n) => /^corpus\/(lib|std)-/.test(n))) {
    it(`${name}: runs and leaves no live object of its own`, async () => {
      const linked = await link<{ main(): number }>(readFileSync(examplePath(name)), { checked: false });
      linked.exports.main();
      linked.collect();
      expect(linked.report().leakCount).toBe(0);
    });
  }
});

describe("the corpus merged with the allocator (rcalloc merge --checked --sites): the same findings and sites", () => {
  /** `rcalloc merge --checked --sites`: calls into the allocator stay host imports, so stacks give
   *  sites; the app's source map goes through wasm-merge as OUT.wasm.map. */
  async function merged(name: string): Promise<{ heap: Heap; code: ModuleCode }> {
    const out = join(work, `${name.replace("/", "-")}.merged.wasm`);
    const r = await rcalloc("merge", examplePath(name), "--checked", "--sites", "-o", out);
    expect(r.status, r.stderr).toBe(0);
    const bytes = readFileSync(out);
    const sourceMap = readFileSync(`${out}.map`, "utf8");
    const heap = await Heap.instantiate(bytes, { checked: true, stacks: true, sourceMap });
    (heap.exports as unknown as { _start(): void })._start();
    return { heap, code: new ModuleCode(inspectModule(bytes), new WasmSourceMap(sourceMap), 0, bytes) };
  }

  // A sample of each outcome (wasm-merge takes a second or two a module on this machine).
  for (const name of ["corpus/lru-cache", "corpus/graph", "corpus/global-config", "corpus/search-tree"]) {
    const c = corpus.find((x) => x.name === name)!;
    it(`${c.file}: ${c.exit === 2 ? c.code : c.exit === 1 ? "leaks" : "clean"}${c.at ? ` at ${c.at}` : ""}`, async () => {
      const { heap, code } = await merged(name);
      const run = () => (heap.exports as unknown as { main(): number }).main();
      if (c.exit === 2) {
        let error: RcError | undefined;
        try { run(); } catch (e) { error = e as RcError; }
        expect(error).toBeInstanceOf(RcError);
        expect(error!.code).toBe(c.code);
        // the first frame of the program's own source is the misusing call
        expect(wasmStack(error!.stack ?? "", code).find((line) => line.includes("(corpus/"))).toContain(`(${c.at}`);
        expect(error!.message).toMatch(/taken at corpus\/graph\.ts:16:\d+; moved at corpus\/graph\.ts:9:\d+ to handle 0x[0-9a-f]+ \(owner 2\)/);
        return;
      }
      run();
      (heap.exports as unknown as { __collect(): void }).__collect();
      const report = programReport(heap, heap.report({ scan: true }));
      expect(report.leakCount > 0).toBe(c.exit === 1);
      if (c.exit === 1) for (const r of report.references) expect(r.site?.label.startsWith(c.at!), r.site?.label).toBe(true);
      if (name === "corpus/global-config") {
        expect(report.references.map((r) => r.heldBy)).toEqual(["global `corpus/global-config/config`"]);
      }
    });
  }
});

describe("the library path (rcalloc compiled in): globals are roots too", () => {
  for (const checked of [true, false]) {
    it(`a handle in a global is held by it, so are those in a StaticArray a global holds: no leak (${checked ? "checked" : "unchecked"})`, async () => {
      const bytes = readFileSync(examplePath(`as-library-registry.${checked ? "checked" : "unchecked"}`));
      const heap = await Heap.instantiate(bytes, { checked }); // bytes: its globals exported for the scan
      expect((heap.exports as unknown as { main(): number }).main()).toBe(3);
      const report = programReport(heap, heap.report({ scan: true }));
      expect(report.leakCount).toBe(0);
      const held = checked ? report.references : report.objects;
      // the table's 4 handles through the StaticArray a global holds (heap.report(), reachability.ts)
      expect(held.filter((r) => r.heldBy).map((r) => r.heldBy).sort()).toEqual([
        "global `assembly/registry/current`", ...Array(4).fill("global `assembly/registry/table`")]);
      expect(report.toString()).toContain("held by a root, not leaks: 4 by global `assembly/registry/table`, 1 by global `assembly/registry/current`");
    });
  }
});
