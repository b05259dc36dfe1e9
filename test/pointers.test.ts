// malloc/free/realloc (assembly/pointers.ts): raw blocks held by their address. Both builds serve
// them like C's allocators; the checked build refuses a double or foreign free before anything
// changes, names the sites, and reports live raw blocks as leaks.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CorruptHeapError, createHeap, DoublePutError, InvalidHandleError, WriteAfterFreeError, type Heap } from "../bindings/node.js";
import { BUILDS, heapOf } from "./heap.js";

function fill(heap: Heap, ptr: number, size: number, seed: number): void {
  const bytes = new Uint8Array(heap.memory.buffer, ptr, size);
  for (let i = 0; i < size; i++) bytes[i] = (seed * 13 + i * 5) & 0xff;
}

function holds(heap: Heap, ptr: number, size: number, seed: number): boolean {
  const bytes = new Uint8Array(heap.memory.buffer, ptr, size);
  for (let i = 0; i < size; i++) if (bytes[i] !== ((seed * 13 + i * 5) & 0xff)) return false;
  return true;
}

describe.each(BUILDS)("$name build: malloc, free, realloc", ({ checked }) => {
  it("hands out aligned, distinct blocks, reuses freed ones, and keeps contents through realloc", async () => {
    const heap = await heapOf(checked);
    const a = heap.malloc(24);
    const b = heap.malloc(100);
    expect(a % 16).toBe(0);
    expect(b % 16).toBe(0);
    expect(Math.abs(a - b)).toBeGreaterThanOrEqual(24);
    fill(heap, a, 24, 1);
    fill(heap, b, 100, 2);
    const grown = heap.realloc(a, 5000); // cannot grow in place: b follows it
    expect(grown).not.toBe(0);
    expect(holds(heap, grown, 24, 1)).toBe(true);
    expect(holds(heap, b, 100, 2)).toBe(true);
    const shrunk = heap.realloc(grown, 8);
    expect(holds(heap, shrunk, 8, 1)).toBe(true);
    expect(heap.realloc(0, 32)).not.toBe(0); // realloc(NULL, n) is malloc
    heap.free(0); // free(NULL) does nothing
    heap.free(shrunk);
    heap.free(b);
    heap.validate();
  });

  it("returns 0 at the memory limit, leaving the block intact", async () => {
    const heap = await heapOf(checked, { maxPages: 4 });
    const p = heap.malloc(64);
    fill(heap, p, 64, 7);
    expect(heap.malloc(1 << 20)).toBe(0);
    expect(heap.realloc(p, 1 << 20)).toBe(0);
    expect(holds(heap, p, 64, 7)).toBe(true);
    heap.validate();
  });

  it("lists a live block as an object with its allocation order", async () => {
    const heap = await heapOf(checked, { stacks: true });
    const p = heap.malloc(48);
    const report = heap.report();
    const object = report.objects.find((o) => o.ptr === p);
    expect(object).toMatchObject({ size: 48, refs: 1, raw: true });
    if (checked) {
      expect(report.references).toHaveLength(1);
      expect(report.references[0]).toMatchObject({ handle: 0, ptr: p, raw: true });
      expect(report.references[0].site?.label).toMatch(/pointers\.test\.ts:\d+/);
      expect(report.toString()).toMatch(/taken at .*pointers\.test\.ts.*\n  malloc block /);
    }
    heap.free(p);
    expect(heap.report().objects).toHaveLength(0);
  });

  it("agrees with a Map model over random malloc/realloc/free sequences (fixed seeds)", async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant("malloc" as const), size: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant("realloc" as const), pick: fc.nat(), size: fc.integer({ min: 0, max: 3000 }) }),
      fc.record({ kind: fc.constant("free" as const), pick: fc.nat() }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 120 }), async (ops) => {
        const heap = await heapOf(checked);
        const model = new Map<number, { size: number; seed: number }>();
        let seed = 0;
        for (const o of ops) {
          const ptrs = [...model.keys()];
          if (o.kind === "malloc") {
            const p = heap.malloc(o.size);
            expect(model.has(p)).toBe(false);
            fill(heap, p, o.size, ++seed);
            model.set(p, { size: o.size, seed });
          } else if (ptrs.length) {
            const p = ptrs[o.pick % ptrs.length];
            const { size, seed: s } = model.get(p)!;
            model.delete(p);
            if (o.kind === "free") {
              heap.free(p);
            } else {
              const q = heap.realloc(p, o.size);
              expect(holds(heap, q, Math.min(size, o.size), s)).toBe(true);
              fill(heap, q, o.size, ++seed);
              model.set(q, { size: o.size, seed });
            }
          }
          heap.validate();
        }
        for (const [p, { size, seed: s }] of model) expect(holds(heap, p, size, s)).toBe(true);
        expect(heap.report().objects.map((o) => o.ptr).sort()).toEqual([...model.keys()].sort());
      }),
      { seed: checked ? 4242 : 2424, numRuns: 25 },
    );
  });
});

