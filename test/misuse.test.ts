// Misuse on purpose: each mistake raises its typed error before anything changes, so afterwards
// validate() passes and every other object still holds its bytes.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createHeap, DoublePutError, InvalidArgumentError, InvalidHandleError, OutOfMemoryError, RcError, SharedResizeError,
  UseAfterPutError, type Heap,
} from "../bindings/node.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

/** A heap with some live objects holding cookies, and a check that they are all intact. */
async function populated(checked: boolean, options = {}) {
  const heap = await heapOf(checked, options);
  const live = Array.from({ length: 40 }, (_, i) => {
    const h = heap.alloc(1 + ((i * 97) % 3000));
    writeCookie(heap, h, i);
    return h;
  });
  const intact = () => {
    heap.validate();
    live.forEach((h, i) => expect(hasCookie(heap, h, i), `object ${i} changed`).toBe(true));
  };
  return { heap, live, intact };
}

type Use = [name: string, call: (heap: Heap, h: number) => unknown];
/** Every entry point that takes a handle, except put (which has its own error for stale handles). */
const USES: Use[] = [
  ["get", (heap, h) => heap.get(h)],
  ["ptr", (heap, h) => heap.ptr(h)],
  ["size", (heap, h) => heap.size(h)],
  ["refs", (heap, h) => heap.refs(h)],
  ["bytes", (heap, h) => heap.bytes(h)],
  ["resize", (heap, h) => heap.resize(h, 8)],
  ["getAt (raw export)", (heap, h) => heap.exports.getAt(h, 0)],
  ["resizeAt (raw export)", (heap, h) => heap.exports.resizeAt(h, 8, 0)],
];

