// The size classes (assembly/size-classes.ts): medium blocks (1 KiB < block <= 16 KiB) rounded up
// to 12.5% classes and cached per class when freed. Property tests against a plain Map model
// (fixed seeds, both builds): sizes stay exact although a block may hold far more than its
// object, contents survive resizes, the walk sees every object, validate() holds throughout.
import { describe, expect, it } from "vitest";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

/** xorshift32: a fixed sequence per seed. */
function rng(seed: number): (n: number) => number {
  let x = seed >>> 0 || 1;
  return (n) => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x % n;
  };
}

/** Sizes around and across the class range: quick (<= 1016), medium, large (> 16 KiB). */
function sizeFrom(below: (n: number) => number): number {
  const pick = below(8);
  if (pick === 0) return 1 + below(1100);
  if (pick === 7) return 16000 + below(8000);
  return 1000 + below(15400);
}

describe.each(BUILDS)("$name build: size classes", ({ checked }) => {
  for (const seed of [1, 7, 2024]) {
    it(`random alloc/resize/put of medium sizes matches the model (seed ${seed})`, async () => {
      const heap = await heapOf(checked);
      const below = rng(seed);
      const model = new Map<number, { size: number; cookie: number }>();
      const handles: number[] = [];
      for (let step = 0; step < 1500; step++) {
        const action = below(10);
        if (action < 4 || handles.length < 8) {
          const size = sizeFrom(below);
          const h = heap.alloc(size);
          writeCookie(heap, h, step);
          model.set(h, { size, cookie: step });
          handles.push(h);
        } else if (action < 7) {
          const i = below(handles.length);
          const h = handles[i];
          const old = model.get(h)!;
          const size = sizeFrom(below);
          const moved = heap.resize(h, size);
          expect(heap.size(moved)).toBe(size);
          expect(hasCookie(heap, moved, old.cookie, Math.min(old.size, size))).toBe(true);
          writeCookie(heap, moved, step);
          model.delete(h);
          model.set(moved, { size, cookie: step });
          handles[i] = moved;
        } else {
          const i = below(handles.length);
          const h = handles[i];
          expect(hasCookie(heap, h, model.get(h)!.cookie)).toBe(true);
          heap.put(h);
          model.delete(h);
          handles[i] = handles[handles.length - 1];
          handles.pop();
        }
        if (step % 100 === 0) heap.validate();
      }
      heap.validate();
      for (const [h, { size, cookie }] of model) {
        expect(heap.size(h)).toBe(size);
        expect(hasCookie(heap, h, cookie)).toBe(true);
      }
      // The walk sees every live object at its exact size, whatever block holds it.
      const walked = heap.report().objects.map((o) => [o.ptr, o.size]).sort((a, b) => a[0] - b[0]);
      const expected = [...model].map(([h, { size }]) => [heap.ptr(h), size]).sort((a, b) => a[0] - b[0]);
      expect(walked).toEqual(expected);
      for (const h of handles) heap.put(h);
      heap.validate();
      expect(heap.stats().liveObjects).toBe(0);
    });
  }

  it("a freed medium block serves the next request of its class, and only of its class", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const a = heap.alloc(5000); // block 5008 -> the 5120-byte class
    const guard = heap.alloc(100);
    const at = heap.ptr(a);
    heap.put(a);
    heap.validate();
    const b = heap.alloc(5200); // the 5632-byte class: not this block
    expect(heap.ptr(b)).not.toBe(at);
    const c = heap.alloc(4700); // the 5120-byte class again: the cached block, no coalescing
    expect(heap.ptr(c)).toBe(at);
    expect(heap.size(c)).toBe(4700);
    heap.validate();
    for (const h of [b, c, guard]) heap.put(h);
    heap.validate();
  });

  it("a medium block freed after a larger free block coalesces with it instead of being cached", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const big = heap.alloc(20000); // past the classes: TLSF's, free in TLSF once put
    const a = heap.alloc(5000);
    const guard = heap.alloc(100);
    const at = heap.ptr(big);
    heap.put(big);
    const cached = heap.stats().cachedBytes;
    heap.put(a); // its left neighbour is free and larger: cached, it would pin a hole (pages)
    expect(heap.stats().cachedBytes).toBe(cached);
    heap.validate();
    const both = heap.alloc(24000); // the coalesced block, found without a flush
    expect(heap.ptr(both)).toBe(at);
    heap.put(both);
    heap.put(guard);
    heap.validate();
  });

  it("resizes within a class in place, with the size exact at every step", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    let h = heap.alloc(4700);
    const at = heap.ptr(h);
    writeCookie(heap, h, 3);
    for (const size of [4800, 4650, 5000, 4610]) { // all within the 5120-byte class
      h = heap.resize(h, size);
      expect(heap.ptr(h)).toBe(at);
      expect(heap.size(h)).toBe(size);
      heap.validate();
    }
    expect(hasCookie(heap, h, 3, 4610)).toBe(true);
    heap.put(h);
    heap.validate();
  });

  it.runIf(!checked)("an object growing by half or more into the top classes moves into an exact block, not a cached one", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const cached = heap.alloc(8200); // class 9216
    const cachedAt = heap.ptr(cached);
    heap.put(cached);
    const grows = heap.alloc(4100);
    const guard = heap.alloc(4100); // right of `grows`: no growth in place
    const grown = heap.resize(grows, 8200); // doubling: exactly its block from TLSF
    expect(heap.ptr(grown)).not.toBe(cachedAt);
    const next = heap.alloc(8200); // the cached block still serves its class
    expect(heap.ptr(next)).toBe(cachedAt);
    expect(heap.size(grown)).toBe(8200);
    heap.validate();
    [next, grown, guard].forEach((h) => heap.put(h));
    heap.validate();
  });

  it("gives cached class blocks back to TLSF before growing memory", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const first = Array.from({ length: 200 }, () => heap.alloc(1200)); // one class, ~250 KiB
    first.forEach((h) => heap.put(h));
    const pages = heap.stats().pages;
    expect(heap.stats().cachedBytes).toBeGreaterThanOrEqual(200 * 1280);
    // Another class, the same bytes: served from the flushed (coalesced) blocks, not new pages.
    const second = Array.from({ length: 20 }, () => heap.alloc(11000));
    expect(heap.stats().pages).toBe(pages);
    heap.validate();
    second.forEach((h) => heap.put(h));
    heap.validate();
  });
});
