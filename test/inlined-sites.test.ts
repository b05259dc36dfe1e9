// Sites in rcalloc's inlined code (runtime/imports.ts get/put/alloc/ptr are @inline): a frame
// there is named by the call asc inlined (the block it inlined the call into), or says its line
// was lost to optimization; never an earlier statement's or an argument's line. Modules built
// with asc as README "Link at load" says (--debug --sourceMap), and at -O3, checked through the
// CLI (in-process); then the rule on hand-made bodies, and the body decoder on real asc output.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { asc, rcalloc } from "./run-tools.js";
import type { CheckResult } from "../bindings/cli-check.js";
import { decodeBody, enclosing, growsMemory } from "../bindings/wasm-code.js";
import { inspectModule } from "../bindings/wasm-reader.js";
import { ModuleCode, WasmSourceMap } from "../bindings/wasm-sites.js";
// @ts-expect-error: plain JS build script
import { EXAMPLES_DIR, LINKED_FLAGS } from "../examples/build.js";
// @ts-expect-error: plain JS build script
import { linkPackage } from "../examples/paths.js";

// Sources live under examples/ so `rcalloc/runtime/imports` resolves as in a user's project.
const SOURCES: Record<string, string> = {
  "helpers.ts": `import { put } from "rcalloc/runtime/imports";
export function release(h: u32): void {
  put(h); // line 3: the first put of double-put.ts, all of the function's body
}
`,
  // line 5: the get; line 7 (inside release, helpers.ts:3) the first put; line 8: the double put
  "double-put.ts": `import { alloc, get, put, ptr } from "rcalloc/runtime/imports";
import { release } from "./helpers";
export function main(): u32 {
  const a = alloc(16);
  const b = get(a);
  store<u32>(ptr(b), 1);
  release(b);
  put(b);
  put(a);
  return 0;
}
`,
  // line 5: the put; line 6: the use of the stale handle
  "stale.ts": `import { alloc, get, put, ptr } from "rcalloc/runtime/imports";
export function main(): u32 {
  const a = alloc(16);
  const b = get(a);
  put(b);
  const v = load<u32>(ptr(b));
  put(a);
  return v;
}
`,
  // line 5: the leaked get, its argument on line 6; line 9: a get whose value is dropped (asc
  // locates the drop, not the call)
  "multiline.ts": `import { alloc, get, put } from "rcalloc/runtime/imports";
const docs = new Map<string, u32>();
export function main(): u32 {
  docs.set("intro", alloc(32));
  const doc = get(
    docs.get("intro"),
  );
  put(docs.get("intro"));
  if (doc) get(doc);
  return doc == 0 ? 1 : 0;
}
`,
  // line 3: the heap.alloc; line 5: the first free; line 7: the second
  "raw-double.ts": `export function main(): u32 {
  const s = "y".repeat(10);
  const p = heap.alloc(48);
  store<u32>(p, <u32>s.length);
  heap.free(p);
  const v: u32 = 3;
  heap.free(p);
  return v;
}
`,
  // line 3: a heap.alloc never freed
  "raw-leak.ts": `export function main(): u32 {
  const s = "x".repeat(10);
  const p = heap.alloc(48);
  store<u32>(p, <u32>s.length);
  return load<u32>(p);
}
`,
  // SIMD and bulk memory, for the decoder
  "simd.ts": `export function main(): u32 {
  const p = heap.alloc(64);
  memory.fill(p, 7, 64);
  memory.copy(p + 32, p, 16);
  let v = v128.load(p);
  v = i32x4.add(v, i32x4.splat(3));
  const w = i8x16.shuffle(v, v, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
  v = v128.bitselect(v, w, i32x4.splat(-256));
  v = i16x8.replace_lane(v, 2, i16x8.extract_lane_s(w, 1));
  v128.store(p, v);
  const r = i32x4.extract_lane(v128.load(p + 32), 0) + i32x4.extract_lane(v, 3);
  heap.free(p);
  return <u32>r;
}
`,
};

