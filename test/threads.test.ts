// Threads: the shared-memory builds under real worker_threads (more workers than the machine's
// cores), random operations on private and passed objects, and deliberate races the checked
// build must catch every time. Bounded here; `npm run stress:threads` runs the full figures.
import { beforeAll, describe, expect, test } from "vitest";
import * as api from "../dist/node.js";
// @ts-expect-error: plain JS example script
import { buildExamples } from "../examples/build.js";
// @ts-expect-error: plain JS example script
import { runThreadsExample } from "../examples/threads/run.js";
// @ts-expect-error: plain JS test helpers, shared with the browser test and the stress script
import { runRace, runStress } from "./threads/stress-main.js";
// @ts-expect-error: plain JS
import { spawnNodeWorker } from "./threads/node-spawn.js";

type Outcome = { code: string; site?: number; putSite?: number; refs?: number; cookie?: number; same?: boolean; gone?: string; got?: boolean };

describe.each([false, true])("shared heap, checked %s", (checked) => {
  // Seeds, worker counts and yield patterns vary the interleavings; stacks (checked) name sites.
  test.each([
    { seed: 1, workers: 4, yieldEvery: 0 },
    { seed: 2, workers: 6, yieldEvery: 64 },
    { seed: 3, workers: 8, yieldEvery: 500 },
  ])("stress: $workers workers, seed $seed, nap every ~$yieldEvery ops", async ({ seed, workers, yieldEvery }) => {
    const ops = checked ? 6000 : 15000;
    const r = await runStress(api, spawnNodeWorker, { checked, workers, ops, seed, yieldEvery, stacks: checked && seed === 1 });
    expect(r.done.pushes).toBeGreaterThan(0);
    expect(r.done.pops).toBeGreaterThan(0);
    expect(r.objectsAtQuietPoint).toBeGreaterThan(0);
    expect(r.wrongCounts).toBe(0); // every count equals the references held and queued
    expect(r.leftObjects).toBe(0); // no leaks, nothing freed twice (validate passed in runStress)
    expect(r.leftReferences).toBe(0);
    expect(r.stats.liveObjects).toBe(0);
    // Checked with stacks: the report names the thread that took each reference.
    if (checked && seed === 1) expect(r.threadsNamed).toEqual(expect.arrayContaining(r.workerThreads));
  });

  // Each run starts on a fresh heap, so memory grows while the workers run: a worker reaches
  // pages another one grew (a new table chunk, objects passed through the queue) at once, with
  // atomic steps, which V8 checks against the size its instance last heard of
  // (assembly/memory-growth.ts; scripts/stress-pins.mjs repeats this many times).
  test("memory one worker grows is used at once by the others: short stresses on fresh heaps", async () => {
    for (const seed of [11, 12, 13, 14]) {
      const r = await runStress(api, spawnNodeWorker, { checked, workers: 8, ops: checked ? 2500 : 5000, seed, yieldEvery: 64 });
      expect([r.wrongCounts, r.leftObjects, r.leftReferences]).toEqual([0, 0, 0]);
      expect(r.stats.liveObjects).toBe(0);
    }
  });

  test("get-for by one owner on two threads: one reference, the same handle", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked, kind: "get-for", rounds: 200 });
    expect(r.a.every((o: Outcome) => o.code === "ok" && o.same && o.refs === 2)).toBe(true);
    expect(r.b.every((o: Outcome) => o.code === "ok")).toBe(true);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("two puts of the last two references: both succeed, the object is freed once", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked, kind: "last-put", rounds: 200 });
    expect(r.a.concat(r.b).every((o: Outcome) => o.code === "ok")).toBe(true);
    if (checked) expect(r.a.every((o: Outcome) => o.gone === "USE_AFTER_PUT")).toBe(true);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });
});

/** Each round of a put race: one racer's put succeeds, the other's is a DOUBLE_PUT naming racer
 *  0's thread (it took the reference) and the winner's (it put it first). */
function expectOneWinnerEachRound(r: { a: Outcome[]; b: Outcome[]; threads: number[] }): void {
  for (let i = 0; i < r.a.length; i++) {
    const pair: Outcome[] = [r.a[i], r.b[i]];
    const lost = pair.filter((o) => o.code === "DOUBLE_PUT");
    expect(pair.filter((o) => o.code === "ok")).toHaveLength(1);
    expect(lost).toHaveLength(1);
    const winner = pair[0].code === "ok" ? 0 : 1;
    expect(lost[0].site).toBe(r.threads[0]);
    expect(lost[0].putSite).toBe(r.threads[winner]);
  }
}

