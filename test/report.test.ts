// The heap-walk report's text: grouped by site, oldest group first, capped with "N more".
import { describe, expect, it } from "vitest";
import { heapOf } from "./heap.js";

describe("report text", () => {
  it("groups references by the site that took them, oldest first, capped", async () => {
    const heap = await heapOf(true, { stacks: true });
    const takeAtA = (h: number) => heap.get(h); // site A
    const takeAtB = (h: number) => heap.get(h); // site B
    const root = heap.alloc(8);
    for (let i = 0; i < 7; i++) takeAtB(root);
    for (let i = 0; i < 2; i++) takeAtA(root);
    const text = heap.report().toString({ maxPerGroup: 3 });
    const headers = text.split("\n").filter((l) => / taken at /.test(l));
    expect(headers).toHaveLength(3);
    expect(headers[0]).toMatch(/^1 reference taken at .*report\.test\.ts:\d+:\d+ \(1 object, 8 bytes\):$/); // the alloc, oldest
    expect(headers[1]).toMatch(/^7 references taken at .*report\.test\.ts:\d+/);
    expect(headers[2]).toMatch(/^2 references taken at .*report\.test\.ts:\d+/);
    expect(text).toContain("  ... 4 more");
    expect(text).toMatch(/at takeAtB .*report\.test\.ts/);
  });

  it("caps the number of groups with 'N more groups'", async () => {
    const heap = await heapOf(true);
    const sites = Array.from({ length: 30 }, (_, i) => heap.site(`app.ts:${i + 1}`));
    for (const site of sites) heap.exports.allocAt(16, site);
    const text = heap.report().toString({ maxGroups: 25 });
    expect(text.split("\n").filter((l) => / taken at app\.ts:/.test(l))).toHaveLength(25);
    expect(text).toMatch(/\.\.\. 5 more groups$/);
    expect(text).toMatch(/taken at app\.ts:1 \(1 object, 16 bytes\)[\s\S]*taken at app\.ts:2 /); // oldest first
  });

  it("names AssemblyScript callers' site ids given labels with heap.site()", async () => {
    const heap = await heapOf(true);
    const site = heap.site("parser.ts:42", "parse\nmain");
    const h = heap.exports.allocAt(100, site) >>> 0;
    expect(heap.report().references[0]).toMatchObject({ handle: h, site: { id: site, label: "parser.ts:42" } });
  });

  it("renders the unchecked build's objects without references", async () => {
    const heap = await heapOf(false);
    heap.alloc(10);
    heap.alloc(20);
    const text = heap.report().toString();
    expect(text).toMatch(/unchecked build\): 2 live objects \(30 bytes\)/);
    expect(text).toMatch(/2 objects taken at \(site unknown\)/);
  });
});
