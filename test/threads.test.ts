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

type Outcome = { code: string; site?: number; putSite?: number; refs?: number; cookie?: number; same?: boolean; gone?: string };

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

describe("checked shared heap: deliberate races are caught every time", () => {
  test("two workers put the same handle: exactly one wins, the other gets DoublePutError naming both sites", async () => {
    const r = await runRace(api, spawnNodeWorker, { checked: true, kind: "double-put", rounds: 400 });
    for (let i = 0; i < r.a.length; i++) {
      const pair: Outcome[] = [r.a[i], r.b[i]];
      const lost = pair.filter((o) => o.code === "DOUBLE_PUT");
      expect(pair.filter((o) => o.code === "ok")).toHaveLength(1);
      expect(lost).toHaveLength(1);
      // Taken by racer 0's thread; first put by the winner's thread.
      expect(lost[0].site).toBeDefined();
      expect(lost[0].putSite).toBeDefined();
    }
    expect([r.leftObjects, r.leftReferences]).toEqual([0, 0]);
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

describe("shared heaps in one thread", () => {
  test("a trap releases the heap lock: the heap carries on, the error is typed", async () => {
    const heap = await api.createHeap({ shared: true, checked: true });
    const h = heap.alloc(8);
    heap.put(h);
    expect(() => heap.put(h)).toThrow(api.DoublePutError);
    const k = heap.alloc(8); // would spin forever if the lock were still held
    heap.put(k);
    heap.validate();
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

describe("thread caches (shared unchecked build)", () => {
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
