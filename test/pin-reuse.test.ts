// A lock-free get or put reads the table outside any pass (the pin is its pass), so its slot's
// address may be stale by the time its pin succeeds: the chunk retired and its block came back
// as a new chunk (handles.ts "Table"), or the directory it read was replaced. pin() must then
// let go (fast-references.ts: "the same directory ..., naming this chunk"). The race is a few
// instructions wide, so this test holds it open: a worker pins the slot as another thread's get
// would (the putting thread spins in pin()'s loop), then, holding the heap lock as the table's
// holder would, makes the directory no longer name that slot, and lets go of its pin. The
// putting thread's pin then succeeds on a slot the table no longer names for its handle; it
// must not end it. The worker looks at the slot while it still holds the lock.
import { describe, expect, test } from "vitest";
import { Worker } from "node:worker_threads";
import * as api from "../dist/node.js";

const LIVE = 1 << 9;
const CHUNK_BITS = 5; // 32 slots a table chunk (assembly/handle-lookup.ts)
const CHUNK_SLOTS = 1 << CHUNK_BITS;
const PINNED = 1 << 15;

const WORKER = `
const { workerData } = require("node:worker_threads");
const { memory, sync, stateAt, wordAt, staleValue, lockAt, live } = workerData;
const w = new Int32Array(memory);
const s = new Int32Array(sync);
const nap = (ms) => Atomics.wait(s, 7, 0, ms);
const OTHER = (0x7f << 16) | ${PINNED}; // a pin of a thread number no instance has
if (Atomics.compareExchange(w, stateAt >> 2, live, live | OTHER) !== live) throw new Error("slot not live");
Atomics.store(s, 0, 1); Atomics.notify(s, 0);
while (Atomics.load(s, 1) === 0) Atomics.wait(s, 1, 0, 10);
nap(50); // the main thread spins in pin() by now
while (Atomics.compareExchange(w, lockAt >> 2, 0, 1) !== 0) nap(1); // the heap lock, as a holder
const saved = Atomics.load(w, wordAt >> 2);
Atomics.store(w, wordAt >> 2, staleValue); // the directory no longer names the slot for the handle
Atomics.store(w, stateAt >> 2, live);      // live at the same generation (a reused chunk's slot), unpinned
nap(100);
const seen = Atomics.load(w, stateAt >> 2) >>> 0;
Atomics.store(w, wordAt >> 2, saved);
if (Atomics.exchange(w, lockAt >> 2, 0) === 2) Atomics.notify(w, lockAt >> 2, 1);
Atomics.store(s, 2, seen); Atomics.store(s, 3, 1); Atomics.notify(s, 3);
`;

async function staleSlotRace(what: "chunk" | "directory"): Promise<{ seen: number; live: number }> {
  const heap = await api.createHeap({ shared: true, checked: true });
  heap.shareable(); // lock-free paths as with other threads: pins
  const h = heap.alloc(16) >>> 0;
  const words = new Uint32Array(heap.memory.buffer);
  const index = h & 0xffffff;
  const live = LIVE | ((h >>> 24) & 15);
  const block = (heap.ptr(h) >>> 0) - 24;
  // The slot: its object (the block) and its state (live, this generation).
  const states: number[] = [];
  words.forEach((v, i) => { if (v === block && words[i + 1] === live) states.push((i + 1) * 4); });
  expect(states).toHaveLength(1);
  const stateAt = states[0];
  const chunk = stateAt - 4 - (index & (CHUNK_SLOTS - 1)) * 32;
  // The published directory: THREAD_SLOTS + 4 (64-aligned record; HANDED at +12 is 1), naming
  // `chunk` at entry index >> CHUNK_BITS.
  const published: number[] = [];
  words.forEach((v, i) => {
    const at = i * 4;
    if (v && ((at - 4) & 63) === 0 && words[i + 2] === 1 && words[(v >>> 2) + (index >>> CHUNK_BITS)] === chunk) published.push(at);
  });
  expect(published).toHaveLength(1);
  const dirWordAt = published[0];
  const directory = words[dirWordAt >>> 2];
  // The heap lock: SHARED_STATE + 0; its holder word (+20) says this thread (1) took it lockTakes() times.
  const holder = ((heap.exports.lockTakes!() << 7) | 1) >>> 0;
  const locks: number[] = [];
  words.forEach((v, i) => { if (v === holder && i * 4 < directory && ((i * 4 - 20) & 15) === 0 && words[i - 5] === 0) locks.push(i * 4 - 20); });
  expect(locks).toHaveLength(1);

  const sync = new SharedArrayBuffer(32);
  const s = new Int32Array(sync);
  const worker = new Worker(WORKER, {
    eval: true,
    workerData: {
      memory: heap.memory.buffer, sync, stateAt, lockAt: locks[0], live,
      ...(what === "chunk"
        ? { wordAt: directory + (index >>> CHUNK_BITS) * 4, staleValue: chunk + CHUNK_SLOTS * 32 } // another chunk's block at that entry
        : { wordAt: dirWordAt, staleValue: directory + 64 }), // a newer directory published
    },
  });
  const exited = new Promise((resolve) => worker.once("exit", resolve));
  Atomics.wait(s, 0, 0, 5000);
  expect(Atomics.load(s, 0)).toBe(1);
  Atomics.store(s, 1, 1); Atomics.notify(s, 1);
  heap.put(h); // spins in pin() until the worker lets go, then (correctly) takes the locked path
  Atomics.wait(s, 3, 0, 5000);
  const seen = Atomics.load(s, 2) >>> 0;
  await exited;
  heap.validate();
  expect(heap.report().objects).toHaveLength(0);
  heap.dispose();
  return { seen, live };
}

