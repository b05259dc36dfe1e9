// Site ids (bindings/sites.ts): label numbers, C strings and AssemblyScript strings in linear
// memory, decoded when a report or an error names the site.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it, onTestFinished } from "vitest";
import { asc } from "./run-tools.js";
import { asStringSite, cStringSite, DoublePutError, InvalidArgumentError, link, ModuleCode, readSiteString, SITE_STRING, WasmSourceMap, wasmStack } from "../bindings/node.js";
// @ts-expect-error: plain JS build scripts
import { LINKED_FLAGS } from "../examples/build.js";
import { heapOf } from "./heap.js";
import { enter, frameFunction, leave, location, PerStack } from "../bindings/js-stacks.js";
import { SiteTable } from "../bindings/sites.js";

const source = readFileSync(fileURLToPath(import.meta.url), "utf8").split("\n");
/** "sites.test.ts:LINE:" of the line holding `marker`. */
const lineOf = (marker: string) => `sites.test.ts:${source.findIndex((l) => l.includes(marker)) + 1}:`;

/** Writes `text` as a NUL-terminated UTF-8 string into a new object; returns its address. */
function writeCString(heap: Awaited<ReturnType<typeof heapOf>>, text: string): number {
  const bytes = new TextEncoder().encode(text + "\0");
  const h = heap.alloc(bytes.length);
  heap.bytes(h).set(bytes);
  return heap.ptr(h);
}

/** Writes `text` as an AssemblyScript string (u32 byte length, then UTF-16LE); returns its address. */
function writeAsString(heap: Awaited<ReturnType<typeof heapOf>>, text: string): number {
  const h = heap.alloc(4 + text.length * 2);
  const at = heap.ptr(h);
  const view = new DataView(heap.memory.buffer);
  view.setUint32(at, text.length * 2, true);
  for (let i = 0; i < text.length; i++) view.setUint16(at + 4 + i * 2, text.charCodeAt(i), true);
  return at + 4;
}

// A bundle puts the app's code in the library's file or folder (Vite's assets/) or renames the
// library's URL (webpack), so where frames are cannot tell the library's from the caller's: on V8
// the site is cut below the function the caller called, by identity (bundlers.test.ts runs bundles).
describe("JS sites: the caller's frame, below the library function it called", () => {
  it("name the line that called the function, with no library folder to go by", () => {
    const table = new SiteTable([]); // knows no folder of the library's: a bundle
    const libraryCall = (): number => table.capture(libraryCall); // stands for heap.get
    const id = libraryCall(); // CALLER LINE
    expect(table.get(id)?.label).toContain(lineOf("CALLER LINE"));
    expect(table.get(id)?.stack.split("\n")[0]).toContain(lineOf("CALLER LINE"));
  });

  it("name where the outer function was called when a library function calls another (enter/leave)", () => {
    const table = new SiteTable([]);
    const inner = (): number => table.capture(inner); // heap.put
    const within = (entry: () => number, run: () => number): number => {
      const saved = enter(entry);
      try {
        return run();
      } finally {
        leave(saved);
      }
    };
    const outer = (): number => within(outer, () => within(inner, inner)); // Ref.put, around it
    const id = outer(); // OUTER CALLER LINE
    expect(table.get(id)?.label).toContain(lineOf("OUTER CALLER LINE"));
    expect(table.get(inner())?.label).toContain(lineOf("table.get(inner())")); // after: its own caller again
  });

  it("give a stack seen before its site again, and another stack through the same line its own", () => {
    const table = new SiteTable([]);
    const libraryCall = (): number => table.capture(libraryCall);
    const top = (): number => libraryCall(); // SAME TOP FRAME
    const viaA = (): number => top();
    const viaB = (): number => top();
    const [a, again] = [1, 2].map(() => viaA()); // the same stack twice
    const b = viaB();
    expect(again).toBe(a);
    expect(b).not.toBe(a); // the stacks differ below the line both name
    expect(table.get(a)?.label).toContain(lineOf("SAME TOP FRAME"));
    expect(table.get(b)?.label).toBe(table.get(a)?.label);
    expect(table.get(b)?.stack).not.toBe(table.get(a)?.stack);
  });
});