describe("checked shared heap: deliberate races are caught every time", () => {
  test("two workers put the same handle: exactly one wins, the other gets DoublePutError naming both sites", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "double-put", rounds: 400 });
    expectOneWinnerEachRound(r);
    expect(r.threads[0]).not.toBe(r.threads[1]);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("a put racing the last put: exactly one wins and frees, the other gets DoublePutError naming both sites", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "put-last", rounds: 300 });
    expectOneWinnerEachRound(r);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]); // runRace validated the heap too
  });

  test("a get racing the final put: a use after put, or a real reference taken first; never a resurrection", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "resurrect", rounds: 400 });
    expect(r.a.every((o: Outcome) => o.code === "ok")).toBe(true);
    for (const o of r.b as Outcome[]) {
      if (o.code === "ok") {
        expect(o.refs).toBeGreaterThanOrEqual(1); // the object was alive with this reference
        expect(o.cookie).toBe(0xc0ffee);
      } else {
        expect(o.code).toBe("USE_AFTER_PUT");
      }
    }
    expect((r.b as Outcome[]).some((o) => o.code === "USE_AFTER_PUT")).toBe(true);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });
});

describe("checked shared heap: lock-free get and put", () => {
  test("a get racing a put (not the last) of the same handle: the get wins and counts, or is a use after put", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "get-put", rounds: 400 });
    for (let i = 0; i < r.a.length; i++) {
      const [put, get] = [r.a[i] as Outcome, r.b[i] as Outcome];
      expect(put.code).toBe("ok");
      expect(["ok", "USE_AFTER_PUT"]).toContain(get.code);
      expect(put.got).toBe(get.code === "ok");
      expect(put.refs).toBe(put.got ? 2 : 1); // exact: the winning get's reference and the second
    }
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("a resize racing a get of its handle: exactly one wins, and a get that wins holds the object intact", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "resize-get", rounds: 400 });
    for (let i = 0; i < r.a.length; i++) {
      const [resize, get] = [r.a[i] as Outcome, r.b[i] as Outcome];
      expect(["ok", "SHARED_RESIZE"]).toContain(resize.code);
      expect(["ok", "USE_AFTER_PUT"]).toContain(get.code); // the handle was resized away
      expect(resize.code === "ok").toBe(get.code !== "ok");
      if (get.code === "ok") {
        expect(get.cookie).toBe(0xc0ffee);
        expect([1, 2]).toContain(get.refs); // 2 until role 0 has put h (it does so meanwhile)
      }
    }
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("the final put against a stream of gets of the handle: each get is live with its contents, then use after put", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "get-hammer", rounds: 200 });
    expect(r.a.every((o: Outcome) => o.code === "ok")).toBe(true);
    for (const o of r.b as Outcome[]) {
      expect(o.cookie).toBe(0xc0ffee); // no get ever reached a freed (poisoned) object
      expect(["ok", "USE_AFTER_PUT"]).toContain(o.code);
    }
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("getFor and weak() racing the final put: they pin the handle too, so they come first or find it put", async () => {
    for (const kind of ["get-for-last", "weak-last"]) {
      const r = await runRace(api, spawnNodeWorker, { checked: true, kind, rounds: 300 });
      expect(r.a.every((o: Outcome) => o.code === "ok")).toBe(true);
      for (const o of r.b as Outcome[]) {
        expect(["ok", "USE_AFTER_PUT"]).toContain(o.code);
        if (o.cookie !== undefined) expect(o.cookie).toBe(0xc0ffee); // a live object, never a dead one
        if (o.refs !== undefined) expect(o.refs).toBeGreaterThanOrEqual(1);
      }
      expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]); // runRace validated the heap too
    }
  });

  test("validate() and report() racing last puts (thread quarantines): each object is live with its reference or dead", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "walk-deaths", rounds: 200 });
    expect(r.a.concat(r.b).every((o: Outcome) => o.code === "ok")).toBe(true);
    expect((r.a as (Outcome & { stray: number; after: number })[]).every((o) => o.stray === 0 && o.after === 1)).toBe(true);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("validate() and report() racing gets and puts: the walk's safe point keeps them out, every walk passes", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "walk", rounds: 300 });
    expect(r.a.concat(r.b).every((o: Outcome) => o.code === "ok")).toBe(true);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("after shareable(), dispose() reaches the lock-free get and put: the heap's handles are refused, its new ones carry tag 0", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    heap.shareable(); // from now on a lock-free get or put reads the published tag, not the instance's own
    const h = heap.alloc(16) >>> 0;
    const g = heap.get(h) >>> 0;
    heap.dispose(); // the tag goes back: another heap may get it
    expect(() => heap.get(h)).toThrow(api.InvalidHandleError);
    expect(() => heap.put(g)).toThrow(api.InvalidHandleError);
    const n = heap.alloc(8) >>> 0;
    expect(n >>> 28).toBe(0);
    heap.put(heap.get(n) >>> 0); // tag 0 handles work, lock-free or not
    expect(heap.refs(n)).toBe(1);
    heap.validate();
  });
});

