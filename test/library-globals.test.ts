// The library path (rcalloc compiled into the module) exposes the module's mutable globals as the
// leak scan's roots (bindings/module-globals.ts), but only those its name section names outside
// ~lib: the allocator's own globals are there too, and any of them may hold a value that is a live
// handle. resolve()'s lookup base, (heapTag << 28) + firstIndex(), is the heap's first handle:
// kept in a global, it made the report call that reference "held by global #12" and a leak of it
// went uncounted (it is now a static word); a quarantine's byte limit of 256 MiB is 0x10000000,
// the same handle, and past 256 MiB of heap the quarantine's head and tail are addresses that read
// as handles (a heap of tag t reaches them past t × 256 MiB, so no test here: in the suite other
// heaps are live and t varies): those stay globals, and an unnamed global is no root any more.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { Heap } from "../bindings/node.js";
import { buildExamples, examplePath } from "../examples/build.js";

beforeAll(() => buildExamples({ names: ["as-library.checked"] }), 120_000);

it("the library path's first handle is not held by an allocator global", async () => {
  const heap = await Heap.instantiate(readFileSync(examplePath("as-library.checked")), { checked: true });
  const first = heap.alloc(16);
  heap.alloc(16); // both leaked
  const report = heap.report();
  const ref = report.references.find((r) => r.handle === first)!;
  expect(ref.heldBy).toBeUndefined();
  expect(report.leakCount).toBe(2);
  heap.dispose();
});

it("a quarantine byte limit equal to the first handle does not hide a leak of it", async () => {
  const heap = await Heap.instantiate(readFileSync(examplePath("as-library.checked")), { checked: true });
  onTestFinished(() => heap.dispose());
  const first = heap.alloc(16);
  heap.alloc(16); // both leaked
  expect((first >>> 0) % 0x10000000).toBe(0); // tag t, generation 0, index 0: 256 MiB × t
  heap.exports.setQuarantine(256, first >>> 0, 64); // the byte limit (a global) now holds the handle
  const report = heap.report();
  expect(report.references.find((r) => r.handle === first)!.heldBy).toBeUndefined();
  expect(report.leakCount).toBe(2);
});

// README "Library: compile rcalloc in": after a correct demo() the report lists no live
// references. The AS objects demo() made (an array and its buffer) are garbage not yet collected:
// GC objects, which the collector owns, as a linked module's report leaves them out.
describe.each([true, false])("library path, checked %s: the AS runtime's GC objects are not leaks", (checked) => {
  it("report() after the README's demo() lists none, and says what the runtime holds", async () => {
    const project = join(process.cwd(), "examples", "as-library");
    const dir = mkdtempSync(join(project, ".gc-objects-"));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, "your.ts"), `import { alloc, get, put, ptr } from "rcalloc/assembly";
export * from "rcalloc/assembly";
export function demo(): u32 {
  const a = alloc(16);
  const b = get(a);
  store<u32>(ptr(b), 42);
  put(b);
  const names = ["one", "two"];
  const value = load<u32>(ptr(a)) + <u32>names.length;
  put(a);
  return value;
}
export function leak(): void { alloc(8); }
`);
    execFileSync(join(process.cwd(), "node_modules", ".bin", "asc"), [join(dir, "your.ts"), "--runtime", "./node_modules/rcalloc/runtime/library",
      "--use", `RC_CHECKED=${checked ? 1 : 0}`, "-o", join(dir, "your.wasm")], { cwd: project });
    const heap = await Heap.instantiate(await WebAssembly.compile(readFileSync(join(dir, "your.wasm"))), { checked });
    onTestFinished(() => heap.dispose());
    const demo = (heap.exports as unknown as { demo(): number; leak(): void });
    expect(demo.demo()).toBe(44);
    const report = heap.report();
    expect(report.leakCount, report.toString()).toBe(0);
    expect(report.runtime?.objects).toBeGreaterThanOrEqual(2);
    expect(report.toString()).toMatch(/not counted: \d+ blocks of \d+ bytes held by the AssemblyScript runtime/);
    demo.leak(); // a real leak is still one
    expect(heap.report().leakCount).toBe(1);
  }, 120_000);
});