describe("frames in each engine's format", () => {
  it("read a frame's location and function in V8's text and in SpiderMonkey's", () => {
    const frames: [string, string, string][] = [ // frame, location(), frameFunction()
      ["    at rememberUser (http://h/app.js:3:9)", "http://h/app.js:3:9", "rememberUser"],
      ["    at async rememberUser (http://h/app.js:3:9)", "http://h/app.js:3:9", "rememberUser"],
      ["    at http://h/app.js:3:9", "http://h/app.js:3:9", ""],
      ["window.runDoublePut@http://h/t.html:10:20", "http://h/t.html:10:20", "window.runDoublePut"],
      ["async*rememberUser@http://h/app.js:3:9", "http://h/app.js:3:9", "rememberUser"],
      ["@http://h/app.js:3:9", "http://h/app.js:3:9", ""],
      ["get size@http://h/app.js:3:9", "http://h/app.js:3:9", "get size"],
      ["main@http://127.0.0.1:5173/@fs/app/main.js:4:7", "http://127.0.0.1:5173/@fs/app/main.js:4:7", "main"],
      ["anonymous@http://h/app.js line 2 > Function:3:8", "http://h/app.js line 2 > Function:3:8", "anonymous"],
      // an "@" in a method's name and in the URL: the name ends at the "@" a URL scheme follows
      ["x@y@http://h/@fs/a@b/app.js?v=q@r:6:17", "http://h/@fs/a@b/app.js?v=q@r:6:17", "x@y"],
      ['obj["k@v"]@http://h/app.js:3:9', "http://h/app.js:3:9", 'obj["k@v"]'],
      ["@debugger eval code:1:5", "debugger eval code:1:5", ""],
    ];
    expect(frames.map(([frame]) => [frame, location(frame), frameFunction(frame)])).toEqual(frames);
  });

  it("tell V8's frames by the engine even when the app set Error.stackTraceLimit to 0 before loading rcalloc", () => {
    const dist = new URL("../dist/js-stacks.js", import.meta.url).href;
    const run = spawnSync(process.execPath, ["--input-type=module", "-e",
      `Error.stackTraceLimit = 0; const { location } = await import(${JSON.stringify(dist)});
       console.log(location("    at http://localhost:5173/@fs/app/main.js:4:7"));`], { encoding: "utf8" });
    expect(run.stdout.trim()).toBe("http://localhost:5173/@fs/app/main.js:4:7");
  });

  it("read Firefox's wasm frames: the function's name and where the module was compiled", () => {
    const map = new WasmSourceMap({ sources: ["app.ts"], mappings: "YAEA,IACA" });
    const code = new ModuleCode({ functionBodies: new Map([[1, [10, 20] as const]]) }, map);
    const compiled = (line: number) => `http://h/dist/link.js line ${line} > WebAssembly.compile`;
    code.learn(compiled(92));
    const stack = `trap@http://h/dist/heap.js:773:16\n@${compiled(111)}:wasm-function[1]:0x11\n` +
      `app/main@${compiled(92)}:wasm-function[1]:0x11\ndemangle/curr[name]@http://h/loader.js:438:18`;
    expect(wasmStack(stack, code)).toEqual(["app/main (app.ts:4:1)"]);
  });

  it("read V8's wasm frames whose function name holds ' (' (a C++ name with a function pointer parameter)", () => {
    const map = new WasmSourceMap({ sources: ["app.ts"], mappings: "YAEA,IACA" });
    const code = new ModuleCode({ functionBodies: new Map([[1, [10, 20] as const]]) }, map);
    code.learn("wasm://wasm/3c1f0b2e");
    const stack = "Error\n    at sort_by(int (*)(int, int)) (wasm://wasm/3c1f0b2e:wasm-function[1]:0x11)\n" +
      "    at wasm://wasm/3c1f0b2e:wasm-function[1]:0x11";
    expect(wasmStack(stack, code)).toEqual(["sort_by(int (*)(int, int)) (app.ts:4:1)", "(wasm) (app.ts:4:1)"]);
  });

  it("key a stack by its text where the engine gives no call sites (SpiderMonkey): a stack seen before is not made again", () => {
    // V8 formats the stack itself when Error.prepareStackTrace is no function, as SpiderMonkey does
    const saved = Object.getOwnPropertyDescriptor(Error, "prepareStackTrace");
    Object.defineProperty(Error, "prepareStackTrace", { configurable: true, get: () => undefined, set() {} });
    try {
      const stacks = new PerStack<{ frames: string[] }>(12);
      let made = 0;
      const take = (): { frames: string[] } => stacks.of(take, (frames) => (made++, { frames }));
      const [a, b] = [1, 2].map(() => take()); // one line, one stack
      const c = take(); // another line
      expect(made).toBe(2); // each stack made once: 3 before
      expect(b).toBe(a);
      // (lines of the code vitest ran: its source-map hook is off here)
      expect(a.frames[0]).toMatch(/sites\.test\.ts:\d+:\d+/);
      expect(c.frames[0]).toMatch(/sites\.test\.ts:\d+:\d+/);
      expect(c.frames[0]).not.toBe(a.frames[0]);
    } finally {
      if (saved) Object.defineProperty(Error, "prepareStackTrace", saved);
      else delete (Error as { prepareStackTrace?: unknown }).prepareStackTrace;
    }
  });
});

