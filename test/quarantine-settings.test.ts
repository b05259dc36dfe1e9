// The quarantine's settings at their edges: every byte of a custom poison length is checked and
// none past it (the poison's vector path takes 8 and 16..64 by 8, quarantine.ts vectorLength: a
// bound one step too wide left bytes 48..55 of a 72-byte poison unchecked), and a batch eviction
// leaves the FIFO at 7/8 of its block limit, never under.
import { describe, expect, it } from "vitest";
import { WriteAfterFreeError } from "../bindings/node.js";
import { heapOf } from "./heap.js";

function thrown(f: () => void): unknown {
  try { f(); } catch (e) { return e; }
  return undefined;
}

describe("quarantine settings", () => {
  it("every byte of a custom poison length is checked, and none past it", async () => {
    const heap = await heapOf(true);
    const header = 24;
    for (const poison of [1, 7, 8, 9, 12, 15, 16, 17, 23, 24, 31, 32, 40, 47, 48, 56, 63, 64, 65, 72, 100]) {
      heap.exports.setQuarantine(256, 256 << 10, poison);
      for (const size of [8, 40, 57, 100, 120]) {
        const capacity = ((size + header + 15) & ~15) - header;
        const n = Math.min(capacity, poison);
        for (let at = 0; at <= n && at < capacity; at++) {
          const h = heap.alloc(size);
          const p = heap.ptr(h);
          heap.put(h);
          new Uint8Array(heap.memory.buffer)[p + at] ^= 0x42;
          const error = thrown(() => heap.validate()) as WriteAfterFreeError | undefined;
          if (at < n) {
            expect(error, `poison ${poison}, size ${size}, byte ${at}`).toBeInstanceOf(WriteAfterFreeError);
            expect(error!.detail).toBe(at);
            heap.validate(); // reported once, repaired
          } else expect(error, `poison ${poison}, size ${size}, byte ${at} (past the poison)`).toBeUndefined();
        }
      }
    }
    heap.dispose();
  });

  it("a batch leaves the FIFO at 7/8 of the block limit, never under", async () => {
    for (const blocks of [1, 2, 7, 8, 9, 16, 64]) {
      const heap = await heapOf(true, { quarantine: { blocks, bytes: 1 << 20, poison: 64 } });
      let low = Infinity;
      let high = 0;
      for (let i = 0; i < 5 * blocks + 10; i++) {
        heap.put(heap.alloc(24));
        const q = heap.stats().quarantinedBlocks;
        if (i >= blocks) low = Math.min(low, q);
        high = Math.max(high, q);
      }
      expect(high, `blocks ${blocks}`).toBe(blocks);
      expect(low, `blocks ${blocks}`).toBe(blocks - (blocks >> 3));
      heap.dispose();
    }
  });
});
