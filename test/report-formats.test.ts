// The report as JSON data: reportToJSON's output validates against docs/report.schema.json (with
// Ajv, strict) in both builds, for full, leaksSince and scanned reports; sites are listed once.
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { describe, expect, it } from "vitest";
import { reportToJSON, type ReportJSON } from "../bindings/report-json.js";
import type { Report } from "../bindings/report.js";
import { leakyHeap } from "./fixtures/report/leaky-heap.js";
import { heapOf } from "./heap.js";

const schema = JSON.parse(readFileSync(new URL("../docs/report.schema.json", import.meta.url), "utf8"));
const ajv = new Ajv2020({ strict: true, allErrors: true });
ajv.addFormat("date-time", (s: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)));
const validate = ajv.compile(schema);

/** Validates, and checks what the schema cannot say: site ids unique and all resolvable. */
function expectValid(json: ReportJSON): void {
  const ok = validate(json);
  expect(validate.errors ?? [], ajv.errorsText(validate.errors)).toEqual([]);
  expect(ok).toBe(true);
  const ids = json.sites.map((s) => s.id);
  expect(new Set(ids).size).toBe(ids.length);
  const named = [
    ...json.objects.flatMap((o) => [o.site, o.lastPutSite]),
    ...json.references.map((r) => r.site),
  ].filter((id): id is number => id !== undefined);
  for (const id of named) expect(ids).toContain(id);
  // Plain data: survives a JSON round trip unchanged.
  expect(JSON.parse(JSON.stringify(json))).toEqual(json);
}

describe("reportToJSON", () => {
  it("checked build, full report with scan and blocks: valid, every record kept, sites once by id", async () => {
    const { heap } = await leakyHeap();
    const report = heap.report({ scan: true });
    const blocks = heap.blocks();
    const json = reportToJSON(report, { blocks, generatedAt: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) });
    expectValid(json);
    expect(json).toMatchObject({
      format: "rcalloc-report", version: 1, build: "checked", scanned: true,
      generatedAt: "2026-01-02T03:04:05.000Z", leakCount: report.references.length,
    });
    expect(json.objects).toHaveLength(report.objects.length);
    expect(json.references).toHaveLength(report.references.length);
    expect(json.blocks).toHaveLength(blocks.length);
    expect(json.stats).toEqual(report.stats);
    // 362 references from a handful of call sites: each site appears once, with its frames.
    expect(json.sites.length).toBeLessThan(10);
    const remember = json.sites.find((s) => s.stack[0]?.includes("rememberUser"));
    expect(remember?.label).toMatch(/leaky-heap\.ts:\d+:\d+$/);
    expect(json.references.filter((r) => r.site === remember!.id)).toHaveLength(6);
    // The scan's verdicts come through: the parse nodes hold each other, the texture nobody.
    expect(json.references.every((r) => typeof r.reachable === "boolean")).toBe(true);
    expect(json.references.some((r) => r.reachable && r.storedIn !== undefined)).toBe(true);
    expect(json.references.some((r) => r.reachable === false)).toBe(true);
    expect(new Set(json.blocks.map((b) => b.kind))).toEqual(new Set(["live", "free", "cached", "dead", "internal"]));
  });

  it("a leaksSince report: since, only the leaks, valid", async () => {
    const { heap, mark, leakedObjects } = await leakyHeap();
    const json = reportToJSON(heap.leaksSince(mark));
    expectValid(json);
    expect(json.since).toBe(mark);
    expect(json.references).toHaveLength(6 + 30 + 1);
    expect(json.objects.map((o) => o.ptr).sort()).toEqual([...leakedObjects].sort());
    expect(json.blocks).toEqual([]);
  });

  it("unchecked build: objects without orders or references, and a leaksSince count; valid", async () => {
    const heap = await heapOf(false);
    const a = heap.alloc(40);
    heap.alloc(8);
    const mark = heap.mark();
    heap.alloc(100);
    heap.alloc(16);
    heap.put(a); // unchecked leaksSince counts: 3 live now, 2 at the mark

    const full = reportToJSON(heap.report({ scan: true }), { blocks: heap.blocks() });
    expectValid(full);
    expect(full).toMatchObject({ build: "unchecked", references: [], scanned: true });
    expect(full.objects.map((o) => o.size).sort((x, y) => x - y)).toEqual([8, 16, 100]);
    const since = reportToJSON(heap.leaksSince(mark));
    expectValid(since);
    expect(since).toMatchObject({ since: mark, leakCount: 1, objects: [] });
  });

  it("keeps sites apart that reuse an id, and includes JS leaks when given", () => {
    const site = (id: number, label: string) => ({ id, label, stack: `at f (${label})\nat g (main.js:1:1)` });
    const stats = { pages: 1, heapBytes: 0, liveObjects: 0, liveBytes: 0, freeBytes: 0, cachedBytes: 0, internalBytes: 0, liveReferences: 2, retiredSlots: 0 };
    const report = {
      checked: true, scanned: false, leakCount: 2, objects: [], stats,
      references: [
        { handle: 0x10000001, ptr: 0x4010, order: 1, weak: false, site: site(1, "a.js:1:1") },
        { handle: 0x10000002, ptr: 0x4010, order: 2, weak: true, owner: 77, site: site(1, "b.js:2:2") },
      ],
    } as unknown as Report;
    const json = reportToJSON(report, {
      jsLeaks: [{ handle: 0x4010, ptr: 0x4010, size: 8, label: "c.js:3:3", stack: "at h (c.js:3:3)", message: "" }],
    });
    expectValid(json);
    expect(json.sites.map((s) => [s.id, s.label])).toEqual([[1, "a.js:1:1"], [2, "b.js:2:2"]]);
    expect(json.references.map((r) => r.site)).toEqual([1, 2]);
    expect(json.references[1]).toMatchObject({ weak: true, owner: 77 });
    expect(json.jsLeaks).toEqual([{ handle: 0x4010, ptr: 0x4010, size: 8, label: "c.js:3:3", stack: ["at h (c.js:3:3)"] }]);
  });

  it("the schema is not vacuous: it rejects a wrong kind, a missing field, a negative address", async () => {
    const heap = await heapOf(true);
    heap.alloc(8);
    const good = reportToJSON(heap.report(), { blocks: heap.blocks() });
    expect(validate(good)).toBe(true);
    const bad = (change: (j: Record<string, unknown> & ReportJSON) => void) => {
      const j = structuredClone(good) as Record<string, unknown> & ReportJSON;
      change(j);
      return validate(j);
    };
    expect(bad((j) => { (j.blocks[0] as { kind: string }).kind = "zombie"; })).toBe(false);
    expect(bad((j) => { delete (j as Partial<ReportJSON>).build; })).toBe(false);
    expect(bad((j) => { j.objects[0].ptr = -16; })).toBe(false);
    expect(bad((j) => { j.extra = 1; })).toBe(false);
    expect(bad((j) => { j.generatedAt = "yesterday"; })).toBe(false);
  });
});
