// The unchecked refill at a page limit: the run does not fit, one block does, memory cannot grow.
import { expect, it } from "vitest";
import { createHeap } from "../bindings/node.js";

it("a full heap at its page limit still serves single blocks from the last hole, then fails cleanly", async () => {
  const heap = await createHeap({ checked: false, maxPages: 64 });
  const held: number[] = [];
  for (const size of [60000, 4000, 1000, 200, 56, 24, 8]) for (let p; (p = heap.malloc(size)); ) held.push(p);
  expect(heap.memory.buffer.byteLength).toBe(64 << 16);
  heap.exports.flushQuickLists();
  expect(heap.stats().freeBytes).toBe(0);
  // a 64-byte hole between live blocks (56 + 8 header), cached on the quick list
  const hole = held.find((p) => heap.size(p) === 56 && held.includes(p - 64) && held.includes(p + 64))!;
  expect(hole).toBeDefined();
  heap.free(hole);
  const a = heap.malloc(24), b = heap.malloc(24);
  expect([a, b].sort()).toEqual([hole, hole + 32]);
  expect(heap.malloc(24)).toBe(0);
  heap.validate();
  heap.free(a); heap.free(b);
  for (const p of held) if (p !== hole) heap.free(p);
  heap.exports.flushQuickLists();
  heap.validate();
  expect(heap.stats().liveObjects).toBe(0);
});
