// Property tests: random alloc/get/put/resize sequences — and owners (getFor/putFor), move and
// weak handles (weak/upgrade/putWeak) — against a plain Map model, both builds, cookies in every
// payload, validate() after every step. Fixed seeds: a failure replays.
// The checked build also mixes in misuse (stale puts and uses) that must raise the right error
// and change nothing.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DoublePutError, UseAfterMoveError, UseAfterPutError, type Heap } from "../bindings/node.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

type Op =
  | { kind: "alloc"; size: number }
  | { kind: "get"; pick: number }
  | { kind: "put"; pick: number }
  | { kind: "resize"; pick: number; size: number }
  | { kind: "stalePut"; pick: number }
  | { kind: "staleUse"; pick: number }
  | { kind: "getFor"; pick: number; owner: number }
  | { kind: "putFor"; pick: number }
  | { kind: "move"; pick: number; owner: number }
  | { kind: "weak"; pick: number }
  | { kind: "upgrade"; pick: number }
  | { kind: "putWeak"; pick: number };

const size = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 0, max: 96 }) },
  { weight: 3, arbitrary: fc.integer({ min: 97, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: 4097, max: 200_000 }) },
);
const pick = fc.nat();
const owner = fc.integer({ min: 1, max: 4 });
const op = (misuse: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant("alloc" as const), size }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant("get" as const), pick }) },
    { weight: 5, arbitrary: fc.record({ kind: fc.constant("put" as const), pick }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("resize" as const), pick, size }) },
    { weight: misuse ? 1 : 0, arbitrary: fc.record({ kind: fc.constant("stalePut" as const), pick }) },
    { weight: misuse ? 1 : 0, arbitrary: fc.record({ kind: fc.constant("staleUse" as const), pick }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("getFor" as const), pick, owner }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant("putFor" as const), pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("move" as const), pick, owner: fc.integer({ min: 0, max: 4 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("weak" as const), pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("upgrade" as const), pick }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("putWeak" as const), pick }) },
  );

interface ModelObject { size: number; cookie: number; alive: boolean }
/** A reference of the model: its object, owner (0 = none) and kind. */
interface ModelRef { obj: number; owner: number; weak: boolean }
type Ending = "put" | "resized" | "moved";

