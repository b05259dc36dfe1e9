// Orders after the refs change: an object and its first reference take two consecutive orders
// in one step (allocate: the reference's is the object's + 1), every other reference one of its
// own; no two live records share an order, and mark() is below every order taken after it.
// Runs around the 64-slot quarantine (slotWaiting both ways) and across reclaims (maxPages 3).
import { describe, expect, it } from "vitest";
import { heapOf } from "./heap.js";

describe.each([false, true])("orders of allocs and gets (debug build: %s)", (debug) => {
  it("an alloc's reference is its object's order + 1; all orders distinct; newer than a prior mark", async () => {
    const heap = await heapOf(true, { debug, maxPages: 3 });
    const held: number[] = [];
    const allocs = new Set<number>();
    for (let round = 0; round < 6; round++) {
      const mark = heap.mark();
      const made: number[] = [];
      for (let i = 0; i < 90; i++) {
        try { const h = heap.alloc(i % 3 ? 40 : 500); held.push(h); allocs.add(h); made.push(h); } catch { break; }
        if (i % 4 === 0) { const g = heap.get(held[0]); held.push(g); made.push(g); }
      }
      const r = heap.report();
      const orders = [...r.objects.map((o) => o.order), ...r.references.map((x) => x.order)];
      expect(new Set(orders).size, "duplicate order").toBe(orders.length);
      const refOf = new Map(r.references.map((x) => [x.handle >>> 0, x]));
      for (const h of made) expect(refOf.get(h >>> 0)!.order).toBeGreaterThan(mark);
      const objectAt = new Map(r.objects.map((o) => [o.ptr, o]));
      for (const h of held) if (allocs.has(h)) expect(refOf.get(h >>> 0)!.order, `alloc ${h}`).toBe(objectAt.get(refOf.get(h >>> 0)!.ptr)!.order + 1);
      for (const h of held.splice(0, 100)) { heap.put(h); allocs.delete(h); } // > 64 slots wait
      heap.validate();
    }
    for (const h of held) heap.put(h);
    heap.validate();
    heap.dispose();
  });
});
