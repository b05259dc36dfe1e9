// Reachability from roots (bindings/reachability.ts): what a root holds, and whatever the objects
// it reaches hold in turn, is held, as LeakSanitizer, kmemleak and valgrind ("still reachable")
// count it. A C list in a static, a C table of malloc'd entries, a handle stored in an object a
// global holds, a handle kept by a GC object (a global's, an Array's, a Map's, a pinned one's):
// all were leaks when only a root's own words counted. What nothing reachable holds stays a leak:
// a list whose head was dropped (its head direct, the rest indirect), a handle left in a dropped
// Array after collection, in the tail of a reused block past a GC object's bytes, or only in freed
// memory.
import { readFileSync, rmSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { link } from "../bindings/node.js";
import { reportLeaks } from "../bindings/report.js";
import { readReportJSON, reportToJSON } from "../bindings/report-json.js";
import { buildCSources, buildLinkedSources, rcalloc } from "./run-tools.js";
import type { CheckResult } from "../bindings/cli-check.js";

const C: Record<string, string> = {
  // the brief's list: three nodes, the head in a static, each node holding the next
  "list.c": `#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
struct node { struct node *next; uint32_t value; };
static struct node *head;
__attribute__((export_name("run"))) uint32_t run(void) {
  for (uint32_t i = 0; i < 3; i++) { struct node *n = malloc(sizeof *n); n->value = i; n->next = head; head = n; }
  return head->value;
}
`,
  // a table malloc'd and kept in a static, its 8 entries malloc'd (interior: the static holds
  // table + 0, the entries are found through the table's words)
  "table.c": `#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
static char **table;
__attribute__((export_name("run"))) uint32_t run(void) {
  table = malloc(8 * sizeof *table);
  for (uint32_t i = 0; i < 8; i++) { table[i] = malloc(32); table[i][0] = (char)i; }
  return (uint32_t)table[7][0];
}
`,
  // the same list, its head dropped at the end: all three nodes leak, the head where the fix is
  "dropped.c": `#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
struct node { struct node *next; uint32_t value; };
static struct node *volatile head;
__attribute__((export_name("run"))) uint32_t run(void) {
  for (uint32_t i = 0; i < 3; i++) { struct node *n = malloc(sizeof *n); n->value = i; n->next = head; head = n; }
  uint32_t v = head->value;
  head = 0;
  return v;
}
`,
  // a Linux-style intrusive list: the static head points at the link inside each item (+4), as a
  // Rust HashMap in a static points into its table: static data holds what it points into
  "intrusive.c": `#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
struct link { struct link *next; };
struct item { uint32_t value; struct link link; };
static struct link head;
__attribute__((export_name("run"))) uint32_t run(void) {
  for (uint32_t i = 0; i < 3; i++) { struct item *it = malloc(sizeof *it); it->value = i; it->link.next = head.next; head.next = &it->link; }
  return 3;
}
`,
  // over-aligned blocks nothing keeps: the shim's table of them (in a static) must not hold them
  "aligned.c": `#define RC_MALLOC_SITES
#include <stdint.h>
#include <stdlib.h>
#include "rcalloc.h"
__attribute__((export_name("run"))) uint32_t run(void) {
  volatile char *p = aligned_alloc(64, 128);
  void *q = 0;
  if (posix_memalign(&q, 128, 40)) return 99;
  volatile char *v = q;
  p[0] = 1; v[0] = 2;
  return p[0] + v[0];
}
`,
};

const AS: Record<string, string> = {
  // run: inner is held through outer, which a global holds; run2: a GC object a global holds
  // holds a handle
  "nested.ts": `import { alloc, ptr } from "rcalloc/runtime/imports";
let holder: u32 = 0;
export function run(): void { let outer = alloc(8); let inner = alloc(8); store<u32>(ptr(outer), inner); holder = outer; }
class Box { h: u32 = 0; }
const box = new Box();
export function run2(): void { box.h = alloc(16); }
`,
  "containers.ts": `import { alloc } from "rcalloc/runtime/imports";
const list = new Array<u32>();
const byKey = new Map<u32, u32>();
export function main(): void {
  for (let i: u32 = 0; i < 4; i++) list.push(alloc(8));
  for (let i: u32 = 0; i < 4; i++) byKey.set(i, alloc(8));
}
`,
  // an object only the runtime's pin keeps (no global, no stack)
  "pinned.ts": `import { alloc } from "rcalloc/runtime/imports";
class Box { h: u32 = 0; }
export function main(): void { const b = new Box(); b.h = alloc(16); __pin(changetype<usize>(b)); }
`,
  // the Array is replaced: the old one is collected, its two handles are leaks
  "dropped.ts": `import { alloc } from "rcalloc/runtime/imports";
let list = new Array<u32>();
export function main(): void { list.push(alloc(8)); list.push(alloc(8)); list = new Array<u32>(); }
`,
  // a handle whose only copy is in a freed block (past the poisoned first 64 bytes, so the copy
  // stays), whose address a global still holds
  "freed.ts": `import { alloc } from "rcalloc/runtime/imports";
let scratch: usize = 0;
export function main(): void { scratch = heap.alloc(128); store<u32>(scratch, alloc(8), 96); heap.free(scratch); }
`,
  // a GC object on a reused block: its 10 handles' list is collected, and a smaller list of the
  // same capacity class (56 bytes) takes the block, zeroing only its own 32 bytes: the old words
  // past them are no field of it
  "tail.ts": `import { alloc } from "rcalloc/runtime/imports";
let kept: StaticArray<u32> | null = null;
function fill(): void {
  const old = new StaticArray<u32>(10);
  for (let i = 0; i < 10; i++) old[i] = alloc(8);
}
export function main(): void {
  fill();
  __collect();
  kept = new StaticArray<u32>(8);
}
`,
};

let cDir: string | null = null;
let asDir = "";

beforeAll(async () => {
  cDir = buildCSources(".reach-c-", C);
  asDir = await buildLinkedSources(".reach-as-", AS);
}, 240_000);
afterAll(() => {
  for (const d of [cDir, asDir]) if (d && !process.env.KEEP) rmSync(d, { recursive: true, force: true });
});

const wasmOf = (name: string) => join(name.endsWith(".c") ? cDir! : asDir, name.replace(/\.(c|ts)$/, ".wasm"));

async function check(name: string, entry: string): Promise<CheckResult> {
  const r = await rcalloc("check", wasmOf(name), "--entry", entry, "--json");
  return JSON.parse(r.stdout) as CheckResult;
}

/** Leaks of `entry` run under link() in the unchecked build, after a collection. */
async function uncheckedLeaks(name: string, entry: string): Promise<number> {
  const linked = await link(readFileSync(wasmOf(name)), { checked: false });
  (linked.exports as unknown as Record<string, () => void>)[entry]();
  linked.collect();
  return linked.report({ scan: true }).leakCount;
}

describe("C: what a static reaches is held", () => {
  it("a list whose head is in a static: clean, its 3 nodes held by static data", async (ctx) => {
    if (!cDir) ctx.skip();
    const r = await check("list.c", "run");
    expect(r.status).toBe("clean");
    expect(r.leaks!.held).toHaveLength(3);
    for (const h of r.leaks!.held) expect(h.heldBy).toMatch(/^static data at 0x[0-9a-f]{8}$/);
    expect(new Set(r.leaks!.held.map((h) => h.heldBy)).size).toBe(1); // all through the one static
    expect(await uncheckedLeaks("list.c", "run")).toBe(0);
  });

  it("a malloc'd table of malloc'd entries in a static: clean", async (ctx) => {
    if (!cDir) ctx.skip();
    const r = await check("table.c", "run");
    expect(r.status).toBe("clean");
    expect(r.leaks!.held).toHaveLength(9);
    expect(await uncheckedLeaks("table.c", "run")).toBe(0);
  });

  it("an intrusive list whose static head points inside each item: clean (interior pointers from static data)", async (ctx) => {
    if (!cDir) ctx.skip();
    const r = await check("intrusive.c", "run");
    expect(r.status).toBe("clean");
    expect(r.leaks!.held).toHaveLength(3);
  });

  it("over-aligned blocks nothing keeps are leaks: the shim's table of them holds none", async (ctx) => {
    if (!cDir) ctx.skip();
    const r = await check("aligned.c", "run");
    expect(r.status).toBe("leaks");
    expect(r.leaks!.count).toBe(2);
  });

  it("a list whose head was dropped: 3 leaks, the head direct, the 2 nodes it holds indirect", async (ctx) => {
    if (!cDir) ctx.skip();
    const r = await check("dropped.c", "run");
    expect(r.status).toBe("leaks");
    expect(r.leaks!.count).toBe(3);
    const linked = await link(readFileSync(wasmOf("dropped.c")), { checked: true });
    (linked.exports as unknown as { run(): number }).run();
    const leaks = reportLeaks(linked.report({ scan: true }));
    expect(leaks.items.map((l) => l.indirect)).toEqual([true, true, false]); // oldest first: the head is the newest
    expect(await uncheckedLeaks("dropped.c", "run")).toBe(3);
  });
});

describe("AssemblyScript: what a global or a pinned object reaches is held", () => {
  it("a handle stored in an object a global holds (both builds)", async () => {
    const r = await check("nested.ts", "run");
    expect(r.status).toBe("clean");
    expect(r.leaks!.held.map((h) => h.heldBy)).toEqual([expect.stringMatching(/^global `\S*nested\/holder`$/), expect.stringMatching(/^global `\S*nested\/holder`$/)]);
    expect(await uncheckedLeaks("nested.ts", "run")).toBe(0);
  });

  it("the holding object's payload is named (heldThrough), a root's own word names none", async () => {
    const linked = await link(readFileSync(wasmOf("nested.ts")), { checked: true });
    (linked.exports as unknown as { run(): void }).run();
    const refs = linked.report().references.filter((x) => !x.raw);
    expect(refs).toHaveLength(2);
    const [outer, inner] = refs;
    expect(outer.heldThrough).toBeUndefined();
    expect(inner.heldThrough).toBe(outer.ptr);
    // in the JSON data too, as docs/report.schema.json has it, and read back
    const json = reportToJSON(linked.report());
    const validate = new Ajv2020({ strict: true, validateFormats: false }).compile(JSON.parse(readFileSync(new URL("../docs/report.schema.json", import.meta.url), "utf8")));
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    expect(readReportJSON(JSON.parse(JSON.stringify(json))).references.filter((x) => x.handle).map((x) => x.heldThrough)).toEqual([undefined, outer.ptr]);
    const check = JSON.parse((await rcalloc("check", wasmOf("nested.ts"), "--entry", "run", "--json")).stdout) as CheckResult;
    expect(check.leaks!.held.map((h) => h.heldThrough)).toEqual([null, expect.any(Number)]);
  });

  it("a handle in a field of a GC object a global holds (both builds)", async () => {
    const r = await check("nested.ts", "run2");
    expect(r.status).toBe("clean");
    expect(r.leaks!.held).toHaveLength(1);
    expect(r.leaks!.held[0].heldBy).toMatch(/^global `\S*nested\/box`$/);
    expect(await uncheckedLeaks("nested.ts", "run2")).toBe(0);
  });

  it("handles in a global Array and a global Map (both builds)", async () => {
    const r = await check("containers.ts", "main");
    expect(r.status).toBe("clean");
    expect(r.leaks!.held).toHaveLength(8);
    expect(await uncheckedLeaks("containers.ts", "main")).toBe(0);
  });

  it("a handle in an object only __pin keeps (both builds)", async () => {
    const r = await check("pinned.ts", "main");
    expect(r.status).toBe("clean");
    expect(r.leaks!.held).toEqual([expect.objectContaining({ heldBy: expect.stringMatching(/^object pinned by the AssemblyScript runtime at 0x[0-9a-f]{8}$/) })]);
    expect(await uncheckedLeaks("pinned.ts", "main")).toBe(0);
  });
});

describe("what nothing reachable holds is still a leak", () => {
  it("handles left in a dropped Array, after the collection (both builds)", async () => {
    const r = await check("dropped.ts", "main");
    expect(r.status).toBe("leaks");
    expect(r.leaks!.count).toBe(2);
    expect(await uncheckedLeaks("dropped.ts", "main")).toBe(2);
  });

  it("handles left past a GC object's own bytes, on a block the runtime reused (both builds)", async () => {
    const r = await check("tail.ts", "main");
    expect(r.status).toBe("leaks");
    expect(r.leaks!.count).toBe(10);
    expect(r.leaks!.held).toEqual([]);
    expect(await uncheckedLeaks("tail.ts", "main")).toBe(10);
  });

  it("a handle whose only copy is in a freed block a global still points at", async () => {
    const r = await check("freed.ts", "main");
    expect(r.status).toBe("leaks");
    expect(r.leaks!.references).toHaveLength(1);
    expect(r.leaks!.references[0].site?.label).toMatch(/freed\.ts:3:/);
  });
});
