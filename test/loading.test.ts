// Where the allocator builds come from: the package's files by default, or the `wasm` option of
// createHeap() and link() (a URL, a Response, bytes, a WebAssembly.Module); a failed load says
// which URL failed and which option to use.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { createHeap, Heap, InvalidArgumentError, link } from "../bindings/node.js";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";

const checkedUrl = new URL("../build/rcalloc.checked.wasm", import.meta.url);
const checkedBytes = readFileSync(checkedUrl);

describe("the wasm option", () => {
  const sources: [string, () => unknown][] = [
    ["a file: URL", () => checkedUrl],
    ["a URL string", () => checkedUrl.href],
    ["the bytes", () => new Uint8Array(checkedBytes)],
    ["an ArrayBuffer", () => checkedBytes.buffer.slice(checkedBytes.byteOffset, checkedBytes.byteOffset + checkedBytes.length)],
    ["a Response", () => new Response(checkedBytes, { headers: { "content-type": "application/wasm" } })],
    ["a promise of a Response", () => Promise.resolve(new Response(checkedBytes))],
    ["a WebAssembly.Module", () => new WebAssembly.Module(checkedBytes)],
  ];
  it.each(sources)("createHeap takes %s", async (_name, source) => {
    const heap = await createHeap({ checked: true, wasm: source() as never });
    expect(heap.checked).toBe(true);
    const a = heap.alloc(8);
    heap.put(a);
    expect(() => heap.put(a)).toThrow(/double put/);
  });

  it("link takes it too (the allocator build; the first argument stays the user module)", async () => {
    await buildExamples({ names: ["double-put"] });
    const linked = await link(readFileSync(examplePath("double-put")), { checked: true, wasm: new WebAssembly.Module(checkedBytes) });
    expect(linked.heap.checked).toBe(true);
    expect(() => (linked.exports.main as () => void)()).toThrow(/double put/);
  });

  it("a module of another build than the options ask for is refused, not silently used", async () => {
    const unchecked = readFileSync(new URL("../build/rcalloc.unchecked.wasm", import.meta.url));
    await expect(createHeap({ checked: true, wasm: unchecked })).rejects.toThrow(InvalidArgumentError);
    await expect(createHeap({ checked: true, wasm: unchecked })).rejects.toThrow(
      /checked: true, but the module is the unchecked build.*build\/rcalloc\.checked\.wasm/);
    await expect(createHeap({ debug: true, wasm: unchecked })).rejects.toThrow(/debug: true, but the module is the unchecked build/);
    await expect(createHeap({ checked: false, wasm: checkedBytes })).rejects.toThrow(/checked: false, but the module is the checked build/);
    await expect(createHeap({ checked: true, shared: true, wasm: checkedBytes })).rejects.toThrow(/shared: true, but the module is not a shared-memory build/);
    await buildExamples({ names: ["double-put"] });
    await expect(link(readFileSync(examplePath("double-put")), { checked: true, wasm: unchecked })).rejects.toThrow(InvalidArgumentError);
    // Without `checked`, the module decides, as before.
    expect((await createHeap({ wasm: unchecked })).checked).toBe(false);
  });

  it("a file path where a URL goes, or a module of the user's own, is InvalidArgumentError saying what to pass", async () => {
    await expect(createHeap({ checked: true, wasm: "build/rcalloc.checked.wasm" })).rejects.toThrow(InvalidArgumentError);
    await expect(createHeap({ checked: true, wasm: "build/rcalloc.checked.wasm" })).rejects.toThrow(
      /the `wasm` option "build\/rcalloc\.checked\.wasm" is not a URL \(a file path is not one\).*pathToFileURL/);
    await buildExamples({ names: ["double-put"] });
    const user = readFileSync(examplePath("double-put"));
    await expect(createHeap({ checked: true, wasm: user })).rejects.toThrow(InvalidArgumentError);
    await expect(createHeap({ checked: true, wasm: user })).rejects.toThrow(/not an rcalloc allocator build.*link\(module, \{ checked \}\)/);
  });

  it("Heap.instantiate of a module without rcalloc's API says what to do, not a raw TypeError", async () => {
    // Found running AssemblyScript's own compiler tests built with runtime/library: such a program
    // does not re-export rcalloc's API, and Heap.instantiate threw "exports.isChecked is not a function".
    const bare = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]); // no exports, no imports
    await expect(Heap.instantiate(bare, { checked: true })).rejects.toThrow(InvalidArgumentError);
    await expect(Heap.instantiate(bare, { checked: false })).rejects.toThrow(/exports no rcalloc API.*export \* from "rcalloc\/assembly"/);
    await buildExamples({ names: ["double-put"] });
    const linked = readFileSync(examplePath("double-put")); // imports the allocator
    await expect(Heap.instantiate(linked, { checked: true })).rejects.toThrow(/imports the allocator.*link\(module, \{ checked \}\)/);
    await expect(Heap.instantiate(await WebAssembly.compile(linked), { checked: true })).rejects.toThrow(/imports the allocator/);
    await expect(Heap.instantiate(await WebAssembly.compile(bare), { checked: true })).rejects.toThrow(/exports no rcalloc API/);
  });

  it("a missing file names the URL and the option", async () => {
    const missing = new URL("../build/no-such.wasm", import.meta.url);
    await expect(createHeap({ checked: true, wasm: missing })).rejects.toThrow(
      /cannot load the checked allocator build from file:.*no-such\.wasm.*`wasm` option: createHeap\(\{ checked: true, wasm: url \}\)/s);
  });

  it("an HTML page where wasm was expected (a dev server's fallback) says so", async () => {
    const page = new Response("<!doctype html><title>app</title>", { headers: { "content-type": "text/html" } });
    await expect(createHeap({ wasm: page })).rejects.toThrow(/the response is not wasm \(text\/html, starts "<!doctype html>/);
  });

  it("an HTTP error names the status", async () => {
    await expect(createHeap({ wasm: new Response("no", { status: 404 }) })).rejects.toThrow(/HTTP 404.*`wasm` option/s);
  });
});

describe("debug asks for a checked build", () => {
  it("createHeap({ checked: false, debug: true }) loads the debug build (debug wins, as the loader's choice of file)", async () => {
    const heap = await createHeap({ checked: false, debug: true });
    expect(heap.checked).toBe(true);
    heap.dispose();
  });

  it("link() with debug and no wasm module is refused, naming createHeap, not a `wasm` option nobody passed", async () => {
    await buildExamples({ names: ["double-put"] });
    const error = await link(readFileSync(examplePath("double-put")), { debug: true }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(/`debug` option is for Node's createHeap only/);
    expect((error as Error).message).not.toMatch(/the `wasm` option/);
  });
});

describe("the bindings' modules", () => {
  it("each loads when a program imports it first (none reads a constant of another through an import cycle)", () => {
    // wasm-sites.ts built a pattern at load from a constant of wasm-dwarf.ts, which imports it:
    // importing wasm-dwarf.js first threw "Cannot access 'RUST_TOOLCHAIN' before initialization"
    const dist = fileURLToPath(new URL("../dist/", import.meta.url));
    const modules = readdirSync(dist).filter((f) => f.endsWith(".js") && f !== "cli-worker.js"); // a worker's entry: runs on import
    expect(modules.length).toBeGreaterThan(20);
    const failed = modules.filter((f) => spawnSync(process.execPath, ["--input-type=module", "-e", `await import(${JSON.stringify(dist + f)})`]).status !== 0);
    expect(failed).toEqual([]);
  });
});