const BUILDS: [name: string, variant: string, flags: string[]][] = [
  ["double-put", "debug", ["--debug"]], ["double-put", "O3", ["-O3", "--debug"]],
  ["stale", "debug", ["--debug"]], ["stale", "O3", ["-O3", "--debug"]],
  ["multiline", "debug", ["--debug"]],
  ["raw-double", "debug", ["--debug"]], ["raw-double", "O3", ["-O3", "--debug"]],
  ["raw-leak", "O3-nameless", ["-O3"]], // a source map, no function names
  ["simd", "O3", ["-O3", "--debug", "--enable", "simd"]],
];

let dir = "";
const wasm = (name: string, variant: string) => join(dir, `${name}.${variant}.wasm`);

beforeAll(async () => {
  linkPackage();
  dir = mkdtempSync(join(EXAMPLES_DIR, ".inlined-"));
  for (const [file, text] of Object.entries(SOURCES)) writeFileSync(join(dir, file), text);
  for (const [name, variant, flags] of BUILDS) {
    const { error, output } = await asc([relative(EXAMPLES_DIR, join(dir, `${name}.ts`)), ...LINKED_FLAGS, ...flags,
      "--sourceMap", "-o", relative(EXAMPLES_DIR, wasm(name, variant)), "--baseDir", EXAMPLES_DIR, "--noColors"]);
    if (error) throw new Error(output);
  }
}, 240_000);
afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

async function check(name: string, variant: string): Promise<CheckResult> {
  return JSON.parse((await rcalloc("check", wasm(name, variant), "--json")).stdout) as CheckResult;
}

/** The exact site, or (optimized) the function with its line lost: never another line. */
const exactOrLost = (site: RegExp) => new RegExp(`${site.source}|^\\S+/main \\(\\S+\\.ts: line lost to optimization, wasm 0x[0-9a-f]+\\)$`);

describe("--debug: the inlined call's own line and column", () => {
  it("a double put names the first put in a function that is only that put (helpers.ts:3:3) and traps at the second", async () => {
    const r = await check("double-put", "debug");
    expect(r.error!.code).toBe("DOUBLE_PUT");
    expect(r.error!.site?.label).toMatch(/double-put\.ts:5:13$/);
    expect(r.error!.putSite?.label).toMatch(/helpers\.ts:3:3$/); // main: "release (helpers.ts: ...)" at the argument h
    expect(r.error!.trappedAt[0]).toMatch(/double-put\.ts:8:3\)$/);
  });

  it("a use after put names the put (stale.ts:5:3) and the ptr() that used the handle (6:23)", async () => {
    const r = await check("stale", "debug");
    expect(r.error!.code).toBe("USE_AFTER_PUT");
    expect(r.error!.site?.label).toMatch(/stale\.ts:4:13$/);
    expect(r.error!.putSite?.label).toMatch(/stale\.ts:5:3$/);
    expect(r.error!.trappedAt[0]).toMatch(/stale\.ts:6:23\)$/); // main: 6:27, the argument b
  });

  it("a leaked get whose argument is on the next line is named at the get (5:15), a dropped get at its call (9:12)", async () => {
    const r = await check("multiline", "debug");
    const labels = r.leaks!.references.map((x) => x.site!.label).sort();
    expect(labels).toHaveLength(2);
    expect(labels[0]).toMatch(/multiline\.ts:5:15$/); // main: multiline.ts:6:5, the argument
    expect(labels[1]).toMatch(/multiline\.ts:9:12$/); // main: multiline.ts:9:16, the argument
  });

  it("a double heap.free names the heap.alloc and both frees", async () => {
    const r = await check("raw-double", "debug");
    expect(r.error!.site?.label).toMatch(/raw-double\.ts:3:13$/);
    expect(r.error!.putSite?.label).toMatch(/raw-double\.ts:5:3$/);
    expect(r.error!.trappedAt[0]).toMatch(/raw-double\.ts:7:3\)$/);
  });

  it("README: a leak's site is the exact column of the call that took it (\"corpus/rope.ts:18:11\")", async () => {
    // @ts-expect-error: plain JS build script
    const { buildExamples, examplePath } = await import("../examples/build.js");
    buildExamples({ names: ["corpus/rope"] });
    const r = await rcalloc("check", examplePath("corpus/rope") as string);
    expect(r.stdout).toContain("taken at corpus/rope.ts:18:11"); // main: 18:15, the argument `left`
  }, 120_000);
});

