// The JS Ref wrapper: put, get, using / Symbol.dispose, double put and use after put in both
// builds, and (in a nested vitest with --expose-gc) the FinalizationRegistry safety net.
import { describe, expect, it } from "vitest";
import { createHeap, DoublePutError, UseAfterPutError } from "../bindings/node.js";
import { allocRef, canReportJsLeaks, Ref, wrap } from "../bindings/ref.js";
import { runFixture } from "./fixtures/leaks/run.js";
import { BUILDS, heapOf } from "./heap.js";

describe.each(BUILDS)("Ref ($name build)", ({ checked }) => {
  it("holds one reference: handle, ptr, size, bytes; get() is a new Ref that puts on its own", async () => {
    const heap = await heapOf(checked);
    const a = allocRef(heap, 24);
    expect(a).toBeInstanceOf(Ref);
    expect(a.heap).toBe(heap);
    expect(a.ptr).toBe(heap.ptr(a.handle));
    expect(a.size).toBe(24);
    a.bytes().fill(9);
    const b = a.get();
    expect(a.refs).toBe(2);
    expect(b.ptr).toBe(a.ptr);
    if (checked) expect(b.handle).not.toBe(a.handle);
    expect([...b.bytes()]).toEqual(new Array(24).fill(9));
    a.put();
    expect(a.released).toBe(true);
    expect(b.refs).toBe(1);
    b.put();
    expect(heap.stats().liveObjects).toBe(0);
    heap.validate();
  });

  it("wrap() takes over an existing reference; resize() follows the new handle", async () => {
    const heap = await heapOf(checked);
    const r = wrap(heap, heap.alloc(8));
    r.bytes().set([1, 2, 3, 4, 5, 6, 7, 8]);
    r.resize(4096);
    expect(r.size).toBe(4096);
    expect([...r.bytes().subarray(0, 8)]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    if (checked) expect(heap.report().references.map((x) => x.handle)).toEqual([r.handle]);
    else expect(r.handle).toBe(r.ptr);
    r.put();
    expect(heap.stats().liveObjects).toBe(0);
  });

  it("`using` puts the reference at the end of the block, also when the block throws", async () => {
    const heap = await heapOf(checked);
    {
      using r = allocRef(heap, 16);
      r.bytes().fill(1);
      expect(heap.stats().liveObjects).toBe(1);
    }
    expect(heap.stats().liveObjects).toBe(0);
    expect(() => {
      using r = allocRef(heap, 16);
      using s = r.get();
      expect(s.refs).toBe(2);
      throw new Error("boom");
    }).toThrow("boom");
    expect(heap.stats().liveObjects).toBe(0);
    heap.validate();
  });

  it("[Symbol.dispose] after put does nothing; a second put() is a double put", async () => {
    const heap = await heapOf(checked, { stacks: true });
    const keep = allocRef(heap, 32);
    const r = keep.get();
    r.put();
    r[Symbol.dispose]();
    expect(keep.refs).toBe(1);
    let error: unknown;
    try {
      r.put();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DoublePutError);
    expect(error).toMatchObject({ code: "DOUBLE_PUT", handle: r.handle });
    // Checked: the heap's error, naming where the reference was taken and first put;
    // unchecked: the Ref's own, naming where it was created. Either way nothing changed.
    expect((error as DoublePutError).site?.label).toMatch(/ref\.test\.ts:\d+:\d+$/);
    if (checked) expect((error as DoublePutError).putSite?.label).toMatch(/ref\.test\.ts:\d+:\d+$/);
    expect((error as Error).message).toMatch(/^rcalloc: double put: .*already put/);
    expect(keep.refs).toBe(1);
    heap.validate();
    keep.put();
  });

  it("using a put Ref throws UseAfterPutError", async () => {
    const heap = await heapOf(checked);
    const keep = allocRef(heap, 8);
    const r = keep.get();
    r.put();
    expect(() => r.ptr).toThrow(UseAfterPutError);
    expect(() => r.bytes()).toThrow(UseAfterPutError);
    expect(() => r.get()).toThrow(UseAfterPutError);
    expect(keep.refs).toBe(1);
    keep.put();
  });
});

describe("Ref creation stacks", () => {
  /** The creation stack an unchecked double put names (the Ref's own error). */
  const stackOf = (r: Ref): string | undefined => {
    r.put();
    try {
      r.put();
    } catch (e) {
      return (e as DoublePutError).site?.stack;
    }
    return undefined;
  };

  it("are the caller's own, one for each path to the same line (stacks seen before are not formatted again)", async () => {
    const heap = await heapOf(false);
    const make = (): Ref => allocRef(heap, 8);
    const viaA = (): Ref => make();
    const viaB = (): Ref => make();
    const [a, again] = [1, 2].map(() => stackOf(viaA()));
    const b = stackOf(viaB());
    expect(a?.split("\n")[0]).toMatch(/ref\.test\.ts:\d+:\d+\)?$/); // make's line, below allocRef
    expect(again).toBe(a);
    expect(b?.split("\n")[0]).toBe(a?.split("\n")[0]);
    expect(b).not.toBe(a);
  });
});

describe("FinalizationRegistry safety net", () => {
  it("is there on Node", () => {
    expect(canReportJsLeaks).toBe(true);
  });

  it.skipIf(typeof (globalThis as { gc?: unknown }).gc === "function")("jsLeaks({ collect: true }) without gc says how to get it", async () => {
    const heap = await createHeap({ checked: true });
    await expect(heap.jsLeaks({ collect: true })).rejects.toThrow(/--expose-gc/);
  });

  it("reports Refs garbage-collected without a put (real GC, nested vitest with --expose-gc)", () => {
    const run = runFixture("ref-gc.fixture");
    const failed = run.tests.filter((t) => t.status !== "passed");
    expect(failed.map((t) => `${t.title}: ${t.failureMessages.join("\n")}`)).toEqual([]);
    expect(run.tests.length).toBe(7);
    expect(run.status, run.output).toBe(0);
  });
});
