// A linked module (runtime/imports.ts alloc/mallocAt/put/freeCollected, popping and pushing
// the unchecked quick lists inline through quickListsView) against run spares of the refill.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPtrFixture } from "./run-tools.js";
import { link } from "../bindings/node.js";

type PtrModule = {
  fresh(): number; address(h: number): number; release(h: number): void; another(h: number): number;
  sized(size: number): number; raw(size: number): number; collected(p: number): void; sizeOf(h: number): number;
};
const work = mkdtempSync(join(tmpdir(), "rcalloc-refill-linked-"));
const out = join(work, "ptr.wasm");
let bytes: Buffer;
beforeAll(async () => {
  await buildPtrFixture(out);
  bytes = readFileSync(out);
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("linked module against the unchecked refill", () => {
  it("pops run spares inline, pushes them back, and the heap stays sound", async () => {
    const linked = await link<PtrModule>(bytes, { checked: false });
    const heap = linked.heap; const m = linked.exports;
    const bigs: number[] = [];
    while (heap.memory.buffer.byteLength < 64 << 16) bigs.push(heap.malloc(60000));
    for (const b of bigs) heap.free(b);
    let s = 12345;
    const r = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const live = new Map<number, { size: number; seed: number; raw: boolean; refs: number }>();
    const refs: number[] = [];
    let seed = 0;
    const fill = (p: number, n: number, sd: number) => { const u = new Uint8Array(heap.memory.buffer, p, n); for (let i = 0; i < n; i++) u[i] = (sd * 31 + i) & 0xff; };
    const ok = (p: number, n: number, sd: number) => { const u = new Uint8Array(heap.memory.buffer, p, n); for (let i = 0; i < n; i++) if (u[i] !== ((sd * 31 + i) & 0xff)) return false; return true; };
    for (let i = 0; i < 60000; i++) {
      const k = r();
      const at = refs.length ? Math.floor(r() * refs.length) : -1;
      if (k < 0.45 || at < 0) {
        const n = 1 + Math.floor(r() * (r() < 0.8 ? 56 : 300));
        const raw = r() < 0.4;
        const byModule = r() < 0.7;
        const p = (raw ? (byModule ? m.raw(n) : heap.malloc(n)) : (byModule ? m.sized(n) : heap.alloc(n))) >>> 0;
        expect(live.has(p)).toBe(false);
        live.set(p, { size: n, seed: ++seed, raw, refs: 1 }); fill(p, n, seed); refs.push(p);
      } else if (k < 0.55) {
        const p = refs[at]; const o = live.get(p)!; if (o.raw) continue;
        (r() < 0.5 ? m.another(p) : heap.get(p)); o.refs++; refs.push(p);
      } else {
        const p = refs[at]; const o = live.get(p)!; refs.splice(at, 1);
        if (o.raw) (r() < 0.5 ? m.collected(p) : heap.free(p)); else (r() < 0.5 ? m.release(p) : heap.put(p));
        if (--o.refs === 0) live.delete(p);
      }
      if (i % 2000 === 0) {
        heap.validate();
        for (const [p, o] of live) expect(ok(p, o.size, o.seed), `object at ${p}`).toBe(true);
        expect(heap.stats().liveObjects).toBe(live.size);
        if (i % 6000 === 0) heap.exports.flushQuickLists();
      }
    }
    heap.validate();
    for (const [p, o] of live) expect(ok(p, o.size, o.seed)).toBe(true);
  }, 300_000);
});
