// growIntoCached taking a class block from the head (stale prev) and the tail of its list, and
// validate() catching a broken prev link or back word.
import { describe, expect, it } from "vitest";
import { CorruptHeapError } from "../bindings/node.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

describe.each(BUILDS)("$name build: class lists' prev links", ({ checked }) => {
  const header = checked ? 24 : 8;
  const triple = async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const objects = [0, 1, 2].map(() => {
      const left = heap.alloc(2000);
      const right = heap.alloc(3000);
      const guard = heap.alloc(100);
      return { left, right, rightAt: heap.ptr(right), guard };
    });
    for (const o of objects) heap.put(o.right); // list: 2 (head), 1, 0 (tail)
    return { heap, objects };
  };

  it.each([
    ["head", 2, [1, 0]],
    ["tail", 0, [2, 1]],
  ] as const)("takes the %s of the list and keeps the rest in order", async (_, taken, rest) => {
    const { heap, objects } = await triple();
    const o = objects[taken];
    const at = heap.ptr(o.left);
    writeCookie(heap, o.left, 3);
    const grown = heap.resize(o.left, 4500);
    expect(heap.ptr(grown)).toBe(at);
    expect(hasCookie(heap, grown, 3, 2000)).toBe(true);
    expect(heap.size(grown)).toBe(4500);
    heap.validate();
    const a = heap.alloc(3000), b = heap.alloc(3000);
    expect([heap.ptr(a), heap.ptr(b)]).toEqual(rest.map((i) => objects[i].rightAt));
    heap.validate();
  });

  it("a head whose prev is stale (after a pop) is taken without reading it", async () => {
    const { heap, objects } = await triple();
    const popped = heap.alloc(3000); // pops 2: 1 is the head now, its prev still names 2's block
    expect(heap.ptr(popped)).toBe(objects[2].rightAt);
    const at = heap.ptr(objects[1].left);
    const grown = heap.resize(objects[1].left, 4500); // takes 1, the head: 0 becomes the head
    expect(heap.ptr(grown)).toBe(at);
    heap.validate();
    const a = heap.alloc(3000);
    expect(heap.ptr(a)).toBe(objects[0].rightAt);
    heap.validate();
  });

  it("validate() reports a wrong prev link", async () => {
    const { heap, objects } = await triple();
    const view = new DataView(heap.memory.buffer);
    const block0 = objects[0].rightAt - header; // the tail: its prev is block 1
    view.setUint32(block0 + 12, objects[2].rightAt - header, true);
    expect(() => heap.validate()).toThrow(/prev link is wrong/);
  });

  it("validate() reports a wrong back word (a free block's size)", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const a = heap.alloc(40000); // past the classes: freed into TLSF
    const guard = heap.alloc(100);
    heap.put(a);
    const view = new DataView(heap.memory.buffer);
    const block = heap.ptr(guard) - header; // LEFTFREE: the word before it is a's back word
    expect(view.getUint32(block, true) & 2).toBe(2);
    view.setUint32(block - 4, view.getUint32(block - 4, true) - 16, true);
    expect(() => heap.validate()).toThrow(CorruptHeapError);
    expect(() => heap.validate()).toThrow(/back word/);
  });
});
