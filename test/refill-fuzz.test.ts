// The unchecked refill (blocks.ts allocFromLists/takeRun: runs of small blocks carved side by side
// once memory has 64 pages) under a differential fuzz against a Map of every object's bytes:
// alloc/get/put/resize, malloc/free/realloc, weak handles, ignore, flushes and sorts of the quick
// lists, above 64 pages and at a page limit (out of memory mid-run). Bounded here; longer:
// REFILL_FUZZ_SEEDS=8 REFILL_FUZZ_OPS=40000 npx vitest run test/refill-fuzz.test.ts
import { describe, expect, it } from "vitest";
import { createHeap, OutOfMemoryError, type Heap } from "../bindings/node.js";

const SEEDS = Number(process.env.REFILL_FUZZ_SEEDS ?? 1);
const OPS = Number(process.env.REFILL_FUZZ_OPS ?? 6000);
const EVERY = Number(process.env.REFILL_FUZZ_EVERY ?? 500);

function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface Obj { seed: number; size: number; refs: number; raw: boolean }

function fill(heap: Heap, p: number, size: number, seed: number) {
  const u8 = new Uint8Array(heap.memory.buffer, p, size);
  for (let i = 0; i < size; i++) u8[i] = (seed * 131 + i * 7) & 0xff;
}
function check(heap: Heap, p: number, size: number, seed: number) {
  const u8 = new Uint8Array(heap.memory.buffer, p, size);
  for (let i = 0; i < size; i++) if (u8[i] !== ((seed * 131 + i * 7) & 0xff)) return false;
  return true;
}

