// The shared checked build's per-thread quarantine (assembly/thread-deaths.ts): each thread's
// lock-free deaths wait in its own FIFO, which it evicts itself, without the heap lock, into its
// own block cache; safe points settle every thread's FIFO into the shared quarantine.
import { describe, expect, test } from "vitest";
import * as api from "../dist/node.js";
// @ts-expect-error: plain JS test helper, shared with the worker
import { writeAfterOwnDeath } from "./threads/own-quarantine.js";
// @ts-expect-error: plain JS
import { spawnNodeWorker } from "./threads/node-spawn.js";

/** The quarantine's block limit in these tests: each thread's FIFO holds as many. */
const LIMIT = 16;
const quarantine = { blocks: LIMIT, bytes: 1 << 20, poison: 64 };

describe("checked shared heap: each thread's own quarantine", () => {
  test("a thread's deaths take no lock: its quarantine evicts into its own cache; detach() settles the rest", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable());
    const made = Array.from({ length: 100 }, () => other.alloc(24));
    const takes = other.exports.lockTakes!() >>> 0;
    for (const h of made) other.put(h);
    // 100 deaths: the quarantine of 256 blocks has room (before: a settle under the lock every 32)
    expect((other.exports.lockTakes!() >>> 0) - takes).toBe(0);
    const quarantined = heap.stats().quarantinedBlocks; // a safe point: every death accounted
    expect(quarantined).toBe(100);
    for (let round = 0; round < 20; round++) {
      const again = Array.from({ length: 100 }, () => other.alloc(24));
      for (const h of again) other.put(h);
    }
    other.put(other.alloc(24)); // one more death in the thread's quarantine ...
    other.detach(); // ... settled into the shared one as the thread leaves
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });

  test.each([false, true])("a write after free in this thread's quarantine is caught on its own eviction with both sites (after shareable(): %s)", async (handed) => {
    const heap = await api.createHeap({ shared: true, checked: true, stacks: true, quarantine });
    if (handed) heap.shareable(); // alone, the limits are the instance's own globals; after, the published ones
    const r = writeAfterOwnDeath(heap, LIMIT);
    // The LIMIT-th death after the victim finds the quarantine full and evicts it.
    expect(r).toEqual({ caughtAt: LIMIT, code: "WRITE_AFTER_FREE", object: true, detail: 5, site: 0, putSite: 0, thread: 0, refsAfter: 1, intact: true });
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });

  test("the same in a worker: caught on the worker's own eviction, naming the worker's sites", async () => {
    const heap = await api.createHeap({ shared: true, checked: true, stacks: true, quarantine });
    const keep = heap.alloc(16);
    const worker = spawnNodeWorker();
    worker.send({ task: "own-quarantine", init: heap.shareable(), stacks: true, limit: LIMIT });
    const r = await worker.receive();
    await worker.stop();
    expect(r).toEqual({ caughtAt: LIMIT, code: "WRITE_AFTER_FREE", object: true, detail: 5, site: 1, putSite: 1, thread: 1, refsAfter: 1, intact: true });
    heap.validate();
    expect(heap.report().objects.map((o) => o.ptr)).toEqual([heap.ptr(keep)]);
    heap.put(keep);
    heap.dispose();
  });

  test.each([false, true])("a dead block is not reused before LIMIT - LIMIT/8 - 1 later deaths on its thread (after shareable(): %s)", async (handed) => {
    const heap = await api.createHeap({ shared: true, checked: true, quarantine });
    if (handed) heap.shareable();
    heap.validate(); // this thread's quarantine starts empty
    const x = heap.alloc(24);
    const p = heap.ptr(x);
    heap.put(x);
    let reusedAfter = -1; // later deaths before an alloc got x's block again
    for (let i = 0; i < 200 && reusedAfter < 0; i++) {
      const y = heap.alloc(24);
      if (heap.ptr(y) === p) reusedAfter = i;
      heap.put(y);
    }
    expect(reusedAfter).toBeGreaterThanOrEqual(LIMIT - LIMIT / 8 - 1);
    heap.validate();
    heap.dispose();
  });

  test("safe points account every thread's deaths: stats, validate and report from another thread", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable());
    const before = heap.stats().quarantinedBlocks;
    const keep = other.alloc(40);
    for (let i = 0; i < 20; i++) other.put(other.alloc(40)); // 20 deaths in other's quarantine
    const s = heap.stats(); // from the creating thread: other's FIFO settles into the shared one
    expect(s.quarantinedBlocks).toBe(before + 20);
    heap.validate();
    expect(heap.report().objects.map((o) => o.ptr)).toEqual([heap.ptr(keep)]);
    other.put(keep);
    other.detach();
    heap.validate();
    expect(heap.stats().quarantinedBlocks).toBe(before + 21);
    heap.dispose();
  });

  test("setQuarantine applies to every thread's quarantine: blocks 0 turns the lock-free deaths off", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable());
    for (let i = 0; i < 10; i++) other.put(other.alloc(24));
    heap.exports.setQuarantine(0, 0, 64); // exclusive: other's FIFO is settled first, then drained
    expect(heap.stats().quarantinedBlocks).toBe(0);
    const takes = other.exports.lockTakes!() >>> 0;
    other.put(other.alloc(24)); // off: the death takes the lock and frees the block at once
    expect((other.exports.lockTakes!() >>> 0) - takes).toBeGreaterThanOrEqual(1);
    expect(heap.stats().quarantinedBlocks).toBe(0);
    heap.validate();
    other.detach();
    heap.dispose();
  });
});

