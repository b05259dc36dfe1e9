// Linking user modules against the allocator: at load time (link), statically (wasm-merge), and
// the library path (rcalloc compiled in with --use RC_CHECKED=1|0). The AS examples are built by
// examples/build.js (skipped when up to date).
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  allocatorBytes, createHeap, DoublePutError, Heap, inspectModule, link, LinkError, ModuleAbortError,
  prepareStaticLink, programReport, USER_MEMORY_BASE, UseAfterPutError,
} from "../bindings/node.js";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";
import { watToWasm } from "./wat.js";

const bytesOf = (name: string): Buffer => readFileSync(examplePath(name));
const mapOf = (name: string): string => readFileSync(`${examplePath(name)}.map`, "utf8");
const work = mkdtempSync(join(tmpdir(), "rcalloc-link-"));

beforeAll(() => buildExamples(), 120_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Workload = { run(): bigint; main(): bigint };

describe("link at load", () => {
  it("runs the same compiled module against both builds, with the same results", async () => {
    const unchecked = await link<Workload>(bytesOf("workload"), { checked: false });
    const checked = await link<Workload>(unchecked.module, { checked: true }); // no recompile
    expect(checked.module).toBe(unchecked.module);
    expect(unchecked.heap.checked).toBe(false);
    expect(checked.heap.checked).toBe(true);
    const expected = unchecked.exports.run();
    expect(typeof expected).toBe("bigint");
    for (let i = 0; i < 3; i++) {
      expect(unchecked.exports.run()).toBe(expected);
      expect(checked.exports.run()).toBe(expected);
    }
    for (const l of [unchecked, checked]) {
      l.heap.validate();
      l.collect();
      expect(l.report().leakCount).toBe(0);
    }
    // Linking the bytes again gives the same behaviour too.
    const again = await link<Workload>(bytesOf("workload"), { checked: true });
    expect(again.exports.main()).toBe(expected);
  });

  it("keeps the module's data and stack below the heap, and the allocator's data below both", async () => {
    const l = await link<Workload>(bytesOf("workload"), { checked: true });
    const info = inspectModule(bytesOf("workload"));
    expect(info.memoryImport).toMatchObject({ module: "env", name: "memory", kind: "memory" });
    expect(info.dataStart).toBeGreaterThanOrEqual(USER_MEMORY_BASE);
    expect(l.layout.allocatorDataEnd).toBeLessThan(USER_MEMORY_BASE);
    expect(l.layout).toMatchObject({ dataStart: info.dataStart, dataEnd: info.dataEnd, pages: info.memoryImport!.limits!.min });
    expect(l.layout.heapBase).toBeGreaterThanOrEqual(l.layout.dataEnd);
    l.exports.run();
    const objects = l.heap.report().objects; // everything, the runtime's blocks included
    expect(objects.length).toBeGreaterThan(0);
    // The runtime lowered the reservation to the module's __heap_base: above data + 32 KiB stack.
    for (const o of objects) expect(o.ptr).toBeGreaterThan(l.layout.dataEnd + 32768);
    // The module and the allocator share one memory.
    expect(l.exports.memory).toBe(l.heap.memory);
  });

  it("turns a double put in wasm code into DoublePutError naming both sites (source lines)", async () => {
    const l = await link<{ main(): number }>(bytesOf("double-put"), { checked: true, stacks: true, sourceMap: mapOf("double-put") });
    let error: unknown;
    try {
      l.exports.main();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DoublePutError);
    const e = error as DoublePutError;
    expect(e.code).toBe("DOUBLE_PUT");
    expect(e.site?.label).toMatch(/^double-put\/index\.ts:\d+:\d+$/);
    expect(e.site?.stack).toMatch(/double-put\/index\/main/);
    expect(e.putSite?.label).toMatch(/^double-put\/index\.ts:\d+:\d+$/);
    expect(e.putSite?.stack).toMatch(/double-put\/index\/deliver/);
    expect(e.message).toMatch(/taken at double-put\/index\.ts:\d+:\d+; first put at double-put\/index\.ts:\d+:\d+/);
    l.heap.validate(); // the trap changed nothing
  });

  it("names wasm functions (name section) when there is no source map", async () => {
    const l = await link<{ main(): number }>(bytesOf("double-put"), { checked: true, stacks: true });
    let e: DoublePutError | undefined;
    try {
      l.exports.main();
    } catch (x) {
      e = x as DoublePutError;
    }
    expect(e).toBeInstanceOf(DoublePutError);
    expect(e.site?.label).toMatch(/^double-put\/index\/main \(wasm 0x[0-9a-f]+\)$/);
  });

  it("reports leaks grouped by where they were taken, without the AS runtime's blocks", async () => {
    const l = await link<{ main(): number }>(bytesOf("leaky"), { checked: true, stacks: true, sourceMap: mapOf("leaky") });
    expect(l.exports.main()).toBe(14);
    const report = l.report();
    expect(report.leakCount).toBe(3);
    expect(report.objects).toHaveLength(3);
    expect(report.runtime.objects).toBeGreaterThan(0); // the store Map, its strings, ... still live
    const labels = report.references.map((r) => r.site?.label);
    expect(new Set(labels).size).toBe(2);
    for (const label of labels) expect(label).toMatch(/^leaky\/index\.ts:\d+:\d+$/);
    const text = report.toString();
    expect(text).toMatch(/1 reference taken at leaky\/index\.ts/);
    expect(text).toMatch(/2 references taken at leaky\/index\.ts/);
    expect(text).toMatch(/leaky\/index\/remember/);
    expect(text).toMatch(/held by the AssemblyScript runtime/);
    // Without the filter, the runtime's references are there too.
    expect(l.heap.report().references.length).toBe(3 + report.runtime.objects);
  });

  it("reports leaked objects in the unchecked build too (no references there)", async () => {
    const l = await link<{ main(): number }>(bytesOf("leaky"), { checked: false });
    l.exports.main();
    const report = l.report();
    expect(report.leakCount).toBe(3);
    expect(report.references).toHaveLength(0);
    expect(report.objects.map((o) => o.refs)).toEqual([1, 1, 1]);
  });

  it("reads the module's strings through the loader and turns its aborts into ModuleAbortError", async () => {
    type Program = { addPerson(name: number, age: number): number; nameAt(i: number): number; __newString(s: string): number };
    const l = await link<Program>(bytesOf("as-program"), { checked: true });
    l.exports.addPerson(l.exports.__newString("Grace"), 85);
    expect(l.getString(l.exports.nameAt(0))).toBe("Grace");
    expect(l.exports.__getString(l.exports.nameAt(0))).toBe("Grace");
    let error: unknown;
    try {
      l.exports.nameAt(5);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ModuleAbortError);
    expect((error as ModuleAbortError).message).toMatch(/Index out of range \(at ~lib\/array\.ts:\d+:\d+\)/);
  });
});

// ─── Hand-made modules for the ways a link can fail ───

function uleb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}
const str = (s: string) => [...uleb(s.length), ...new TextEncoder().encode(s)];
const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];