/** Runs `ops` on `heap` and on the model, comparing after every step. */
function replay(heap: Heap, ops: Op[]): void {
  const objects = new Map<number, ModelObject>(); // object id -> size, cookie, alive
  const refs = new Map<number, ModelRef>(); // reference id -> what it holds
  const handles = new Map<number, number>(); // reference id -> handle
  // Handles that ended (checked build): putting one again is a double put, unless it ended by
  // resize or move (it was never put), which are use-after errors of their own.
  const dead: { handle: number; ending: Ending }[] = [];
  let nextId = 1;
  const strong = (obj: number) => [...refs.values()].filter((r) => r.obj === obj && !r.weak).length;
  const weakOn = (obj: number) => [...refs.values()].filter((r) => r.obj === obj && r.weak).length;
  const pickFrom = <T>(items: T[], n: number) => items[n % items.length];
  const strongRefs = (unownedOnly = false) =>
    [...refs.entries()].filter(([, r]) => !r.weak && (!unownedOnly || r.owner === 0));
  const end = (ref: number, ending: Ending) => {
    if (heap.checked) dead.push({ handle: handles.get(ref)!, ending });
    refs.delete(ref);
    handles.delete(ref);
  };
  const settle = (obj: number) => {
    if (strong(obj) === 0) objects.get(obj)!.alive = false;
    if (strong(obj) === 0 && weakOn(obj) === 0) objects.delete(obj);
  };
  const newRef = (r: ModelRef, h: number) => {
    const id = nextId++;
    refs.set(id, r);
    handles.set(id, h);
    return id;
  };

  for (const o of ops) {
    switch (o.kind) {
      case "alloc": {
        const h = heap.alloc(o.size);
        const obj = nextId++;
        objects.set(obj, { size: o.size, cookie: obj, alive: true });
        newRef({ obj, owner: 0, weak: false }, h);
        writeCookie(heap, h, obj);
        break;
      }
      case "get": {
        const all = strongRefs();
        if (!all.length) continue;
        const [from, r] = pickFrom(all, o.pick);
        newRef({ obj: r.obj, owner: 0, weak: false }, heap.get(handles.get(from)!));
        break;
      }
      case "put": {
        const all = strongRefs(true);
        if (!all.length) continue;
        const [ref, r] = pickFrom(all, o.pick);
        heap.put(handles.get(ref)!);
        end(ref, "put");
        settle(r.obj);
        break;
      }
      case "resize": {
        const sole = strongRefs(true).filter(([, r]) => strong(r.obj) === 1 && weakOn(r.obj) === 0);
        if (!sole.length) continue;
        const [ref, r] = pickFrom(sole, o.pick);
        const model = objects.get(r.obj)!;
        const old = handles.get(ref)!;
        const h = heap.resize(old, o.size);
        if (heap.checked) dead.push({ handle: old, ending: "resized" });
        expect(hasCookie(heap, h, model.cookie, Math.min(model.size, o.size))).toBe(true);
        handles.set(ref, h);
        model.size = o.size;
        writeCookie(heap, h, model.cookie);
        break;
      }
      case "getFor": {
        const all = strongRefs();
        if (!all.length) continue;
        const [from, r] = pickFrom(all, o.pick);
        const h = heap.getFor(handles.get(from)!, o.owner);
        const held = [...refs.entries()].find(([, x]) => x.obj === r.obj && x.owner === o.owner);
        if (held) expect(h).toBe(handles.get(held[0]));
        else newRef({ obj: r.obj, owner: o.owner, weak: false }, h);
        break;
      }
      case "putFor": {
        const owned = strongRefs().filter(([, r]) => r.owner !== 0);
        if (!owned.length) continue;
        const [ref, r] = pickFrom(owned, o.pick);
        const any = strongRefs().find(([, x]) => x.obj === r.obj)!; // any strong handle names the object
        heap.putFor(handles.get(any[0])!, r.owner);
        end(ref, "put");
        settle(r.obj);
        break;
      }
      case "move": {
        const all = strongRefs(true).filter(([, r]) =>
          o.owner === 0 || ![...refs.values()].some((x) => x.obj === r.obj && x.owner === o.owner));
        if (!all.length) continue;
        const [ref, r] = pickFrom(all, o.pick);
        const h = heap.move(handles.get(ref)!, o.owner);
        end(ref, "moved");
        newRef({ obj: r.obj, owner: o.owner, weak: false }, h);
        break;
      }
      case "weak": {
        const all = strongRefs();
        if (!all.length) continue;
        const [from, r] = pickFrom(all, o.pick);
        newRef({ obj: r.obj, owner: 0, weak: true }, heap.weak(handles.get(from)!));
        break;
      }
      case "upgrade": {
        const weak = [...refs.entries()].filter(([, r]) => r.weak);
        if (!weak.length) continue;
        const [ref, r] = pickFrom(weak, o.pick);
        const h = heap.upgrade(handles.get(ref)!);
        if (objects.get(r.obj)!.alive) {
          expect(h).not.toBe(0);
          newRef({ obj: r.obj, owner: 0, weak: false }, h);
        } else {
          expect(h).toBe(0);
        }
        break;
      }
      case "putWeak": {
        const weak = [...refs.entries()].filter(([, r]) => r.weak);
        if (!weak.length) continue;
        const [ref, r] = pickFrom(weak, o.pick);
        heap.putWeak(handles.get(ref)!);
        end(ref, "put");
        settle(r.obj);
        break;
      }
      case "stalePut": {
        if (!dead.length) continue;
        const { handle, ending } = pickFrom(dead, o.pick);
        const expected = ending === "moved" ? UseAfterMoveError : ending === "resized" ? UseAfterPutError : DoublePutError;
        expect(() => heap.put(handle)).toThrow(expected);
        break;
      }
      case "staleUse": {
        if (!dead.length) continue;
        const { handle, ending } = pickFrom(dead, o.pick);
        expect(() => heap.ptr(handle)).toThrow(ending === "moved" ? UseAfterMoveError : UseAfterPutError);
        break;
      }
    }
    heap.validate();
  }

  // The heap agrees with the model: same live objects, sizes, counts, bytes.
  for (const [ref, r] of refs) {
    if (r.weak) continue;
    const h = handles.get(ref)!;
    const model = objects.get(r.obj)!;
    expect(heap.size(h)).toBe(model.size);
    expect(heap.refs(h)).toBe(strong(r.obj));
    expect(hasCookie(heap, h, model.cookie)).toBe(true);
  }
  const report = heap.report();
  expect(report.objects.length).toBe([...objects.values()].filter((m) => m.alive).length);
  if (heap.checked) expect(report.references.length).toBe(refs.size);
  // Releasing every reference the way it was taken empties the heap.
  for (const [ref, r] of [...refs.entries()]) {
    if (r.weak) heap.putWeak(handles.get(ref)!);
    else if (r.owner) heap.putFor(handles.get(ref)!, r.owner);
    else heap.put(handles.get(ref)!);
  }
  heap.validate();
  expect(heap.report().objects).toEqual([]);
  expect(heap.stats().weakHeldBytes).toBe(0);
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

// The debug build (assembly/config.ts) runs validate() before and after every operation and
// checks each reserve-then-mutate precondition, so an operation that breaks an invariant traps
// on the spot (CORRUPT_HEAP) instead of surfacing later. Fewer runs: each step walks the heap.
describe("model, debug build (validate around every operation)", () => {
  it("random sequences with owners, move and weak handles match the model", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op(false), { minLength: 1, maxLength: 200 }), async (ops) => {
        replay(await heapOf(true, { debug: true }), ops);
      }),
      { seed: 314159, numRuns: 60 },
    );
  });

  it("misuse mixed in raises the right error and leaves every invariant intact", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op(true), { minLength: 1, maxLength: 200 }), async (ops) => {
        replay(await heapOf(true, { debug: true }), ops);
      }),
      { seed: 271828, numRuns: 60 },
    );
  });
});
