// rcalloc's AssemblyScript runtime (runtime/rcalloc.ts): an ordinary AS program — classes,
// strings, arrays, a Map — whose every allocation is a raw rcalloc block, with AS's own collector
// deciding when objects die. The same module runs against both builds.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DoublePutError, link, type Linked } from "../bindings/node.js";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";

type Program = {
  addPerson(name: number, age: number): number;
  tag(name: number, label: number): number;
  describeAll(): number;
  churn(n: number): number;
  oldest(): number;
  forget(name: number): number;
  nameAt(i: number): number;
  rawBuffer(n: number): number;
  leakBuffer(n: number): number;
  freeTwice(): void;
  manyObjects(n: number): number;
  __newString(text: string): number;
  __new(size: number, id: number): number;
  __pin(ptr: number): number;
  __unpin(ptr: number): void;
};

beforeAll(() => buildExamples({ names: ["as-program"] }), 120_000);

const BUILDS = [{ name: "unchecked", checked: false }, { name: "checked", checked: true }] as const;

describe.each(BUILDS)("AS runtime on rcalloc ($name build)", ({ checked }) => {
  let program: Linked<Program>;
  const str = (text: string) => program.exports.__newString(text);

  beforeAll(async () => {
    program = await link<Program>(readFileSync(examplePath("as-program")), { checked });
  });

  it("runs classes, strings and arrays", () => {
    const { exports, getString } = program;
    expect(exports.addPerson(str("Ada"), 36)).toBe(1);
    expect(exports.addPerson(str("Alan"), 41)).toBe(2);
    expect(exports.addPerson(str("Grace"), 85)).toBe(3);
    expect(exports.tag(str("Ada"), str("math"))).toBe(1);
    expect(exports.tag(str("Ada"), str("engines"))).toBe(1);
    expect(exports.tag(str("Nobody"), str("x"))).toBe(0);
    expect(getString(exports.describeAll())).toBe("Ada (36): math, engines\nAlan (41)\nGrace (85)");
    expect(getString(exports.oldest())).toBe("Grace");
    expect(getString(exports.nameAt(1))).toBe("Alan");
  });

  it("gives AS objects 16-byte aligned addresses on raw rcalloc blocks, with no header of its own", () => {
    const { exports, heap } = program;
    const ptr = exports.nameAt(0);
    expect(ptr % 16).toBe(0);
    // Static strings sit in the module's data; allocated ones in rcalloc's heap.
    const built = exports.describeAll();
    expect(built % 16).toBe(0);
    expect(built).toBeGreaterThanOrEqual(program.layout.heapBase - 65536);
    const block = heap.report().objects.find((o) => o.ptr === built - 16); // AS's object header (16)
    expect(block?.raw).toBe(true);
    // The runtime asks for its size class's whole capacity (runtime/cache.ts): up to 15 bytes more.
    const needed = 16 + program.exports.__getString(built).length * 2;
    expect(block!.size).toBeGreaterThanOrEqual(needed);
    expect(block!.size).toBeLessThan(needed + 16);
  });

  it("frees garbage through rcalloc when the collector runs", () => {
    const { exports, heap } = program;
    expect(exports.churn(3000)).toBeGreaterThan(0);
    const before = heap.stats().liveObjects;
    expect(program.collect()).toBe(true);
    const after = heap.stats().liveObjects;
    expect(after).toBeLessThan(before);
    heap.validate();
    // Only the runtime holds anything: the program took no references itself.
    const report = program.report();
    expect(report.leakCount).toBe(0);
    expect(report.runtime.objects).toBe(after);
    if (checked) expect(heap.report().references).toHaveLength(after); // raw blocks: one each
  });

  it("lets objects die once unreachable, and keeps pinned ones", () => {
    const { exports } = program;
    program.collect();
    const held = program.report().runtime.objects;
    const pinned = exports.__pin(str("kept by the host"));
    expect(exports.forget(str("Alan"))).toBe(1);
    program.collect();
    expect(program.report().runtime.objects).toBeLessThan(held); // the person, its name and tags went; one pinned string came
    expect(program.getString(pinned)).toBe("kept by the host");
    exports.__unpin(pinned);
    expect(program.getString(exports.describeAll())).toBe("Ada (36): math, engines\nGrace (85)");
  });

  it("serves unmanaged memory (__alloc, __realloc, __free) from rcalloc too", () => {
    const { exports, heap } = program;
    const live = heap.stats().liveObjects;
    let expected = 0;
    for (let i = 0; i < 1000; i++) expected += i & 0xff;
    expect(exports.rawBuffer(1000)).toBe(expected);
    expect(heap.stats().liveObjects).toBe(live); // freed again
    heap.validate();
  });

  it("reports a heap.alloc block never freed as a leak, and no live GC object", () => {
    const { exports } = program;
    program.collect();
    expect(program.report().leakCount).toBe(0);
    const ptr = exports.leakBuffer(40) >>> 0;
    program.collect();
    const report = program.report();
    expect(report.leakCount).toBe(1);
    expect(report.objects.map((o) => o.ptr)).toEqual([ptr]);
    expect(report.objects[0].size).toBe(40);
    expect(report.runtime.objects).toBeGreaterThan(0); // the people, their names and tags: not leaks
  });

  it("hands the sweep's garbage back lowest address first, so new objects sit side by side", () => {
    const { exports } = program;
    // Pinned while they are made, so no incremental step frees one before the others exist.
    const pinnedString = (text: string) => exports.__pin(exports.__newString(text)) >>> 0;
    program.collect();
    const swept = Array.from({ length: 64 }, () => pinnedString("x".repeat(24)));
    for (const p of swept.slice().reverse()) exports.__unpin(p); // the collector's list order is not address order
    program.collect();
    const next = Array.from({ length: 64 }, () => pinnedString("y".repeat(24)));
    expect(next).toEqual([...next].sort((a, b) => a - b));
    expect(next.filter((p) => swept.includes(p)).length).toBeGreaterThan(48); // the swept blocks, reused
    for (const p of next) exports.__unpin(p);
    program.heap.validate();
  });

  it("zeroes a new buffer on a block a swept string left dirty", () => {
    const { exports } = program;
    const ARRAY_BUFFER = 1; // AS's fixed class ids: 0 Object, 1 ArrayBuffer, 2 String
    const pinned = (ptr: number) => exports.__pin(ptr) >>> 0;
    program.collect();
    const dirty = Array.from({ length: 64 }, () => pinned(exports.__newString("\uffff".repeat(20))));
    for (const p of dirty) exports.__unpin(p);
    program.collect();
    const buffers = Array.from({ length: 64 }, () => pinned(exports.__new(40, ARRAY_BUFFER)));
    expect(buffers.filter((p) => dirty.includes(p)).length).toBeGreaterThan(48); // the strings' blocks
    const bytes = new Uint8Array(program.heap.memory.buffer);
    for (const p of buffers) expect(bytes.subarray(p, p + 40).every((b) => b === 0)).toBe(true);
    for (const p of buffers) exports.__unpin(p);
    program.heap.validate();
  });

  it("keeps strings reachable only through a Map and arrays while incremental cycles run", async () => {
    const p = await link<Program>(readFileSync(examplePath("as-program")), { checked });
    const s = (text: string) => p.exports.__newString(text);
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) {
      p.exports.addPerson(s(`person ${i}`), i);
      p.exports.tag(s(`person ${i}`), s(`tag ${i}`));
      lines.push(`person ${i} (${i}): tag ${i}`);
      if (i % 50 === 0) p.exports.churn(300); // garbage: the collector marks and sweeps meanwhile
    }
    expect(p.getString(p.exports.describeAll())).toBe(lines.join("\n"));
    for (let i = 0; i < 3000; i += 7) expect(p.getString(p.exports.nameAt(i))).toBe(`person ${i}`);
    p.heap.validate();
  });

  it("holds 600,000 live objects at once", () => {
    expect(program.exports.manyObjects(600_000)).toBe(300_000);
    program.heap.validate();
  });
});