describe("checked build", () => {
  it("double put traps even while another reference keeps the object alive", async () => {
    const { heap, live, intact } = await populated(true, { stacks: true });
    const a = live[3];
    const b = heap.get(a);
    heap.put(b);
    let error: unknown;
    try {
      heap.put(b);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DoublePutError);
    const e = error as DoublePutError;
    expect(e).toBeInstanceOf(RcError);
    expect(e.code).toBe("DOUBLE_PUT");
    expect(e.handle).toBe(b);
    expect(e.object).toBe(heap.ptr(a));
    expect(e.site?.label).toMatch(/misuse\.test\.ts:\d+/); // where b was taken
    expect(e.putSite?.label).toMatch(/misuse\.test\.ts:\d+/); // where b was first put
    expect(e.site?.label).not.toBe(e.putSite?.label);
    expect(e.message).toMatch(/double put.*taken at .*misuse\.test\.ts.*first put at .*misuse\.test\.ts/);
    expect(heap.refs(a)).toBe(1); // the failed put changed nothing
    intact();
  });

  it("put of a handle whose slot was reused still reports a double put", async () => {
    const { heap, live, intact } = await populated(true);
    const b = heap.get(live[0]);
    heap.put(b);
    for (let i = 0; i < 2000; i++) heap.put(heap.get(live[1])); // cycles the slot FIFO
    expect(() => heap.put(b)).toThrow(DoublePutError);
    intact();
  });

  it.each(USES)("use after put traps in %s", async (_name, use) => {
    const { heap, live, intact } = await populated(true, { stacks: true });
    const b = heap.get(live[5]);
    heap.put(b);
    let error: unknown;
    try {
      use(heap, b);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UseAfterPutError);
    expect((error as UseAfterPutError).code).toBe("USE_AFTER_PUT");
    expect((error as UseAfterPutError).handle).toBe(b);
    expect(heap.refs(live[5])).toBe(1);
    intact();
  });

  it("a handle replaced by resize is dead", async () => {
    const { heap, intact } = await populated(true);
    const h = heap.alloc(100);
    const r = heap.resize(h, 200);
    expect(() => heap.ptr(h)).toThrow(/use after resize/);
    expect(() => heap.put(h)).toThrow(UseAfterPutError);
    heap.put(r);
    intact();
  });

  it("resize of a shared object traps and changes nothing", async () => {
    const { heap, live, intact } = await populated(true);
    const b = heap.get(live[2]);
    expect(() => heap.resize(live[2], 10)).toThrow(SharedResizeError);
    expect(heap.size(live[2])).toBe(1 + ((2 * 97) % 3000));
    heap.put(b);
    intact();
  });

  it.each(["put", ...USES.map((u) => u[0])])("handle 0 is invalid in %s", async (name) => {
    const { heap, intact } = await populated(true);
    const use = name === "put" ? (hp: Heap, h: number) => hp.put(h) : USES.find((u) => u[0] === name)![1];
    expect(() => use(heap, 0)).toThrow(InvalidHandleError);
    expect(() => use(heap, 0)).toThrow(/0 is never a valid handle/);
    intact();
  });

  it("a handle from another heap is recognised as foreign", async () => {
    const { heap, intact } = await populated(true);
    const other = await heapOf(true);
    const theirs = other.alloc(16);
    for (const use of [(h: number) => heap.put(h), (h: number) => heap.ptr(h), (h: number) => heap.get(h)]) {
      expect(() => use(theirs)).toThrow(InvalidHandleError);
      expect(() => use(theirs)).toThrow(/belongs to another heap/);
    }
    intact();
    other.validate();
    expect(other.refs(theirs)).toBe(1);
    // a live heap's handle: the message names no "made-up number"
    expect(() => heap.put(theirs)).not.toThrow(/no heap in this realm/);
  });

  it("a handle whose tag no heap of this realm holds says so (kept from a disposed heap)", async () => {
    const { heap, intact } = await populated(true);
    const gone = await heapOf(true);
    const kept = gone.alloc(16);
    const tag = kept >>> 28;
    gone.dispose(); // its tag goes back to the end of the free list: no heap holds it now
    expect(() => heap.put(kept)).toThrow(InvalidHandleError);
    expect(() => heap.put(kept)).toThrow(new RegExp(`belongs to another heap .*no heap in this realm has tag ${tag} now`));
    intact();
  });

  it("forged handles: never-issued slots, future generations, non-numbers", async () => {
    const { heap, live, intact } = await populated(true);
    const h = live[0];
    const tag = h >>> 28;
    const forged = [
      (tag << 28) | 0x7fff0, // a slot index never issued
      h + (5 << 19), // the live slot with a generation from the future
      0x7fffffff, 0xffffffff, 1, 16, heap.ptr(h), // not handles at all
    ];
    for (const f of forged) {
      expect(() => heap.put(f)).toThrow(InvalidHandleError);
      expect(() => heap.ptr(f)).toThrow(InvalidHandleError);
    }
    for (const junk of [-1, 1.5, NaN, 2 ** 32, "12" as unknown as number, undefined as unknown as number]) {
      expect(() => heap.put(junk)).toThrow(InvalidHandleError);
    }
    intact();
  });

  it.each([
    ["checked", { checked: true }], ["debug", { debug: true }], ["shared checked", { shared: true, checked: true }],
    ["shared debug", { shared: true, debug: true }],
  ])("%s: a heap disposed before its first handle never issues handle 0, and refuses 0", async (_name, options) => {
    // dispose() retires the tag (handles issued later carry tag 0), so index 0 at generation 0
    // would be handle 0: returned by alloc, and put(0) then accepted.
    const heap = await createHeap(options);
    heap.dispose();
    const issued = Array.from({ length: 70 }, () => heap.alloc(8));
    expect(issued).not.toContain(0);
    expect(() => heap.put(0)).toThrow(/0 is never a valid handle/);
    for (const h of issued) expect(heap.refs(h)).toBe(1);
    for (const h of issued) heap.put(h);
    heap.validate();
    expect(heap.report().references).toHaveLength(0);
  });

  it.each([
    ["checked", { checked: true }], ["debug", { debug: true }], ["shared debug", { shared: true, debug: true }],
  ])("%s: a heap disposed while its index 0 is live refuses handle 0", async (_name, options) => {
    const heap = await createHeap(options);
    const hs = Array.from({ length: 70 }, () => heap.alloc(8));
    expect(hs.find((h) => (h & 0xffffff) === 0)).toBeDefined();
    heap.dispose();
    expect(() => heap.put(0)).toThrow(/0 is never a valid handle/);
    expect(() => heap.ptr(0)).toThrow(/0 is never a valid handle/);
    heap.validate();
  });

  it("shared checked: a heap disposed while a lock-free get's handle at index 0 is live refuses handle 0", async () => {
    const heap = await createHeap({ shared: true, checked: true });
    const a = heap.alloc(8); // the creator's alloc takes indices from 64 up; its pool holds 0..63 for gets
    const gets = Array.from({ length: 70 }, () => heap.get(a) >>> 0);
    expect(gets.find((h) => (h & 0xffffff) === 0)).toBeDefined();
    heap.dispose();
    expect(() => heap.put(0)).toThrow(/0 is never a valid handle/);
    heap.validate(); // 71 references still count on the object (refused from now on under the old tag)
    expect(heap.stats().liveReferences).toBe(71);
  });

  it("a shared checked heap disposed while its pool holds index 0 unissued never issues handle 0 from it", async () => {
    const heap = await createHeap({ shared: true, checked: true });
    const first = heap.alloc(8);
    heap.put(heap.get(first)); // the lock-free get fills this thread's pool with fresh indices, 0 among them
    heap.put(first);
    heap.dispose();
    const a = heap.alloc(8);
    const gets = Array.from({ length: 70 }, () => heap.get(a));
    expect(gets).not.toContain(0);
    expect(gets).toContain(1 << 24); // index 0, generation 1, tag 0
    expect(heap.refs(a)).toBe(71);
    expect(() => heap.put(0)).toThrow(/0 is never a valid handle/);
    for (const h of gets) heap.put(h);
    heap.put(a);
    heap.validate();
    expect(heap.report().references).toHaveLength(0);
  });

  it("a shared checked heap disposed before its pool filled issues index 0 at generation 1 from it", async () => {
    const heap = await createHeap({ shared: true, checked: true });
    heap.dispose();
    const a = heap.alloc(8);
    const gets = Array.from({ length: 70 }, () => heap.get(a));
    expect(gets).not.toContain(0);
    expect(gets).toContain(1 << 24);
    expect(() => heap.put(0)).toThrow(/0 is never a valid handle/);
    for (const h of gets) heap.put(h);
    heap.put(a);
    heap.validate();
    expect(heap.report().references).toHaveLength(0);
  });

  it("random u32 values never pass as handles and never corrupt the heap", async () => {
    const { heap, live, intact } = await populated(true);
    const liveSet = new Set(live);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 2, 3), (h, op) => {
        if (liveSet.has(h)) return;
        const call = [() => heap.put(h), () => heap.get(h), () => heap.ptr(h), () => heap.resize(h, 4)][op];
        expect(call).toThrow(RcError);
      }),
      { seed: 20261122, numRuns: 3000 },
    );
    intact();
  });

  it("handle values are never issued twice; a slot is retired before its generation wraps", async () => {
    const heap = await heapOf(true);
    const owner = heap.alloc(8);
    const seen = new Set<number>([owner]);
    const n = 300 * 512;
    for (let i = 0; i < n; i++) {
      const h = heap.get(owner);
      seen.add(h);
      heap.put(h);
    }
    expect(seen.size).toBe(n + 1); // every value distinct
    expect(heap.stats().retiredSlots).toBeGreaterThan(0);
    let alive = 0;
    for (const h of seen) {
      try {
        heap.ptr(h);
        alive++;
      } catch (e) {
        if (!(e instanceof UseAfterPutError)) throw e;
      }
    }
    expect(alive).toBe(1); // only `owner`
    heap.validate();
  });
});