describe("checked shared heap: the last put without the lock (thread quarantines)", () => {
  test("the death is at once visible to the report, stats and validate; a write after it is caught", async () => {
    const heap = await api.createHeap({ shared: true, checked: true, stacks: true });
    const keep = heap.alloc(16);
    const h = heap.alloc(40);
    const stale = heap.ptr(h);
    const before = heap.stats().quarantinedBlocks;
    const takes = heap.exports.lockTakes!() >>> 0;
    heap.put(h); // the last put: no lock, the block waits in this thread's batch
    expect((heap.exports.lockTakes!() >>> 0) - takes).toBe(0);
    // A write while the block waits in the batch: the safe point settles it, the walk finds it.
    new Uint8Array(heap.memory.buffer)[stale + 3] = 7;
    expect(() => heap.validate()).toThrow(api.WriteAfterFreeError);
    heap.validate(); // reported once: re-poisoned
    expect(heap.report().objects.map((o) => o.ptr)).toEqual([heap.ptr(keep)]);
    expect(heap.stats().quarantinedBlocks).toBe(before + 1);
    heap.validate();
    expect(() => heap.put(h)).toThrow(api.DoublePutError);
    // A batched block is poisoned like any dead block: the next walk's check finds the write.
    const h2 = heap.alloc(40);
    const stale2 = heap.ptr(h2);
    heap.put(h2);
    new Uint8Array(heap.memory.buffer)[stale2 + 3] = 7;
    expect(() => heap.validate()).toThrow(api.WriteAfterFreeError);
    heap.validate(); // reported once: re-poisoned
    heap.put(keep);
    heap.dispose();
  });

  test("a lock-free last put follows the quarantine's settings, alone and after shareable(): its poison length, and no batching while it is off", async () => {
    for (const handed of [false, true]) {
      const heap = await api.createHeap({ shared: true, checked: true, quarantine: { blocks: 256, bytes: 1 << 20, poison: 8 } });
      if (handed) heap.shareable(); // alone, the put reads the instance's own settings; after, the published ones
      const h = heap.alloc(40);
      const p = heap.ptr(h);
      heap.bytes(h).fill(0x11);
      const takes = heap.exports.lockTakes!() >>> 0;
      heap.put(h); // the last put: without the lock, poisoned on the spot
      expect((heap.exports.lockTakes!() >>> 0) - takes).toBe(0);
      const payload = new Uint8Array(heap.memory.buffer, p, 40);
      expect([...payload.subarray(0, 8)]).toEqual(Array(8).fill(0xdf));
      expect([...payload.subarray(8)]).toEqual(Array(32).fill(0x11));
      heap.validate();
      heap.dispose();

      const off = await api.createHeap({ shared: true, checked: true, quarantine: false });
      if (handed) off.shareable();
      const g = off.alloc(40);
      const before = off.exports.lockTakes!() >>> 0;
      off.put(g); // the quarantine is off: the block is freed at once, under the lock
      expect((off.exports.lockTakes!() >>> 0) - before).toBe(1);
      expect(off.stats().quarantinedBlocks).toBe(0);
      off.validate();
      off.dispose();
    }
  });

  test("an owned reference: a get through it takes no lock, a plain put of it is refused with the owner", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable()); // out of the one-thread mode: pins and all
    const h = other.alloc(32);
    const owned = other.getFor(h, 5);
    const takes = other.exports.lockTakes!() >>> 0;
    for (let i = 0; i < 10; i++) other.put(other.get(owned));
    expect((other.exports.lockTakes!() >>> 0) - takes).toBe(0);
    expect(() => other.put(owned)).toThrow(api.OwnershipError);
    expect(other.refs(h)).toBe(2); // the refused put changed nothing
    other.validate();
    other.putFor(h, 5);
    other.put(h);
    other.validate();
    other.detach();
    heap.dispose();
  });

  test("a put at a slot's last generation ends it without the lock; it is retired when the batch settles", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const keep = heap.alloc(16);
    const ended: number[] = [];
    const takes = heap.exports.lockTakes!() >>> 0;
    for (let i = 0; i < 300 * 16; i++) {
      const h = heap.get(keep);
      heap.put(h);
      ended.push(h);
    }
    expect((heap.exports.lockTakes!() >>> 0) - takes).toBeLessThan(300); // a settle per 32 retirements, pool refills
    const lastGeneration = ended.filter((h) => ((h >>> 24) & 15) === 15);
    expect(lastGeneration.length).toBeGreaterThan(256); // a whole chunk of them, freed as it retires
    heap.validate(); // the safe point settles the batch: every retired slot and chunk counted
    expect(heap.stats().retiredSlots).toBe(lastGeneration.length);
    expect(() => heap.put(lastGeneration[0])).toThrow(api.DoublePutError);
    expect(() => heap.get(lastGeneration.at(-1)!)).toThrow(api.UseAfterPutError);
    heap.put(keep);
    heap.validate();
    heap.dispose();
  });

  test("after shareable(), a retired chunk's block serves the next chunk: stale handles into it are still named, the table does not grow", async () => {
    // Lock-free gets and puts read the table outside any pass a holder of the lock waits for, so
    // a retired chunk is never freed: it waits as a spare for the next chunk (assembly/handles.ts).
    const heap = await api.createHeap({ shared: true, checked: true });
    heap.shareable(); // its lock-free paths as with other threads: pins, no passes
    const keep = heap.alloc(16);
    const cycle = (n: number) => Array.from({ length: n }, () => {
      const h = heap.get(keep);
      heap.put(h);
      return h;
    });
    const first = cycle(256 * 16 * 4);
    heap.validate(); // settles the batches: chunks retire, and every spare is counted as the table's
    const before = heap.stats();
    expect(before.retiredSlots).toBeGreaterThan(256 * 2);
    cycle(256 * 16 * 8); // eight more chunks' worth of indices: from the spares
    heap.validate();
    const after = heap.stats();
    expect(after.retiredSlots - before.retiredSlots).toBeGreaterThan(256 * 4);
    expect(after.internalBytes - before.internalBytes).toBeLessThan(256 * 32); // less than 8 chunks of 32 slots: spares reused (the directory grows)
    expect(() => heap.put(first[0])).toThrow(api.DoublePutError);
    expect(() => heap.get(first[1])).toThrow(api.UseAfterPutError);
    heap.validate();
    heap.put(keep);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });

  // The shared debug build takes the lock for every operation (no lock-free readers), but keeps
  // spares and directories as the checked build does: it must free them too (review of tfix2).
  test.each([{ debug: false }, { debug: true }])("shared (debug $debug), one instance: memory running out frees the table's spare chunks", async ({ debug }) => {
    const heap = await api.createHeap({ shared: true, checked: true, debug, maxPages: 5, quarantine: false });
    const keep = heap.alloc(16);
    // 48 chunks of 32 slots at once: their spares (1,152 bytes each) are well over the 3 × 8 KiB
    // asked below. The debug build reuses the freed slots in turn, so none retires before every
    // one has had its 16 generations: 15 × 1,536 pairs; 28,672 leave a margin (each pair is
    // validated twice in the debug build, the time of this test).
    const burst = Array.from({ length: 32 * 48 }, () => heap.get(keep));
    for (const h of burst) heap.put(h);
    for (let i = 0; i < 256 * 16 * 7; i++) heap.put(heap.get(keep)); // most chunks retire: spares
    const before = heap.stats().internalBytes;
    const held: number[] = [];
    expect(() => { for (;;) held.push(heap.alloc(1024)); }).toThrow(api.OutOfMemoryError);
    expect(heap.stats().internalBytes).toBeLessThan(before - 3 * 8192); // reclaim freed the spares
    heap.validate();
    for (const h of held) heap.put(h);
    heap.put(keep);
    heap.dispose();
  }, 120_000);

  // A module linked on a thread keeps calling the raw exports after that thread's heap.detach();
  // a trap there must still let go of the heap lock (env.abort calls the instance's own trapped(),
  // not the detached Heap's refusing stub), or every other thread waits for it for good.
  test("a trap in an instance after detach() lets go of the heap lock", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable(), { lockTimeout: 2000 });
    const h = heap.alloc(16);
    const g = heap.get(h);
    heap.put(g);
    const raw = other.exports;
    other.detach();
    expect(() => raw.put(g)).toThrow(); // a double put, on the locked path (no record after detach)
    heap.validate(); // HeapLockTimeoutError when the trap kept the lock
    heap.put(h);
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });

  test("memory running out frees the spare chunks and kept directories, but only once no other instance is attached", async () => {
    // Spares and replaced directories are kept while another instance may still read them
    // without the lock (assembly/handles.ts "Table"); with none left, reclaim frees them.
    const heap = await api.createHeap({ shared: true, checked: true, maxPages: 12 });
    const other = await api.attachHeap(heap.shareable());
    const keep = heap.alloc(16);
    const burst = Array.from({ length: 256 * 64 }, () => heap.get(keep)); // 64 chunks at once
    for (const h of burst) heap.put(h);
    for (let i = 0; i < 256 * 16 * 80; i++) heap.put(heap.get(keep)); // every slot to its last generation
    heap.validate();
    const spares = heap.stats().internalBytes;
    const big = Math.floor(spares * 0.75); // fits only in the memory the spares hold
    expect(() => heap.alloc(big)).toThrow(api.OutOfMemoryError); // `other` may read them: kept
    heap.validate();
    expect(heap.stats().internalBytes).toBe(spares);
    other.detach();
    const b = heap.alloc(big); // reclaim frees them now
    heap.validate();
    expect(heap.stats().internalBytes).toBeLessThan(spares / 4);
    expect(() => heap.put(burst[0])).toThrow(api.DoublePutError); // a retired chunk's handle is still named
    expect(() => heap.get(burst[burst.length - 1])).toThrow(api.UseAfterPutError);
    heap.put(b);
    const again = Array.from({ length: 256 * 4 }, () => heap.get(keep)); // the table grows again
    for (const h of again) heap.put(h);
    heap.put(keep);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });
});

