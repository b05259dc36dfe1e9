// The quarantine's room test keeps the FIFO's documented limits (quarantine.ts "The room test": a
// death compares the block with the room counted, which may be behind a heap that grew). A block
// is evicted only when the next one does not fit in the limits as they are now: at most
// `blocks` blocks and byteLimit() = min(bytes, max(8 KiB, heap / 32)) bytes, but for a lone block
// larger than that, which the next death evicts.
import { describe, expect, it } from "vitest";
import { SharedResizeError } from "../bindings/node.js";
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

// Random operations under odd limits, changed mid-run: after every operation the FIFO is within
// its limits as they are then (but for a lone larger block), and validate() passes (it checks
// the room counted is never more than the limits leave). A room counted one block too generous
// lets the FIFO run past its byte limit within a few deaths.
describe.each([false, true])("quarantine limits under random operations (debug build: %s)", (debug) => {
  it("holds at most `blocks` blocks and min(bytes, max(8 KiB, heap / 32)) bytes after every operation", async () => {
    for (let seed = 1; seed <= (debug ? 8 : 24); seed++) {
      let s = seed * 2654435761 >>> 0;
      const rand = (n: number) => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s % n; };
      const pick = <T>(a: T[]) => a[rand(a.length)];
      const sizeOf = () => pick([64, 64, 2000, 40_000]) > 100 ? 1 + rand(pick([2000, 40_000])) : 1 + rand(64);
      let limits = { blocks: pick([1, 2, 3, 8, 9, 256]), bytes: pick([100, 8192, 20_000, 256 << 10]), poison: pick([8, 20, 64]) };
      const heap = await heapOf(true, { debug, quarantine: limits });
      const strong: number[] = [];
      const weak: number[] = [];
      const raw: number[] = [];
      for (let i = 0; i < 300; i++) {
        const op = rand(100);
        if (op < 30 || !strong.length) strong.push(heap.alloc(sizeOf()));
        else if (op < 36) strong.push(heap.get(pick(strong)));
        else if (op < 60) heap.put(strong.splice(rand(strong.length), 1)[0]);
        else if (op < 66) { // refused, before any change, while other references or weak handles hold it
          const k = rand(strong.length);
          try { strong[k] = heap.resize(strong[k], sizeOf()); } catch (e) { if (!(e instanceof SharedResizeError)) throw e; }
        }
        else if (op < 71) weak.push(heap.weak(pick(strong)));
        else if (op < 76 && weak.length) heap.putWeak(weak.splice(rand(weak.length), 1)[0]);
        else if (op < 84) raw.push(heap.malloc(sizeOf()));
        else if (op < 92 && raw.length) heap.free(raw.splice(rand(raw.length), 1)[0]);
        else if (op < 95) {
          limits = { blocks: pick([0, 1, 2, 3, 7, 8, 9, 17, 256]), bytes: pick([1, 100, 4096, 8191, 8192, 20_000, 256 << 10]), poison: pick([8, 16, 24, 64]) };
          heap.exports.setQuarantine(limits.blocks, limits.bytes, limits.poison);
        }
        const st = heap.stats();
        const byteLimit = Math.min(limits.bytes, Math.max(8192, st.heapBytes >>> 5));
        expect(st.quarantinedBlocks, `seed ${seed} op ${i}`).toBeLessThanOrEqual(limits.blocks);
        if (st.quarantinedBlocks > 1) expect(st.quarantinedBytes, `seed ${seed} op ${i}`).toBeLessThanOrEqual(byteLimit);
        if (i % 25 === 24) heap.validate();
      }
      heap.validate();
      heap.dispose();
    }
  }, 60_000);
});
