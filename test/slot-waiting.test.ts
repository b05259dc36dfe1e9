// allocate() and take() test once whether a table slot waits past the slot quarantine
// (handles.ts slotWaiting: more than 64) and then issue without testing again (issueWaiting);
// between the two, newObject may reclaim memory (drain the object quarantine), which must leave
// the waiting slots as they were. Here memory is full, so the last allocs of each round reclaim
// (the first take blocks the quarantine let go of), and the waiting slots cross 64 both ways (70
// puts, then 60 allocs and 70 gets taken and put again; 70 allocs would need a table chunk more
// than the memory left, in main too): each handle is new, each reference is younger than a mark taken before it, and validate()
// passes (the debug build also checks, at each issue, that a slot waits).
import { describe, expect, it } from "vitest";
import { heapOf } from "./heap.js";

describe.each([false, true])("one waiting-slot test per alloc and get (debug build: %s)", (debug) => {
  it("allocs that reclaim memory and gets, around 64 waiting slots: new handles, new orders", async () => {
    const heap = await heapOf(true, { debug, maxPages: 3 });
    const held: number[] = [];
    expect(() => { for (;;) held.push(heap.alloc(512)); }).toThrow(/out of memory/i);
    const issued = new Set(held);
    const fresh = (h: number) => {
      expect(issued.has(h), `handle ${h >>> 0} issued twice`).toBe(false);
      issued.add(h);
      return h;
    };
    for (let round = 0; round < 4; round++) {
      // 70 puts: the waiting slots pass 64; the blocks wait in the quarantine or the quick lists
      for (const h of held.splice(0, 70)) heap.put(h);
      const mark = heap.mark();
      for (let i = 0; i < 60; i++) held.push(fresh(heap.alloc(512)));
      const gets = held.slice(0, 70).map((h) => fresh(heap.get(h)));
      expect(heap.leaksSince(mark).leakCount).toBe(130);
      for (const g of gets) heap.put(g);
      heap.validate();
    }
    for (const h of held) heap.put(h);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });
});
