// The quick lists (assembly/blocks.ts): freed small blocks cached per size, LIFO. sortQuickLists
// rethreads them in address order (rcalloc's AS runtime calls it when a sweep ends, for
// locality): the same blocks come back, lowest address first, and the heap stays valid.
import { describe, expect, it } from "vitest";
import { BUILDS, heapOf } from "./heap.js";

/** A fixed permutation of 0 .. n-1 (seeded LCG, Fisher–Yates). */
function shuffled(n: number, seed: number): number[] {
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

describe.each(BUILDS)("$name build: sortQuickLists", ({ checked }) => {
  it("hands cached blocks back in address order, lowest first", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const small = Array.from({ length: 300 }, () => heap.malloc(24));
    const other = Array.from({ length: 40 }, () => heap.malloc(100)); // another size class
    const kept = small.filter((_, i) => i % 3 === 0); // live blocks between the cached ones
    const freed = small.filter((_, i) => i % 3 !== 0);
    for (const i of shuffled(freed.length, 7)) heap.free(freed[i]);
    for (const i of shuffled(other.length, 9)) heap.free(other[i]);
    heap.exports.sortQuickLists();
    heap.validate();
    const again = Array.from({ length: freed.length }, () => heap.malloc(24));
    expect(again).toEqual([...freed].sort((a, b) => a - b));
    const againOther = Array.from({ length: other.length }, () => heap.malloc(100));
    expect(againOther).toEqual([...other].sort((a, b) => a - b));
    for (const p of [...again, ...againOther, ...kept]) heap.free(p);
    heap.validate();
  });

  it("is harmless on an empty heap and after a flush", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    heap.exports.sortQuickLists();
    const p = heap.malloc(32);
    heap.free(p);
    heap.exports.flushQuickLists();
    heap.exports.sortQuickLists();
    heap.validate();
    expect(heap.malloc(32)).toBe(p);
  });
});

describe("unchecked build: an empty quick list refills in a heap of 64 pages or more", () => {
  const head = (heap: Awaited<ReturnType<typeof heapOf>>, blockSize: number) =>
    new Uint32Array(heap.memory.buffer)[((heap.exports.quickListsView() >>> 0) + (blockSize >> 2)) >>> 2] >>> 0;
  /** A heap whose memory has grown to 64 pages (4 MiB), all of it free again. */
  const largeHeap = async () => {
    const heap = await heapOf(false, { quarantine: false });
    heap.free(heap.malloc(4 << 20));
    expect(heap.memory.buffer.byteLength).toBeGreaterThanOrEqual(64 << 16);
    return heap;
  };

  it("carves the next blocks of the size with the first, cached behind it in address order", async () => {
    const heap = await largeHeap();
    const first = heap.malloc(24) >>> 0; // a 32-byte block: 8-byte header + 24
    expect(head(heap, 32)).toBe(first - 8 + 32); // its neighbour waits on the quick list
    const next = Array.from({ length: 40 }, () => heap.malloc(24) >>> 0);
    expect(next).toEqual(next.map((_, i) => first + 32 * (i + 1))); // side by side, lowest first
    heap.validate();
    for (const p of [first, ...next]) heap.free(p);
    heap.exports.flushQuickLists();
    heap.validate();
    expect(heap.malloc(24) >>> 0).toBe(first); // the carved blocks all came back
  });

  it("carves blocks over 64 bytes alone", async () => {
    const heap = await largeHeap();
    const big = heap.malloc(72) >>> 0; // an 80-byte block
    expect(head(heap, 80)).toBe(0);
    expect(heap.malloc(1000) >>> 0).toBe(big + 80);
    heap.validate();
  });

  it("carves one block at a time in a smaller heap", async () => {
    const heap = await heapOf(false, { quarantine: false });
    expect(heap.memory.buffer.byteLength).toBeLessThan(64 << 16);
    const first = heap.malloc(24) >>> 0;
    expect(head(heap, 32)).toBe(0);
    expect(heap.malloc(1000) >>> 0).toBe(first + 32);
  });
});
