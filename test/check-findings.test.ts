// `rcalloc check` on small modules built as users build them (asc --debug --sourceMap, clang),
// each with one behaviour the check once got wrong: a write after free still in the quarantine
// went unreported; a raw block held by a wasm global or a C static was called a leak; the text
// printed one path's backtrace for references taken through another; --json printed nothing when
// the module trapped in the collection before the report; a leak stored only inside another
// leaked object came before the one that holds it. Also: a block stored nowhere stays a leak.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { link, WriteAfterFreeError } from "../bindings/node.js";
import { buildLinkedSources, rcalloc } from "./run-tools.js";
import type { CheckResult } from "../bindings/cli-check.js";
// @ts-expect-error: plain JS build script
import { EXAMPLES_DIR } from "../examples/build.js";
// @ts-expect-error: plain JS build script
import { CLANG_FLAGS, nativeMissing } from "../examples/build-native.js";

// AssemblyScript sources: they live under examples/ so `rcalloc/runtime/imports` resolves.
const AS: Record<string, string> = {
  // line 2: the alloc; line 4: the free; line 5: a write to the freed block (in the quarantine)
  "raw-waf.ts": `export function main(): u32 {
  const p = heap.alloc(48);
  store<u32>(p, 1);
  heap.free(p);
  store<u32>(p, 0xdead, 8);
  return 0;
}
`,
  // correct: a scratch block kept for the module's life in a global, like a handle in a global
  "raw-global.ts": `let scratch: usize = heap.alloc(256);
export function main(): u32 {
  for (let i: u32 = 0; i < 64; i++) store<u32>(scratch + (i << 2), i);
  return load<u32>(scratch + 8);
}
`,
  // line 3: a block whose address is kept nowhere (the global keeps another): still a leak
  "raw-lost.ts": `let scratch: usize = heap.alloc(64);
export function main(): u32 {
  let lost = heap.alloc(32);
  store<u32>(lost, 7);
  return load<u32>(scratch) + 1;
}
`,
  // the same line leaked through two paths: line 3 via first(), line 4 via second(); the Array
  // holding them is main's own, dropped when it returns (one a global held would hold them)
  "two-paths.ts": `import { alloc, get, put } from "rcalloc/runtime/imports";
function take(h: u32): u32 { return get(h); }
function first(h: u32, kept: Array<u32>): void { kept.push(take(h)); }
function second(h: u32, kept: Array<u32>): void { kept.push(take(h)); }
export function main(): u32 {
  const kept = new Array<u32>();
  const a = alloc(8);
  first(a, kept);
  second(a, kept);
  put(a);
  return kept.length;
}
`,
  // line 3: an inner object whose only handle is stored in the outer one; line 4: the outer
  // object, stored nowhere (the direct leak: putting it, and what it holds, fixes both)
  "nested.ts": `import { alloc, ptr } from "rcalloc/runtime/imports";
export function main(): u32 {
  const inner = alloc(8);
  const outer = alloc(8);
  store<u32>(ptr(outer), inner);
  return 0;
}
`,
  // unsafe on purpose: frees a live GC object's block behind the collector's back, so the
  // collection check runs before its report traps
  "free-gc.ts": `class Thing { constructor(public n: i32) {} }
export function main(): u32 {
  let t = new Thing(3);
  let p = changetype<usize>(t);
  let n = t.n;
  heap.free(p - 16);
  return <u32>n;
}
`,
  // lines 4 and 5: instances of @unmanaged classes (raw blocks; as-variant on npm stores them),
  // one with the constructor asc makes, one with its own; neither is freed
  "unmanaged-new.ts": `@unmanaged class Point { x: i32; y: i32; }
@unmanaged class Vec { constructor(public x: f64, public y: f64) {} }
export function main(): i32 {
  const p = new Point();
  const v = new Vec(1, 2);
  p.x = 3;
  return p.x + <i32>v.x;
}
`,
};