describe("-O3: the exact site, or the function and \"line lost to optimization\", never an earlier statement's line", () => {
  it("a double put", async () => {
    const r = await check("double-put", "O3");
    expect(r.error!.code).toBe("DOUBLE_PUT");
    expect(r.error!.site?.label).toMatch(exactOrLost(/double-put\.ts:5:13$/));
    expect(r.error!.putSite?.label).toMatch(exactOrLost(/helpers\.ts:3:3$|double-put\.ts:7:3$/)); // main: double-put.ts:6:3 (the store)
    expect(r.error!.trappedAt[0]).toMatch(exactOrLost(/double-put\.ts:8:3\)$/)); // main: double-put.ts:6:3
  });

  it("a use after put", async () => {
    const r = await check("stale", "O3");
    expect(r.error!.code).toBe("USE_AFTER_PUT");
    expect(r.error!.site?.label).toMatch(exactOrLost(/stale\.ts:4:13$/));
    expect(r.error!.putSite?.label).toMatch(exactOrLost(/stale\.ts:5:3$/)); // main: stale.ts:4:13 (the get's line)
    expect(r.error!.trappedAt[0]).toMatch(exactOrLost(/stale\.ts:6:23\)$/));
  });

  it("a double heap.free never names rcalloc's own source", async () => {
    const r = await check("raw-double", "O3");
    expect(r.error!.code).toBe("DOUBLE_PUT");
    for (const label of [r.error!.site?.label, r.error!.putSite?.label, r.error!.trappedAt[0]]) {
      expect(label).not.toMatch(/rcalloc\/(assembly|runtime)\//); // main: node_modules/rcalloc/assembly/layout.ts:103:64
    }
    expect(r.error!.site?.label).toMatch(exactOrLost(/raw-double\.ts:3:13$/));
    expect(r.error!.putSite?.label).toMatch(exactOrLost(/raw-double\.ts:5:3$/));
    expect(r.error!.trappedAt[0]).toMatch(exactOrLost(/raw-double\.ts:7:3\)$/));
  });

  it("without function names, a leaked heap.alloc is the exact line or its function's index, never library code", async () => {
    const r = await check("raw-leak", "O3-nameless");
    expect(r.leaks!.references).toHaveLength(1);
    // main: node_modules/rcalloc/assembly/layout.ts:103:64; with only rcalloc/assembly/ made library code: a wasm offset
    expect(r.leaks!.references[0].site?.label).toMatch(/raw-leak\.ts:3:13$|^wasm-function\[\d+\] \(line lost to optimization, wasm 0x[0-9a-f]+\)$/);
  });
});

// ---- the rule on hand-made bodies -----------------------------------------------------------

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const vlq = (n: number) => {
  let v = n < 0 ? (-n << 1) | 1 : n << 1, out = "";
  do { let d = v & 31; v >>>= 5; if (v) d |= 32; out += BASE64[d]; } while (v);
  return out;
};
/** A source map of [offset, source index, 0-based line, 0-based column] (source -1: no location). */
function sourceMap(sources: string[], segments: [number, number, number, number][], sourcesContent?: string[]) {
  let o = 0, s = 0, l = 0, c = 0;
  const mappings = segments.map(([offset, source, line, column]) => {
    const head = vlq(offset - o); o = offset;
    if (source < 0) return head;
    const seg = head + vlq(source - s) + vlq(line - l) + vlq(column - c);
    s = source; l = line; c = column;
    return seg;
  }).join(",");
  return new WasmSourceMap({ sources, mappings, sourcesContent });
}

