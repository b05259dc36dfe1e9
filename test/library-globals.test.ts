// The library path (rcalloc compiled into the module) exposes the module's mutable globals as the
// leak scan's roots (bindings/module-globals.ts): no allocator global may hold a value that is a
// live handle. resolve()'s lookup base, (heapTag << 28) + firstIndex(), is the heap's first
// handle: kept in a global, it made the report call that reference "held by global #12" and a leak
// of it went uncounted (it is now a static word the scan skips).
import { readFileSync } from "node:fs";
import { beforeAll, expect, it } from "vitest";
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
