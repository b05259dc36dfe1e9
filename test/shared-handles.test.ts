// Handles of the shared checked build: each thread's pool takes table slots fresh (never issued,
// state FRESH) and may give them back unissued (detach, reclaimThread). Whoever issues such a
// slot later starts it at generation 0, so a handle nobody was given is always INVALID_HANDLE,
// never a DOUBLE_PUT or USE_AFTER_PUT of a reference that never existed.
import { describe, expect, test } from "vitest";
import * as api from "../dist/node.js";

const INDEX_MASK = 0xFFFFFF;
const generation = (h: number) => (h >>> 24) & 0xF;

describe("shared checked build: slots a pool gave back unissued", () => {
  test("are issued at generation 0 by the locked path; a generation-0 handle nobody was given is an invalid handle", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const held = [heap.alloc(16)]; // this thread's pool takes 64 fresh slots, and keeps them
    for (let i = 0; i < 5; i++) {
      const worker = await api.attachHeap(heap.shareable());
      held.push(worker.alloc(16)); // its pool takes 64 fresh slots, and never issues them
      worker.detach(); // they go back to the table's free FIFO, still fresh
    }
    // 320 fresh slots wait in the FIFO: past its quarantine of 256 the locked path issues them.
    const made = Array.from({ length: 400 }, () => heap.alloc(16));
    const live = new Set([...held, ...made]);
    expect([...live].filter((h) => generation(h) !== 0).map((h) => h.toString(16))).toEqual([]);
    // Every other index up to the highest issued was never issued: forged, whatever its history.
    const tag = made[0] >>> 28;
    const highest = Math.max(...[...live].map((h) => h & INDEX_MASK));
    const codes = new Map<string, number>();
    for (let index = 0; index <= highest; index++) {
      const forged = ((tag << 28) | index) >>> 0;
      if (live.has(forged)) continue;
      for (const use of [() => heap.put(forged), () => heap.get(forged)]) {
        try {
          use();
          codes.set("ok", (codes.get("ok") ?? 0) + 1);
        } catch (e) {
          const code = (e as api.RcError).code;
          codes.set(code, (codes.get(code) ?? 0) + 1);
        }
      }
    }
    expect([...codes.keys()]).toEqual(["INVALID_HANDLE"]);
    for (const h of live) heap.put(h);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
  });
});