describe("which structure names an inlined call (ModuleCode.site on hand-made bodies)", () => {
  const sources = ["app.ts", "~lib/rcalloc/runtime/imports.ts"];
  type Segments = [number, number, number, number][];
  /** The frame at offset 105 of a body at 100 made of `code` (after its locals: none). */
  const site = (code: number[], segments: Segments, text?: string) => {
    const bytes = new Uint8Array(100 + 1 + code.length);
    bytes.set([0x00, ...code], 100);
    return new ModuleCode({ functionBodies: new Map([[1, [100, bytes.length] as const]]) },
      sourceMap(sources, segments, text === undefined ? undefined : [text, ""]), 0, bytes).site({ name: "app/main", offset: 105, text: "" });
  };
  //   101: <op> 40   103: i32.const 7   105: call 0   107: i32.const 1   109: drop   110: end   111: end
  const structure = (op: number) => [op, 0x40, 0x41, 0x07, 0x10, 0x00, 0x41, 0x01, 0x1a, 0x0b, 0x0b];
  // the structure at app.ts:2:3, the library code from 103 on
  const user: Segments = [[101, 0, 1, 2], [103, 1, 9, 0]];

  it("a block located at a call in user code, holding only library code after it: the call", () => {
    expect(site(structure(0x02), user)?.at).toEqual({ source: "app.ts", line: 2, column: 3 });
    expect(site(structure(0x02), user, "\n  put(h);")?.at?.line).toBe(2);
  });

  it("an unlocated block whose value a drop located at the call takes: the call", () => {
    //   101: block i32   103: i32.const 7   105: call 0   107: end   108: drop   109: end
    const dropped = [0x02, 0x7f, 0x41, 0x07, 0x10, 0x00, 0x0b, 0x1a, 0x0b];
    expect(site(dropped, [[101, -1, 0, 0], [103, 1, 9, 0], [108, 0, 1, 2]], "\n  get(h);")?.at).toEqual({ source: "app.ts", line: 2, column: 3 });
    expect(site(dropped, [[101, -1, 0, 0], [103, 1, 9, 0], [108, 0, 1, 2]], "\n  x = 1;")?.lost).toBeDefined(); // no call there
  });

  it("a loop or an if located in user code is an earlier statement's: line lost", () => {
    for (const op of [0x03, 0x04]) expect(site(structure(op), user)).toEqual({ library: false, lost: { file: "app.ts", function: 1, offset: 105 } });
  });

  it("a block whose source text is no call (a for, a switch) or with user code after the library code: line lost", () => {
    expect(site(structure(0x02), user, "\n  for (;;) {")?.lost).toBeDefined();
    expect(site(structure(0x02), user, "\n  switch (x) {")?.lost).toBeDefined();
    expect(site(structure(0x02), [...user, [107, 0, 4, 2]])?.lost).toBeDefined(); // a user statement before the block ends
  });

  it("an offset under a no-location segment is not the segment before it", () => {
    expect(site(structure(0x02), [[101, 0, 1, 2], [103, -1, 0, 0]])?.lost).toBeDefined();
    expect(sourceMap(sources, [[101, 0, 1, 2], [103, -1, 0, 0]]).locate(104)).toBeUndefined();
  });

  it("a function with no name whose code is all library code is library code, not a lost user line", () => {
    const bytes = new Uint8Array(112);
    bytes.set([0x00, ...structure(0x02)], 100);
    const code = new ModuleCode({ functionBodies: new Map([[1, [100, 112] as const]]) }, sourceMap(sources, [[101, 1, 1, 2]]), 0, bytes);
    expect(code.site({ offset: 105, text: "" })).toEqual({ at: { source: sources[1], line: 2, column: 3 }, library: true });
  });
});