/** A module with the given function/memory imports, an own memory, and data segments. */
function wasm(spec: { funcs?: [string, string][]; memoryImport?: number; memoryMax?: number; sharedMemory?: boolean; memory?: number; data?: number[] }): Uint8Array {
  const imports: number[][] = (spec.funcs ?? []).map(([m, n]) => [...str(m), ...str(n), 0, 0]);
  if (spec.memoryImport !== undefined) {
    const max = spec.memoryMax === undefined ? [] : uleb(spec.memoryMax);
    const flags = (max.length ? 1 : 0) | (spec.sharedMemory ? 2 : 0);
    imports.push([...str("env"), ...str("memory"), 2, flags, ...uleb(spec.memoryImport), ...max]);
  }
  const out = [0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...section(1, [1, 0x60, 1, 0x7f, 1, 0x7f])]; // (i32) -> i32
  if (imports.length) out.push(...section(2, [...uleb(imports.length), ...imports.flat()]));
  if (spec.memory !== undefined) out.push(...section(5, [1, 0, ...uleb(spec.memory)]));
  if (spec.data) {
    const segments = spec.data.map((at) => [0, 0x41, ...uleb(at), 0x0b, 1, 42]);
    out.push(...section(11, [...uleb(segments.length), ...segments.flat()]));
  }
  return new Uint8Array(out);
}