describe.each(BUILDS)("out of memory, $name build", ({ checked }) => {
  it("an allocation past maxPages fails cleanly and the heap stays usable", async () => {
    const { heap, live, intact } = await populated(checked, { maxPages: 4 });
    const before = heap.stats();
    let error: unknown;
    try {
      heap.alloc(1 << 20);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect((error as OutOfMemoryError).code).toBe("OUT_OF_MEMORY");
    expect((error as OutOfMemoryError).detail).toBe(1 << 20);
    const after = heap.stats();
    expect(after.liveObjects).toBe(before.liveObjects);
    expect(after.pages).toBeLessThanOrEqual(4);
    intact();
    const h = heap.alloc(100); // still works
    heap.put(h);
    expect(live.length).toBe(40);
    intact();
  });

  it("filling memory to the limit ends in OutOfMemoryError with every object intact", async () => {
    const heap = await heapOf(checked, { maxPages: 3 });
    const handles: number[] = [];
    let error: unknown;
    for (let i = 0; i < 100_000 && !error; i++) {
      try {
        const h = heap.alloc(16 + (i % 200));
        writeCookie(heap, h, i);
        handles.push(h);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(heap.stats().pages).toBe(3);
    heap.validate();
    handles.forEach((h, i) => expect(hasCookie(heap, h, i)).toBe(true));
    // freeing some memory makes room again
    for (const h of handles.splice(0, 100)) heap.put(h);
    heap.put(heap.alloc(100));
    heap.validate();
  });

  it("a resize that cannot fit leaves the object and its handle as they were", async () => {
    const heap = await heapOf(checked, { maxPages: 4 });
    const h = heap.alloc(1000);
    writeCookie(heap, h, 1);
    expect(() => heap.resize(h, 1 << 20)).toThrow(OutOfMemoryError);
    expect(heap.size(h)).toBe(1000);
    expect(hasCookie(heap, h, 1)).toBe(true);
    heap.validate();
    heap.put(h);
  });

  it("sizes beyond 2 GiB are refused without touching memory", async () => {
    const heap = await heapOf(checked);
    expect(() => heap.alloc(0xffffffff)).toThrow(OutOfMemoryError);
    expect(() => heap.alloc(-1)).toThrow(InvalidArgumentError);
    heap.validate();
  });
});

describe("out of handle-table memory, checked build", () => {
  it("get fails cleanly when the table cannot grow", async () => {
    const heap = await heapOf(true, { maxPages: 2 });
    const target = heap.alloc(8);
    const objects: number[] = [];
    try {
      for (;;) objects.push(heap.alloc(64));
    } catch (e) {
      expect(e).toBeInstanceOf(OutOfMemoryError);
    }
    const refs: number[] = [];
    let error: unknown;
    for (let i = 0; i < 100_000 && !error; i++) {
      try {
        refs.push(heap.get(target));
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(OutOfMemoryError);
    expect(heap.refs(target)).toBe(refs.length + 1);
    heap.validate();
    refs.forEach((r) => heap.put(r));
    expect(heap.refs(target)).toBe(1);
    heap.validate();
  });
});