describe("shared heaps in one thread", () => {
  test("a trap releases the heap lock: the heap carries on, the error is typed", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    // Another instance: the lock is reentrant per instance, so only another one sees it held.
    const other = await api.attachHeap(heap.shareable(), { lockTimeout: 300 });
    const h = heap.alloc(8);
    heap.put(h);
    expect(() => heap.put(h)).toThrow(api.DoublePutError);
    const k = other.alloc(8); // HeapLockTimeoutError if the trap left the lock held
    other.put(k);
    heap.validate();
    other.detach();
    heap.dispose();
  });

  test("a resize that traps while its object moves lets go of its handle's pin (no later get or put hangs)", async () => {
    // The quarantine keeps every freed block until memory runs out; the move of a resize then
    // reclaims it and meets a write after free: the trap comes while the handle is pinned.
    const heap = await api.createHeap({ shared: true, checked: true, maxPages: 40, quarantine: { blocks: 1 << 20, bytes: 1 << 30, poison: 64 } });
    const h = heap.alloc(32);
    const fill: number[] = [];
    try { for (;;) fill.push(heap.alloc(4000)); } catch (e) { expect(e).toBeInstanceOf(api.OutOfMemoryError); }
    const victim = heap.alloc(40);
    const stale = heap.ptr(victim);
    heap.put(victim);
    new Uint8Array(heap.memory.buffer)[stale + 5] = 42; // the bug: a write after free
    expect(() => heap.resize(h, 60_000)).toThrow(api.WriteAfterFreeError);
    // The resize failed before changing the reference: h is live, and free to use.
    const k = heap.get(h);
    heap.put(k);
    heap.put(h);
    for (const f of fill) heap.put(f);
    heap.validate();
    heap.dispose();
  }, 20_000);

  test.each([false, true])("checked %s: every call after detach() throws DetachedError; the instance keeps no thread cache", async (checked) => {
    const heap = await api.createHeap({ shared: true, checked });
    const gone = await api.attachHeap(heap.shareable());
    const h = gone.alloc(48);
    const raw = gone.exports; // what the Heap called before detach()
    gone.detach();
    for (const call of [() => gone.alloc(8), () => gone.put(h), () => gone.get(h), () => gone.ptr(h), () => gone.thread, () => gone.validate(), () => gone.detach()]) {
      expect(call).toThrow(api.DetachedError);
    }
    // The next worker gets the same thread number (and with it the cache of that number).
    const next = await api.attachHeap(heap.shareable());
    expect(next.thread).toBe(1);
    heap.put(h); // the detached thread's reference stays live until another thread puts it
    if (!checked) {
      const before = next.stats().cachedBytes;
      next.put(next.alloc(48)); // the last put: one 64-byte block in thread 1's cache
      expect(next.stats().cachedBytes).toBe(before + 64);
      // Even the raw exports of the detached instance no longer reach thread 1's cache.
      const stray = raw.alloc(48) >>> 0;
      expect(next.stats().cachedBytes).toBe(before + 64);
      heap.put(stray);
    }
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    next.detach();
    heap.dispose();
  });

  test("a holder that never releases the lock: HeapLockTimeoutError naming its thread, and the heap works once it does", async () => {
    const heap = await api.createHeap({ shared: true, checked: true, lockTimeout: 200 });
    const other = await api.attachHeap(heap.shareable());
    other.exports.holdHeap(); // as a worker terminated in the middle of an operation would
    let error: api.RcError | undefined;
    try {
      heap.alloc(8);
    } catch (e) {
      error = e as api.RcError;
    }
    expect(error).toBeInstanceOf(api.HeapLockTimeoutError);
    expect(error!.detail).toBe(other.thread);
    other.exports.letGoHeap!();
    heap.put(heap.alloc(8)); // the failed wait left this instance holding nothing
    other.exports.holdHeap!();
    expect(() => heap.alloc(8)).toThrow(api.HeapLockTimeoutError); // it waits again: no stale hold
    other.exports.letGoHeap!();
    other.detach();
    heap.validate();
    heap.dispose();
  });

  test("dispose() by the creator refuses while other threads are attached (they use its tag)", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable());
    const h = other.alloc(8);
    expect(() => heap.dispose()).toThrow(api.HeapInUseError);
    other.put(h); // the tag is still the heap's: the handle is accepted
    other.detach();
    heap.dispose();
  });

  test("site ids are never reused: a worker that gets a detached worker's thread number names its own sites", async () => {
    const heap = await api.createHeap({ shared: true, checked: true, stacks: true });
    const takeInA = (a: api.Heap) => a.alloc(16);
    const takeInB = (b: api.Heap) => b.alloc(16);
    const a = await api.attachHeap(heap.shareable(), { stacks: true });
    const x = takeInA(a);
    heap.importSites(a.exportSites());
    const threadA = a.thread;
    a.detach();
    const b = await api.attachHeap(heap.shareable(), { stacks: true });
    expect(b.thread).toBe(threadA); // the number is reused...
    const y = takeInB(b);
    heap.importSites(b.exportSites());
    const refs = heap.report().references;
    const siteOf = (h: number) => refs.find((r) => r.handle === h)!.site!;
    expect(siteOf(x).id).not.toBe(siteOf(y).id); // ...its site ids are not
    expect(siteOf(x).stack).toMatch(/takeInA/);
    expect(siteOf(y).stack).toMatch(/takeInB/);
    expect([siteOf(x).thread, siteOf(y).thread]).toEqual([threadA, threadA]);
    b.put(x);
    b.put(y);
    b.detach();
    heap.dispose();
  });

  test("a private checked heap in a worker never gets the shared heap's tag", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const h = heap.alloc(16);
    const worker = spawnNodeWorker();
    worker.send({ task: "private-heap", init: heap.shareable(), handle: h });
    const r = await worker.receive();
    await worker.stop();
    expect(r).toEqual({ privateGets: "INVALID_HANDLE", sharedGets: "INVALID_HANDLE" });
    heap.put(h);
    heap.dispose();
  });

  test("a worker terminated while it holds the heap lock: the others get HeapLockTimeoutError, never hang", async () => {
    const heap = await api.createHeap({ shared: true, checked: false, lockTimeout: 200 });
    const worker = spawnNodeWorker();
    worker.send({ task: "hold-lock", init: heap.shareable() });
    const { thread } = await worker.receive();
    await worker.terminate();
    let error: api.RcError | undefined;
    try {
      heap.alloc(1 << 20); // not from a cache: needs the lock
    } catch (e) {
      error = e as api.RcError;
    }
    expect(error).toBeInstanceOf(api.HeapLockTimeoutError);
    expect(error!.detail).toBe(thread);
    // Its number cannot be taken back either: the heap is lost, and reclaimThread says so.
    expect(() => heap.reclaimThread(thread)).toThrow(api.HeapLockTimeoutError);
  });

  test("orders come from per-thread ranges, yet leaksSince(mark) finds every reference taken after mark()", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const other = await api.attachHeap(heap.shareable());
    const x = heap.alloc(16);
    const early = other.get(x); // the other thread claims its range of orders
    const mine = heap.alloc(16); // this thread's range comes after it
    const mark = heap.mark();
    const late = other.get(x); // from a range claimed after the mark, not the other thread's old one
    const leaks = heap.leaksSince(mark).references.map((r) => r.handle);
    expect(leaks).toEqual([late]);
    const orders = heap.report().references.map((r) => [r.handle, r.order]);
    const orderOf = (h: number) => orders.find(([k]) => k === h)![1];
    expect(orderOf(early)).toBeLessThan(orderOf(late)); // one thread's orders rise
    for (const h of [early, late, mine, x]) heap.put(h);
    other.detach();
    heap.dispose();
  });

  test.each([true, false])("the creating thread works alone until shareable(); what it did then is the workers' heap after (checked %s)", async (checked) => {
    const heap = await api.createHeap({ shared: true, checked });
    // Alone: lock-free paths without pins, pass counts or atomic counts (assembly/thread-slots.ts startAlone).
    const objects = Array.from({ length: 16 }, () => heap.alloc(32));
    for (const h of objects) new DataView(heap.bytes(h).buffer).setUint32(heap.ptr(h), 0xc0ffee, true);
    const passed = objects.map((h) => heap.get(h));
    for (let i = 0; i < 40; i++) heap.put(heap.alloc(48)); // deaths batched while alone
    const workers = [spawnNodeWorker(), spawnNodeWorker()];
    const init = heap.shareable(); // the hand-off: from here on every path counts and pins
    const done = new Int32Array(new SharedArrayBuffer(4));
    workers.forEach((w, i) => w.send({ task: "hand-off", init, handles: passed.filter((_, j) => j % 2 === i), done: done.buffer }));
    // Meanwhile this thread takes and puts references to the same objects, until both are done.
    const until = Date.now() + 20_000;
    while (Atomics.load(done, 0) < 2 && Date.now() < until) for (const h of objects) heap.put(heap.get(h));
    const replies = await Promise.all(workers.map((w) => w.receive()));
    await Promise.all(workers.map((w) => w.stop()));
    expect(replies).toEqual([{ wrong: 0 }, { wrong: 0 }]);
    for (const h of objects) expect(heap.refs(h)).toBe(1); // exact: every passed reference put once
    for (const h of objects) heap.put(h);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });

  test.each([true, false])("an instance started on a shared heap's memory without shareable() is refused (checked %s)", async (checked) => {
    const heap = await api.createHeap({ shared: true, checked });
    const h = heap.alloc(16);
    const init = { module: (heap as unknown as { module: WebAssembly.Module }).module, memory: heap.memory, checked };
    await expect(api.attachHeap(init as api.SharedHeapInit)).rejects.toThrow(/attachHeap\(heap\.shareable\(\)\)/);
    heap.put(h); // the creator carries on alone
    heap.validate();
    expect(heap.exports.threadsAttached!() >>> 0).toBe(1);
    heap.dispose();
  });

  test("shareable() refuses a heap that is not shared", async () => {
    const heap = await api.createHeap({});
    expect(() => heap.shareable()).toThrow(/not a shared heap/);
  });

  test("attachHeap in the same thread shares objects and memory growth", async () => {
    const heap = await api.createHeap({ shared: true });
    const other = await api.attachHeap(heap.shareable());
    expect(other.thread).not.toBe(heap.thread);
    const h = heap.alloc(16);
    heap.bytes(h).set([1, 2, 3]);
    const big = other.alloc(1 << 20); // grows memory from the other instance
    expect([...heap.bytes(h).subarray(0, 3)]).toEqual([1, 2, 3]);
    expect(heap.bytes(big).length).toBe(1 << 20);
    other.put(h);
    heap.put(big);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    other.detach();
  });
});

