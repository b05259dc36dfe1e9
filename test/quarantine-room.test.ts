// The quarantine's room test keeps the FIFO's documented limits (quarantine.ts "The room test": a
// death compares the block with the room counted, which may be behind a heap that grew). A block
// is evicted only when the next one does not fit in the limits as they are now: at most
// `blocks` blocks and byteLimit() = min(bytes, max(8 KiB, heap / 32)) bytes, but for a lone block
// larger than that, which the next death evicts.
import { describe, expect, it } from "vitest";
import { heapOf } from "./heap.js";

const HEADER = 24;
const blockOf = (size: number) => (size + HEADER + 15) & ~15;

// The debug build also checks the room counted against the exact room at every enqueue, and
// runs validate() (which checks it too) around every operation.
describe.each([false, true])("quarantine room (debug build: %s)", (debug) => {
  it("a byte limit raised by a growing heap holds blocks at once, none evicted while they fit", async () => {
    const heap = await heapOf(true, { debug, quarantine: { blocks: 256, bytes: 256 << 10, poison: 64 } });
    const size = 1000;
    const block = blockOf(size);
    const limit = () => Math.min(256 << 10, Math.max(8 << 10, heap.stats().heapBytes >>> 5));
    const dieAll = (n: number) => {
      let high = 0;
      for (let i = 0; i < n; i++) {
        const before = heap.stats();
        const fits = before.quarantinedBlocks < 256 && before.quarantinedBytes + block <= limit();
        heap.put(heap.alloc(size));
        const after = heap.stats();
        const evicted = after.quarantinedBytes < before.quarantinedBytes + block;
        if (before.quarantinedBlocks > 0) expect(evicted, `death ${i}: evicted ${evicted}, fitted ${fits}`).toBe(!fits);
        expect(after.quarantinedBytes).toBeLessThanOrEqual(limit());
        high = Math.max(high, after.quarantinedBytes);
      }
      return high;
    };
    dieAll(40); // the small heap's 8 KiB: several batches
    const small = limit();
    const big = heap.alloc(4 << 20); // the heap grows: the limit with it, to 128 KiB
    expect(limit()).toBeGreaterThan(8 * small);
    // the first deaths after the growth must not evict: the FIFO fills to the new limit
    expect(dieAll(300)).toBeGreaterThan(limit() - 2 * block);
    heap.put(big);
    heap.validate();
    heap.dispose();
  });

  it("a lone block larger than the byte limit waits alone and the next death evicts it", async () => {
    const heap = await heapOf(true, { debug, quarantine: { blocks: 256, bytes: 256 << 10, poison: 64 } });
    const keep = heap.alloc(16);
    for (let round = 0; round < 3; round++) {
      heap.put(heap.alloc(20000)); // more than the small heap's 8 KiB limit
      const alone = heap.stats();
      expect(alone.quarantinedBlocks).toBe(1);
      expect(alone.quarantinedBytes).toBe(blockOf(20000));
      for (let i = 0; i < 200; i++) {
        heap.put(heap.alloc(40));
        const s = heap.stats();
        expect(s.quarantinedBytes, `round ${round}, death ${i}`).toBeLessThanOrEqual(8 << 10);
      }
      heap.exports.setQuarantine(256, 256 << 10, 64); // empties the FIFO: the next block is alone again
      expect(heap.stats().quarantinedBlocks).toBe(0);
    }
    heap.put(keep);
    heap.validate();
    heap.dispose();
  });
});
