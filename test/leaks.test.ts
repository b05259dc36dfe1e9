// One model of the leaks (bindings/leaks.ts): the text report, the JSON data and the HTML page
// state the same counts and bytes, overall and per site, for heaps of several shapes: no leaks,
// one site, many sites, owners, weak handles, ignored objects, a mark, a scan, both builds.
import { describe, expect, it } from "vitest";
import type { Heap } from "../bindings/heap.js";
import { findLeaks } from "../bindings/leaks.js";
import { reportToHTML } from "../bindings/report-html.js";
import { reportToJSON } from "../bindings/report-json.js";
import { reportLeaks, type Report } from "../bindings/report.js";
import { hex } from "../bindings/format.js";
import { heapOf } from "./heap.js";

interface Figures {
  count: number;
  weak: number;
  objects: number;
  bytes: number;
  groups: { label: string; count: number; objects: number; bytes: number }[];
}

const num = (s: string | undefined): number => Number((s ?? "0").replace(/,/g, ""));

/** The figures the text report states: its summary line and each group's header. */
function fromText(report: Report): Figures {
  const text = report.toString({ maxGroups: 1000 });
  const summary = report.checked
    ? /build\): ([\d,]+) live references?(?: \((\d+) weak\))? to ([\d,]+) objects? \((\d+) bytes\)/.exec(text)
    : /build\): ([\d,]+) live objects? \((\d+) bytes\)/.exec(text);
  expect(summary, text).not.toBeNull();
  const groups = [...text.matchAll(/^([\d,]+) (?:references?|objects?) taken at (.*) \((?:([\d,]+) objects?, )?(\d+) bytes\):$/gm)]
    .map((m) => ({ label: m[2], count: num(m[1]), objects: report.checked ? num(m[3]) : num(m[1]), bytes: num(m[4]) }));
  return report.checked
    ? { count: num(summary![1]), weak: num(summary![2]), objects: num(summary![3]), bytes: num(summary![4]), groups }
    : { count: num(summary![1]), weak: 0, objects: num(summary![1]), bytes: num(summary![2]), groups };
}

/** The figures the JSON data states (its `leaks` summary). */
function fromJSON(report: Report): Figures {
  const json = JSON.parse(JSON.stringify(reportToJSON(report)));
  expect(json.leakCount).toBe(json.leaks.count);
  return {
    count: json.leaks.count, weak: json.leaks.weak, objects: json.leaks.objects, bytes: json.leaks.bytes,
    groups: json.leaks.groups.map((g: Figures["groups"][0]) => ({ label: g.label, count: g.count, objects: g.objects, bytes: g.bytes })),
  };
}

/** "512 B" → 512 (the shapes here stay under 1 KiB, so the page prints exact bytes). */
const htmlBytes = (s: string): number => {
  expect(s).toMatch(/^\d+ B$/);
  return Number(s.slice(0, -2));
};

/** The figures the HTML page states: the leak card, the legend's Leaked entry, the table rows. */
function fromHTML(report: Report, heap: Heap): Figures & { legend?: { bytes: number; objects: number } } {
  const html = reportToHTML(report, { blocks: heap.blocks() });
  const card = /<div class="l">(?:Still held|Leaked since mark)<\/div><div class="v">([\d,]+) <span class="u">(?:references?|objects?)<\/span><\/div><div class="d">(?:([\d,]+) objects? · )?([^<·]+?)(?: · (\d+) weak)?<\/div>/.exec(html);
  expect(card, html.slice(0, 4000)).not.toBeNull();
  const legend = /<span class="sw k-leaked"[^>]*><\/span>Leaked <span class="n">([^<·]+?) · ([\d,]+) objects?<\/span>/.exec(html);
  const groups = [...html.matchAll(/<tbody class="group" data-group="\d+"><tr class="head"><td class="num">\d+<\/td><td class="site">(?:<span class="fn">[^<]*<\/span> )?<code>([^<]*)<\/code><\/td><td class="num">([\d,]+)<\/td><td class="num">([\d,]+)<\/td><td class="num">([^<]+)<\/td>/g)]
    .map((m) => ({ label: m[1], count: num(m[2]), objects: num(m[3]), bytes: htmlBytes(m[4]) }));
  const count = num(card![1]);
  return {
    count, weak: num(card![4]), objects: report.checked ? num(card![2]) : count, bytes: htmlBytes(card![3]), groups,
    legend: legend ? { bytes: htmlBytes(legend[1]), objects: num(legend[2]) } : undefined,
  };
}

/** Text, JSON and HTML state the model's figures; returns them. */
function expectAgreement(report: Report, heap: Heap): Figures {
  const model = reportLeaks(report);
  const expected: Figures = {
    count: model.count, weak: model.weak, objects: model.objects, bytes: model.bytes,
    groups: model.groups.map((g) => ({ label: g.label, count: g.count, objects: g.objects, bytes: g.bytes })),
  };
  expect(report.leakCount).toBe(model.count);
  expect(fromText(report)).toEqual(expected);
  expect(fromJSON(report)).toEqual(expected);
  const html = fromHTML(report, heap);
  expect({ ...html, legend: undefined }).toEqual({ ...expected, legend: undefined });
  expect(html.legend).toEqual({ bytes: model.bytes, objects: model.objects });
  return expected;
}

