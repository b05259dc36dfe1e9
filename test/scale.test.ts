// Scale and identity limits, at the limits the README documents: 2^24 - 1 live references in the
// checked build (what the unchecked build runs, the checked build runs), handles unique among
// live heaps, and addresses above 2 GiB read as unsigned everywhere.
import { describe, expect, it } from "vitest";
import {
  createHeap, InvalidHandleError, OutOfMemoryError, TooManyHeapsError, type Heap,
} from "../bindings/node.js";
import { tagsInUse } from "../bindings/heap-tags.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";
import { watToWasm } from "./wat.js";

const MAX_LIVE = 2 ** 24 - 1;

/** A loop in wasm, so 2^28 get/put pairs take seconds: `getPut(h, n)` takes and gives back a
 *  reference n times through the heap's own exports, counting the pairs done in `done`. */
const GET_PUT_LOOP = watToWasm(`(module
  (import "heap" "get" (func $get (param i32) (result i32)))
  (import "heap" "put" (func $put (param i32)))
  (global $done (export "done") (mut i32) (i32.const 0))
  (func (export "getPut") (param $h i32) (param $n i32)
    (loop $again
      (call $put (call $get (local.get $h)))
      (global.set $done (i32.add (global.get $done) (i32.const 1)))
      (br_if $again (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))))`);

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
      expect(() => heap.get(owner)).toThrow(/handle table is used up/); // named as such
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

describe("checked build: the handles a heap issues in its life", () => {
  it("issues 2^28 references, then refuses with OutOfMemoryError naming the limit; nothing is lost", async () => {
    const heap = await createHeap({ checked: true });
    const held = Array.from({ length: 100 }, (_, i) => {
      const h = heap.alloc(24);
      writeCookie(heap, h, i);
      return h;
    });
    const owner = heap.alloc(8);
    const { instance } = await WebAssembly.instantiate(GET_PUT_LOOP, { heap: { get: heap.exports.get, put: heap.exports.put } });
    const { getPut, done } = instance.exports as { getPut: (h: number, n: number) => void; done: WebAssembly.Global };
    let error: unknown;
    try {
      for (let i = 0; i < 20; i++) getPut(owner, 2 ** 24); // 1.25 × 2^28 pairs if nothing stopped it
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect((error as Error).message).toMatch(/handle table is used up/);
    // every handle value issued exactly once: each of the 2^24 - 1 indices 16 times, but the 101
    // indices still live, issued once each (by alloc)
    expect((done.value as number) >>> 0).toBe((2 ** 24 - 1 - 101) * 16);
    // the refusal changed nothing: every live reference and its bytes are intact
    heap.validate();
    expect(heap.refs(owner)).toBe(1);
    held.forEach((h, i) => expect(hasCookie(heap, h, i)).toBe(true));
    // a reference put gives its slot back for one more issue (its generation allows it)
    heap.put(held.pop()!);
    const h = heap.get(owner);
    heap.put(h);
    expect(() => heap.put(h)).toThrow(/double put/);
    heap.put(owner);
    for (const h of held) heap.put(h);
    heap.validate();
    heap.dispose();
  }, 120_000);

  it("names the page limit, not the handle table, when a table chunk finds no memory", async () => {
    const heap = await createHeap({ checked: true, maxPages: 2 });
    const owner = heap.alloc(8);
    writeCookie(heap, owner, 3);
    const held: number[] = [];
    let error: unknown;
    try {
      for (let i = 0; i < 100_000; i++) held.push(heap.get(owner));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect((error as Error).message).toMatch(/reached its page limit/);
    expect(held.length).toBeGreaterThan(1000);
    heap.validate();
    expect(heap.refs(owner)).toBe(held.length + 1);
    expect(hasCookie(heap, owner, 3)).toBe(true);
    for (const h of held) heap.put(h);
    heap.put(owner);
    heap.validate();
    heap.dispose();
  });
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