describe("thread numbers of workers that ended without detach()", () => {
  // Unchecked: more workers over the heap's life than there are thread numbers (64), 10 at a
  // time. Checked (no thread caches, the same thread numbers) needs fewer to show it.
  const AT_ONCE = 10;

  test.each([
    { checked: false, BATCHES: 7 },
    { checked: true, BATCHES: 2 },
  ])("checked $checked: $BATCHES × 10 workers, terminated or returning without detach(): reclaimThread gives each number back", async ({ checked, BATCHES }) => {
    const heap = await api.createHeap({ shared: true, checked });
    const kept: number[] = [];
    const numbers = new Set<number>();
    for (let batch = 0; batch < BATCHES; batch++) {
      const workers = Array.from({ length: AT_ONCE }, () => spawnNodeWorker());
      for (const w of workers) w.send({ task: "abandon", init: heap.shareable() });
      const replies: { thread: number; kept: number[]; error?: string }[] = await Promise.all(workers.map((w) => w.receive()));
      expect(replies.filter((r) => r.error)).toEqual([]);
      // Half are terminated, half return without detaching; reclaim only once each has exited.
      await Promise.all(workers.map((w, i) => (i % 2 ? w.terminate() : (w.send({ end: true }), w.stop()))));
      expect(heap.exports.threadsAttached!() >>> 0).toBe(1 + AT_ONCE);
      for (const r of replies) {
        numbers.add(r.thread);
        kept.push(...r.kept);
        expect(heap.reclaimThread(r.thread)).toBe(true);
        expect(heap.reclaimThread(r.thread)).toBe(false); // once only
      }
      expect(heap.exports.threadsAttached!() >>> 0).toBe(1);
      heap.validate(); // the ended workers' caches, flushed to the shared lists, and those lists agree
    }
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: AT_ONCE }, (_, i) => i + 1));
    expect(() => heap.reclaimThread(heap.thread)).toThrow(TypeError);
    // Their references stayed live: any thread may still put them.
    expect(heap.report().objects).toHaveLength(BATCHES * AT_ONCE * 4);
    for (const h of kept) heap.put(h);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose(); // refuses while a thread is attached
  }, 60_000);
});

