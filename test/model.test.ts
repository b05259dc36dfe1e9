// Property tests: random alloc/get/put/resize sequences against a plain Map model, both builds,
// cookies in every payload, validate() after every step. Fixed seeds: a failure replays.
// The checked build also mixes in misuse (stale puts and uses) that must raise the right error
// and change nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DoublePutError, UseAfterPutError, type Heap } from "../bindings/node.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "get"; pick: number }
  | { kind: "put"; pick: number }
  | { kind: "resize"; pick: number; size: number }
  | { kind: "stalePut"; pick: number }
  | { kind: "staleUse"; pick: number };

const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 96 }) },
  { weight: 3, arbitrary: fc.integer({ min: 97, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4097, max: 200_000 }) },
);
const pick = fc.nat();
const op = (misuse: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("alloc" as const), size }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("get" as const), pick }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("put" as const), pick }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("resize" as const), pick, size }) },
    { weight: misuse ? 1 : 0, arbitrary: fc.record({ kind: fc.constant("stalePut" as const), pick }) },
    { weight: misuse ? 1 : 0, arbitrary: fc.record({ kind: fc.constant("staleUse" as const), pick }) },
  );

interface ModelObject { size: number; cookie: number }

/** Runs `ops` on `heap` and on the model, comparing after every step. */
function replay(heap: Heap, ops: Op[]): void {
  const objects = new Map<number, ModelObject>(); // object id -> size and cookie
  const refs = new Map<number, number>(); // reference id -> object id
  const handles = new Map<number, number>(); // reference id -> handle
  // Handles that ended (checked build): put ones must raise DoublePutError when put again;
  // ones replaced by resize were never put, so putting them is a UseAfterPutError.
  const dead: { handle: number; resized: boolean }[] = [];
  let nextId = 1;
  const holders = (obj: number) => [...refs.values()].filter((o) => o === obj).length;
  const pickRef = (n: number) => [...refs.keys()][n % refs.size];

  for (const o of ops) {
    switch (o.kind) {
      case "alloc": {
        const h = heap.alloc(o.size);
        const obj = nextId++, ref = nextId++;
        objects.set(obj, { size: o.size, cookie: obj });
        refs.set(ref, obj);
        handles.set(ref, h);
        writeCookie(heap, h, obj);
        break;
      }
      case "get": {
        if (!refs.size) continue;
        const from = pickRef(o.pick);
        const ref = nextId++;
        refs.set(ref, refs.get(from)!);
        handles.set(ref, heap.get(handles.get(from)!));
        break;
      }
      case "put": {
        if (!refs.size) continue;
        const ref = pickRef(o.pick);
        const obj = refs.get(ref)!;
        heap.put(handles.get(ref)!);
        if (heap.checked) dead.push({ handle: handles.get(ref)!, resized: false });
        refs.delete(ref);
        handles.delete(ref);
        if (holders(obj) === 0) objects.delete(obj);
        break;
      }
      case "resize": {
        const sole = [...refs.entries()].filter(([, obj]) => holders(obj) === 1);
        if (!sole.length) continue;
        const [ref, obj] = sole[o.pick % sole.length];
        const model = objects.get(obj)!;
        const old = handles.get(ref)!;
        const h = heap.resize(old, o.size);
        if (heap.checked) dead.push({ handle: old, resized: true });
        expect(hasCookie(heap, h, model.cookie, Math.min(model.size, o.size))).toBe(true);
        handles.set(ref, h);
        model.size = o.size;
        writeCookie(heap, h, model.cookie);
        break;
      }
      case "stalePut": {
        if (!dead.length) continue;
        const { handle, resized } = dead[o.pick % dead.length];
        expect(() => heap.put(handle)).toThrow(resized ? UseAfterPutError : DoublePutError);
        break;
      }
      case "staleUse": {
        if (!dead.length) continue;
        expect(() => heap.ptr(dead[o.pick % dead.length].handle)).toThrow(UseAfterPutError);
        break;
      }
    }
    heap.validate();
  }

  // The heap agrees with the model: same objects, sizes, counts, bytes.
  for (const [ref, obj] of refs) {
    const h = handles.get(ref)!;
    const model = objects.get(obj)!;
    expect(heap.size(h)).toBe(model.size);
    expect(heap.refs(h)).toBe(holders(obj));
    expect(hasCookie(heap, h, model.cookie)).toBe(true);
  }
  const report = heap.report();
  expect(report.objects.length).toBe(objects.size);
  if (heap.checked) expect(report.references.length).toBe(refs.size);
  // Putting every reference empties the heap.
  for (const h of handles.values()) heap.put(h);
  heap.validate();
  expect(heap.report().objects).toEqual([]);
}

describe.each(BUILDS)("model, $name build", ({ checked }) => {
  it("random alloc/get/put/resize sequences match a Map model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op(false), { minLength: 1, maxLength: 250 }), async (ops) => {
        replay(await heapOf(checked), ops);
      }),
      { seed: checked ? 1729 : 4104, numRuns: 300 },
    );
  });

  it("long sequences with memory growth and a page limit match the model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op(false), { minLength: 500, maxLength: 1500 }), async (ops) => {
        replay(await heapOf(checked, { maxPages: 256 }), ops);
      }),
      { seed: checked ? 87539319 : 6963472309, numRuns: 20 },
    );
  });

  if (checked) {
    it("misuse mixed into random sequences raises the right error and changes nothing", async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(op(true), { minLength: 1, maxLength: 250 }), async (ops) => {
          replay(await heapOf(true), ops);
        }),
        { seed: 2026, numRuns: 300 },
      );
    });
  }
});