describe("site ids", () => {
  it("encode a C string's address with bit 31 and an AssemblyScript string's with bits 31 and 30", () => {
    expect(cStringSite(0x12340)).toBe(0x80012340);
    expect(asStringSite(0x12340)).toBe(0xc0012340);
    expect(cStringSite(0x12340) & SITE_STRING).toBeTruthy();
    expect(readSiteString(new WebAssembly.Memory({ initial: 1 }), 7)).toBeUndefined(); // a label number
  });

  it("read C strings (UTF-8) and AssemblyScript strings (UTF-16) from memory", async () => {
    const heap = await heapOf(false);
    const c = writeCString(heap, "parser.c:42 ✓");
    const as = writeAsString(heap, "parser.ts:7 ✓");
    expect(readSiteString(heap.memory, cStringSite(c))).toBe("parser.c:42 ✓");
    expect(readSiteString(heap.memory, asStringSite(as))).toBe("parser.ts:7 ✓");
  });

  it("name references and errors in the checked build, next to label sites", async () => {
    const heap = await heapOf(true);
    const file = writeCString(heap, "strings.c:120");
    const as = writeAsString(heap, "index.ts:9");
    const labelled = heap.site("by label");
    const a = heap.exports.allocAt(8, cStringSite(file)) >>> 0;
    const b = heap.exports.getAt(a, asStringSite(as)) >>> 0;
    heap.exports.getAt(a, labelled);
    const labels = heap.report().references.map((r) => r.site?.label);
    expect(labels).toEqual(expect.arrayContaining(["strings.c:120", "index.ts:9", "by label"]));
    heap.exports.putAt(b, cStringSite(file));
    let error: unknown;
    try { heap.exports.putAt(b, 0); } catch (e) { error = e; }
    expect(error).toBeInstanceOf(DoublePutError);
    expect((error as DoublePutError).site?.label).toBe("index.ts:9");
    expect((error as DoublePutError).putSite?.label).toBe("strings.c:120");
  });
});