describe("checked build: misuse of free", () => {
  async function populated() {
    const heap = await heapOf(true, { stacks: true });
    const blocks = Array.from({ length: 12 }, (_, i) => {
      const p = heap.malloc(16 + i * 40);
      fill(heap, p, 16 + i * 40, i);
      return p;
    });
    const h = heap.alloc(32);
    const intact = () => {
      heap.validate();
      blocks.forEach((p, i) => expect(holds(heap, p, 16 + i * 40, i), `block ${i} changed`).toBe(true));
      expect(heap.refs(h)).toBe(1);
    };
    return { heap, blocks, h, intact };
  }

  it("a double free throws DoublePutError naming the malloc and the first free", async () => {
    const { heap, intact } = await populated();
    const p = heap.malloc(40);
    heap.free(p);
    let error: unknown;
    try {
      heap.free(p);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DoublePutError);
    const e = error as DoublePutError;
    expect(e.message).toMatch(/double free/);
    expect(e.object).toBe(p);
    expect(e.site?.label).toMatch(/pointers\.test\.ts:\d+/);
    expect(e.putSite?.label).toMatch(/pointers\.test\.ts:\d+/);
    expect(e.site?.label).not.toBe(e.putSite?.label);
    intact();
  });

  it("realloc of a freed block throws the same, before changing anything", async () => {
    const { heap, intact } = await populated();
    const p = heap.malloc(40);
    heap.free(p);
    expect(() => heap.realloc(p, 80)).toThrow(DoublePutError);
    intact();
  });

  it("free of an address inside a block says malloc never returned it", async () => {
    const { heap, blocks, intact } = await populated();
    expect(() => heap.free(blocks[5] + 32)).toThrow(/free of a pointer malloc never returned/);
    intact();
  });

  it.each([
    ["an address inside a block", (b: number[]) => b[3] + 16],
    ["an unaligned address", (b: number[]) => b[2] + 4],
    ["an address past the heap", () => 0x7ff00000],
    ["static data", () => 1024],
  ])("free of %s throws InvalidHandleError", async (_name, pick) => {
    const { heap, blocks, intact } = await populated();
    expect(() => heap.free(pick(blocks))).toThrow(InvalidHandleError);
    expect(() => heap.realloc(pick(blocks), 8)).toThrow(InvalidHandleError);
    intact();
  });

  it("free of an object held by handles says to put its handle", async () => {
    const { heap, h, intact } = await populated();
    expect(() => heap.free(heap.ptr(h))).toThrow(/held by handles; put its handle/);
    intact();
  });

  it("a block whose header was overwritten is caught by validate()", async () => {
    const heap = await heapOf(true);
    const p = heap.malloc(32);
    new Uint32Array(heap.memory.buffer, p - 4, 1)[0] ^= 1; // the cookie in the header's mark word
    expect(() => heap.validate()).toThrow(/raw block lost its cookie/);
  });
});

describe.each(BUILDS)("$name build: realloc growing the heap's last block", ({ checked }) => {
  // A pointer kept into a growing C array across a push (stb_ds's arrput, sds's sdscat): checked,
  // the block always moves, so the stale pointer's write is caught; unchecked, it grows in place.
  it(checked ? "moves it, and a write through the old pointer is a WriteAfterFreeError" : "grows it in place", async () => {
    const heap = await heapOf(checked);
    const p = heap.malloc(64); // the last block: room to grow in place after it
    fill(heap, p, 64, 4);
    const grown = heap.realloc(p, 4096);
    expect(holds(heap, grown, 64, 4)).toBe(true);
    if (!checked) {
      expect(grown).toBe(p);
      return;
    }
    expect(grown).not.toBe(p);
    new Uint8Array(heap.memory.buffer)[p] ^= 0xff; // the stale pointer's write
    expect(() => heap.validate()).toThrow(WriteAfterFreeError);
  });
});

