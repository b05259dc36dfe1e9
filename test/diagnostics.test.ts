// Diagnostics: sites, owners, move, weak handles, quarantine and poison, leak workflow,
// conservative scan — each in both builds for correct programs, plus misuse on purpose.
import { describe, expect, it } from "vitest";
import {
  DoublePutError, InvalidArgumentError, InvalidHandleError, OwnershipError, SharedResizeError, UseAfterMoveError, UseAfterPutError,
  WriteAfterFreeError, type Heap,
} from "../bindings/node.js";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

/** Live objects with cookies, and a check that none changed and the heap is consistent. */
function bystanders(heap: Heap) {
  const live = Array.from({ length: 12 }, (_, i) => {
    const h = heap.alloc(8 + i * 40);
    writeCookie(heap, h, 100 + i);
    return h;
  });
  return () => {
    heap.validate();
    live.forEach((h, i) => expect(hasCookie(heap, h, 100 + i)).toBe(true));
  };
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe.each(BUILDS)("correct programs, $name build", ({ checked }) => {
  it("getFor holds at most one reference per owner; putFor releases it", async () => {
    const heap = await heapOf(checked);
    const a = heap.alloc(32);
    const first = heap.getFor(a, 7);
    const again = heap.getFor(a, 7);
    expect(again).toBe(first); // the existing reference, not a new one
    expect(heap.refs(a)).toBe(2);
    heap.getFor(a, 8);
    expect(heap.refs(a)).toBe(3);
    heap.putFor(a, 7);
    expect(heap.refs(a)).toBe(2);
    heap.getFor(a, 7); // can take again after releasing
    expect(heap.refs(a)).toBe(3);
    heap.putFor(a, 7);
    heap.putFor(a, 8);
    expect(heap.refs(a)).toBe(1);
    heap.validate();
    heap.put(a);
    heap.validate();
    expect(heap.report().objects).toEqual([]);
  });

  it("move hands a reference over without changing the count", async () => {
    const heap = await heapOf(checked);
    const a = heap.alloc(16);
    writeCookie(heap, a, 1);
    const b = heap.move(a);
    expect(heap.refs(b)).toBe(1);
    expect(hasCookie(heap, b, 1)).toBe(true);
    if (checked) expect(b).not.toBe(a);
    const c = heap.move(b, 99); // now owned by 99
    expect(heap.refs(c)).toBe(1);
    heap.validate();
    heap.putFor(c, 99);
    heap.validate();
    expect(heap.report().objects).toEqual([]);
  });

  it("weak handles do not keep the object alive; upgrade gives a strong one or 0", async () => {
    const heap = await heapOf(checked);
    const a = heap.alloc(48);
    writeCookie(heap, a, 3);
    const w = heap.weak(a);
    expect(heap.refs(a)).toBe(1);
    const s = heap.upgrade(w);
    expect(s).not.toBe(0);
    expect(heap.refs(a)).toBe(2);
    expect(hasCookie(heap, s, 3)).toBe(true);
    heap.put(s);
    heap.put(a); // last strong reference: the object is gone
    heap.validate();
    expect(heap.report().objects).toEqual([]);
    expect(heap.upgrade(w)).toBe(0);
    // the block stays reserved: new objects never land there while w lives
    const others = Array.from({ length: 300 }, () => heap.alloc(48));
    expect(heap.upgrade(w)).toBe(0);
    heap.validate();
    heap.putWeak(w);
    heap.validate();
    others.forEach((h) => heap.put(h));
    heap.validate();
    expect(heap.stats().weakHeldBytes).toBe(0);
  });

  it("ignore, mark and leaksSince find what a piece of code leaked", async () => {
    const heap = await heapOf(checked, { stacks: true });
    heap.alloc(10); // before the mark: not reported
    const mark = heap.mark();
    const kept = heap.alloc(20);
    heap.ignore(kept); // a deliberate cache: not a leak
    const leaked = heap.alloc(30);
    const done = heap.alloc(40);
    heap.put(done);
    const leaks = heap.leaksSince(mark);
    if (checked) {
      expect(leaks.references.map((r) => r.handle)).toEqual([leaked]);
      expect(leaks.objects.map((o) => o.size)).toEqual([30]);
      expect(leaks.references[0].site?.label).toMatch(/diagnostics\.test\.ts:\d+/);
      expect(leaks.toString()).toMatch(/leaks since mark .* 1 live reference[\s\S]*taken at .*diagnostics\.test\.ts/);
    } else {
      expect(leaks.leakCount).toBe(1); // unchecked: counts only
    }
    expect(heap.report().objects.find((o) => o.ignored)?.size).toBe(20);
    expect(heap.report().toString()).toMatch(/1 ignored object not shown/);
  });

  it("a leaked weak handle to an object already gone is reported with that object's size", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    const kept = heap.alloc(64);
    const weak = [300, 5000].map((size) => {
      const h = heap.alloc(size);
      const w = heap.weak(h);
      heap.put(h); // dead: its block is held for the weak handle, and no live object names it
      return w;
    });
    const report = heap.report();
    if (checked) {
      expect(report.references.map((r) => [r.handle, r.size])).toEqual([[kept, 64], [weak[0], 300], [weak[1], 5000]]);
      expect(report.toString()).toMatch(/\(300 bytes\), #\d+, weak/); // was "(0 bytes)"
    }
    weak.forEach((w) => heap.putWeak(w));
    heap.put(kept);
    heap.validate();
  });

  it("leaksSince refuses a mark that is not one (mark without its call, NaN) instead of finding no leaks", async () => {
    const heap = await heapOf(checked);
    heap.alloc(8); // a leak every real mark from before it would show
    for (const bad of [heap.mark as unknown as number, NaN, -1, 1.5, 2 ** 32, "0" as unknown as number]) {
      expect(() => heap.leaksSince(bad)).toThrow(InvalidArgumentError);
    }
    if (checked) expect(heap.leaksSince(0).references).toHaveLength(1);
    else expect(heap.leaksSince(0).leakCount).toBe(1);
  });

  it("ignored marks follow an object through a moving resize and vanish with it", async () => {
    const heap = await heapOf(checked, { quarantine: false });
    let h = heap.alloc(64);
    heap.ignore(h);
    const blocker = heap.alloc(16);
    h = heap.resize(h, 100_000); // must move
    expect(heap.report().objects.find((o) => o.size === 100_000)?.ignored).toBe(true);
    heap.validate();
    heap.put(h);
    const fresh = heap.alloc(100_000); // may reuse the block: must not inherit the mark
    expect(heap.report().objects.find((o) => o.size === 100_000)?.ignored).toBe(false);
    heap.put(fresh);
    heap.put(blocker);
    heap.validate();
  });

  it("the conservative scan tells unreachable leaks from ones still stored in an object", async () => {
    const heap = await heapOf(checked);
    const holder = heap.alloc(64);
    const stored = heap.alloc(8);
    const lost = heap.alloc(8);
    // keep `stored`'s handle inside holder's payload at offset 16
    new DataView(heap.memory.buffer).setUint32(heap.ptr(holder) + 16, checked ? stored : heap.ptr(stored), true);
    const report = heap.report({ scan: true });
    expect(report.scanned).toBe(true);
    const byPtr = (p: number) => (checked ? report.references.find((r) => r.ptr === p) : report.objects.find((o) => o.ptr === p))!;
    expect(byPtr(heap.ptr(stored))).toMatchObject({ reachable: true, storedAt: heap.ptr(holder) + 16, storedIn: heap.ptr(holder) });
    expect(byPtr(heap.ptr(lost))).toMatchObject({ reachable: false });
    expect(byPtr(heap.ptr(holder))).toMatchObject({ reachable: false });
    const text = report.toString();
    expect(text).toMatch(/scan: 2 unreachable \(no copy in memory\), 1 still stored somewhere/);
    expect(text).toMatch(/still stored at 0x[0-9a-f]+ inside object 0x[0-9a-f]+/);
    expect(text).toMatch(/unreachable: no copy anywhere in memory/);
    // a root range the host names counts too
    const root = heap.alloc(16);
    new DataView(heap.memory.buffer).setUint32(heap.ptr(root), checked ? lost : heap.ptr(lost), true);
    const withRoot = heap.report({ scan: true, roots: [[heap.ptr(root), heap.ptr(root) + 16]] });
    const lostRecord = checked ? withRoot.references.find((r) => r.ptr === heap.ptr(lost)) : withRoot.objects.find((o) => o.ptr === heap.ptr(lost));
    expect(lostRecord?.reachable).toBe(true);
    heap.validate(); // the scan's own bookkeeping is gone
    expect(heap.report().objects).toHaveLength(4);
  });
});

describe("misuse, checked build", () => {
  it("putFor by an owner that holds nothing, and put of an owned reference", async () => {
    const heap = await heapOf(true);
    const intact = bystanders(heap);
    const a = heap.alloc(8);
    const owned = heap.getFor(a, 5);
    const e1 = thrown(() => heap.putFor(a, 6)) as OwnershipError;
    expect(e1).toBeInstanceOf(OwnershipError);
    expect(e1.code).toBe("OWNERSHIP");
    expect(e1.detail).toBe(6);
    expect(thrown(() => heap.put(owned))).toBeInstanceOf(OwnershipError);
    expect(thrown(() => heap.move(owned))).toBeInstanceOf(OwnershipError);
    expect(thrown(() => heap.getFor(a, 0))).toBeInstanceOf(OwnershipError);
    expect(heap.refs(a)).toBe(2);
    heap.putFor(a, 5);
    expect(thrown(() => heap.putFor(a, 5))).toBeInstanceOf(OwnershipError);
    expect(thrown(() => heap.put(owned))).toBeInstanceOf(DoublePutError);
    expect(heap.refs(a)).toBe(1);
    intact();
  });

  it("a move to an owner that already holds one names that owner's handle", async () => {
    const heap = await heapOf(true, { stacks: true });
    const a = heap.alloc(8);
    const held = heap.getFor(a, 5);
    const b = heap.get(a);
    const e = thrown(() => heap.move(b, 5)) as OwnershipError;
    expect(e).toBeInstanceOf(OwnershipError);
    // not "owner 5 holds owner 5 (handle …)"
    expect(e.message).toMatch(new RegExp(`owner 5 holds handle 0x${held.toString(16).padStart(8, "0")}, taken at .*diagnostics\\.test\\.ts`));
    expect(heap.refs(a)).toBe(3);
    heap.validate();
  });

  it("a moved handle is dead: its own error names where it moved", async () => {
    const heap = await heapOf(true, { stacks: true });
    const intact = bystanders(heap);
    const a = heap.alloc(8);
    const b = heap.move(a); // the move site
    const e = thrown(() => heap.put(a)) as UseAfterMoveError;
    expect(e).toBeInstanceOf(UseAfterMoveError);
    expect(e.code).toBe("USE_AFTER_MOVE");
    expect(e.putSite?.label).toMatch(/diagnostics\.test\.ts:\d+/);
    expect(e.message).toMatch(/use after move.*moved at .*diagnostics\.test\.ts:\d+:\d+ to handle 0x[0-9a-f]+ \(no owner\)/);
    expect(thrown(() => heap.ptr(a))).toBeInstanceOf(UseAfterMoveError);
    expect(heap.refs(b)).toBe(1);
    heap.put(b);
    intact();
  });

  it("weak and strong handles cannot stand in for each other", async () => {
    const heap = await heapOf(true);
    const intact = bystanders(heap);
    const a = heap.alloc(8);
    const w = heap.weak(a);
    for (const use of [() => heap.ptr(w), () => heap.get(w), () => heap.put(w), () => heap.weak(w)]) {
      const e = thrown(use);
      expect(e).toBeInstanceOf(InvalidHandleError);
      expect((e as Error).message).toMatch(/a weak handle; upgrade\(\) it/);
    }
    expect((thrown(() => heap.upgrade(a)) as Error).message).toMatch(/not a weak handle/);
    expect(thrown(() => heap.putWeak(a))).toBeInstanceOf(InvalidHandleError);
    expect(thrown(() => heap.resize(a, 100))).toBeInstanceOf(SharedResizeError); // weak handles share it
    heap.putWeak(w);
    expect(thrown(() => heap.putWeak(w))).toBeInstanceOf(DoublePutError);
    expect(thrown(() => heap.upgrade(w))).toBeInstanceOf(Error);
    expect(heap.refs(a)).toBe(1);
    heap.put(a);
    intact();
  });

  it("a write after free is caught when the block leaves the quarantine, with both sites", async () => {
    const heap = await heapOf(true, { stacks: true, quarantine: { blocks: 8, poison: 64 } });
    const intact = bystanders(heap);
    const victim = heap.alloc(40); // allocation site
    const stale = heap.ptr(victim);
    heap.put(victim); // last put site
    new Uint8Array(heap.memory.buffer)[stale + 5] = 42; // the bug: a write through a stale pointer
    // (validate() would see it too, report it once and repair it: test/hardening.test.ts)
    let error: WriteAfterFreeError | undefined;
    for (let i = 0; i < 20 && !error; i++) {
      try {
        heap.put(heap.alloc(24)); // frees push blocks through the quarantine
      } catch (e) {
        error = e as WriteAfterFreeError;
      }
    }
    expect(error).toBeInstanceOf(WriteAfterFreeError);
    expect(error!.code).toBe("WRITE_AFTER_FREE");
    expect(error!.object).toBe(stale);
    expect(error!.detail).toBe(5); // offset of the first changed byte
    expect(error!.site?.label).toMatch(/diagnostics\.test\.ts:\d+/);
    expect(error!.putSite?.label).toMatch(/diagnostics\.test\.ts:\d+/);
    expect(error!.message).toMatch(/write after free.*taken at .*put at .*; byte 5 of the payload changed\)/);
    // the failing call changed nothing; the poison was restored, so work goes on
    intact();
    for (let i = 0; i < 20; i++) heap.put(heap.alloc(24));
    intact();
  });

  it("every poisoned byte is checked, whatever the object's size", async () => {
    const heap = await heapOf(true);
    const header = 24; // checked build (config.ts HEADER)
    for (const size of [1, 8, 9, 23, 24, 25, 40, 41, 56, 57, 64, 100]) {
      const capacity = ((size + header + 15) & ~15) - header;
      const poisoned = Math.min(capacity, 64); // default poison length
      for (let at = 0; at < poisoned; at++) {
        const h = heap.alloc(size);
        const p = heap.ptr(h);
        heap.put(h);
        new Uint8Array(heap.memory.buffer)[p + at] = 42;
        const error = thrown(() => heap.validate()) as WriteAfterFreeError;
        expect(error, `size ${size}, byte ${at}`).toBeInstanceOf(WriteAfterFreeError);
        expect(error.detail).toBe(at);
        heap.validate(); // reported once, repaired
      }
    }
  });

  it("the handle table frees chunks whose slots all retired; their stale handles stay dead", async () => {
    const heap = await heapOf(true);
    const owner = heap.alloc(8);
    const early: number[] = [];
    const { get, put } = heap.exports; // 2 million get/put pairs: the raw exports, for speed
    for (let i = 0; i < 2_000_000; i++) {
      const h = get(owner) >>> 0; // raw exports return i32: handles of tags 8..15 read negative
      if (i < 300) early.push(h);
      put(h);
    }
    const stats = heap.stats();
    expect(stats.retiredSlots).toBeGreaterThan(120_000); // 2M references / 16 issues per slot
    // a design that kept every retired slot would hold 120,000 × 32 bytes and more here:
    // at most 4 live chunks (1,152-byte blocks) and the directory (6 bytes a 32-slot chunk from
    // the oldest one `owner` holds on: 24,608 bytes here) remain
    expect(stats.internalBytes).toBeLessThanOrEqual(4 * 1152 + 24_608 + 32);
    for (const h of early) {
      expect(() => heap.ptr(h)).toThrow(UseAfterPutError);
      expect(() => heap.put(h)).toThrow(DoublePutError);
    }
    heap.validate();
    expect(heap.refs(owner)).toBe(1);
  });

  it("the table's directory drops chunks that all retired: it stays small while references come and go", async () => {
    const heap = await heapOf(true);
    const { get, put } = heap.exports; // raw exports for speed: handles read as i32, hence >>> 0
    let owner = heap.alloc(8);
    const early: number[] = [];
    for (let i = 0; i < 2_000_000; i++) {
      const h = get(owner) >>> 0;
      if (i < 300) early.push(h);
      put(h);
      if (i % 1000 === 999) { // no reference lives for long: every chunk retires in time
        const next = heap.alloc(8);
        heap.put(owner);
        owner = next;
      }
    }
    // 16 entries of 6 bytes; a directory with an entry for every chunk ever added had 4,096 here
    // (6 bytes per 512 references taken, doubled and copied as it grew). Chunks: 1,152-byte blocks.
    const small = heap.blocks().filter((b) => b.kind === "internal" && b.size < 1024);
    expect(small).toHaveLength(1);
    expect(small[0].size).toBeLessThanOrEqual(128);
    for (const h of early) { // their chunks left the directory: still stale, named as such
      expect(() => heap.ptr(h)).toThrow(UseAfterPutError);
      expect(() => heap.get(h)).toThrow(UseAfterPutError);
      expect(() => heap.put(h)).toThrow(DoublePutError);
    }
    heap.validate();
    const last = heap.get(owner); // fresh handles still resolve
    expect(heap.ptr(last)).toBe(heap.ptr(owner));
    heap.put(last);
    heap.put(owner);
    heap.validate();
    expect(heap.report().references).toEqual([]);
  });

  it("once full, the quarantine evicts in batches: never over its limit, never under 7/8 of it", async () => {
    const heap = await heapOf(true, { quarantine: { blocks: 64, bytes: 1 << 20 } });
    const counts: number[] = [];
    for (let i = 0; i < 300; i++) {
      heap.put(heap.alloc(8 + (i % 5) * 24));
      if (i >= 64) counts.push(heap.stats().quarantinedBlocks);
    }
    expect(Math.max(...counts)).toBe(64);
    expect(Math.min(...counts)).toBe(64 - 64 / 8); // a batch leaves 1/8 spare, the new block then takes 1 of it
    expect(counts.filter((n) => n === 64).length).toBeLessThan(counts.length / 4); // most deaths evict nothing
    heap.validate();
  });

  it("a write after free found in the middle of a batch traps with the FIFO intact, and the heap goes on", async () => {
    const heap = await heapOf(true, { stacks: true, quarantine: { blocks: 64, bytes: 1 << 20 } });
    const intact = bystanders(heap);
    for (let i = 0; i < 80; i++) heap.put(heap.alloc(24)); // full, batches under way
    const before = Array.from({ length: 5 }, () => heap.alloc(40));
    const victim = heap.alloc(40);
    const stale = heap.ptr(victim);
    before.forEach((h) => heap.put(h)); // older than the victim: evicted in the same batch first
    heap.put(victim);
    new Uint8Array(heap.memory.buffer)[stale + 9] = 7;
    let error: WriteAfterFreeError | undefined;
    for (let i = 0; i < 200 && !error; i++) {
      try {
        heap.put(heap.alloc(24));
      } catch (e) {
        error = e as WriteAfterFreeError;
      }
    }
    expect(error).toBeInstanceOf(WriteAfterFreeError);
    expect(error!.object).toBe(stale);
    expect(error!.detail).toBe(9);
    const held = heap.stats().quarantinedBlocks;
    expect(heap.blocks().filter((b) => b.kind === "dead")).toHaveLength(held); // counts match the FIFO
    intact(); // validate() passes: the damaged block was repaired when it was reported
    for (let i = 0; i < 200; i++) heap.put(heap.alloc(24)); // evicts past it
    intact();
  });

  it("a full heap drains the quarantine rather than fail an allocation", async () => {
    const heap = await heapOf(true, { maxPages: 3, quarantine: { blocks: 256, bytes: 1 << 20 } });
    const handles: number[] = [];
    try {
      for (;;) handles.push(heap.alloc(200));
    } catch (e) {
      expect(e).toBeInstanceOf(Error);
    }
    // all 30 wait in the quarantine (its floor on this small heap is 8 KiB: 35 blocks of 224 bytes)
    for (const h of handles.splice(0, 30)) heap.put(h);
    expect(heap.stats().quarantinedBlocks).toBe(30);
    const again = Array.from({ length: 30 }, () => heap.alloc(200)); // served by draining it
    expect(heap.stats().quarantinedBlocks).toBe(0);
    heap.validate();
    again.forEach((h) => heap.put(h));
    heap.validate();
  });

  it("quarantine holds freed blocks back, bounded, and can be switched off", async () => {
    const on = await heapOf(true, { quarantine: { blocks: 16, bytes: 1 << 20 } });
    const hs = Array.from({ length: 40 }, () => on.alloc(100));
    hs.forEach((h) => on.put(h));
    const held = on.stats().quarantinedBlocks;
    expect(held).toBeLessThanOrEqual(16);
    expect(held).toBeGreaterThanOrEqual(16 - 16 / 8); // evicted in batches: 7/8 full at least
    expect(on.blocks().filter((b) => b.kind === "dead")).toHaveLength(held);
    on.validate();
    const off = await heapOf(true, { quarantine: false });
    off.put(off.alloc(100));
    expect(off.stats().quarantinedBlocks).toBe(0);
    off.validate();
  });

  it("a small checked heap stays in 2 pages: 256 objects of 8..64 B and up to ~400 more references, 100 rounds of 20,000 gets, puts and replacements", async () => {
    // The bound this memory's first page (static data) plus one: 32-slot table chunks (1 KiB) fit
    // the pieces a churned small heap's free space lies in, where each 256-slot chunk (9 KiB) grew
    // memory once its slots retired (3 pages from round 85 on); a slot FIFO of 64 and a quarantine
    // floor of 8 KiB keep the table and the held blocks in proportion (docs/performance.md, "Small checked heaps").
    const heap = await heapOf(true);
    expect(heap.memory.buffer.byteLength >>> 16).toBe(1);
    let x = 1;
    const next = () => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; return (x >>>= 0); };
    for (let round = 1; round <= 100; round++) {
      x = round;
      const objects = Array.from({ length: 256 }, () => heap.alloc(8 + (next() % 57)));
      const extra: number[] = [];
      for (let i = 0; i < 20000; i++) {
        const action = next() % 8;
        if (action < 3) extra.push(heap.get(objects[next() % 256]));
        else if (action < 6 && extra.length) {
          const k = next() % extra.length;
          heap.put(extra[k]);
          extra[k] = extra[extra.length - 1];
          extra.pop();
        } else {
          const k = next() % 256;
          heap.put(objects[k]);
          objects[k] = heap.alloc(8 + (next() % 57));
        }
      }
      extra.forEach((h) => heap.put(h));
      objects.forEach((h) => heap.put(h));
    }
    expect(heap.memory.buffer.byteLength >>> 16).toBeLessThanOrEqual(2);
    expect(heap.stats().liveObjects).toBe(0);
    heap.validate();
  });

  it("quarantine bytes stay within 1/32 of the heap (8 KiB at least), up to the configured bytes", async () => {
    const small = await heapOf(true); // defaults: 256 blocks, 256 KiB
    const hs = Array.from({ length: 100 }, () => small.alloc(1000));
    hs.forEach((h) => small.put(h));
    const s = small.stats();
    expect(s.quarantinedBlocks).toBeGreaterThan(0);
    expect(s.quarantinedBlocks).toBeLessThan(100); // a fixed 256 KiB held all 100 (~100 KB)
    expect(s.quarantinedBytes).toBeLessThanOrEqual(Math.max(8192, s.heapBytes / 32));
    // full to within a batch (an eighth of the limit) and a block
    expect(s.quarantinedBytes).toBeGreaterThan((Math.max(8192, s.heapBytes / 32) * 7) / 8 - 1100);
    small.validate();

    const large = await heapOf(true); // a heap past 8 MiB: the configured 256 KiB binds
    const big = large.alloc(9 << 20);
    const more = Array.from({ length: 300 }, () => large.alloc(2000));
    more.forEach((h) => large.put(h));
    const l = large.stats();
    expect(l.quarantinedBytes).toBeLessThanOrEqual(262144);
    expect(l.quarantinedBytes).toBeGreaterThan(200000);
    large.put(big);
    large.validate();
  });
});