describe("link errors", () => {
  it("reads a linked module's string at an address 2 mod 4 (abort, getString) instead of throwing RangeError", async () => {
    const module = watToWasm(`(module
      (import "env" "memory" (memory 2))
      (import "rcalloc" "alloc" (func (param i32) (result i32)))
      (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
      (func (export "fail") (param $message i32) (call $abort (local.get $message) (i32.const 0) (i32.const 7) (i32.const 9))))`);
    const l = await link(module, { checked: false });
    const text = l.heap.ptr(l.heap.alloc(64)) + 18; // 2 mod 4: UTF-16 needs only 2-byte alignment
    new DataView(l.heap.memory.buffer).setUint32(text - 4, 4, true);
    new Uint16Array(l.heap.memory.buffer, text, 2).set([104, 105]);
    const e = l.exports as unknown as { fail(message: number): void };
    expect(() => e.fail(text)).toThrow(ModuleAbortError);
    expect(() => e.fail(text)).toThrow(/hi/);
    expect(l.getString(text)).toBe("hi");
  });

  const code = async (bytes: Uint8Array, options = {}) => {
    try {
      await link(bytes, options);
      return "linked";
    } catch (e) {
      expect(e).toBeInstanceOf(LinkError);
      expect((e as LinkError).message).toMatch(/^rcalloc: link: /);
      return (e as LinkError).code;
    }
  };

  it("links a module built against a runtime with 256-slot chunks: its table view reads 0, so it calls in", async () => {
    // runtime/imports.ts before 32-slot chunks imported handleTableView and, given a table, indexed
    // it in 256-slot chunks; the allocator's handleTableView() returns 0, so such a module calls
    // the allocator's ptr() for every lookup instead (correct, slower), as tableView() modules do
    const old = watToWasm(`(module
      (import "env" "memory" (memory 2))
      (import "rcalloc" "alloc" (func (param i32) (result i32)))
      (import "rcalloc" "handleTableView" (func $view (result i32)))
      (func (export "view") (result i32) (call $view)))`);
    for (const checked of [true, false]) {
      const linked = await link(old, { checked });
      expect((linked.exports as unknown as { view(): number }).view()).toBe(0);
      const allocator = await allocatorBytes(checked);
      expect(() => prepareStaticLink(allocator, old)).not.toThrow();
    }
  });

  it("names what is wrong with the module", async () => {
    expect(await code(new TextEncoder().encode("not a wasm module"))).toBe("NOT_WASM");
    expect(await code(wasm({ memoryImport: 1 }))).toBe("NO_RCALLOC_IMPORTS");
    expect(await code(wasm({ funcs: [["rcalloc", "frobnicate"]], memoryImport: 1 }))).toBe("UNKNOWN_IMPORT");
    expect(await code(wasm({ funcs: [["rcalloc", "alloc"]], memory: 1 }))).toBe("OWN_MEMORY");
    expect(await code(wasm({ funcs: [["rcalloc", "alloc"]], memoryImport: 1, data: [16] }))).toBe("DATA_OVERLAP");
    expect(await code(wasm({ funcs: [["rcalloc", "alloc"], ["env", "missing"]], memoryImport: 1 }))).toBe("MISSING_IMPORT");
    await expect(link(wasm({ funcs: [["rcalloc", "alloc"]], memoryImport: 1, data: [16] }))).rejects.toThrow(/--memoryBase 65536/);
  });

  it("says why the heap's memory does not fit the module's memory import, and the fix", async () => {
    // AssemblyScript's own features/threads test (--sharedMemory --maximumMemory 10), linked,
    // read only WebAssembly's "memory import 5 has no maximum limit, expected at most 4294967295"
    const limited = wasm({ funcs: [["rcalloc", "alloc"]], memoryImport: 2, memoryMax: 100 });
    await expect(link(limited, { checked: false })).rejects.toThrow(
      /declares a maximum of 100 pages \(asc --maximumMemory, wasm-ld --max-memory\).*build it without one/);
    // shared, with a maximum: the fix that needs no rebuild, a shared heap of that maximum (it links)
    const shared = wasm({ funcs: [["rcalloc", "alloc"]], memoryImport: 2, memoryMax: 100, sharedMemory: true });
    await expect(link(shared, { checked: true })).rejects.toThrow(
      /imports a shared memory \(built with --sharedMemory\): link it with \{ shared: true, maxPages: 100 \}/);
    await expect(link(shared, { checked: false, shared: true })).rejects.toThrow(
      /declares a maximum of 100 pages .* and the heap's memory 65535: link it with \{ shared: true, maxPages: 100 \}/);
    await expect(link(shared, { checked: false, shared: true, maxPages: 500 })).rejects.toThrow(/the heap's memory 500: link it with \{ shared: true, maxPages: 100 \}/);
    const fitted = await link(shared, { checked: false, shared: true, maxPages: 100 });
    expect(fitted.heap.alloc(16)).toBeGreaterThan(0);
    fitted.heap.dispose();
    // unshared module, shared heap: V8's message ("mismatch in shared state of memory") names no import
    const unshared = wasm({ funcs: [["rcalloc", "alloc"]], memoryImport: 2 });
    await expect(link(unshared, { checked: false, shared: true })).rejects.toThrow(
      /imports an unshared memory and the heap is shared: link it without \{ shared: true \}/);
  });

  it("reads a module's strings above 2 GiB (abort messages, getString): i32 addresses read unsigned", async () => {
    const module = watToWasm(`(module
      (import "env" "memory" (memory 2))
      (import "rcalloc" "alloc" (func (param i32) (result i32)))
      (import "env" "abort" (func $abort (param i32 i32 i32 i32)))
      (func (export "fail") (param $message i32) (call $abort (local.get $message) (i32.const 0) (i32.const 7) (i32.const 9)))
      (func (export "echo") (param $p i32) (result i32) (local.get $p)))`);
    const l = await link(module, { checked: false });
    l.heap.alloc(2 ** 31 - 2 ** 20); // most of the first 2 GiB
    const above = l.heap.alloc(2 ** 24);
    const text = l.heap.ptr(above) + 2 ** 24 - 60; // an AS string: byte length, then UTF-16
    expect(text).toBeGreaterThan(2 ** 31);
    new Uint32Array(l.heap.memory.buffer, text - 4, 1)[0] = 8;
    new Uint16Array(l.heap.memory.buffer, text, 4).set([..."high"].map((c) => c.charCodeAt(0)));
    const e = l.exports as unknown as { fail(message: number): void; echo(p: number): number };
    expect(() => e.fail(text)).toThrow(ModuleAbortError);
    expect(() => e.fail(text)).toThrow(/high/);
    expect(l.getString(e.echo(text))).toBe("high"); // echo's i32 result reaches JS negative
  });

  it("a link that fails after making its heap gives the heap's tag back (shared heaps keep theirs until dispose)", async () => {
    const missing = wasm({ funcs: [["rcalloc", "alloc"], ["env", "missing"]], memoryImport: 1 });
    // One more failure than there are tags: each used to keep its shared heap's tag for good,
    // so every later checked heap failed with TooManyHeapsError.
    for (let i = 0; i < 16; i++) expect(await code(missing, { shared: true, checked: true })).toBe("MISSING_IMPORT");
    const heap = await createHeap({ checked: true });
    expect(heap.refs(heap.alloc(8))).toBe(1);
    heap.dispose();
  });

  it("links a minimal module: memory grown to its import, heap reserved above its pages", async () => {
    const l = await link(wasm({ funcs: [["rcalloc", "alloc"]], memoryImport: 3, data: [USER_MEMORY_BASE, 70000] }), { checked: true });
    expect(l.layout).toMatchObject({ dataStart: USER_MEMORY_BASE, dataEnd: 70001, pages: 3, heapBase: 3 * 65536 });
    expect(l.heap.memory.buffer.byteLength).toBeGreaterThanOrEqual(3 * 65536);
    const h = l.heap.alloc(100);
    expect(l.heap.ptr(h)).toBeGreaterThanOrEqual(3 * 65536);
    expect(new Uint8Array(l.heap.memory.buffer)[70000]).toBe(42); // its data is intact
  });

  it("accepts only modules it can read the layout of", async () => {
    const module = await WebAssembly.compile(bytesOf("workload"));
    await expect(link(module)).rejects.toThrow(/pass the module's bytes/);
  });
});

describe("static linking with wasm-merge", () => {
  const wasmMerge = join(dirname(createRequire(import.meta.url).resolve("binaryen/package.json")), "bin", "wasm-merge");

  /** The documented recipe: prepareStaticLink, then wasm-merge <allocator> rcalloc <app> app. */
  async function merge(name: string, checked: boolean): Promise<WebAssembly.Module> {
    const prepared = prepareStaticLink(await allocatorBytes(checked), bytesOf(name));
    const base = join(work, `${name}.${checked ? "checked" : "unchecked"}`);
    writeFileSync(`${base}.rcalloc.wasm`, prepared.allocator);
    writeFileSync(`${base}.app.wasm`, prepared.user);
    await promisify(execFile)(process.execPath, [wasmMerge, `${base}.rcalloc.wasm`, "rcalloc", `${base}.app.wasm`, "app", "-o", `${base}.wasm`, "-all"]);
    return WebAssembly.compile(readFileSync(`${base}.wasm`));
  }

  it("fuses the allocator and the module into one, with the same results in both builds", async () => {
    const linked = await link<Workload>(bytesOf("workload"), { checked: false });
    const expected = linked.exports.main();
    const modules = await Promise.all([merge("workload", false), merge("workload", true)]);
    for (const checked of [false, true]) {
      const module = modules[Number(checked)];
      expect(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`)).toEqual(["env.abort", "env.abort"]);
      const heap = await Heap.instantiate(module, { checked });
      const exports = heap.exports as unknown as Workload & { _start(): void };
      exports._start(); // the module's start function, run after the heap is set up
      expect(exports.main()).toBe(expected);
      expect(exports.main()).toBe(expected);
      heap.validate();
      expect(programReport(heap, heap.report()).leakCount).toBe(0);
    }
  });

  it("catches a double put in the merged checked build", async () => {
    const heap = await Heap.instantiate(await merge("double-put", true), { checked: true });
    const exports = heap.exports as unknown as { _start(): void; main(): number };
    exports._start();
    expect(() => exports.main()).toThrow(DoublePutError);
  });

  it("refuses an app whose exports clash with the allocator's", async () => {
    const bytes = wasm({ funcs: [["rcalloc", "alloc"]], memoryImport: 2 });
    // add an export named "alloc" (function 0, the import)
    const withExport = new Uint8Array([...bytes, ...section(7, [1, ...str("alloc"), 0, 0])]);
    await expect(allocatorBytes(true).then((a) => prepareStaticLink(a, withExport))).rejects.toMatchObject({ code: "EXPORT_CONFLICT" });
  });
});

describe("library path: rcalloc compiled in (--use RC_CHECKED=1|0)", () => {
  type Library = { shapes(n: number): number; sizeOf(h: number): number; putTwice(): void };
  const instantiate = async (checked: boolean) => {
    const module = await WebAssembly.compile(bytesOf(`as-library.${checked ? "checked" : "unchecked"}`));
    expect(WebAssembly.Module.imports(module).map((i) => `${i.module}.${i.name}`)).toEqual(["env.abort"]);
    const heap = await Heap.instantiate(module, { checked });
    return { heap, exports: heap.exports as unknown as Library };
  };

  it("builds the example project in both builds; the host wraps each in a Heap", async () => {
    const unchecked = await instantiate(false);
    const checked = await instantiate(true);
    expect(unchecked.heap.checked).toBe(false);
    expect(checked.heap.checked).toBe(true);
    const expected = unchecked.exports.shapes(50);
    expect(expected).toBeGreaterThan(0);
    expect(checked.exports.shapes(50)).toBe(expected);
    for (const { heap, exports } of [unchecked, checked]) {
      const h = heap.alloc(40); // the host allocates on the module's heap; AS code reads it
      expect(exports.sizeOf(h)).toBe(40);
      heap.put(h);
      heap.validate();
      // Strings and arrays went through the same heap (runtime/library): only the runtime's blocks remain.
      expect(programReport(heap, heap.report()).leakCount).toBe(0);
    }
  });

  it("catches the double put in the checked build", async () => {
    const { heap, exports } = await instantiate(true);
    expect(() => exports.putTwice()).toThrow(DoublePutError);
    heap.validate();
    const other = await instantiate(true);
    const h = other.heap.alloc(8);
    other.heap.put(h);
    expect(() => other.exports.sizeOf(h)).toThrow(UseAfterPutError);
  });
});