describe("a checked worker that ended holding a slot's pin", () => {
  test("reclaimThread refuses it, as one that ended inside a pass: a lock-free get or put cut short between its pin and its unpin", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const worker = spawnNodeWorker();
    worker.send({ task: "abandon", init: heap.shareable() });
    const { thread, kept }: { thread: number; kept: number[] } = await worker.receive();
    await worker.terminate();
    // Pin a slot of one of its references as its get or put would have (assembly/handles.ts
    // "Slot": +0 the object's block, 24 bytes before the payload; +4 the state, LIVE | generation,
    // PINNED and the pinning thread's number + 1 in bits 16..22).
    const h = kept[0] >>> 0;
    const words = new Uint32Array(heap.memory.buffer);
    const block = (heap.ptr(h) >>> 0) - 24;
    const live = (1 << 9) | ((h >>> 24) & 15);
    const found: number[] = [];
    words.forEach((w, i) => { if (w === block && words[i + 1] === live) found.push(i + 1); });
    expect(found).toHaveLength(1);
    const pin = (1 << 15) | ((thread + 1) << 16);
    Atomics.or(words, found[0], pin);
    expect(() => heap.reclaimThread(thread)).toThrow(api.HeapLockTimeoutError);
    Atomics.and(words, found[0], ~pin); // as if it had let go
    expect(heap.reclaimThread(thread)).toBe(true);
    for (const k of kept) heap.put(k >>> 0);
    heap.validate();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });
});

