// Bugs found in review, each reproduced first, now held in place.
import { describe, expect, it } from "vitest";
import { OutOfMemoryError } from "../bindings/node.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

describe.each(BUILDS)("$name build", ({ checked }) => {
  it("memory grown by someone else stays theirs, and the heap grows past it", async () => {
    const heap = await heapOf(checked);
    const before = heap.alloc(16);
    writeCookie(heap, before, 1);
    const foreignPage = heap.memory.grow(1); // a linked module or the host takes a page
    const foreign = new Uint8Array(heap.memory.buffer, foreignPage << 16, 65536);
    foreign.fill(0x5a);
    const big = heap.alloc(200_000); // needs new pages beyond the foreign one
    const small = heap.alloc(16);
    for (const h of [big, small]) expect(heap.ptr(h) % 16).toBe(0);
    heap.validate();
    expect(new Uint8Array(heap.memory.buffer, foreignPage << 16, 65536).every((b) => b === 0x5a)).toBe(true);
    expect(hasCookie(heap, before, 1)).toBe(true);
    expect(heap.report({ scan: true }).objects).toHaveLength(3); // walks and scans end
    expect(heap.blocks().filter((b) => b.kind === "internal").length).toBeGreaterThanOrEqual(1);
    heap.put(big);
    heap.put(small);
    heap.validate();
  });

  it("an owned reference follows its object through a moving resize", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const owned = heap.move(heap.alloc(16), 7);
    const blocker = heap.alloc(16); // the right neighbour is used: resize must move
    const resized = heap.resize(owned, 4000);
    heap.validate();
    expect(heap.getFor(resized, 7)).toBe(resized); // still the owner's one reference
    heap.putFor(resized, 7);
    heap.put(blocker);
    heap.validate();
    expect(heap.report().objects).toEqual([]);
  });

  it("a heap base past the page limit fails as out of memory, not a bare trap", async () => {
    const heap = await heapOf(checked, { maxPages: 4 });
    expect(heap.exports.reserveBelow(40 << 16)).toBe(1);
    expect(() => heap.alloc(16)).toThrow(OutOfMemoryError);
  });
});

describe("checked build", () => {
  it("scanRoot after new handles fills only the results it has room for", async () => {
    const heap = await heapOf(true);
    const e = heap.exports;
    const box = heap.alloc(4096);
    e.scan(); // results sized for the handles that exist now
    const handles = Array.from({ length: 600 }, () => {
      const h = heap.alloc(16);
      heap.bytes(h).fill(0);
      return h;
    });
    new Uint32Array(heap.memory.buffer, heap.ptr(box), 1024).set(handles);
    e.scanRoot(heap.ptr(box), heap.ptr(box) + 4096);
    e.scanClear();
    expect(handles.every((h) => heap.bytes(h).every((b) => b === 0))).toBe(true);
    heap.validate();
  });

  it("changing the poison length never reports writes that did not happen", async () => {
    const heap = await heapOf(true, { quarantine: { poison: 16 } });
    heap.put(heap.alloc(64)); // queued, poisoned for 16 bytes
    const held = heap.alloc(64);
    const weak = heap.weak(held);
    heap.put(held); // dead, held by the weak handle, poisoned for 16 bytes
    heap.exports.setQuarantine(256, 256 << 10, 64);
    heap.validate();
    heap.putWeak(weak); // joins the quarantine, checked at 64 bytes
    for (let i = 0; i < 300; i++) heap.put(heap.alloc(64)); // pushes it out
    heap.validate();
  });
});