describe("checked shared heap: a pin through a slot address the table no longer names lets go", () => {
  test("the chunk retired and its block serves a new chunk (the directory entry changed)", async () => {
    for (let run = 0; run < 3; run++) {
      const { seen, live } = await staleSlotRace("chunk");
      expect(seen).toBe(live); // not ended (nor pinned) while the table named another chunk
    }
  });

  test("the directory was replaced (the old one is kept and still names the chunk)", async () => {
    for (let run = 0; run < 3; run++) {
      const { seen, live } = await staleSlotRace("directory");
      expect(seen).toBe(live);
    }
  });
});

// A walk waits for every pinned slot (handles.ts awaitPins): a lock-free get pins its slot, then
// raises the object's count, then issues its handle and lets go. A worker holds a slot pinned
// with the count raised, as such a get in flight would, for 100 ms; validate() must not read
// the count meanwhile (it would find one reference more than live handles), and returns only
// after the pin is let go, so after the worker's flag that it is done (s[3], stored before).
const GET_IN_FLIGHT = `
const { workerData } = require("node:worker_threads");
const { memory, sync, stateAt, countAt, live } = workerData;
const w = new Int32Array(memory);
const s = new Int32Array(sync);
const OTHER = (0x7f << 16) | ${PINNED};
if (Atomics.compareExchange(w, stateAt >> 2, live, live | OTHER) !== live) throw new Error("slot not live");
Atomics.add(w, countAt >> 2, 1);
Atomics.store(s, 0, 1); Atomics.notify(s, 0);
Atomics.wait(s, 7, 0, 100);
Atomics.sub(w, countAt >> 2, 1);
Atomics.store(s, 3, 1);
Atomics.store(w, stateAt >> 2, live);
`;

describe("checked shared heap: a walk waits for a lock-free get or put in flight (its pin)", () => {
  test("validate() waits until the pinned slot is let go", async () => {
    for (let run = 0; run < 3; run++) {
      const heap = await api.createHeap({ shared: true, checked: true });
      heap.shareable();
      const h = heap.alloc(16) >>> 0;
      const words = new Uint32Array(heap.memory.buffer);
      const live = LIVE | ((h >>> 24) & 15);
      const block = (heap.ptr(h) >>> 0) - 24;
      const states: number[] = [];
      words.forEach((v, i) => { if (v === block && words[i + 1] === live) states.push((i + 1) * 4); });
      expect(states).toHaveLength(1);
      const sync = new SharedArrayBuffer(32);
      const s = new Int32Array(sync);
      const worker = new Worker(GET_IN_FLIGHT, {
        eval: true, workerData: { memory: heap.memory.buffer, sync, stateAt: states[0], countAt: block + 4, live },
      });
      const exited = new Promise((resolve) => worker.once("exit", resolve));
      Atomics.wait(s, 0, 0, 5000);
      expect(Atomics.load(s, 0)).toBe(1);
      heap.validate(); // waits in awaitPins until the worker lets go
      expect(Atomics.load(s, 3)).toBe(1);
      await exited;
      heap.put(h);
      heap.validate();
      expect(heap.report().objects).toHaveLength(0);
      heap.dispose();
    }
  });
});
