// Output safety (issue 14, items 12 and 13): the HTML page is inert whatever JSON data it is given
// (strings where numbers belong, markup in every field), and text output (report().toString(),
// rcalloc check) prints no terminal escape sequence taken from wasm function names, source maps
// or site labels.
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rcalloc } from "./run-tools.js";
import { printable } from "../bindings/format.js";
import { reportToHTML } from "../bindings/report-html.js";
import { reportToJSON } from "../bindings/report-json.js";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";
import { heapOf } from "./heap.js";

const work = mkdtempSync(join(tmpdir(), "rcalloc-safety-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const IMG = `<img src=x onerror="document.title='pwned'">`;
/** Every control character a terminal acts on: ESC sequences, BEL, CR, BS, C1 CSI, bidi overrides. */
const ESCAPES = "\x1b]0;pwned\x07\x1b[2J\x1b[31m\r\b\x9b1m\u202e";

describe("reportToHTML with hostile JSON data", () => {
  it("escapes every field, whatever its type", async () => {
    const heap = await heapOf(true);
    const site = heap.site("app.ts:1");
    const a = heap.exports.allocAt(24, site) >>> 0;
    heap.exports.getAt(a, site);
    const data = JSON.parse(JSON.stringify(reportToJSON(heap.report({ scan: true }), { blocks: heap.blocks() })));
    // Strings where numbers, booleans and enums belong; markup in every string.
    Object.assign(data, { build: IMG, generatedAt: IMG, since: IMG, leakCount: IMG, scanned: IMG });
    for (const key of Object.keys(data.stats)) data.stats[key] = IMG;
    data.sites = [{ id: IMG, label: IMG, stack: [IMG, { toString: IMG }] }, { id: String(site), label: IMG, stack: IMG }];
    for (const o of data.objects) Object.assign(o, { size: IMG, refs: IMG, order: IMG, ptr: IMG, site: IMG, ignored: IMG });
    for (const r of data.references) Object.assign(r, { order: IMG, handle: IMG, owner: IMG, storedAt: IMG, storedIn: IMG, reachable: IMG, size: IMG });
    data.references.push({ handle: 1, ptr: 2, order: 3, weak: false, site: site, size: IMG, owner: `${IMG}`, reachable: true, storedAt: IMG, storedIn: 7 });
    data.blocks.push({ address: IMG, size: IMG, kind: IMG, ptr: IMG });
    data.jsLeaks = [{ handle: IMG, ptr: IMG, size: IMG, label: IMG, stack: [IMG] }];
    const html = reportToHTML(data, { embedJSON: true });
    expect(html).not.toMatch(/<img/i);
    expect(html).not.toContain(`onerror="`);
    expect(html.match(/<script\b/g)).toHaveLength(2); // the embedded data and the page's own script
    expect(html).toContain("&lt;img src=x onerror=&quot;");
    // Numbers that were strings are numbers again (0 when not a number), not text in the page.
    expect(html).toMatch(/<span class="badge">checked build<\/span>/);
  });

  it("takes data that is not shaped like a report at all", () => {
    const html = reportToHTML({ format: "rcalloc-report", version: 1, sites: IMG, objects: { length: 3 }, references: [null, 7, IMG], blocks: "x" } as never);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<img/i);
  });
});

describe("text output escapes control characters", () => {
  it("report().toString(): site labels and stack frames", async () => {
    const heap = await heapOf(true);
    const site = heap.site(`app.ts:1${ESCAPES}`, `at evil${ESCAPES} (app.ts:1:1)`);
    heap.exports.allocAt(16, site);
    const text = heap.report().toString();
    expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/); // newlines only between lines
    expect(text).toContain(`taken at app.ts:1${printable(ESCAPES)}`);
    expect(text).toContain("\\x1b]0;pwned\\x07");
  });

  describe("rcalloc check", () => {
    const dir = join(work, "evil");
    beforeAll(async () => {
      await buildExamples({ names: ["leaky", "double-put"] });
      mkdirSync(dir, { recursive: true });
      // The modules as built, with source maps whose file names carry terminal escapes.
      for (const name of ["leaky", "double-put"]) {
        copyFileSync(examplePath(name), join(dir, `${name}.wasm`));
        const map = JSON.parse(readFileSync(`${examplePath(name)}.map`, "utf8"));
        map.sources = map.sources.map((s: string) => s.replace(/index\.ts$/, `index${ESCAPES}.ts`));
        writeFileSync(join(dir, `${name}.wasm.map`), JSON.stringify(map));
      }
    }, 120_000);

    const run = rcalloc;

    it("a wasm function name full of escapes, shown escaped", async () => {
      // The name section names the function that takes the leaked reference after escapes.
      const { default: binaryen } = await import("binaryen");
      binaryen.setDebugInfo(true);
      const evil = `$"evil\\1b]0;pwned\\07\\1b[2J\\0d"`;
      const module = binaryen.parseText(`(module
        (import "rcalloc" "alloc" (func $alloc (param i32) (result i32))) (import "env" "memory" (memory 2))
        (func ${evil} (result i32) (call $alloc (i32.const 16)))
        (func (export "main") (drop (call ${evil}))))`); // dropped: a handle main returned would be JS's, not a leak
      const file = join(dir, "evil-name.wasm");
      writeFileSync(file, module.emitBinary());
      module.dispose();
      binaryen.setDebugInfo(false);
      const r = await run("check", file);
      expect(r.status).toBe(1);
      expect(r.stdout).toContain("evil\\x1b]0;pwned\\x07\\x1b[2J\\x0d");
      expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    });

    it.each([["leaky", 1], ["double-put", 2]])("%s: the labels are shown escaped, exit %i", async (name, exit) => {
      const r = await run("check", join(dir, `${name}.wasm`));
      expect(r.status).toBe(exit);
      expect(r.stdout).toContain(`index${printable(ESCAPES)}.ts:`); // the label is there, made visible
      expect(r.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u202e]/);
      const json = JSON.parse((await run("check", join(dir, `${name}.wasm`), "--json")).stdout);
      expect(JSON.stringify(json)).toContain("index\\u001b]0;pwned"); // JSON keeps the data, escaped by JSON
    });
  });
});