describe("checked build: a write past a malloc block's end", () => {
  // An off-by-one copy (malloc(strlen(s)), then strcpy: found trying cJSON's printed text) lands in
  // the block's slack, which free and realloc find changed.
  it("is a CorruptHeapError (heap overflow) at free or realloc, naming the malloc site; writing every byte is not", async () => {
    const heap = await heapOf(true, { stacks: true });
    const whole = heap.malloc(33);
    new Uint8Array(heap.memory.buffer, whole, 33).fill(7); // every byte of its own: fine
    heap.free(whole);
    const p = heap.malloc(33);
    new Uint8Array(heap.memory.buffer)[p + 33] = 0; // the string's NUL, one past the end
    let error: unknown;
    try { heap.free(p); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(CorruptHeapError);
    expect((error as Error).message).toMatch(/heap overflow.*taken at \S*pointers\.test\.ts:\d+:\d+; byte 0 past its end changed/); // the malloc's line
    const q = heap.malloc(20);
    new Uint8Array(heap.memory.buffer)[q + 22] = 1;
    expect(() => heap.realloc(q, 200)).toThrow(/heap overflow.*byte 2 past its end/);
    const r = heap.realloc(heap.malloc(20), 41); // realloc's block has its guard too
    new Uint8Array(heap.memory.buffer)[r + 41] = 1;
    expect(() => heap.free(r)).toThrow(CorruptHeapError);
    const s = heap.malloc(22); // 2 bytes of slack: the guard's bytewise form
    new Uint8Array(heap.memory.buffer)[s + 23] = 9;
    expect(() => heap.free(s)).toThrow(/heap overflow.*byte 1 past its end/);
    // nothing changed by the refusals, and the guards written again: each block frees after all
    heap.validate();
    for (const ptr of [p, q, r, s]) heap.free(ptr);
    heap.validate();
  });

  it("says which byte past the end changed without sites too", async () => {
    const heap = await heapOf(true);
    const p = heap.malloc(10);
    new Uint8Array(heap.memory.buffer)[p + 11] = 0;
    expect(() => heap.free(p)).toThrow(/heap overflow.*byte 1 past its end changed/);
    heap.free(p);
    heap.validate();
  });

  it("validate() finds the overflow of a block never freed (a report validates first), once", async () => {
    const heap = await heapOf(true, { stacks: true });
    const p = heap.malloc(10);
    new Uint8Array(heap.memory.buffer)[p + 10] = 0;
    expect(() => heap.validate()).toThrow(/heap overflow.*taken at \S*pointers\.test\.ts:\d+:\d+; byte 0 past its end changed/);
    heap.validate(); // the guard written again: reported once
    heap.free(p);
    heap.validate();
  });

  it("a realloc that grows with no room for a move grows in place, as unchecked does (not NULL)", async () => {
    for (const checked of [false, true]) {
      const heap = await createHeap({ checked, maxPages: 64 });
      const p = heap.malloc(2_500_000);
      expect(p).not.toBe(0);
      expect(heap.realloc(p, 2_600_000), `checked: ${checked}`).toBe(p);
      heap.validate();
      heap.dispose();
    }
  });
});

describe.each(BUILDS)("$name build: a collector's free (freeCollected)", ({ checked }) => {
  it("gives the block back at once, with no quarantine, and the heap stays valid", async () => {
    const heap = await heapOf(checked); // the quarantine on: freeAt would hold the block back
    const p = heap.malloc(40);
    const q = heap.malloc(40);
    heap.exports.freeCollected(p);
    heap.validate();
    expect(heap.malloc(40)).toBe(p); // free() would have poisoned and quarantined it
    heap.free(q);
    expect(heap.report().objects.map((o) => o.ptr)).toEqual([p]);
  });

  it.runIf(checked)("refuses what is not a live raw block, before changing anything", async () => {
    const heap = await heapOf(true);
    const p = heap.malloc(40);
    const h = heap.alloc(32);
    heap.exports.freeCollected(p);
    expect(() => heap.exports.freeCollected(p)).toThrow(InvalidHandleError); // a second free
    expect(() => heap.exports.freeCollected(heap.ptr(h))).toThrow(/held by handles/);
    expect(() => heap.exports.freeCollected(p + 16)).toThrow(InvalidHandleError);
    heap.validate();
    expect(heap.refs(h)).toBe(1);
  });
});