describe("shared debug build (createHeap({ shared: true, debug: true }))", () => {
  test("a corruption made in one thread traps at another thread's next operation; the lock is let go", async () => {
    const heap = await api.createHeap({ shared: true, debug: true, quarantine: false });
    const other = await api.attachHeap(heap.shareable(), { lockTimeout: 2000 });
    expect([heap.checked, other.checked]).toEqual([true, true]);
    const h = heap.alloc(100);
    const k = other.alloc(100);
    other.put(other.get(h));
    const info = (heap.ptr(h) - 24) >>> 2; // the checked header is 24 bytes; info is its first word
    new Uint32Array(heap.memory.buffer)[info] |= 8; // DEAD on a live object, behind the allocator's back
    expect(() => other.alloc(16)).toThrow(/dead block neither quarantined nor held by weak handles/);
    expect(() => other.alloc(16)).toThrow(api.CorruptHeapError); // the trap released the lock: no timeout
    new Uint32Array(heap.memory.buffer)[info] &= ~8;
    other.put(k);
    heap.put(h);
    heap.validate();
    other.detach();
    expect(heap.report().objects).toHaveLength(0);
    heap.dispose();
  });

  test("the stress on the shared debug build: 4 workers, every operation validated under the lock", async () => {
    const r = await runStress(api, spawnNodeWorker, { checked: true, debug: true, workers: 4, ops: 1500, seed: 4, yieldEvery: 64 });
    expect(r.done.pushes).toBeGreaterThan(0);
    expect([r.wrongCounts, r.leftObjects, r.leftReferences]).toEqual([0, 0, 0]);
  });

  test("the shared checked build, by contrast, does not look until validate() is called", async () => {
    const heap = await api.createHeap({ shared: true, checked: true, quarantine: false });
    const h = heap.alloc(100);
    const info = (heap.ptr(h) - 24) >>> 2;
    new Uint32Array(heap.memory.buffer)[info] |= 8;
    expect(() => heap.put(heap.alloc(16))).not.toThrow();
    expect(() => heap.validate()).toThrow(api.CorruptHeapError);
    new Uint32Array(heap.memory.buffer)[info] &= ~8;
    heap.put(h);
  });
});