// C: line 7 mallocs a table kept in a static for the program's life; line 8 one kept nowhere
const C_SOURCE = `#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
static uint32_t *table;
__attribute__((export_name("run"))) uint32_t run(void) {
  if (!table) table = malloc(64 * sizeof(uint32_t));
  uint32_t *lost = malloc(16);
  lost[0] = 5;
  uint32_t sum = lost[0];
  for (uint32_t i = 0; i < 64; i++) { table[i] = i; sum += table[i]; }
  return sum;
}
`;

AS["object-global.ts"] = readFileSync(new URL("fixtures/check/object-global.ts", import.meta.url), "utf8");

let dir = "";
const wasm = (name: string) => join(dir, `${name}.wasm`);

beforeAll(async () => { dir = await buildLinkedSources(".check-findings-", AS); }, 180_000);
afterAll(() => { if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

async function check(name: string, ...args: string[]): Promise<{ status: number; text: string; json: CheckResult }> {
  const text = await rcalloc("check", wasm(name), ...args);
  const json = await rcalloc("check", wasm(name), "--json", ...args);
  expect(json.status).toBe(text.status);
  return { status: text.status, text: text.stdout, json: JSON.parse(json.stdout) as CheckResult };
}

describe("a write after free still in the quarantine", () => {
  it("rcalloc check reports it: exit 2, WRITE_AFTER_FREE, where the block was allocated and freed", async () => {
    const r = await check("raw-waf");
    expect(r.status).toBe(2);
    expect(r.json.status).toBe("misuse");
    expect(r.json.error!.code).toBe("WRITE_AFTER_FREE");
    expect(r.json.error!.site?.label).toMatch(/raw-waf\.ts:2:/);
    expect(r.json.error!.putSite?.label).toMatch(/raw-waf\.ts:4:/);
    expect(r.text).toMatch(/^MISUSE {2}WriteAfterFreeError \[WRITE_AFTER_FREE\]/m);
    expect(r.text).toMatch(/byte 8 of the payload changed/);
  });

  it("link()'s report() throws it rather than report a heap with a corrupted freed block", async () => {
    const sourceMap = readFileSync(`${wasm("raw-waf")}.map`, "utf8");
    const linked = await link(readFileSync(wasm("raw-waf")), { checked: true, stacks: true, sourceMap });
    (linked.exports as unknown as { main(): number }).main();
    let caught: unknown;
    try { linked.report({ scan: true }); } catch (e) { caught = e; }
    expect(caught).toBeInstanceOf(WriteAfterFreeError);
    expect((caught as WriteAfterFreeError).site?.label).toMatch(/raw-waf\.ts:2:/);
    expect((caught as WriteAfterFreeError).putSite?.label).toMatch(/raw-waf\.ts:4:/);
    // reported once (the block is poisoned again): the heap is whole, and the next report says so
    linked.heap.validate();
    expect(linked.report().leakCount).toBe(0);
  });
});

describe("a trap in the collector check runs after the program", () => {
  it("says check was collecting garbage, and shows the collector's frames when none is the program's", async () => {
    const r = await check("object-global");
    expect(r.status).toBe(4);
    expect(r.json.error!.during).toBe("collecting garbage and walking the heap");
    expect(r.json.error!.trappedAt.some((f) => f.includes("__visit_globals"))).toBe(true);
    expect(r.text).toMatch(/^ {2}while {7}collecting garbage and walking the heap$/m);
    expect(r.text).toMatch(/^ {2}trapped in {2}\S*itcms/m);
  });
});

describe("roots: what holds a raw block", () => {
  it("a heap.alloc block kept in a module global is held by it, not a leak", async () => {
    const r = await check("raw-global");
    expect(r.text).not.toMatch(/^LEAKS/m);
    expect(r.text).toMatch(/^CLEAN .*\(1 reference held by global `\S*raw-global\/scratch`: not leaks\)/m);
    expect(r.status).toBe(0);
    expect(r.json.leaks!.held).toEqual([expect.objectContaining({ handle: 0, heldBy: expect.stringMatching(/^global `\S*raw-global\/scratch`$/) })]);
  });

  it("a heap.alloc block whose address is stored nowhere is still a leak, at its alloc", async () => {
    const r = await check("raw-lost");
    expect(r.status).toBe(1);
    expect(r.json.leaks!.references).toHaveLength(1);
    expect(r.json.leaks!.references[0].site?.label).toMatch(/raw-lost\.ts:3:/);
    expect(r.json.leaks!.held).toHaveLength(1); // the global's
  });

  it("C: a malloc'd block kept in a static is held by static data; one kept nowhere is a leak", async () => {
    if (nativeMissing("clang")) return;
    const include = join(EXAMPLES_DIR, "node_modules", "rcalloc", "include");
    writeFileSync(join(dir, "statics.c"), C_SOURCE);
    const cc = spawnSync("clang", [...CLANG_FLAGS, "-I", include, "statics.c", join(include, "rcalloc-malloc.c"), "-o", wasm("statics")],
      { cwd: dir, encoding: "utf8" });
    expect(cc.status, cc.stderr).toBe(0);
    const r = await check("statics", "--entry", "run");
    expect(r.status).toBe(1);
    expect(r.json.leaks!.references.map((x) => x.site?.label)).toEqual([expect.stringMatching(/statics\.c:8/)]);
    expect(r.json.leaks!.held).toEqual([expect.objectContaining({ heldBy: expect.stringMatching(/^static data at 0x[0-9a-f]{8}$/), site: expect.objectContaining({ label: expect.stringMatching(/statics\.c:7/) }) })]);
    expect(r.text).toMatch(/1 reference held by a root, not leaks: 1 by static data at 0x[0-9a-f]{8}/);
  }, 120_000);
});

describe("the text report's backtraces", () => {
  it("prints each distinct path of a group, as the JSON has them", async () => {
    const r = await check("two-paths");
    expect(r.status).toBe(1);
    const stacks = r.json.leaks!.references.map((x) => x.site!.stack.join(" | "));
    expect(new Set(stacks).size).toBe(2);
    expect(r.text).toMatch(/backtrace 1 of 2 \(1 reference\):\n.*\n.*two-paths\/first/);
    expect(r.text).toMatch(/backtrace 2 of 2 \(1 reference\):\n.*\n.*two-paths\/second/);
    const html = join(dir, "two-paths.html");
    await rcalloc("check", wasm("two-paths"), "--html", html);
    expect(readFileSync(html, "utf8")).toMatch(/two-paths\/second/);
  });
});

describe("direct leaks before indirect ones", () => {
  it("the leak stored nowhere comes first, then the one stored only inside it, marked indirect", async () => {
    const r = await check("nested");
    expect(r.status).toBe(1);
    const groups = r.json.leaks!.groups;
    expect(groups.map((g) => [g.label.replace(/^.*\//, ""), g.indirect])).toEqual([
      [expect.stringMatching(/^nested\.ts:4:/), false],
      [expect.stringMatching(/^nested\.ts:3:/), true],
    ]);
    expect(r.text).toMatch(/taken at \S*nested\.ts:4:[^]*\(indirect: stored inside other leaked objects\)\n1 reference taken at \S*nested\.ts:3:/);
  });
});

describe("a trap in the collection before the report", () => {
  it("--json still prints the JSON result (exit 4), and the text says FAILED", async () => {
    const r = await check("free-gc");
    expect(r.status).toBe(4);
    expect(r.json.status).toBe("failed");
    expect(r.json.exitCode).toBe(4);
    expect(r.text).toMatch(/^FAILED {2}/m);
  });
});

describe("a leaked @unmanaged object", () => {
  it("is named at its new, not in the constructor asc made ('line lost to optimization' at -O0)", async () => {
    const r = await check("unmanaged-new");
    expect(r.status).toBe(1);
    const labels = r.json.leaks!.references.map((ref) => ref.site!.label.replace(/^.*\//, ""));
    expect(labels).toEqual(["unmanaged-new.ts:4:13", "unmanaged-new.ts:5:13"]);
    expect(r.text).not.toMatch(/lost to optimization/);
  });
});
