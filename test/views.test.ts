// Memory views: bytes() is a plain Uint8Array, view() follows growth and re-resolves its handle,
// read/write/copy and the string helpers, in both builds.
import { describe, expect, it } from "vitest";
import { InvalidHandleError, OutOfMemoryError, UseAfterPutError } from "../bindings/node.js";
import { BUILDS, heapOf } from "./heap.js";

/** Allocates until memory.buffer is replaced (memory grew); returns the big handle. */
function growMemory(heap: Awaited<ReturnType<typeof heapOf>>): number {
  const before = heap.memory.buffer;
  const big = heap.alloc(8 << 20);
  expect(heap.memory.buffer).not.toBe(before);
  return big;
}

describe.each(BUILDS)("$name build", ({ checked }) => {
  it("bytes() is a plain Uint8Array over the payload that Web APIs accept", async () => {
    const heap = await heapOf(checked);
    const h = heap.allocString("héllo, wörld");
    const bytes = heap.bytes(h);
    expect(Object.getPrototypeOf(bytes)).toBe(Uint8Array.prototype);
    expect(ArrayBuffer.isView(bytes)).toBe(true);
    expect(bytes.buffer).toBe(heap.memory.buffer);
    expect(bytes.byteOffset).toBe(heap.ptr(h));
    expect(bytes.length).toBe(heap.size(h));
    expect(new TextDecoder().decode(bytes)).toBe("héllo, wörld");
    const clone = structuredClone(bytes);
    expect(Array.from(clone)).toEqual(Array.from(bytes));
    expect(Array.from(bytes.subarray(0, 2))).toEqual([0x68, 0xc3]);
    heap.put(h);
  });

  it("bytes() taken before growth is detached after it; view().array follows", async () => {
    const heap = await heapOf(checked);
    const h = heap.alloc(10);
    const bytes = heap.bytes(h);
    const view = heap.view(h);
    bytes.set([1, 2, 3]);
    expect(Array.from(view.array.subarray(0, 3))).toEqual([1, 2, 3]);
    const big = growMemory(heap);
    if (!heap.resizable) expect(bytes.length).toBe(0); // detached: why bytes() must be taken again
    expect(view.array.buffer).toBe(heap.memory.buffer);
    expect(Array.from(view.array.subarray(0, 3))).toEqual([1, 2, 3]);
    view.array[3] = 4;
    expect(heap.bytes(h)[3]).toBe(4);
    heap.put(big);
    heap.put(h);
  });

  it("view(h, Type) gives whole elements of any typed-array type", async () => {
    const heap = await heapOf(checked);
    const h = heap.alloc(20);
    const f64 = heap.view(h, Float64Array);
    expect(f64.array).toBeInstanceOf(Float64Array);
    expect(f64.array.length).toBe(2);
    f64.array[1] = Math.PI;
    expect(heap.view(h, Uint32Array).array.length).toBe(5);
    const big = growMemory(heap);
    expect(f64.array[1]).toBe(Math.PI);
    heap.put(big);
    heap.put(h);
  });

  it("read() copies out, write() copies in at an offset, both bounds-checked", async () => {
    const heap = await heapOf(checked);
    const h = heap.alloc(8);
    heap.write(h, [9, 9, 9, 9, 9, 9, 9, 9]);
    heap.write(h, new Uint16Array([0x0201]), 2);
    heap.write(h, new Uint8Array([7]).buffer, 7);
    const copy = heap.read(h);
    expect(Array.from(copy)).toEqual([9, 9, 1, 2, 9, 9, 9, 7]);
    expect(copy.buffer).not.toBe(heap.memory.buffer);
    expect(Array.from(heap.read(h, 2, 2))).toEqual([1, 2]);
    expect(() => heap.write(h, [1, 2], 7)).toThrow(RangeError);
    expect(() => heap.read(h, 4, 5)).toThrow(RangeError);
    const big = growMemory(heap);
    expect(Array.from(copy)).toEqual([9, 9, 1, 2, 9, 9, 9, 7]); // a copy survives growth
    heap.put(big);
    heap.put(h);
  });

  it("copy() makes a new object with the same size and bytes", async () => {
    const heap = await heapOf(checked);
    const h = heap.alloc(300);
    heap.write(h, Array.from({ length: 300 }, (_, i) => i & 0xff));
    const c = heap.copy(h);
    expect(heap.ptr(c)).not.toBe(heap.ptr(h));
    expect(heap.size(c)).toBe(300);
    expect(heap.refs(c)).toBe(1);
    expect(Array.from(heap.read(c))).toEqual(Array.from(heap.read(h)));
    heap.put(c);
    heap.put(h);
    heap.validate();
  });

  it.each(["utf-8", "utf-16"] as const)("allocString/readString round-trip %s, exact size", async (encoding) => {
    const heap = await heapOf(checked);
    for (const text of ["", "plain ascii", "é ü ß", "日本語", "emoji 🎉 and a lone \ud800 surrogate", "x".repeat(5000)]) {
      const h = heap.allocString(text, encoding);
      const expected = encoding === "utf-8" ? new TextEncoder().encode(text).length : text.length * 2;
      expect(heap.size(h)).toBe(expected);
      const back = heap.readString(h, encoding);
      expect(back).toBe(encoding === "utf-8" ? text.replace("\ud800", "\ufffd") : text);
      heap.put(h);
    }
    heap.validate();
  });

  it("an allocString that runs out of memory leaves no object behind (the caller has no handle to put)", async () => {
    const heap = await heapOf(checked, { maxPages: 2, quarantine: false });
    const filler: number[] = [];
    try {
      for (;;) filler.push(heap.alloc(1024));
    } catch (e) {
      expect(e).toBeInstanceOf(OutOfMemoryError);
    }
    for (let i = 0; i < 40; i++) heap.put(filler.pop()!); // room for one byte a character, not three
    const objects = heap.report().objects.length;
    expect(() => heap.allocString("é".repeat(30_000))).toThrow(OutOfMemoryError);
    expect(heap.report().objects).toHaveLength(objects);
    heap.validate();
  });
});

describe("checked build: views of stale handles", () => {
  it("view().array throws once the reference was put, grown memory or not", async () => {
    const heap = await heapOf(true);
    const h = heap.alloc(16);
    const keep = heap.get(h);
    const view = heap.view(h);
    expect(view.array.length).toBe(16);
    heap.put(h);
    expect(() => view.array).toThrow(UseAfterPutError);
    const big = growMemory(heap);
    expect(() => view.array).toThrow(UseAfterPutError);
    expect(() => heap.bytes(h)).toThrow(UseAfterPutError);
    expect(() => heap.readString(h)).toThrow(UseAfterPutError);
    expect(() => heap.view(0)).toThrow(InvalidHandleError);
    heap.put(big);
    heap.put(keep);
  });
});
