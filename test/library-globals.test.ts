// The library path (rcalloc compiled into the module) exposes the module's mutable globals as the
// leak scan's roots (bindings/module-globals.ts), but only those its name section names outside
// ~lib: the allocator's own globals are there too, and any of them may hold a value that is a live
// handle. resolve()'s lookup base, (heapTag << 28) + firstIndex(), is the heap's first handle:
// kept in a global, it made the report call that reference "held by global #12" and a leak of it
// went uncounted (it is now a static word); a quarantine's byte limit of 256 MiB is 0x10000000,
// the same handle, and past 256 MiB of heap the quarantine's head and tail are addresses that read
// as handles (a heap of tag t reaches them past t × 256 MiB, so no test here: in the suite other
// heaps are live and t varies): those stay globals, and an unnamed global is no root any more.
import { readFileSync } from "node:fs";
import { beforeAll, expect, it, onTestFinished } from "vitest";
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