/** A write after free at payload offset `at` of object `size` bytes on thread `other`, inside the
 *  poison length `poison` the creating thread set after `other` last held the lock (so `other`'s
 *  own globals still hold the old length `before`): its lock-free eviction must catch it. */
async function writeAfterFreePastStalePoison(size: number, before: number, poison: number, at: number) {
  const heap = await api.createHeap({ shared: true, checked: true, stacks: true, quarantine: { blocks: LIMIT, bytes: 1 << 20, poison: before } });
  const other = await api.attachHeap(heap.shareable());
  const hs = Array.from({ length: 40 }, () => other.alloc(size));
  const stale = other.ptr(hs[0]);
  heap.exports.setQuarantine(LIMIT, 1 << 20, poison); // published; other's globals keep `before`
  other.put(hs[0]); // a lock-free death: `poison` bytes of poison (the published length)
  new Uint8Array(other.memory.buffer)[stale + at] = 42; // the bug: a write after free, inside the poison
  let caught: any = null;
  for (let i = 1; i < hs.length && !caught; i++) {
    try { other.put(hs[i]); } catch (e: any) { if (!e?.code) throw e; caught = e; }
  }
  const got = Array.from({ length: 40 }, () => other.alloc(size));
  const reused = got.some((h) => other.ptr(h) === stale);
  heap.validate();
  for (const h of got) other.put(h);
  other.detach();
  heap.validate();
  heap.dispose();
  return { caught: caught?.code ?? null, object: caught?.object === stale, reused };
}

describe("checked shared heap: a thread's quarantine after another thread's setQuarantine", () => {
  // Lengths outside the inline vector path (8, multiples of 8 in 16..64) take the bytewise check,
  // which must check the published length, not the instance's stale global.
  test.each([
    [200, 64, 128, 100],
    [24, 0, 12, 5],
    [24, 8, 12, 10],
  ])("object %i bytes, poison %i -> %i, a write at offset %i: caught on the lock-free eviction", async (size, before, poison, at) => {
    const r = await writeAfterFreePastStalePoison(size, before, poison, at);
    expect(r).toEqual({ caught: "WRITE_AFTER_FREE", object: true, reused: false });
  });
});

describe("checked shared heap: the shared quarantine after safe points", () => {
  test("safe points (stats) during lock-free churn keep the shared quarantine within its limits", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable());
    const seen: number[] = [];
    for (let round = 0; round < 40; round++) {
      const hs = Array.from({ length: 300 }, () => other.alloc(24));
      for (const h of hs) other.put(h);
      seen.push(heap.stats().quarantinedBlocks); // a safe point: other's FIFO into the shared quarantine
    }
    heap.validate();
    other.detach();
    heap.dispose();
    // the limit (256) plus one thread's FIFO just settled (at most 256)
    expect(Math.max(...seen)).toBeLessThanOrEqual(256 + 256);
  });
});
