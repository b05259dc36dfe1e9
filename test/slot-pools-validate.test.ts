// validate() on a shared checked heap whose threads' slot pools were corrupted on purpose
// (slot-pools.ts checkPoolList): the lists link slots by address, each holding its index at +12,
// so every link must be checked to be a slot of the table before anything is read through it.
import { describe, expect, it } from "vitest";
import * as api from "../dist/node.js";

/** A handed-over shared checked heap with two slots in thread 0's slot quarantine (lock-free
 *  puts), and thread 0's record (thread-slots.ts: THREAD_SLOTS + 128), found by THREAD_SLOTS'
 *  first line: the directory at +4, HANDED (1) at +12, the heap tag at +16. Word offsets. */
async function pooled() {
  const heap = await api.createHeap({ shared: true, checked: true });
  heap.shareable();
  const hs = Array.from({ length: 8 }, () => heap.alloc(16) >>> 0);
  heap.put(hs[0]);
  heap.put(hs[1]);
  heap.validate();
  const w = new Uint32Array(heap.memory.buffer);
  const tag = hs[0] >>> 28;
  const records: number[] = [];
  for (let i = 0; i + 48 < w.length; i += 16) {
    const r = i + 32;
    if (w[i + 1] && w[i + 3] === 1 && w[i + 4] === tag && w[r + 2] > 0 && w[r + 5] === 2) records.push(r);
  }
  expect(records).toHaveLength(1);
  return { heap, w, record: records[0] };
}

function corruptMessage(call: () => void): string {
  let error: unknown;
  try { call(); } catch (e) { error = e; }
  expect(error).toBeInstanceOf(api.CorruptHeapError);
  return (error as Error).message;
}

describe("validate, shared checked build: the threads' slot pools", () => {
  it.each([
    ["past the end of memory", (_head: number, bytes: number) => bytes + 64],
    ["at the top of the address space (head + 32 wraps)", () => 0xfffffff0],
    ["not at a slot (4 bytes in)", (head: number) => head + 4],
  ])("a ready list whose head points %s → the slot pool leaves the table", async (_what, bad) => {
    const { heap, w, record } = await pooled();
    const head = w[record + 1];
    w[record + 1] = bad(head, w.length * 4) >>> 0;
    expect(corruptMessage(() => heap.validate())).toMatch(/a thread's slot pool leaves the table/);
    w[record + 1] = head;
    heap.validate(); // nothing else was changed
  });

  it("a quarantined slot whose index word (+12) was overwritten → the slot pool leaves the table", async () => {
    const { heap, w, record } = await pooled();
    const slot = w[record + 3] >>> 2; // the quarantine's oldest slot
    w[slot + 3] += 1;
    expect(corruptMessage(() => heap.validate())).toMatch(/a thread's slot pool leaves the table/);
    w[slot + 3] -= 1;
    heap.validate();
  });

  it("a quarantine whose link points past memory → the slot pool leaves the table", async () => {
    const { heap, w, record } = await pooled();
    const slot = w[record + 3] >>> 2;
    const next = w[slot + 6];
    w[slot + 6] = w.length * 4 + 64; // past the end of memory
    expect(corruptMessage(() => heap.validate())).toMatch(/a thread's slot pool leaves the table/);
    w[slot + 6] = next;
    heap.validate();
  });
});