describe("the body decoder on real asc output", () => {
  it("decodes every body of a -O3 module with SIMD and bulk memory, each source-map segment at an instruction", () => {
    const bytes = readFileSync(wasm("simd", "O3"));
    expect(WebAssembly.validate(bytes)).toBe(true);
    const info = inspectModule(bytes);
    const starts = new Set<number>();
    const seen = new Set<number>();
    for (const [, [start, end]] of info.functionBodies) {
      const body = decodeBody(bytes, start, end);
      expect(body.ok, JSON.stringify(body)).toBe(true);
      if (!body.ok) continue;
      for (const at of body.instructions) {
        starts.add(at);
        const op = bytes[at];
        if (op === 0xfd || op === 0xfc) seen.add(op);
      }
    }
    expect([...seen].sort()).toEqual([0xfc, 0xfd]); // SIMD and bulk memory (memory.fill / copy) are there
    const map = JSON.parse(readFileSync(`${wasm("simd", "O3")}.map`, "utf8")) as { mappings: string };
    let offset = 0;
    for (const segment of map.mappings.split(",")) {
      let value = 0, shift = 0;
      for (const ch of segment) {
        const d = BASE64.indexOf(ch);
        value += (d & 31) * 2 ** shift;
        if (d & 32) { shift += 5; continue; }
        offset += value & 1 ? -Math.floor(value / 2) : Math.floor(value / 2);
        break;
      }
      expect(starts.has(offset), `segment at 0x${offset.toString(16)}`).toBe(true);
    }
  });

  it("finds the structures around an offset, innermost first", () => {
    //  0: 00 locals   1: block  3: loop  5: i32.const 1  7: br_if 1  9: call 0  11: end  12: end  13: end
    const bytes = new Uint8Array([0x00, 0x02, 0x40, 0x03, 0x40, 0x41, 0x01, 0x0d, 0x01, 0x10, 0x00, 0x0b, 0x0b, 0x0b]);
    const body = decodeBody(bytes, 0, bytes.length);
    expect(body.ok).toBe(true);
    if (!body.ok) return;
    expect(enclosing(body, 9)?.map((s) => [s.op, s.start, s.end])).toEqual([["loop", 3, 11], ["block", 1, 12]]);
    expect(enclosing(body, 10)).toBeUndefined(); // inside an instruction
  });

  it("stops at an opcode it does not know, with the opcode and its offset", () => {
    const bytes = new Uint8Array([0x00, 0x41, 0x00, 0xfb, 0x00, 0x0b]); // a GC instruction
    expect(decodeBody(bytes, 0, bytes.length)).toEqual({ ok: false, reason: "unknown opcode 0xfb (prefixed)", offset: 3 });
    expect(decodeBody(new Uint8Array([0x00, 0x41]), 0, 2)).toMatchObject({ ok: false, offset: 1 }); // cut short
  });
});

describe("growsMemory (link's check for a second allocator)", () => {
  it("finds a memory.grow after an opcode the reader does not know (GC's ref.i31), and none in a body without one", () => {
    // locals: none; i32.const 1; ref.i31 (0xfb 0x1c); drop; i32.const 1; memory.grow 0; drop; end
    const grows = new Uint8Array([0x00, 0x41, 0x01, 0xfb, 0x1c, 0x1a, 0x41, 0x01, 0x40, 0x00, 0x1a, 0x0b]);
    expect(growsMemory(grows, 0, grows.length)).toBe(true);
    // the same with memory.size (0x3f 0x00) in its place
    const sizes = new Uint8Array([0x00, 0x41, 0x01, 0xfb, 0x1c, 0x1a, 0x3f, 0x00, 0x1a, 0x0b]);
    expect(growsMemory(sizes, 0, sizes.length)).toBe(false);
  });
});