describe("thread caches (shared unchecked build)", () => {
  test("validate() and report() while another thread allocates and frees through its cache: the walk keeps it out, every walk passes", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: false, kind: "walk-cache", rounds: 300, stacks: false });
    expect(r.a.concat(r.b).filter((o: Outcome) => o.code !== "ok")).toEqual([]);
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
  });

  test("an alloc that only this thread's own cache can serve flushes it instead of failing", async () => {
    const heap = await api.createHeap({ shared: true });
    const made = Array.from({ length: 1000 }, () => heap.alloc(48));
    heap.exports.setMemoryLimit(heap.memory.buffer.byteLength >>> 16); // no growing from here on
    for (const h of made) heap.put(h); // last puts: 64,000 bytes in this thread's cache
    expect(heap.stats().cachedBytes).toBe(64_000);
    const big = heap.alloc(50_000); // fits only in what the cache holds
    expect(heap.stats().cachedBytes).toBe(0);
    heap.put(big);
    heap.validate();
  });

  test("memory growth leaves this thread's cache alone: the allocs after it need no lock", async () => {
    const heap = await api.createHeap({ shared: true });
    const made = Array.from({ length: 500 }, () => heap.alloc(48));
    for (const h of made) heap.put(h); // last puts: 32,000 bytes in this thread's cache
    const big = heap.alloc(4 << 20); // no free block fits: memory grows
    expect(heap.stats().cachedBytes).toBe(32_000);
    const takes = heap.exports.lockTakes!() >>> 0;
    const again = Array.from({ length: 500 }, () => heap.alloc(48)); // all from the cache
    expect((heap.exports.lockTakes!() >>> 0) - takes).toBe(0);
    for (const h of [...again, big]) heap.put(h);
    heap.validate();
  });

  test("a thread that only puts caches at most 64 KiB; the rest goes back to every thread", async () => {
    const consumer = await api.createHeap({ shared: true });
    const producer = await api.attachHeap(consumer.shareable());
    const BLOCK = 64; // a 48-byte payload behind the 8-byte header, rounded to 16
    const made = Array.from({ length: 2000 }, () => producer.alloc(48));
    for (const h of made) consumer.put(h); // last puts: the consumer's cache, then the shared lists
    consumer.validate();
    expect(consumer.stats().cachedBytes).toBe(2000 * BLOCK);
    // The producer gets the spilled blocks back (and TLSF the rest); the consumer's cache keeps
    // exactly its limit.
    const again = Array.from({ length: 2000 }, () => producer.alloc(48));
    expect(consumer.stats().cachedBytes).toBe(64 << 10);
    // The consumer allocates from its own cache, without the lock.
    const mine = Array.from({ length: (64 << 10) / BLOCK }, () => consumer.alloc(48));
    expect(consumer.stats().cachedBytes).toBe(0);
    consumer.validate();
    for (const h of [...again, ...mine]) producer.put(h);
    producer.detach(); // its cache goes back to the shared lists
    consumer.validate();
    expect(consumer.report().objects).toHaveLength(0);
  });
});

describe("a linked module on a shared heap (examples/threads)", () => {
  beforeAll(() => buildExamples({ names: ["threads"] }), 120_000);

  test.each([false, true])("checked %s: one worker produces, another consumes through a queue in the heap", async (checked) => {
    const r = await runThreadsExample({ count: checked ? 5000 : 20000, checked });
    expect(r.received).toBe(r.sent);
    expect(r.sent).toBeGreaterThan(0n);
    expect([r.objects, r.references]).toEqual([0, 0]);
  });
});