describe("siteOf() in AssemblyScript (runtime/imports)", () => {
  it("names a reference with a string literal of the module", async () => {
    const dir = fileURLToPath(new URL("fixtures/sites/", import.meta.url));
    const work = mkdtempSync(join(tmpdir(), "rcalloc-sites-"));
    onTestFinished(() => rmSync(work, { recursive: true, force: true }));
    const out = join(work, "sites.wasm");
    const flags = LINKED_FLAGS.map((f: string) => f.replace("./node_modules/rcalloc/", "../../../"));
    const { error, output } = await asc(["index.ts", ...flags, "--baseDir", dir, "-o", out, "--noColors"]);
    expect(error, output).toBeFalsy();
    const linked = await link<{ leak(): number }>(readFileSync(out), { checked: true });
    linked.exports.leak();
    const report = linked.report();
    expect(report.references.map((r) => r.site?.label)).toEqual(["fixture.ts:get ✓"]);
    expect(report.objects.map((o) => [o.site?.label, o.lastPutSite?.label])).toEqual([["fixture.ts:alloc", "fixture.ts:put"]]);
  });
});

describe("numeric site ids nobody labelled, and ids the caller chooses", () => {
  it("print 'site #7' for an id never labelled, in reports and errors", async () => {
    const heap = await heapOf(true);
    const h = heap.exports.allocAt(16, 7) >>> 0;
    expect(heap.report().references[0].site?.label).toBe("site #7");
    expect(heap.report().toString()).toContain("1 reference taken at site #7");
    heap.exports.putAt(h, 8);
    expect(() => heap.put(h)).toThrow(/taken at site #7; first put at site #8/);
  });

  it("label an id of the caller's choosing (heap.labelSite), which heap.site() then never hands out", async () => {
    const heap = await heapOf(true);
    heap.labelSite(1, "parser.ts:42");
    heap.exports.allocAt(8, 1);
    expect(heap.report().references[0].site?.label).toBe("parser.ts:42");
    expect(heap.site("other.ts:3")).toBe(2);
    expect(() => heap.labelSite(2, "mine")).toThrow(/site #2 already names other\.ts:3/);
    expect(() => heap.labelSite(0x80000000, "string bit")).toThrow(InvalidArgumentError);
  });
});

describe("wasm frames and source maps (ModuleCode)", () => {
  // One function body at [10, 20) of a module, mapped at offsets 12 (line 3) and 16 (line 4).
  const map = new WasmSourceMap({ sources: ["app.ts"], mappings: "YAEA,IACA" });
  const code = new ModuleCode({ functionBodies: new Map([[1, [10, 20] as const]]) }, map);

  it("decode only offsets inside one of the module's function bodies, with a mapping of that body", () => {
    expect(map.locate(13)).toEqual({ source: "app.ts", line: 3, column: 1 });
    expect(code.locate({ offset: 17, text: "" })).toEqual({ source: "app.ts", line: 4, column: 1 });
    expect(code.locate({ offset: 400, text: "" })).toBeUndefined(); // past the map's last function: not its code
    expect(map.locate(400, 300)).toBeUndefined(); // the nearest mapping belongs to an earlier function
    expect(code.locate({ offset: 11, text: "" })).toBeUndefined(); // in the body, before its first mapping
  });

  it("leave another module's frames alone once the module's URL is known", () => {
    code.learn("wasm://wasm/user");
    expect(code.locate({ offset: 17, url: "wasm://wasm/user", text: "" })?.line).toBe(4);
    expect(code.locate({ offset: 17, url: "wasm://wasm/allocator", text: "" })).toBeUndefined();
    expect(code.locate({ offset: 17, index: 5, text: "" })).toBeUndefined(); // another function index
    const stack = "Error\n    at f (wasm://wasm/allocator:wasm-function[1]:0x11)\n    at g (wasm://wasm/user:wasm-function[1]:0x11)";
    expect(wasmStack(stack, code)).toEqual(["g (app.ts:4:1)"]);
  });
});