describe("AS runtime on rcalloc, checked build with sites", () => {
  let program: Linked<Program>;
  beforeAll(async () => {
    program = await link<Program>(readFileSync(examplePath("as-program")), { checked: true, stacks: true });
  });

  it("names the function that called heap.alloc as a leak's site", () => {
    program.exports.leakBuffer(24);
    program.collect();
    const report = program.report();
    expect(report.leakCount).toBe(1);
    expect(report.references[0].site?.label).toMatch(/leakBuffer/);
    expect(report.toString()).toMatch(/leakBuffer/);
  });

  it("throws DOUBLE_PUT at a second heap.free, naming the alloc and the first free", () => {
    let error: unknown;
    try {
      program.exports.freeTwice();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DoublePutError);
    const e = error as DoublePutError;
    expect(e.site?.label).toMatch(/freeTwice/);
    expect(e.putSite?.label).toMatch(/freeTwice/);
    expect(e.site?.label).not.toBe(e.putSite?.label); // heap.alloc's line, then the first heap.free's
    program.heap.validate();
  });
});

it("link() runs the module's exported _start once (--exportStart), before any other export", async () => {
  const p = await link<Program & { _start(): void }>(readFileSync(examplePath("as-program")), { checked: false });
  expect(typeof p.exports._start).toBe("function");
  // Its globals were set up by _start: the program works without the host calling it.
  expect(p.exports.addPerson(p.exports.__newString("Ada"), 36)).toBe(1);
});

it("runs the same module bytes under both builds with the same results", async () => {
  const bytes = readFileSync(examplePath("as-program"));
  const results: string[] = [];
  for (const checked of [false, true]) {
    const p = await link<Program>(bytes, { checked });
    const s = (t: string) => p.exports.__newString(t);
    for (let i = 0; i < 20; i++) p.exports.addPerson(s(`person ${i}`), i * 3);
    p.exports.churn(500);
    results.push(p.getString(p.exports.describeAll()) + p.getString(p.exports.oldest()));
  }
  expect(results[1]).toBe(results[0]);
  expect(results[0]).toMatch(/^person 0 \(0\)\nperson 1 \(3\)/);
});