async function run(seed: number, options: { maxPages?: number; push?: number; ops: number }) {
  const heap = await createHeap({ checked: false, maxPages: options.maxPages });
  const r = rng(seed);
  const live = new Map<number, Obj>(); // payload address -> object
  const handles: number[] = []; // one entry per reference (unchecked handles repeat)
  let oom = 0, next = 0;
  const weaks: number[] = [];
  const weakCount = new Map<number, number>();
  const pinned: number[] = []; // kept live by the model, never picked by the fuzz
  if (options.push) {
    const bigs: number[] = [];
    while (heap.memory.buffer.byteLength < 64 << 16) { const b = heap.malloc(options.push); expect(b).not.toBe(0); bigs.push(b); }
    for (let b; options.maxPages && (b = heap.malloc(options.push)); ) bigs.push(b);
    for (let i = 0; i < bigs.length; i++) {
      if (!options.maxPages || i % 8 === 0) heap.free(bigs[i]);
      else { const o = { seed: ++next, size: options.push, refs: 1, raw: true }; live.set(bigs[i], o); fill(heap, bigs[i], o.size, o.seed); pinned.push(bigs[i]); }
    }
  }

  const size = () => { const x = r(); return x < 0.7 ? 1 + Math.floor(r() * 56) : x < 0.9 ? 1 + Math.floor(r() * 256) : 1 + Math.floor(r() * 2000); };
  const A = options.maxPages ? 0.55 : 0.35;
  const verifyAll = () => {
    heap.validate();
    for (const [p, o] of live) expect(check(heap, p, o.size, o.seed), `object ${p} intact`).toBe(true);
    const st = heap.stats();
    expect(st.liveObjects).toBe(live.size);
    expect(st.liveBytes).toBeGreaterThanOrEqual([...live.values()].reduce((a, o) => a + o.size, 0));
    const rep = heap.report();
    expect(rep.objects.length).toBe(live.size);
    for (const o of rep.objects) expect(live.get(o.ptr)?.size).toBe(o.size);
  };
  for (let i = 0; i < options.ops; i++) {
    const k = r();
    const at = handles.length ? Math.floor(r() * handles.length) : -1;
    try {
      if (k < A || at < 0) {
        const raw = r() < 0.3;
        const n = size();
        const p = raw ? heap.malloc(n) : heap.alloc(n);
        if (raw && p === 0) { oom++; continue; }
        expect(live.has(p), `fresh ${p} not live`).toBe(false);
        expect(weakCount.has(p), `fresh ${p} not held by weak handles`).toBe(false);
        const o = { seed: ++next, size: n, refs: 1, raw };
        live.set(p, o); fill(heap, p, n, o.seed); handles.push(p);
      } else if (k < A + 0.1) {
        const p = handles[at]; const o = live.get(p)!;
        if (o.raw) continue;
        heap.get(p); o.refs++; handles.push(p);
      } else if (k < 0.8) {
        const p = handles[at]; const o = live.get(p)!;
        handles.splice(at, 1);
        if (o.raw) heap.free(p); else heap.put(p);
        if (--o.refs === 0) live.delete(p);
      } else if (k < 0.97) {
        const p = handles[at]; const o = live.get(p)!;
        if (o.refs !== 1 || weakCount.has(p)) continue;
        const n = size();
        const q = o.raw ? heap.realloc(p, n) : heap.resize(p, n);
        if (o.raw && q === 0) { oom++; continue; }
        expect(check(heap, q, Math.min(n, o.size), o.seed), "resize kept bytes").toBe(true);
        live.delete(p);
        expect(live.has(q)).toBe(false);
        if (q !== p) expect(weakCount.has(q)).toBe(false);
        const m = { seed: ++next, size: n, refs: 1, raw: o.raw };
        live.set(q, m); fill(heap, q, n, m.seed); handles[at] = q;
      } else if (k < 0.975) {
        // weak handles: DEAD blocks held among run blocks
        const p = handles[at]; const o = live.get(p)!;
        if (o.raw) continue;
        const w = heap.weak(p); expect(w).toBe(p);
        weaks.push(p); weakCount.set(p, (weakCount.get(p) ?? 0) + 1);
      } else if (k < 0.98) {
        if (!weaks.length) continue;
        const wi = Math.floor(r() * weaks.length); const w = weaks[wi];
        if (r() < 0.5) {
          const u = heap.upgrade(w);
          if (live.has(w)) { expect(u).toBe(w); live.get(w)!.refs++; handles.push(w); } else expect(u).toBe(0);
        } else {
          weaks.splice(wi, 1); heap.putWeak(w);
          const n = weakCount.get(w)! - 1; if (n) weakCount.set(w, n); else weakCount.delete(w);
        }
      } else if (k < 0.982) {
        const p = handles[at]; if (!live.get(p)!.raw) heap.ignore(p);
      } else if (k < 0.99) {
        heap.exports.flushQuickLists();
      } else {
        heap.exports.sortQuickLists();
      }
    } catch (e) {
      expect(e).toBeInstanceOf(OutOfMemoryError);
      oom++;
    }
    if (i % EVERY === 0) verifyAll();
  }
  verifyAll();
  // everything back: the heap coalesces into free space
  for (const p of [...handles, ...pinned]) { const o = live.get(p)!; if (o.raw) heap.free(p); else heap.put(p); }
  for (const w of weaks) heap.putWeak(w);
  heap.exports.flushQuickLists();
  heap.validate();
  const st = heap.stats();
  expect(st.liveObjects).toBe(0);
  return { oom, pages: heap.memory.buffer.byteLength >>> 16 };
}

describe("unchecked refill fuzz", () => {
  it("large heap (>= 64 pages) differential", async () => {
    for (let s = 1; s <= SEEDS; s++) await run(s * 7919, { push: 1 << 20, ops: OPS });
  }, 600_000);
  it("near a page limit: OOM paths with runs", async () => {
    for (let s = 1; s <= SEEDS; s++) {
      const out = await run(s * 104729, { push: 60000, maxPages: 64, ops: 2 * OPS });
      expect(out.oom).toBeGreaterThan(0); // the limit was reached mid-run
    }
  }, 600_000);
});
