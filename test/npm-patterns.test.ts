// Patterns of AssemblyScript libraries from npm, each reduced to a package under
// test/fixtures/npm-packages/ (credited in its header), built as a user builds a module that uses
// one: `asc --path` makes asc name the package's files `~lib/<package>/...`, as it names those of a
// package in node_modules. Each case is a behaviour `rcalloc check` once got wrong on the library.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLinkedSources, rcalloc } from "./run-tools.js";
import { link, type Linked } from "../bindings/node.js";
import { checkLeaksSince, LeakError } from "../bindings/vitest.js";
import type { CheckResult } from "../bindings/cli-check.js";

const PACKAGES = fileURLToPath(new URL("fixtures/npm-packages/", import.meta.url));

const AS: Record<string, string> = {
  // correct: the package keeps its buffer in its own global for the module's life
  "pkg-global.ts": `import { writeByte, take } from "scratch-buffer/assembly";
export function main(): i32 {
  for (let i = 0; i < 300; i++) writeByte(<u8>(0x61 + i % 26));
  return take().length;
}
`,
  // line 4: the copy is never freed; the leak is the package's heap.alloc, reached from line 4
  "pkg-leak.ts": `import { writeByte, copyOut } from "scratch-buffer/assembly";
export function main(): i32 {
  writeByte(0x61);
  const copy = copyOut();
  return load<u8>(copy);
}
`,
  // line 3: top-level code leaks a block (no optimization: every frame has a line or says why not)
  "start-leak.ts": `import { writeByte } from "scratch-buffer/assembly";
writeByte(0x62);
store<u8>(heap.alloc(4), 1);
export function main(): i32 { return 0; }
`,
  // a SIMD global (json-as built with --enable simd, as its README says, keeps v128 constants)
  "simd-global.ts": `let lanes: v128 = i32x4(1, 2, 3, 4);
export function main(): i32 {
  lanes = i32x4.add(lanes, lanes);
  return i32x4.extract_lane(lanes, 3);
}
`,
};

let dir = "";
beforeAll(async () => { dir = await buildLinkedSources(".npm-patterns-", AS, ["--debug", "--sourceMap", "--enable", "simd", "--path", PACKAGES]); }, 180_000);
afterAll(() => { if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

async function check(name: string): Promise<CheckResult> {
  const r = await rcalloc("check", `${dir}/${name}.wasm`, "--json");
  return JSON.parse(r.stdout) as CheckResult;
}

describe("a package's globals are roots (json-as's output buffer)", () => {
  it("a heap.alloc block a package global keeps is held by it, not a leak", async () => {
    const r = await check("pkg-global");
    expect(r.status).toBe("clean");
    expect(JSON.stringify(r)).toContain("~lib/scratch-buffer/assembly/index/buffer");
  });
});

describe("a package's lines are sites", () => {
  it("a leak of a block the package allocates names the package's line, then the caller's", async () => {
    const r = await check("pkg-leak");
    expect(r.status).toBe("leaks");
    const site = r.leaks!.references[0].site!;
    expect(site.label).toBe("~lib/scratch-buffer/assembly/index.ts:26:15");
    expect(site.stack![1]).toMatch(/\/pkg-leak\.ts:4:16\)$/);
  });
});

describe("top-level code", () => {
  it("a leak in a file's top-level code names its line; asc's calls of top-level code say they have none", async () => {
    const r = await check("start-leak");
    expect(r.status).toBe("leaks");
    const site = r.leaks!.references[0].site!;
    expect(site.label).toMatch(/start-leak\.ts:3:11$/);
    expect(site.stack!.join("\n")).not.toMatch(/lost to optimization/);
    expect(site.stack!.at(-1)).toMatch(/^~start \(top-level code, no line, wasm 0x[0-9a-f]+\)$/);
  });
});

async function linked(name: string, checked: boolean): Promise<Linked<{ main(): number }>> {
  const sourceMap = readFileSync(`${dir}/${name}.wasm.map`, "utf8");
  return link(readFileSync(`${dir}/${name}.wasm`), { checked, stacks: checked, sourceMap });
}

describe("rcalloc/vitest's checks on a linked module (leakCheck(() => linked))", () => {

  it("the AS runtime's live GC objects and a package global's buffer are no leaks of the code checked", async () => {
    for (const checked of [true, false]) {
      const program = await linked("pkg-global", checked);
      try {
        const mark = program.mark();
        expect(program.exports.main()).toBe(300);
        expect(checkLeaksSince(program, mark).leakCount).toBe(0);
      } finally { program.heap.dispose(); }
    }
  });

  it("a block the code leaked is one, named at its site (checked) or counted (unchecked)", async () => {
    for (const checked of [true, false]) {
      const program = await linked("pkg-leak", checked);
      try {
        const mark = program.mark();
        program.exports.main();
        let caught: unknown;
        try { checkLeaksSince(program, mark); } catch (e) { caught = e; }
        expect(caught).toBeInstanceOf(LeakError);
        expect((caught as LeakError).report.leakCount).toBe(1);
        if (checked) expect((caught as LeakError).message).toMatch(/taken at ~lib\/scratch-buffer\/assembly\/index\.ts:26:15/);
      } finally { program.heap.dispose(); }
    }
  });
});

describe("a linked program's leaksSince", () => {
  it("checked: a reference taken after the mark to an object ignored before it is no leak", async () => {
    const program = await linked("pkg-global", true);
    try {
      const h = program.heap.alloc(16);
      program.heap.ignore(h);
      const mark = program.mark();
      program.heap.get(h); // never put, but its object is ignored
      expect(program.leaksSince(mark).leakCount).toBe(0);
      expect(program.heap.leaksSince(mark).leakCount).toBe(0);
    } finally { program.heap.dispose(); }
  });

  it("unchecked: counts the leaks since the mark and lists none from before it", async () => {
    const program = await linked("pkg-global", false);
    try {
      program.heap.alloc(12); // a leak before the mark
      const mark = program.mark();
      program.heap.alloc(12); // and one after
      const since = program.leaksSince(mark);
      expect(since.leakCount).toBe(1);
      expect(since.objects).toEqual([]);
      expect(since.references).toEqual([]);
    } finally { program.heap.dispose(); }
  });

  it("a mark that is no u32 is refused, naming linked.mark()", async () => {
    const program = await linked("pkg-global", false);
    try {
      expect(() => program.leaksSince(-1)).toThrow(/what linked\.mark\(\) returns/);
    } finally { program.heap.dispose(); }
  });
});

describe("a module with a SIMD global (v128.const in its global section)", () => {
  it("is read, linked and checked", async () => {
    const r = await check("simd-global");
    expect(r.status).toBe("clean");
    expect(r.returned).toBe(8);
  });
});

describe("a wasm binary the reader cannot read", () => {
  it("rcalloc check says what it met, not that the file is no WebAssembly module", async () => {
    // \0asm, version 1, a global section: one i32 global whose initializer is a GC opcode (0xfb)
    const file = `${dir}/gc-global.wasm`;
    writeFileSync(file, new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 6, 6, 1, 0x7f, 0, 0xfb, 0, 0x0b]));
    const r = await rcalloc("check", file);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/gc-global\.wasm: malformed WebAssembly binary: unsupported constant expression opcode 0xfb/);
  });
});
