// Every handle-taking entry point against every kind of bad handle, in a checked heap whose
// table has dropped leading chunks (firstIndex() > 0, so LOOKUP_BASE != tag << 28), with the slot
// FIFO both empty-ish and busy. Each misuse must throw an RcError and change nothing.
import { describe, expect, it } from "vitest";
import { createHeap, RcError, type Heap } from "../bindings/node.js";
import { hasCookie, writeCookie } from "./heap.js";

const firstIndex = (heap: Heap) => {
  const view = heap.exports.handleTableViewV2() >>> 0;
  return new Uint32Array(heap.memory.buffer)[(view + 12) >>> 2];
};
const tableLength = (heap: Heap) => {
  const view = heap.exports.handleTableViewV2() >>> 0;
  return new Uint32Array(heap.memory.buffer)[(view + 4) >>> 2];
};

type Entry = [string, (heap: Heap, h: number) => unknown];
const ENTRIES: Entry[] = [
  ["get", (heap, h) => heap.get(h)],
  ["put", (heap, h) => heap.put(h)],
  ["resize", (heap, h) => heap.resize(h, 8)],
  ["getFor", (heap, h) => heap.getFor(h, 77)],
  ["putFor", (heap, h) => heap.putFor(h, 77)],
  ["move", (heap, h) => heap.move(h, 5)],
  ["weak", (heap, h) => heap.weak(h)],
  ["upgrade", (heap, h) => heap.upgrade(h)],
  ["putWeak", (heap, h) => heap.putWeak(h)],
  ["ignore", (heap, h) => heap.ignore(h)],
  ["ptr", (heap, h) => heap.ptr(h)],
  ["size", (heap, h) => heap.size(h)],
  ["refs", (heap, h) => heap.refs(h)],
  ["putAt raw", (heap, h) => heap.exports.putAt(h, 0)],
  ["getAt raw", (heap, h) => heap.exports.getAt(h, 0)],
];

describe.each([["checked", { checked: true }], ["debug", { debug: true }]])("%s: misuse after the directory dropped chunks", (_n, options) => {
  it("every entry point refuses every bad handle and changes nothing", async () => {
    const heap = await createHeap(options);
    const other = await createHeap(options);
    const gone = await createHeap(options);
    const goneHandle = gone.alloc(16);
    gone.dispose();
    // churn until the directory drops its leading retired chunks
    const churn: number[] = [];
    let rounds = 0;
    while (firstIndex(heap) === 0 && rounds < 200_000) {
      churn.push(heap.alloc(8));
      if (churn.length > 3) heap.put(churn.shift()!);
      rounds++;
    }
    expect(firstIndex(heap)).toBeGreaterThan(0);
    const first = firstIndex(heap);
    const tag = churn[0] >>> 28;
    // live objects with cookies, some shared, some with weak/owned handles
    const live: { h: number; seed: number }[] = [];
    for (let i = 0; i < 50; i++) { const h = heap.alloc(1 + ((i * 37) % 300)); writeCookie(heap, h, i); live.push({ h, seed: i }); }
    const shared = heap.get(live[0].h);
    const weakH = heap.weak(live[1].h);
    const owned = heap.getFor(live[2].h, 9);
    const stalePut = heap.get(live[3].h); heap.put(stalePut); // stale (put), object still live
    const resized0 = heap.alloc(20); const resized = heap.resize(resized0, 40); writeCookie(heap, resized, 999);
    const moved0 = heap.get(live[4].h); const moved = heap.move(moved0); void moved;
    const dead = heap.alloc(30); heap.put(dead); // object gone (quarantined)
    const intact = () => {
      heap.validate();
      for (const { h, seed } of live) expect(hasCookie(heap, h, seed), `object of ${h.toString(16)}`).toBe(true);
      expect(hasCookie(heap, resized, 999)).toBe(true);
      expect(heap.refs(live[0].h)).toBe(2);
    };
    const below = ((tag << 28) | (0 << 24) | (first - 1)) >>> 0; // an index below firstIndex()
    const belowGen = ((tag << 28) | (15 << 24) | 0) >>> 0;
    const past = ((tag << 28) | tableLength(heap)) >>> 0;
    const farPast = ((tag << 28) | 0xfffffe) >>> 0;
    const bad: [string, number][] = [
      ["stale put", stalePut], ["resized away", resized0], ["moved away", moved0], ["dead object", dead],
      ["other heap", other.alloc(8)], ["disposed heap", goneHandle], ["below first", below], ["below first gen 15", belowGen],
      ["past length", past], ["far past", farPast], ["zero", 0], ["tag 0", first + 3], ["future gen", (live[5].h + (3 << 24)) >>> 0],
      // a live handle's index and generation under a tag no live heap of this test has (the
      // suite runs other heaps beside it, so this heap's own tag may be 15)
      ["foreign tag", (((tag === 15 ? 14 : 15) << 28) | (live[6].h & 0x0fffffff)) >>> 0],
    ];
    for (const [name, h] of bad) {
      for (const [entry, call] of ENTRIES) {
        let threw: unknown;
        try { call(heap, h); } catch (e) { threw = e; }
        expect(threw, `${entry}(${name} ${h.toString(16)})`).toBeInstanceOf(RcError);
        intact();
      }
    }
    // kind mismatches: a weak handle to strong entry points, a strong one to weak entry points,
    // an owned one to plain put
    const strongOnly = ENTRIES.filter(([e]) => !["upgrade", "putWeak"].includes(e));
    for (const [entry, call] of strongOnly) {
      let threw: unknown;
      try { call(heap, weakH); } catch (e) { threw = e; }
      expect(threw, `${entry}(weak)`).toBeInstanceOf(RcError);
      intact();
    }
    for (const [entry, call] of ENTRIES.filter(([e]) => ["upgrade", "putWeak"].includes(e))) {
      let threw: unknown;
      try { call(heap, shared); } catch (e) { threw = e; }
      expect(threw, `${entry}(strong)`).toBeInstanceOf(RcError);
      intact();
    }
    for (const call of [(h: number) => heap.put(h), (h: number) => heap.exports.putAt(h, 0), (h: number) => heap.resize(h, 4), (h: number) => heap.move(h)]) {
      expect(() => call(owned)).toThrow(RcError);
      intact();
    }
    // everything still works after
    heap.put(shared); heap.putWeak(weakH); heap.putFor(live[2].h, 9); heap.put(resized); heap.put(moved);
    for (const { h } of live) heap.put(h);
    for (const h of churn) heap.put(h);
    heap.validate();
    expect(heap.report().references).toHaveLength(0);
  }, 120_000);
});
