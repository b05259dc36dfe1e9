// The HTML report: one self-contained page (no external asset), its heap picture, legend and leak
// table; then a real heap with leaks rendered in headless Chromium, its DOM checked, and a
// screenshot saved to test-results/report.png (with the page itself as test-results/report.html).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { reportToHTML } from "../bindings/report-html.js";
import { reportToJSON, type BlockJSON, type ReportJSON } from "../bindings/report-json.js";
import { CHROMIUM_BROWSER, withPage } from "./browser-harness.js";
import { leakyHeap } from "./fixtures/report/leaky-heap.js";
import { heapOf } from "./heap.js";

const FIXED_TIME = "2026-01-01T12:00:00.000Z";
const RESULTS = new URL("../test-results/", import.meta.url);

/** Line numbers of the leak sites in the fixture, read from its source. */
function fixtureLine(marker: string): number {
  const source = readFileSync(new URL("fixtures/report/leaky-heap.ts", import.meta.url), "utf8");
  return source.split("\n").findIndex((l) => l.includes(marker)) + 1;
}

/** Everything in `html` that would reach outside the page. */
function externalReferences(html: string): string[] {
  return [
    ...html.matchAll(/\b(?:src|href)\s*=\s*["']?(?!#|data:)[^"'\s>]+/gi),
    ...html.matchAll(/url\(\s*["']?(?!#|data:)[^)"']+/gi),
    ...html.matchAll(/@import|<link\b|<iframe\b|<img\b|https?:\/\//gi),
  ].map((m) => m[0]);
}

/** A synthetic report of a `megabytes` heap of `count` blocks, a few of them leaked. */
function bigReport(megabytes: number, count: number): ReportJSON {
  const end = megabytes * 1024 * 1024;
  const size = Math.floor(end / count / 16) * 16;
  const blocks: BlockJSON[] = [];
  const references: ReportJSON["references"] = [];
  const kinds = ["live", "live", "free", "live", "cached", "live", "dead"] as const;
  for (let i = 0, a = 0x4008; i < count; i++, a += size) {
    const kind = kinds[i % kinds.length];
    blocks.push(kind === "live" ? { address: a, size, kind, ptr: a + 24 } : { address: a, size, kind });
    if (kind === "live" && i % 997 === 0) references.push({ handle: 0x10000000 + i, ptr: a + 24, order: i + 1, weak: false, site: 1 + (i % 3) });
  }
  return {
    format: "rcalloc-report", version: 1, generatedAt: FIXED_TIME, build: "checked", scanned: false,
    leakCount: references.length,
    stats: { pages: Math.ceil(end / 65536), heapBytes: end, liveObjects: 0, liveBytes: 0, freeBytes: 0, cachedBytes: 0, internalBytes: 0, liveReferences: references.length, retiredSlots: 0 },
    sites: [1, 2, 3].map((id) => ({ id, label: `app.js:${id}:1`, stack: [`at f${id} (app.js:${id}:1)`] })),
    objects: [], references, blocks,
  };
}

describe("reportToHTML", () => {
  it("is one self-contained page: no external asset, script or font; text escaped", async () => {
    const heap = await heapOf(true);
    const evil = heap.site(`<script>alert("x")</script>`, `at <b>bad</b> (x.js:1:1)`);
    heap.exports.allocAt(32, evil);
    const html = reportToHTML(heap.report(), { blocks: heap.blocks(), generatedAt: FIXED_TIME, embedJSON: true });
    expect(html).toMatch(/^<!doctype html>/);
    expect(externalReferences(html)).toEqual([]);
    expect(html).not.toContain(`<script>alert`);
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    expect(html).toContain("at &lt;b&gt;bad&lt;/b&gt;");
    // The embedded JSON cannot close its script element early.
    const embedded = /<script type="application\/json" id="rcalloc-report">([^]*?)<\/script>/.exec(html)![1];
    expect(JSON.parse(embedded).sites[0].label).toBe(`<script>alert("x")</script>`);
  });

  it("draws every kind of block, with a legend entry and a hover title on each block", async () => {
    const { heap, mark } = await leakyHeap();
    const html = reportToHTML(heap.leaksSince(mark), { blocks: heap.blocks(), generatedAt: FIXED_TIME });
    for (const kind of ["free", "cached", "live", "leaked", "dead", "internal"]) {
      expect(html).toContain(`<span class="sw k-${kind}"`);
      expect(html).toMatch(new RegExp(`<rect class="k-${kind}"`));
    }
    const rects = html.match(/<rect class="k-[a-z]+"[^>]*><title>[^<]+<\/title><\/rect>/g) ?? [];
    expect(rects.length).toBeGreaterThan(50);
    expect(html).toMatch(/<rect class="k-leaked" data-groups="\d[^"]*"[^>]*><title>[^<]*leaked object 0x[0-9a-f]{8}/);
  });

  it("scales: a 100 MiB heap of 200,000 blocks fits in at most 48 rows of 256 cells", () => {
    const html = reportToHTML(bigReport(100, 200_000));
    const rows = html.match(/<text class="addr"/g) ?? [];
    expect(rows.length).toBeLessThanOrEqual(48);
    expect(rows.length).toBeGreaterThanOrEqual(24);
    expect((html.match(/<rect class="k-/g) ?? []).length).toBeLessThanOrEqual(48 * 256);
    expect(html).toContain("each row 4.00 MiB, each cell 16.0 KiB");
    expect((html.match(/<rect class="k-leaked"/g) ?? []).length).toBeGreaterThan(20); // small leaks stay visible
    expect(html.length).toBeLessThan(5_000_000);
  });

  it("caps the leak table with 'N more groups', and says what an unchecked count-only report means", async () => {
    const many = bigReport(1, 1000);
    many.sites = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, label: `s${i + 1}.js:1:1`, stack: [] }));
    many.references = many.sites.map((s, i) => ({ handle: 0x10000000 + i, ptr: many.blocks[0].ptr!, order: i + 1, weak: false, site: s.id }));
    const html = reportToHTML(many, { maxGroups: 5 });
    expect(html.match(/<tbody class="group"/g)).toHaveLength(5);
    expect(html).toContain("… 7 more groups");

    const heap = await heapOf(false);
    const mark = heap.mark();
    heap.alloc(8);
    const unchecked = reportToHTML(heap.leaksSince(mark));
    expect(unchecked).toMatch(/1 object more live than at the mark/);
    expect(unchecked).toContain("No block list in this report");
  });

  it("unchecked build: objects by allocation site; JS leaks of Ref wrappers in their own table", async () => {
    const heap = await heapOf(false);
    heap.alloc(64);
    heap.alloc(64);
    const html = reportToHTML(heap.report(), {
      blocks: heap.blocks(), generatedAt: FIXED_TIME,
      jsLeaks: [{ handle: 16, ptr: 16, size: 8, label: "app.js:9:3", stack: "at load (app.js:9:3)", message: "" }],
    });
    expect(html).toContain(`<span class="badge">unchecked build</span>`);
    expect(html).toMatch(/<code>\(site unknown\)<\/code><\/td><td class="num">2<\/td><td class="num">2<\/td><td class="num">128 B<\/td>/);
    expect(html).toMatch(/<h2>JS leaks<\/h2>[^]*<code>app\.js:9:3<\/code>[^]*at load \(app\.js:9:3\)/);
    expect((html.match(/<rect class="k-leaked"/g) ?? []).length).toBeGreaterThan(0); // a whole-heap report: all still held
  });

  it("renders from the JSON data as well as from the Report", async () => {
    const { heap, mark } = await leakyHeap();
    const report = heap.leaksSince(mark);
    const blocks = heap.blocks();
    const fromJSON = reportToHTML(JSON.parse(JSON.stringify(reportToJSON(report, { blocks, generatedAt: FIXED_TIME }))));
    expect(fromJSON).toBe(reportToHTML(report, { blocks, generatedAt: FIXED_TIME }));
  });
});

describe.skipIf(CHROMIUM_BROWSER.missing)("HTML report in headless Chromium", () => {
  it("shows the legend, the heap picture and the leak rows by site; screenshot in test-results/report.png", async () => {
    const { heap, mark } = await leakyHeap();
    const html = reportToHTML(heap.leaksSince(mark, { scan: true }), {
      blocks: heap.blocks(), generatedAt: FIXED_TIME, title: "rcalloc leaks of one request",
    });
    mkdirSync(RESULTS, { recursive: true });
    writeFileSync(new URL("report.html", RESULTS), html);

    const dom = await withPage("/test-results/report.html", async (page) => {
      const outside: string[] = [];
      // the page's requests; not the favicon, which the browser asks for by itself
      page.on("request", (r) => { if (!/\/test-results\/report\.html$|\/favicon\.ico$/.test(r.url())) outside.push(r.url()); });
      await page.setViewport({ width: 1280, height: 900 });
      await page.reload({ waitUntil: "load" });
      const result = await page.evaluate(() => {
        const text = (e: Element | null) => e?.textContent?.replace(/\s+/g, " ").trim() ?? "";
        const rects = [...document.querySelectorAll("svg.heap rect[class^='k-']")];
        return {
          title: document.title,
          legend: [...document.querySelectorAll(".legend li")].map(text),
          rows: [...document.querySelectorAll("tbody.group tr.head")].map((tr) => ({
            site: text(tr.querySelector("td.site code")), fn: text(tr.querySelector("td.site .fn")),
            count: text(tr.children[2]), scan: text(tr.children[6]),
          })),
          rects: rects.length,
          kinds: [...new Set(rects.map((r) => r.getAttribute("class")))].sort(),
          leakedTitle: text(document.querySelector("svg.heap rect.k-leaked title")),
          pictureWidth: document.querySelector("svg.heap")!.getBoundingClientRect().width,
          cards: [...document.querySelectorAll<HTMLElement>(".card")].map((c) => c.innerText.replace(/\s+/g, " ")),
        };
      });
      // Hovering a leak row highlights that site's blocks in the picture.
      await page.hover("tbody.group[data-group='3']");
      const highlighted = await page.evaluate(() => ({
        focus: document.querySelector("svg.heap")!.classList.contains("focus"),
        lit: document.querySelectorAll("svg.heap rect.hl").length,
      }));
      await page.click("tbody.group[data-group='2'] summary");
      await page.mouse.move(0, 0); // leave the table: no highlight in the screenshot
      await page.screenshot({ path: new URL("report.png", RESULTS).pathname, fullPage: true });
      return { ...result, highlighted, outside };
    });

    expect(dom.outside).toEqual([]);
    expect(dom.title).toBe("rcalloc leaks of one request");
    expect(dom.legend.map((l) => l.split(/\s+\d/)[0])).toEqual(
      ["Free", "Cached", "Live", "Leaked", "Dead (quarantined)", "Internal"]);
    expect(dom.rows.map((r) => r.fn)).toEqual(["rememberUser", "parseNode", "loadTexture"]);
    expect(dom.rows[0].site).toMatch(new RegExp(`leaky-heap\\.ts:${fixtureLine("taken for a cache")}:\\d+$`));
    expect(dom.rows[1].site).toMatch(new RegExp(`leaky-heap\\.ts:${fixtureLine("parse tree is never freed")}:\\d+$`));
    expect(dom.rows[2].site).toMatch(new RegExp(`leaky-heap\\.ts:${fixtureLine("nobody puts the texture")}:\\d+$`));
    expect(dom.rows.map((r) => r.count)).toEqual(["6", "30", "1"]);
    // The scan: each parse node's handle sits in the node parsed after it, except the last one's.
    expect(dom.rows[1].scan).toBe("1 unreachable 29 still stored");
    expect(dom.rows[2].scan).toBe("1 unreachable");
    expect(dom.rects).toBeGreaterThan(100);
    expect(dom.kinds).toEqual(["k-cached", "k-dead", "k-free", "k-internal", "k-leaked", "k-live"]);
    expect(dom.leakedTitle).toMatch(/leaked object 0x[0-9a-f]{8}, \d+ bytes|leaked object 0x[0-9a-f]{8}, block/);
    expect(dom.pictureWidth).toBeGreaterThan(1000);
    expect(dom.cards[0]).toMatch(/^LEAKED SINCE MARK 37 references 37 objects · \d+\.\d KiB 8 unreachable \(scan\)$/); // exact: references carry their object's size
    expect(dom.highlighted.focus).toBe(true);
    expect(dom.highlighted.lit).toBeGreaterThan(0);
    expect(readFileSync(new URL("report.png", RESULTS)).subarray(1, 4).toString()).toBe("PNG");
  });
});
