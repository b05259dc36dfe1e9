// Scale and identity limits, at the limits the README documents: 2^24 - 1 live references in the
// checked build (what the unchecked build runs, the checked build runs), handles unique among
// live heaps, and addresses above 2 GiB read as unsigned everywhere.
import { describe, expect, it } from "vitest";
import {
  createHeap, InvalidHandleError, OutOfMemoryError, TooManyHeapsError, type Heap,
} from "../bindings/node.js";
import { tagsInUse } from "../bindings/heap-tags.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

const MAX_LIVE = 2 ** 24 - 1;

describe.each(BUILDS)("$name build at scale", ({ checked }) => {
  it(`holds ${MAX_LIVE.toLocaleString("en-US")} live references to one object`, async () => {
    const heap = await heapOf(checked);
    const owner = heap.alloc(8);
    const { get, put } = heap.exports; // raw exports, for speed
    const held = new Uint32Array(MAX_LIVE - 1);
    for (let i = 0; i < held.length; i++) held[i] = get(owner);
    expect(heap.refs(owner)).toBe(MAX_LIVE);
    if (checked) {
      expect(new Set(held.subarray(0, 1 << 20)).size).toBe(1 << 20); // distinct handles
      expect(() => heap.get(owner)).toThrow(OutOfMemoryError); // the documented limit
    }
    heap.validate();
    for (let i = 0; i < held.length; i++) put(held[i]);
    expect(heap.refs(owner)).toBe(1);
    heap.validate();
  }, 120_000);

  it("runs above 2 GiB: alloc, bytes, report with scan, validate", async () => {
    const heap = await heapOf(checked);
    const big = heap.alloc(2 ** 31 - 2 ** 20); // most of the first 2 GiB
    const above = heap.alloc(2 ** 24); // does not fit in what is left below 2 GiB
    const h = heap.alloc(64);
    expect(heap.ptr(above) + 2 ** 24).toBeGreaterThan(2 ** 31); // spans the 2 GiB line
    expect(heap.ptr(h)).toBeGreaterThan(2 ** 31);
    expect(heap.ptr(h) % 16).toBe(0);
    writeCookie(heap, h, 5);
    expect(hasCookie(heap, h, 5)).toBe(true);
    expect(heap.bytes(h).length).toBe(64);
    if (!checked) expect(h).toBe(heap.ptr(h)); // the unchecked handle is the address, unsigned
    const p = heap.malloc(32);
    expect(p).toBeGreaterThan(2 ** 31);
    const report = heap.report({ scan: true });
    expect(report.objects.map((o) => o.ptr)).toContain(heap.ptr(h));
    expect(report.objects.every((o) => o.ptr > 0)).toBe(true);
    expect(report.stats.pages).toBeGreaterThan(32768);
    heap.validate();
    heap.free(p);
    heap.put(h);
    heap.put(big);
    heap.put(above);
    heap.validate();
  }, 120_000);
});

describe("checked build: heap tags", () => {
  it("gives every live heap its own tag: a handle of one is refused by all the others", async () => {
    const before = tagsInUse();
    const heaps: Heap[] = [];
    for (let i = before; i < 15; i++) heaps.push(await createHeap({ checked: true }));
    const handles = heaps.map((heap) => heap.alloc(16));
    expect(new Set(handles).size).toBe(heaps.length); // fresh heaps, different handle values
    for (const [i, heap] of heaps.entries()) {
      for (const [j, h] of handles.entries()) {
        if (i === j) expect(heap.refs(h)).toBe(1);
        else expect(() => heap.put(h), `heap ${i} put heap ${j}'s handle`).toThrow(/belongs to another heap/);
      }
      heap.validate();
    }
    // All 15 tags are held by heaps still in use: a 16th heap is refused, clearly.
    await expect(createHeap({ checked: true })).rejects.toThrow(TooManyHeapsError);
    // dispose() gives a tag back; the disposed heap's handles are refused from then on.
    heaps[3].dispose();
    const next = await createHeap({ checked: true });
    expect(() => heaps[3].get(handles[3])).toThrow(InvalidHandleError);
    expect(next.refs(next.alloc(8))).toBe(1);
    for (const heap of heaps) heap.dispose();
    next.dispose();
    expect(tagsInUse()).toBe(before);
  });

  it("a heap nobody holds gives its tag back when it is collected", async () => {
    const before = tagsInUse();
    for (let i = 0; i < 40; i++) (await createHeap({ checked: true })).alloc(8); // never disposed
    expect(tagsInUse()).toBeLessThanOrEqual(15);
    expect(tagsInUse()).toBeGreaterThanOrEqual(before);
  });

  it.each([
    ["h + 0.5", (h: number) => h + 0.5],
    ["h + 2^32", (h: number) => h + 2 ** 32],
    ["String(h)", (h: number) => String(h)],
    ["[h]", (h: number) => [h]],
    ["{ valueOf: () => h }", (h: number) => ({ valueOf: () => h })],
    ["-h", (h: number) => -h],
  ])("refuses a handle that is not a u32 (%s), without stacks too", async (_name, forge) => {
    const heap = await createHeap({ checked: true });
    const h = heap.alloc(16);
    writeCookie(heap, h, 9);
    for (const call of [heap.put, heap.get, heap.ptr, heap.size, heap.refs] as ((h: unknown) => unknown)[]) {
      expect(() => call.call(heap, forge(h))).toThrow(InvalidHandleError);
    }
    expect(heap.refs(h)).toBe(1);
    expect(hasCookie(heap, h, 9)).toBe(true);
    heap.validate();
    heap.dispose();
  });
});