describe("text, JSON and HTML state the same leaks", () => {
  it("no leaks, and one object still held", async () => {
    const heap = await heapOf(true);
    const kept = heap.alloc(40);
    heap.put(heap.get(kept));
    heap.put(heap.alloc(8));
    const figures = expectAgreement(heap.report(), heap);
    expect(figures).toMatchObject({ count: 1, objects: 1, bytes: 40 }); // the 40-byte object is still held
    const empty = await heapOf(true);
    empty.put(empty.alloc(16));
    expect(expectAgreement(empty.report(), empty)).toEqual({ count: 0, weak: 0, objects: 0, bytes: 0, groups: [] });
  });

  it("many references to one object at one site: the object's bytes count once", async () => {
    const heap = await heapOf(true);
    const site = heap.site("cache.ts:12");
    const a = heap.exports.allocAt(138, site) >>> 0;
    for (let i = 0; i < 2; i++) heap.exports.getAt(a, site);
    expect(expectAgreement(heap.report(), heap)).toEqual({
      count: 3, weak: 0, objects: 1, bytes: 138, groups: [{ label: "cache.ts:12", count: 3, objects: 1, bytes: 138 }],
    });
  });

  it("many sites, owners, weak handles and an ignored object", async () => {
    const heap = await heapOf(true);
    const sites = ["a.ts:1", "b.ts:2", "c.ts:3", "d.ts:4"].map((l) => heap.site(l));
    const objects = [24, 40, 56, 72].map((size, i) => heap.exports.allocAt(size, sites[i]));
    heap.exports.getAt(objects[0], sites[1]); // b.ts holds a.ts's object too: two groups share it
    heap.exports.getForAt(objects[1], 7, sites[2]);
    heap.exports.getForAt(objects[2], 7, sites[2]);
    heap.exports.weakAt(objects[3], sites[3]);
    const gone = heap.exports.allocAt(16, sites[3]) >>> 0; // a raw export returns an i32: read unsigned, as the bindings do
    heap.exports.weakAt(gone, sites[3]); // a weak handle on an object then freed
    heap.put(gone);
    const cache = heap.exports.allocAt(500, sites[0]) >>> 0;
    heap.exports.getAt(cache, sites[1]);
    heap.ignore(cache); // a deliberate cache: none of its references is a leak
    const figures = expectAgreement(heap.report(), heap);
    // five objects, the freed one's 16 bytes too: its block is held for the leaked weak handle
    expect(figures).toMatchObject({ count: 9, weak: 2, objects: 5, bytes: 24 + 40 + 56 + 72 + 16 });
    const text = heap.report().toString();
    expect(text).toMatch(/owner 0x00000007 holds 2 references/);
    expect(text).toMatch(/1 ignored object not shown/);
    expect(text).not.toContain(hex(heap.ptr(cache)));
    expect(reportToHTML(heap.report(), { blocks: heap.blocks() })).not.toContain(hex(cache));
    expect(reportToJSON(heap.report()).leaks!.ignored).toBe(1);
  });

  it("leaksSince: a new reference on an old object counts that object's bytes", async () => {
    const heap = await heapOf(true);
    const site = heap.site("old.ts:1");
    const old = heap.exports.allocAt(300, site) >>> 0;
    const mark = heap.mark();
    heap.exports.getAt(old, heap.site("new.ts:2"));
    heap.exports.allocAt(100, heap.site("new.ts:3"));
    expect(expectAgreement(heap.leaksSince(mark), heap)).toEqual({
      count: 2, weak: 0, objects: 2, bytes: 400,
      groups: [{ label: "new.ts:2", count: 1, objects: 1, bytes: 300 }, { label: "new.ts:3", count: 1, objects: 1, bytes: 100 }],
    });
  });

  it("after a scan", async () => {
    const heap = await heapOf(true);
    const holder = heap.alloc(64);
    const stored = heap.alloc(8);
    heap.alloc(8);
    new DataView(heap.memory.buffer).setUint32(heap.ptr(holder) + 16, stored, true);
    const report = heap.report({ scan: true });
    expectAgreement(report, heap);
    const model = reportLeaks(report);
    expect(model).toMatchObject({ unreachable: 2, stored: 1 });
    expect(report.toString()).toMatch(/scan: 2 unreachable \(no copy in memory\), 1 still stored somewhere/);
    expect(reportToJSON(report).leaks).toMatchObject({ unreachable: 2, stored: 1 });
    expect(reportToHTML(report, { blocks: heap.blocks() })).toMatch(/<div class="d">2 unreachable \(scan\)<\/div>/);
  });

  it("unchecked build: objects, an ignored one left out", async () => {
    const heap = await heapOf(false);
    heap.alloc(10);
    heap.alloc(20);
    heap.ignore(heap.alloc(30));
    expect(expectAgreement(heap.report(), heap)).toEqual({
      count: 2, weak: 0, objects: 2, bytes: 30, groups: [{ label: "(site unknown)", count: 2, objects: 2, bytes: 30 }],
    });
  });
});

describe("the model", () => {
  it("reads records of either shape, sizes of unlisted objects from the caller as upper bounds", () => {
    const leaks = findLeaks({
      checked: true, leakCount: 0, since: 5,
      objects: [{ ptr: 0x100, size: 10, order: 6 }],
      references: [{ ptr: 0x100, order: 7 }, { ptr: 0x200, order: 8 }, { ptr: 0x200, order: 9, weak: true }],
      siteOf: () => undefined,
      capacityOf: (ptr) => (ptr === 0x200 ? 48 : undefined),
    });
    expect(leaks).toMatchObject({ count: 3, weak: 1, objects: 2, bytes: 58, estimated: true });
    expect(leaks.groups).toHaveLength(1);
    expect(leaks.items.map((l) => l.order)).toEqual([7, 8, 9]);
  });
});
