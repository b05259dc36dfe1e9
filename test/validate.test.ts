// validate() on a heap corrupted on purpose: each broken invariant traps with its own name.
import { describe, expect, it } from "vitest";
import { CorruptHeapError } from "../bindings/node.js";
import { BUILDS, heapOf } from "./heap.js";

const HEADER = { checked: 24, unchecked: 8 };

describe.each(BUILDS)("validate, $name build", ({ name, checked }) => {
  const setup = async () => {
    // no quarantine: freed blocks go straight back to the free and quick lists
    const heap = await heapOf(checked, { quarantine: false });
    const hs = [heap.alloc(100), heap.alloc(5000), heap.alloc(100)];
    const words = () => new Uint32Array(heap.memory.buffer);
    const block = (h: number) => heap.ptr(h) - HEADER[name];
    heap.validate();
    return { heap, hs, words, block };
  };
  const expectCorrupt = (heap: { validate(): void }, message: RegExp) => {
    let error: unknown;
    try {
      heap.validate();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CorruptHeapError);
    expect((error as CorruptHeapError).code).toBe("CORRUPT_HEAP");
    expect((error as Error).message).toMatch(message);
  };

  it("an object flagged PAIRED with no pair entries", async () => {
    const { heap, hs, words, block } = await setup();
    words()[block(hs[0]) >> 2] |= 4;
    expectCorrupt(heap, /PAIRED object has no weak handles or mark/);
  });

  it("a live object flagged DEAD", async () => {
    const { heap, hs, words, block } = await setup();
    words()[block(hs[0]) >> 2] |= 8;
    expectCorrupt(heap, /dead block neither quarantined nor held by weak handles/);
  });

  it("a block size below the minimum", async () => {
    const { heap, hs, words, block } = await setup();
    words()[block(hs[0]) >> 2] &= 0xf;
    expectCorrupt(heap, /block smaller than the 16-byte minimum/);
  });

  it("a block size that runs into the next block", async () => {
    const { heap, hs, words, block } = await setup();
    words()[block(hs[2]) >> 2] += 1 << 24;
    expectCorrupt(heap, /block runs past the heap tail/);
  });

  it("a LEFTFREE bit that disagrees with the left block", async () => {
    const { heap, hs, words, block } = await setup();
    words()[block(hs[1]) >> 2] |= 2;
    expectCorrupt(heap, /LEFTFREE differs from the left block's FREE/);
  });

  it("a free block whose list link points outside the heap", async () => {
    const { heap, hs, words, block } = await setup();
    const free = block(hs[1]);
    heap.put(hs[1]); // 5000 bytes: goes to the TLSF lists, between two used blocks
    heap.validate();
    words()[(free + 8) >> 2] = 0x7ffffff8;
    expectCorrupt(heap, /free list points outside the heap/);
  });

  it("a freed small block handed back twice (what an unchecked double put does)", async () => {
    const { heap, hs, words, block } = await setup();
    const b = block(hs[0]);
    heap.put(hs[0]); // cached on its quick list
    words()[(b + 4) >> 2] = 1; // looks live again, but is still on the list
    expectCorrupt(heap, /quick list holds a block that is not cached/);
  });

  if (checked) {
    it("an object count that differs from its live handles", async () => {
      const { heap, hs, words, block } = await setup();
      words()[(block(hs[2]) + 4) >> 2] += 1;
      expectCorrupt(heap, /reference count differs from its live handles/);
    });
  }
});
