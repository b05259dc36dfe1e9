// Every operation of the API, in both builds, on correct programs.
import { describe, expect, it } from "vitest";
import { BUILDS, hasCookie, heapOf, writeCookie } from "./heap.js";

describe.each(BUILDS)("$name build", ({ checked }) => {
  it("reports which build it is", async () => {
    const heap = await heapOf(checked);
    expect(heap.checked).toBe(checked);
    expect(heap.exports.isChecked()).toBe(checked ? 1 : 0);
  });

  it("alloc returns a nonzero handle with one reference and the exact size", async () => {
    const heap = await heapOf(checked);
    for (const size of [0, 1, 7, 8, 9, 15, 16, 17, 100, 1000, 1024, 1025, 5000, 70_000]) {
      const h = heap.alloc(size);
      expect(h).not.toBe(0);
      expect(heap.size(h)).toBe(size);
      expect(heap.refs(h)).toBe(1);
      expect(heap.ptr(h) % 16).toBe(0);
      heap.validate();
    }
  });

  it("payloads do not overlap and keep their bytes", async () => {
    const heap = await heapOf(checked);
    const handles = Array.from({ length: 200 }, (_, i) => heap.alloc((i * 37) % 600));
    handles.forEach((h, i) => writeCookie(heap, h, i));
    const spans = handles.map((h) => [heap.ptr(h), heap.ptr(h) + heap.size(h)]).sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i][0]).toBeGreaterThanOrEqual(spans[i - 1][1]);
    handles.forEach((h, i) => expect(hasCookie(heap, h, i)).toBe(true));
    heap.validate();
  });

  it("get takes another reference; the object lives until the last put", async () => {
    const heap = await heapOf(checked);
    const a = heap.alloc(32);
    writeCookie(heap, a, 5);
    const b = heap.get(a);
    const c = heap.get(b);
    expect(heap.refs(a)).toBe(3);
    if (checked) {
      expect(new Set([a, b, c]).size).toBe(3); // each reference has its own identity
    } else {
      expect(b).toBe(a); // handle = pointer
    }
    expect(heap.ptr(b)).toBe(heap.ptr(a));
    heap.put(a);
    heap.put(c);
    expect(heap.refs(b)).toBe(1);
    expect(hasCookie(heap, b, 5)).toBe(true);
    heap.validate();
    heap.put(b);
    expect(heap.report().objects).toHaveLength(0);
    heap.validate();
  });

  it("reuses freed memory instead of growing", async () => {
    const heap = await heapOf(checked);
    // warm up past the checked build's quarantine (256 blocks), which holds freed blocks back,
    // until the size classes' lists hold the steady state (one late growth by an eighth, ~round 200)
    for (let round = 0; round < 300; round++) {
      const warm = Array.from({ length: 64 }, (_, i) => heap.alloc(100 + ((i + round) % 64) * 100));
      warm.forEach((h) => heap.put(h));
    }
    const pages = heap.stats().pages;
    for (let round = 0; round < 50; round++) {
      const hs = Array.from({ length: 64 }, (_, i) => heap.alloc(100 + ((i + round) % 64) * 100));
      hs.forEach((h) => heap.put(h));
    }
    expect(heap.stats().pages).toBe(pages);
    heap.validate();
  });

  it("coalesces freed neighbours into one block that serves a larger request", async () => {
    const heap = await heapOf(checked, { quarantine: false }); // freed blocks go back at once
    const hs = Array.from({ length: 16 }, () => heap.alloc(4000));
    const first = heap.ptr(hs[0]);
    hs.forEach((h) => heap.put(h));
    const big = heap.alloc(16 * 4000);
    expect(heap.ptr(big)).toBe(first);
    heap.validate();
  });

  it("grows linear memory on demand", async () => {
    const heap = await heapOf(checked);
    const before = heap.stats().pages;
    const h = heap.alloc(10 << 20);
    expect(heap.stats().pages).toBeGreaterThanOrEqual(before + 160);
    new Uint8Array(heap.memory.buffer, heap.ptr(h), heap.size(h)).fill(0xab);
    heap.validate();
    heap.put(h);
    heap.validate();
  });

  it("resize keeps contents up to the smaller size, in place when it can", async () => {
    const heap = await heapOf(checked);
    let h = heap.alloc(5000);
    writeCookie(heap, h, 9);
    const at = heap.ptr(h);
    h = heap.resize(h, 2000); // shrink: in place
    expect(heap.ptr(h)).toBe(at);
    expect(heap.size(h)).toBe(2000);
    expect(hasCookie(heap, h, 9)).toBe(true);
    h = heap.resize(h, 4000); // grow into the tail it just gave back: in place
    expect(heap.ptr(h)).toBe(at);
    expect(hasCookie(heap, h, 9, 2000)).toBe(true);
    const blocker = heap.alloc(16); // the right neighbour is now used: growing must move
    h = heap.resize(h, 100_000);
    expect(heap.ptr(h)).not.toBe(at);
    expect(heap.size(h)).toBe(100_000);
    expect(hasCookie(heap, h, 9, 2000)).toBe(true);
    h = heap.resize(h, 3);
    expect(heap.size(h)).toBe(3);
    expect(heap.refs(h)).toBe(1);
    heap.validate();
    heap.put(h);
    heap.put(blocker);
    heap.validate();
  });

  it("resize returns a new handle in the checked build, the same pointer unchecked", async () => {
    const heap = await heapOf(checked);
    const h = heap.alloc(64);
    const r = heap.resize(h, 48);
    if (checked) expect(r).not.toBe(h);
    else expect(r).toBe(h);
    heap.put(r);
    heap.validate();
  });

  it("report lists live objects (and references in the checked build)", async () => {
    const heap = await heapOf(checked, { stacks: true });
    const a = heap.alloc(24);
    const b = heap.get(a);
    const c = heap.alloc(300);
    const report = heap.report();
    expect(report.objects.map((o) => [o.ptr, o.size, o.refs])).toEqual(
      [[heap.ptr(a), 24, 2], [heap.ptr(c), 300, 1]],
    );
    if (checked) {
      expect(report.references.map((r) => r.handle)).toEqual([a, b, c]);
      expect(report.references[1].site?.label).toMatch(/operations\.test\.ts:\d+:\d+/);
      expect(report.objects[0].order).toBeLessThan(report.objects[1].order);
      expect(report.toString()).toMatch(/3 live references/);
    } else {
      expect(report.references).toEqual([]);
    }
    expect(report.stats.liveObjects).toBe(2);
    expect(report.stats.liveBytes).toBe(324);
    heap.put(a);
    heap.put(b);
    heap.put(c);
    expect(heap.report().objects).toEqual([]);
  });

  it("validate passes on a fresh heap, before anything is allocated", async () => {
    const heap = await heapOf(checked);
    heap.validate();
    expect(heap.report().objects).toEqual([]);
  });
});
