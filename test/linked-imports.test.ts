// ptr, get and put of rcalloc/runtime/imports, linked at load (test/fixtures/ptr, built as users
// build it). ptr: the handle itself against the unchecked build; against the checked build a live
// strong handle is resolved in the module through the allocator's table view (no call into its
// instance), and anything else goes to the allocator's ptr, which raises its error with the
// sites. get and put against the unchecked build count in the module; the last put of a small
// object caches its block on the allocator's quick lists from the module, where alloc and
// mallocAt take small blocks too (no call); anything else calls in.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPtrFixture } from "./run-tools.js";
import {
  createHeap, InvalidHandleError, link, RcError, UseAfterMoveError, UseAfterPutError, type Linked,
} from "../bindings/node.js";

type PtrModule = {
  fresh(): number; address(h: number): number; release(h: number): void; another(h: number): number;
  weakOf(h: number): number; moved(h: number): number; grown(h: number): number;
  sized(size: number): number; raw(size: number): number; collected(p: number): void;
  sizeOf(h: number): number;
};

const work = mkdtempSync(join(tmpdir(), "rcalloc-ptr-"));
const out = join(work, "ptr.wasm");
let bytes: Buffer;
let sourceMap: string;

beforeAll(async () => {
  // As a user builds it: rcalloc from node_modules, so the sites of its inlined imports are its
  // caller's lines (wasm-sites.ts isLibraryFrame).
  await buildPtrFixture(out);
  bytes = readFileSync(out);
  sourceMap = readFileSync(`${out}.map`, "utf8");
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Counted = "ptr" | "get" | "put" | "alloc" | "mallocAt" | "freeCollected" | "size";

/** Links the fixture with the allocator's `names` counted: how often the module called them. The
 *  others keep link()'s own imports (with `stacks`, get and put record the wasm stack as site). */
async function linkCounting(checked: boolean, names: Counted[] = ["ptr"]): Promise<{
  linked: Linked<PtrModule>; calls: (name?: Counted) => number;
}> {
  const counts = { ptr: 0, get: 0, put: 0, alloc: 0, mallocAt: 0, freeCollected: 0, size: 0 };
  let linked: Linked<PtrModule> | undefined;
  const rcalloc: Record<string, (...args: number[]) => number> = {};
  for (const name of names) {
    rcalloc[name] = (...args: number[]): number => {
      counts[name]++;
      return (linked!.heap.exports as unknown as Record<Counted, (...args: number[]) => number>)[name](...args);
    };
  }
  linked = await link<PtrModule>(bytes, { checked, stacks: true, sourceMap, imports: { rcalloc } });
  return { linked, calls: (name: Counted = "ptr") => counts[name] };
}

/** The error `f` throws (a failure if it throws none). */
function thrown(f: () => unknown): RcError {
  try {
    f();
  } catch (e) {
    return e as RcError;
  }
  throw new Error("expected a throw");
}

const SITE = /^index\.ts:\d+:\d+$/;

describe("get and put of runtime/imports, linked at load", () => {
  it("count in the module against the unchecked build; the last put caches the block on the allocator's quick list", async () => {
    const { linked, calls } = await linkCounting(false, ["get", "put", "alloc"]);
    const heap = linked.heap;
    const before = heap.stats().liveObjects;
    const h = linked.exports.fresh() >>> 0;
    expect(linked.exports.another(h) >>> 0).toBe(h);
    expect(linked.exports.another(h) >>> 0).toBe(h);
    expect(heap.refs(h)).toBe(3);
    linked.exports.release(h);
    linked.exports.release(h);
    expect(heap.refs(h)).toBe(1);
    expect([calls("get"), calls("put")]).toEqual([0, 0]);
    linked.exports.release(h); // the last: ended here, its block cached where the allocator caches it
    expect(calls("put")).toBe(0);
    expect(heap.stats().liveObjects).toBe(before);
    heap.validate();
    const again = heap.alloc(8); // the allocator's own alloc takes the block the module cached
    expect(again).toBe(h);
    heap.put(again); // and the module's alloc the block the allocator cached, with no call
    const calledBefore = calls("alloc");
    expect(linked.exports.sized(8) >>> 0).toBe(h);
    expect(calls("alloc")).toBe(calledBefore);
    expect(heap.size(h)).toBe(8);
    expect(heap.refs(h)).toBe(1);
    heap.validate();
    linked.exports.release(h);
    heap.validate();
  });

  it("against the unchecked build, alloc and the last put call in for large objects and held ones", async () => {
    const { linked, calls } = await linkCounting(false, ["put", "alloc"]);
    const heap = linked.heap;
    const m = linked.exports;
    const big = m.sized(4000) >>> 0; // a block above the quick lists' largest size
    expect(calls("alloc")).toBe(1);
    m.release(big);
    expect(calls("put")).toBe(1);

    const small = m.sized(24) >>> 0;
    const w = heap.weak(small); // a weak handle holds the dead block back: the allocator ends it
    m.release(small);
    expect(calls("put")).toBe(2);
    expect(heap.upgrade(w)).toBe(0);
    heap.putWeak(w);

    const ignored = m.sized(24) >>> 0;
    heap.ignore(ignored); // marked: the allocator drops the mark with the object
    m.release(ignored);
    expect(calls("put")).toBe(3);
    heap.validate();
    expect(heap.stats().liveObjects).toBe(0);
  });

  it("against the unchecked build, mallocAt and freeCollected take and give small raw blocks in the module", async () => {
    const { linked, calls } = await linkCounting(false, ["mallocAt", "freeCollected"]);
    const heap = linked.heap;
    const m = linked.exports;
    const first = m.raw(40) >>> 0; // an empty list: the allocator's
    expect(calls("mallocAt")).toBe(1);
    m.collected(first);
    expect(calls("freeCollected")).toBe(0);
    heap.validate();
    const again = m.raw(33) >>> 0; // the same block size (48 bytes): the cached block
    expect(again).toBe(first);
    expect(calls("mallocAt")).toBe(1);
    const report = heap.report();
    const object = report.objects.find((o) => o.ptr === again);
    expect(object).toMatchObject({ size: 33, raw: true });
    heap.validate();
    const large = m.raw(5000) >>> 0;
    m.collected(large);
    expect([calls("mallocAt"), calls("freeCollected")]).toEqual([2, 1]);
    m.collected(again);
    heap.validate();
    expect(heap.stats().liveObjects).toBe(0);

    // an ignore mark (PAIRED): the allocator drops it with the block, so the block's next
    // object is not ignored; cached here, the mark would stay behind
    const marked = m.raw(40) >>> 0;
    heap.ignore(marked);
    m.collected(marked);
    expect(calls("freeCollected")).toBe(2);
    heap.validate();
    const reused = m.raw(40) >>> 0;
    expect(heap.report().objects.find((o) => o.ptr === reused)).toMatchObject({ raw: true, ignored: false });
    m.collected(reused);
    heap.validate();
  });

  it("call the allocator against the checked build: every get is a new handle", async () => {
    const { linked, calls } = await linkCounting(true, ["get", "put", "alloc"]);
    const h = linked.exports.fresh() >>> 0;
    const h2 = linked.exports.another(h) >>> 0;
    expect(h2).not.toBe(h);
    linked.exports.release(h2);
    expect(() => linked.exports.release(h2)).toThrow(/double put/);
    linked.exports.release(h);
    expect([calls("get"), calls("put")]).toEqual([1, 3]);
    linked.exports.release(linked.exports.fresh()); // a cached block, but a checked object needs a handle
    expect([calls("alloc"), calls("put")]).toEqual([2, 4]);
  });
});

describe("size() of runtime/imports, linked at load", () => {
  for (const checked of [false, true]) {
    it(`reads a live object's size in the module against the ${checked ? "checked" : "unchecked"} build, with no call`, async () => {
      const { linked, calls } = await linkCounting(checked, ["size"]);
      const m = linked.exports;
      const handles = [1, 8, 9, 100, 1000, 1017, 5000, 20000].map((n) => m.sized(n) >>> 0);
      handles.push(m.grown(m.sized(24) >>> 0) >>> 0); // resized: a block of another size, more slack
      for (const h of handles) expect(m.sizeOf(h)).toBe(linked.heap.size(h));
      expect(handles.map((h) => m.sizeOf(h))).toEqual([1, 8, 9, 100, 1000, 1017, 5000, 20000, 4096]);
      expect(calls("size")).toBe(0);
      for (const h of handles) m.release(h);
      linked.heap.validate();
    });
  }

  it("leaves a handle already put to the allocator's size, which traps (checked)", async () => {
    const { linked, calls } = await linkCounting(true, ["size"]);
    const h = linked.exports.sized(16) >>> 0;
    linked.exports.release(h);
    expect(() => linked.exports.sizeOf(h)).toThrow(UseAfterPutError);
    expect(calls("size")).toBe(1);
  });

  it("leaves every handle that is not a live strong one to the allocator, with its error (checked)", async () => {
    const { linked, calls } = await linkCounting(true, ["size"]);
    const heap = linked.heap;
    const m = linked.exports;
    const other = await createHeap({ checked: true });
    const h = m.sized(16) >>> 0;
    const weak = heap.weak(h);
    const before = m.sized(16) >>> 0;
    const owned = heap.move(before, 7); // `before` ended: moved to an owned handle
    const moved = m.sized(24) >>> 0;
    const resized = heap.resize(moved, 5000); // a moving resize: `moved` ended
    const foreign = other.alloc(16);
    const refusals: [string, number, new (...a: never[]) => Error][] = [
      ["a weak handle", weak, InvalidHandleError],
      ["a handle moved away", before, UseAfterMoveError],
      ["a handle resized away", moved, UseAfterPutError],
      ["another heap's handle", foreign, InvalidHandleError],
    ];
    let expected = 0;
    for (const [what, handle, type] of refusals) {
      const fromModule = thrown(() => m.sizeOf(handle));
      const fromHeap = thrown(() => heap.size(handle));
      expect(fromModule, what).toBeInstanceOf(type);
      expect([fromModule.code, fromModule.message], what).toEqual([fromHeap.code, fromHeap.message]);
      expect(calls("size"), what).toBe(++expected);
    }
    expect(m.sizeOf(owned)).toBe(16); // the owned handle move() gave is live and strong
    expect(m.sizeOf(resized)).toBe(5000);
    expect(calls("size")).toBe(expected);
    heap.putWeak(weak);
    heap.putFor(owned, 7);
    m.release(h);
    m.release(resized);
    other.put(foreign);
    heap.validate();
    other.dispose();
  });
});

describe("ptr() of runtime/imports, linked at load", () => {
  it("is the handle itself against the unchecked build, with no call", async () => {
    const { linked, calls } = await linkCounting(false);
    const h = linked.exports.fresh() >>> 0;
    expect(linked.exports.address(h) >>> 0).toBe(h);
    expect(linked.heap.ptr(h)).toBe(h);
    linked.exports.release(h);
    expect(calls()).toBe(0);
  });

  it("resolves a live strong handle of the checked build in the module, with no call", async () => {
    const { linked, calls } = await linkCounting(true);
    const h = linked.exports.fresh() >>> 0;
    const h2 = linked.exports.another(h) >>> 0;
    expect(linked.exports.address(h) >>> 0).toBe(linked.heap.ptr(h));
    expect(linked.exports.address(h2) >>> 0).toBe(linked.heap.ptr(h));
    expect(linked.exports.address(h) >>> 0).not.toBe(h);
    // many handles, across table chunks (32 slots each) and a grown directory
    const many = Array.from({ length: 5000 }, () => linked.exports.fresh() >>> 0);
    for (const m of many) expect(linked.exports.address(m) >>> 0).toBe(linked.heap.ptr(m));
    expect(calls()).toBe(0);
    for (const m of many) linked.exports.release(m);
    linked.exports.release(h2);
    linked.exports.release(h);
    linked.heap.validate();
  });

  it("resolves handles after the table's directory dropped its retired chunks, and refuses the older ones", async () => {
    const { linked, calls } = await linkCounting(true);
    const heap = linked.heap;
    const early = linked.exports.fresh() >>> 0;
    linked.exports.release(early);
    const { get, put } = heap.exports; // raw exports for speed: handles read as i32, hence >>> 0
    let owner = heap.alloc(8);
    for (let i = 0; i < 300_000; i++) { // ~70 chunks retire: the 16-entry directory drops them
      put(get(owner) >>> 0);
      if (i % 1000 === 999) {
        const next = heap.alloc(8);
        heap.put(owner);
        owner = next;
      }
    }
    const h = linked.exports.fresh() >>> 0;
    expect(linked.exports.address(h) >>> 0).toBe(heap.ptr(h));
    expect(calls()).toBe(0);
    expect(() => linked.exports.address(early)).toThrow(UseAfterPutError); // below the directory
    expect(calls()).toBe(1);
    linked.exports.release(h);
    heap.put(owner);
    heap.validate();
  });

  it("leaves every other handle to the allocator's ptr, which traps naming the sites", async () => {
    const { linked, calls } = await linkCounting(true);
    const m = linked.exports;
    let expected = 0;
    const refused = (h: number): RcError => {
      const e = thrown(() => m.address(h));
      expect(calls()).toBe(++expected); // the module called in: the error is the allocator's
      return e;
    };

    // a reference already put: taken and put at the fixture's lines
    const put = m.fresh() >>> 0;
    m.release(put);
    const stale = refused(put);
    expect(stale).toBeInstanceOf(UseAfterPutError);
    expect(stale.site?.label).toMatch(SITE);
    expect(stale.putSite?.label).toMatch(SITE);

    // the same slot issued again (a newer generation): the old handle stays refused
    const churn = Array.from({ length: 600 }, () => m.fresh() >>> 0);
    for (const c of churn) m.release(c);
    expect(refused(put)).toBeInstanceOf(UseAfterPutError);

    // a weak handle where a strong one is needed
    const live = m.fresh() >>> 0;
    const w = m.weakOf(live) >>> 0;
    const weak = refused(w);
    expect(weak).toBeInstanceOf(InvalidHandleError);
    expect(weak.message).toMatch(/weak handle/);
    expect(weak.site?.label).toMatch(SITE);

    // a moved reference, and one replaced by resize
    const from = m.fresh() >>> 0;
    const to = m.moved(from) >>> 0;
    const moved = refused(from);
    expect(moved).toBeInstanceOf(UseAfterMoveError);
    expect(moved.site?.label).toMatch(SITE);
    expect(moved.putSite?.label).toMatch(SITE);
    const big = m.grown(to) >>> 0;
    const resized = refused(to);
    expect(resized).toBeInstanceOf(UseAfterPutError);
    expect(resized.message).toMatch(/resize/);
    expect(resized.putSite?.label).toMatch(SITE);
    expect(m.address(big) >>> 0).toBe(linked.heap.ptr(big)); // the new handle: no call

    // a handle of another live heap (its own tag), a forged index, zero
    const other = await createHeap({ checked: true });
    const foreign = other.alloc(8);
    const otherHeap = refused(foreign);
    expect(otherHeap).toBeInstanceOf(InvalidHandleError);
    expect(otherHeap.message).toMatch(/another heap/);
    expect(refused(((live & 0xf0000000) | 0xfffff0) >>> 0)).toBeInstanceOf(InvalidHandleError);
    expect(refused(0)).toBeInstanceOf(InvalidHandleError);
    other.put(foreign);

    // after dispose() the heap's handles are refused, the live ones too
    m.release(big);
    linked.heap.validate();
    linked.heap.dispose();
    expect(refused(live)).toBeInstanceOf(InvalidHandleError);
  });
});
