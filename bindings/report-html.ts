// The heap report as one self-contained HTML page: summary figures, a picture of the heap
// (linear memory as rows of cells coloured by what the blocks there are), the leaks grouped by
// the site that took them, oldest first, and the JS leaks of Ref wrappers. No external asset, no
// network: it opens offline, from a file or an e-mail. No Node or DOM API here.
import { byteSize as bytes, hex, plural } from "./format.js";
import { frameFunction } from "./js-stacks.js";
import { findLeaks, type Leaks } from "./leaks.js";
import { isReportJSON, readReportJSON, reportToJSON, type BlockJSON, type ObjectJSON, type ReferenceJSON, type ReportJSON, type ReportJSONOptions } from "./report-json.js";
import { NOT_IN_WASM, type Report } from "./report.js";

export interface HTMLReportOptions extends ReportJSONOptions {
  /** Page title (default "rcalloc heap report"). */
  title?: string;
  /**
   * Payload addresses of the objects to draw as leaked. Default: the leaked objects of the one
   * leak model (bindings/leaks.ts) that the cards, the table, the text and the JSON state: the
   * objects the report's references hold (checked build) or its objects (unchecked), ignored ones
   * left out. For a leaksSince(mark) report these are the leaks of the code after the mark; for a
   * whole-heap report, everything still live (the scan's verdicts are shown per leak).
   */
  leaked?: Iterable<number>;
  /** Leak groups listed before "N more groups" (default 200). */
  maxGroups?: number;
  /** References listed in a group's details before "N more" (default 20). */
  maxPerGroup?: number;
  /** Embed the JSON data in a <script type="application/json" id="rcalloc-report"> (default false). */
  embedJSON?: boolean;
}

// ── What the picture shows ─────────────────────────────────────────────────────────────────────
// A cell with any leaked byte is drawn leaked (so a small leak never disappears), any other cell
// as the kind holding most of its bytes.
const KINDS = ["free", "cached", "live", "leaked", "dead", "internal", "unused"] as const;
type Kind = (typeof KINDS)[number];
const K = Object.fromEntries(KINDS.map((k, i) => [k, i])) as Record<Kind, number>;
const MAJORITY_ORDER = [K.live, K.dead, K.internal, K.cached, K.free, K.unused]; // ties: the first

const KIND_LABEL: Record<Kind, string> = {
  free: "Free",
  cached: "Cached",
  live: "Live",
  leaked: "Leaked",
  dead: "Dead (quarantined)",
  internal: "Internal",
  unused: "Unused memory",
};
const KIND_HELP: Record<Kind, string> = {
  free: "free blocks in the TLSF lists",
  cached: "freed blocks kept on the quick lists for reuse",
  live: "live objects",
  leaked: "objects the report counts as leaked (the figure: their payload bytes)",
  dead: "freed objects held back: the quarantine, or weak handles still out",
  internal: "rcalloc's own blocks (the handle table)",
  unused: "memory past the heap's end, not used yet",
};

// Okabe–Ito colours (told apart with every common colour-vision deficiency); dead blocks also
// hatched, unused memory dotted, so no kind depends on hue alone.
const COLOUR: Record<Kind, string> = {
  free: "#e3e7ec",
  cached: "#56b4e9",
  live: "#0072b2",
  leaked: "#d55e00",
  dead: "#cc79a7",
  internal: "#3f4650",
  unused: "#fbfcfd",
};

const COLUMNS = 256; // cells a row
const CELL_W = 4; // SVG units a cell
const ROW_H = 16;
const ROW_GAP = 5;
const LABEL_W = 92;
const MAX_ROWS = 48;
const MIN_ROW_BYTES = 4096; // 16-byte cells at least: the allocator's alignment
const PAGE = 65536;

/** Any value as HTML text: every character that could open markup or an attribute is escaped. */
function esc(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

// ── Leaks (the one model, bindings/leaks.ts) ───────────────────────────────────────────────────

type HtmlLeaks = Leaks<ObjectJSON, ReferenceJSON>;

/** The leaks of the data; sizes of objects older than a mark come from their blocks (upper bounds). */
function leaksOf(data: ReportJSON): HtmlLeaks {
  const sites = new Map(data.sites.map((s) => [s.id, s]));
  const capacity = new Map<number, number>();
  for (const b of data.blocks) if (b.ptr !== undefined) capacity.set(b.ptr, b.address + b.size - b.ptr);
  return findLeaks<ObjectJSON, ReferenceJSON>({
    checked: data.build === "checked", leakCount: data.leakCount, since: data.since,
    objects: data.objects, references: data.references,
    siteOf: (record) => (record.site !== undefined ? sites.get(record.site) : undefined),
    capacityOf: (ptr) => capacity.get(ptr),
  });
}

// ── The picture ─────────────────────────────────────────────────────────────────────────────────

interface Layout {
  base: number; // address of the first row (row-aligned)
  start: number; // heap start (first block)
  end: number; // end of what is drawn
  rowBytes: number;
  cellBytes: number;
  rows: number;
}

function layoutOf(blocks: BlockJSON[], pages: number): Layout {
  const start = blocks[0].address;
  const last = blocks[blocks.length - 1];
  const heapEnd = last.address + last.size;
  const memoryEnd = Math.max(heapEnd, pages * PAGE);
  const rowsFor = (rowBytes: number, end: number) => Math.ceil((end - Math.floor(start / rowBytes) * rowBytes) / rowBytes);
  let rowBytes = MIN_ROW_BYTES;
  while (rowsFor(rowBytes, memoryEnd) > MAX_ROWS) rowBytes *= 2;
  // Memory past the heap's end is drawn (as unused) when it is worth a cell at least.
  const end = memoryEnd - heapEnd >= rowBytes / COLUMNS ? memoryEnd : heapEnd;
  const base = Math.floor(start / rowBytes) * rowBytes;
  return { base, start, end, rowBytes, cellBytes: rowBytes / COLUMNS, rows: rowsFor(rowBytes, end) };
}

/** Kind of a block as drawn. */
function kindOf(b: BlockJSON, leaked: Set<number>): number {
  if (b.kind === "live") return b.ptr !== undefined && leaked.has(b.ptr) ? K.leaked : K.live;
  return K[b.kind];
}

function renderPicture(
  data: ReportJSON, leaked: Set<number>, objects: Map<number, ObjectJSON>, groupsOf: Map<number, number[]>,
  labelOf: (ptr: number) => string | undefined,
): { svg: string; totals: { bytes: number; blocks: number }[]; layout: Layout } | undefined {
  const blocks = data.blocks;
  if (blocks.length === 0) return undefined;
  const L = layoutOf(blocks, data.stats.pages);
  const cells = L.rows * COLUMNS;
  const amount = new Float64Array(cells * KINDS.length);
  const firstBlock = new Int32Array(cells).fill(-1);
  const lastBlock = new Int32Array(cells).fill(-1);
  const breakAt = new Uint8Array(cells); // a block of 2+ cells starts in this cell: start a new run
  const totals = KINDS.map(() => ({ bytes: 0, blocks: 0 }));

  const fill = (from: number, to: number, kind: number, blockIndex: number): void => {
    for (let a = from; a < to;) {
      const cell = Math.floor((a - L.base) / L.cellBytes);
      const cellEnd = L.base + (cell + 1) * L.cellBytes;
      const upto = Math.min(to, cellEnd);
      amount[cell * KINDS.length + kind] += upto - a;
      if (blockIndex >= 0) {
        if (firstBlock[cell] < 0) firstBlock[cell] = blockIndex;
        lastBlock[cell] = blockIndex;
      }
      a = upto;
    }
  };
  blocks.forEach((b, i) => {
    const kind = kindOf(b, leaked);
    totals[kind].bytes += b.size;
    totals[kind].blocks++;
    if (b.size >= 2 * L.cellBytes) breakAt[Math.floor((b.address - L.base) / L.cellBytes)] = 1;
    fill(b.address, b.address + b.size, kind, i);
  });
  const heapEnd = blocks[blocks.length - 1].address + blocks[blocks.length - 1].size;
  if (L.end > heapEnd) {
    totals[K.unused].bytes += L.end - heapEnd;
    breakAt[Math.floor((heapEnd - L.base) / L.cellBytes)] = 1;
    fill(heapEnd, L.end, K.unused, -1);
  }

  const cellKind = (cell: number): number => {
    const at = cell * KINDS.length;
    if (amount[at + K.leaked] > 0) return K.leaked;
    let best = -1;
    for (const k of MAJORITY_ORDER) if (amount[at + k] > 0 && (best < 0 || amount[at + k] > amount[at + best])) best = k;
    return best; // -1: nothing here (before the heap start)
  };

  const parts: string[] = [];
  const width = LABEL_W + COLUMNS * CELL_W;
  const height = L.rows * (ROW_H + ROW_GAP) - ROW_GAP;
  parts.push(
    `<svg class="heap" viewBox="0 0 ${width} ${height}" role="img" aria-label="Heap picture: ${L.rows} rows of ${bytes(L.rowBytes)}">`,
    `<defs><pattern id="hatch" width="4" height="4" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
      `<rect width="4" height="4" fill="${COLOUR.dead}"/><rect width="1.6" height="4" fill="#fff" fill-opacity=".55"/></pattern>` +
      `<pattern id="dots" width="4" height="4" patternUnits="userSpaceOnUse"><rect width="4" height="4" fill="${COLOUR.unused}"/>` +
      `<circle cx="2" cy="2" r=".6" fill="#c3cad3"/></pattern></defs>`,
  );
  for (let row = 0; row < L.rows; row++) {
    const y = row * (ROW_H + ROW_GAP);
    parts.push(`<text class="addr" x="${LABEL_W - 10}" y="${y + ROW_H / 2}">${hex(L.base + row * L.rowBytes)}</text>`);
    let col = 0;
    while (col < COLUMNS) {
      const first = row * COLUMNS + col;
      const kind = cellKind(first);
      let n = 1;
      while (col + n < COLUMNS && cellKind(first + n) === kind && !breakAt[first + n]) n++;
      if (kind >= 0) parts.push(runRect(data, L, first, n, kind, y, amount, firstBlock, lastBlock, objects, leaked, groupsOf, labelOf));
      col += n;
    }
  }
  parts.push("</svg>");
  return { svg: parts.join(""), totals, layout: L };
}

/** One run of cells of the same kind: a rect with a hover title. */
function runRect(
  data: ReportJSON, L: Layout, first: number, n: number, kind: number, y: number, amount: Float64Array,
  firstBlock: Int32Array, lastBlock: Int32Array, objects: Map<number, ObjectJSON>, leaked: Set<number>,
  groupsOf: Map<number, number[]>, labelOf: (ptr: number) => string | undefined,
): string {
  const from = Math.max(L.base + first * L.cellBytes, L.start);
  const to = Math.min(L.base + (first + n) * L.cellBytes, L.end);
  const x = LABEL_W + (first % COLUMNS) * CELL_W + (from - (L.base + first * L.cellBytes)) / L.cellBytes * CELL_W;
  const w = Math.max(1, LABEL_W + ((first % COLUMNS) + n) * CELL_W - x - (n * CELL_W > 3 ? 1 : 0));
  // Bytes by kind in the run, for the title.
  const sums = new Float64Array(KINDS.length);
  for (let c = first; c < first + n; c++) for (let k = 0; k < KINDS.length; k++) sums[k] += amount[c * KINDS.length + k];
  const mix = KINDS.map((k, i) => [k, sums[i]] as const).filter(([, v]) => v > 0).sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${KIND_LABEL[k].toLowerCase()} ${bytes(v)}`).join(" · ");
  const lines = [`${hex(from)} – ${hex(to - 1)} (${bytes(to - from)})`, mix];
  // The blocks under the run: name the objects when there are few, the leaked ones always.
  let lo = -1, hi = -1;
  for (let c = first; c < first + n; c++) {
    if (firstBlock[c] >= 0 && (lo < 0 || firstBlock[c] < lo)) lo = firstBlock[c];
    if (lastBlock[c] > hi) hi = lastBlock[c];
  }
  const groups = new Set<number>();
  if (lo >= 0) {
    const inRun = data.blocks.slice(lo, hi + 1);
    const leakedHere = inRun.filter((b) => b.ptr !== undefined && leaked.has(b.ptr));
    const shown = kind === K.leaked ? leakedHere : inRun.length <= 3 ? inRun : [];
    for (const b of shown.slice(0, 4)) lines.push(describeBlock(b, objects, leaked, labelOf));
    if (shown.length > 4) lines.push(`… ${shown.length - 4} more leaked objects`);
    else if (shown.length === 0 && inRun.length > 1) lines.push(plural(inRun.length, "block"));
    for (const b of leakedHere) for (const g of groupsOf.get(b.ptr!) ?? []) groups.add(g);
  }
  const attrs = groups.size ? ` data-groups="${[...groups].join(" ")}"` : "";
  const fill = KINDS[kind] === "dead" ? "url(#hatch)" : KINDS[kind] === "unused" ? "url(#dots)" : COLOUR[KINDS[kind]];
  return `<rect class="k-${KINDS[kind]}"${attrs} x="${x.toFixed(2)}" y="${y}" width="${w.toFixed(2)}" height="${ROW_H}" rx="2" fill="${fill}">` +
    `<title>${esc(lines.join("\n"))}</title></rect>`;
}

function describeBlock(b: BlockJSON, objects: Map<number, ObjectJSON>, leaked: Set<number>, labelOf: (ptr: number) => string | undefined): string {
  if (b.kind !== "live" || b.ptr === undefined) return `${b.kind} block ${hex(b.address)}, ${bytes(b.size)}`;
  const o = objects.get(b.ptr);
  const what = leaked.has(b.ptr) ? "leaked object" : "object";
  const site = labelOf(b.ptr);
  return `${what} ${hex(b.ptr)}` + (o ? `, ${plural(o.size, "byte")}, ${plural(o.refs, "ref")}` : `, block ${bytes(b.size)}`) +
    (site ? `, taken at ${site}` : "");
}

// ── The page ────────────────────────────────────────────────────────────────────────────────────

const CSS = `
:root{--fg:#1c2128;--muted:#5f6b7a;--line:#d9dee5;--panel:#f6f8fa;--bg:#fff;--accent:#0072b2;
${KINDS.map((k) => `--${k}:${COLOUR[k]};`).join("")}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue","DejaVu Sans",Arial,sans-serif}
main{max-width:1200px;margin:0 auto;padding:28px 28px 56px}
code,.mono,.addr{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,"DejaVu Sans Mono",monospace}
header{display:flex;align-items:baseline;justify-content:space-between;gap:16px;flex-wrap:wrap;border-bottom:1px solid var(--line);padding-bottom:14px}
h1{font-size:22px;margin:0;font-weight:650;letter-spacing:-.01em}
h1 .brand{color:var(--accent)}
.meta{color:var(--muted);font-size:13px}
.badge{display:inline-block;padding:1px 8px;border-radius:999px;font-size:12px;font-weight:600;border:1px solid var(--line);background:var(--panel);margin-left:8px;vertical-align:2px}
h2{font-size:16px;margin:34px 0 6px;font-weight:650}
.sub{color:var(--muted);margin:0 0 12px;font-size:13px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:12px;margin-top:20px}
.card{background:var(--panel);border:1px solid var(--line);border-radius:10px;padding:12px 14px}
.card .v{font-size:21px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.25}
.card .v .u{font-size:14px;font-weight:500;color:var(--muted)}
.card.alert .v .u{color:#a8430b}
.card .l{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em}
.card .d{color:var(--muted);font-size:12.5px}
.card.alert{border-color:#efb28f;background:#fff5ef}
.card.alert .v{color:#a8430b}
.card.ok .v{color:#1a7f37}
.legend{display:flex;flex-wrap:wrap;gap:8px 20px;margin:0 0 12px;padding:0;list-style:none;font-size:13px}
.legend li{display:flex;align-items:center;gap:7px}
.legend .sw{width:14px;height:14px;border-radius:3px;display:inline-block;border:1px solid rgba(0,0,0,.12)}
.legend .n{color:var(--muted);font-variant-numeric:tabular-nums}
.picture{border:1px solid var(--line);border-radius:10px;padding:14px 16px 12px 4px;background:#fff}
svg.heap{display:block;width:100%;height:auto}
svg.heap .addr{font-size:10px;fill:var(--muted);text-anchor:end;dominant-baseline:central}
svg.heap rect{stroke:none}
svg.heap rect:hover{stroke:var(--fg);stroke-width:1.2}
svg.heap.focus rect{opacity:.25}
svg.heap.focus rect.hl{opacity:1;stroke:var(--fg);stroke-width:1.2}
.sw.k-dead{background:repeating-linear-gradient(45deg,var(--dead) 0 2.5px,#e8bcd4 2.5px 4px)}
.sw.k-unused{background:var(--unused)}
table{border-collapse:collapse;width:100%;font-size:13.5px}
table.leaks{table-layout:fixed}
table.leaks col.n{width:44px}table.leaks col.c{width:104px}table.leaks col.b{width:92px}table.leaks col.s{width:150px}
th{text-align:left;font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em;border-bottom:1px solid var(--line);padding:8px 10px}
td{border-bottom:1px solid var(--line);padding:9px 10px;vertical-align:top}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody.group:hover{background:#f3f8fc}
tbody.group tr.head td{border-bottom:none;padding-bottom:2px}
tbody.group tr.detail td{padding-top:0}
td.site .fn{font-weight:600;margin-right:4px}
td.site code{font-size:13px;color:var(--fg)}
table.refs{width:auto;min-width:60%}
table.refs td.mono{white-space:nowrap}
details{margin-top:4px}
summary{cursor:pointer;color:var(--accent);font-size:12.5px;user-select:none}
pre{margin:6px 0 0;padding:10px 12px;background:var(--panel);border:1px solid var(--line);border-radius:8px;font-size:12px;line-height:1.45;overflow:auto;white-space:pre}
table.refs{margin-top:8px;font-size:12.5px}
table.refs tr:last-child td{border-bottom:none}
table.refs td,table.refs th{padding:4px 8px}
.tag{display:inline-block;padding:0 7px;border-radius:999px;font-size:11.5px;font-weight:600;white-space:nowrap;margin:1px 0}
td.site{overflow-wrap:anywhere}
.tag.unreach{background:#fde3d3;color:#8f3a0a}
.tag.stored{background:#dcecf7;color:#0b4f7c}
.tag.weak{background:#efe2ea;color:#7a2f5b}
.empty{padding:18px;border:1px dashed var(--line);border-radius:10px;color:var(--muted);background:var(--panel)}
.more td{color:var(--muted);font-style:italic}
footer{margin-top:40px;color:var(--muted);font-size:12px;border-top:1px solid var(--line);padding-top:12px}
`;

// Hovering a leak row highlights its blocks; clicking a leaked block shows its row.
const SCRIPT = `
(() => {
  const svg = document.querySelector("svg.heap");
  if (!svg) return;
  const rows = document.querySelectorAll("tbody.group[data-group]");
  const mark = (g) => {
    svg.classList.toggle("focus", g !== null);
    for (const r of svg.querySelectorAll("rect[data-groups]")) {
      r.classList.toggle("hl", g !== null && r.dataset.groups.split(" ").includes(g));
    }
  };
  for (const row of rows) {
    row.addEventListener("mouseenter", () => mark(row.dataset.group));
    row.addEventListener("mouseleave", () => mark(null));
  }
  svg.addEventListener("click", (e) => {
    const g = e.target instanceof Element && e.target.getAttribute("data-groups");
    if (!g) return;
    const row = document.querySelector('tbody.group[data-group="' + g.split(" ")[0] + '"]');
    if (!row) return;
    row.scrollIntoView({ behavior: "smooth", block: "center" });
    const details = row.querySelector("details");
    if (details) details.open = true;
  });
})();
`;

/** A figure: `value` is "37 references" or "576 KiB"; its unit is set smaller. Detail lines under it. */
function card(label: string, value: string, detail: string | string[], cls = ""): string {
  const [, number, unit] = /^(\S+)\s*(.*)$/.exec(value) ?? ["", value, ""];
  return `<div class="card${cls ? " " + cls : ""}"><div class="l">${esc(label)}</div>` +
    `<div class="v">${esc(number)}${unit ? ` <span class="u">${esc(unit)}</span>` : ""}</div>${[detail].flat().map((d) => `<div class="d">${esc(d)}</div>`).join("")}</div>`;
}

/** "at parseNode (file:3:9)", "parseNode@file:3:9" → a label for the function name, or "". */
function fn(frame: string | undefined): string {
  const name = frame && frameFunction(frame);
  return name ? `<span class="fn">${esc(name)}</span> ` : "";
}

function scanTag(r: { reachable?: boolean; storedAt?: number; storedIn?: number }, linked?: boolean): string {
  if (r.reachable === undefined) return "";
  if (!r.reachable) return `<span class="tag unreach">${linked ? esc(NOT_IN_WASM) : "unreachable"}</span>`;
  const at = r.storedAt ?? 0;
  return r.storedIn
    ? `<span class="tag stored" title="a copy of the handle is at ${hex(at)}">stored in object ${hex(r.storedIn)} at +${at - r.storedIn}</span>`
    : `<span class="tag stored">stored at ${hex(at)} (static data or a root)</span>`;
}

const count = (n: number): string => n.toLocaleString("en-US");

function renderGroups(data: ReportJSON, leaks: HtmlLeaks, maxGroups: number, maxPerGroup: number): string {
  const checked = leaks.checked;
  const groups = leaks.groups;
  if (groups.length === 0) {
    if (leaks.countOnly && leaks.count > 0) {
      return `<div class="empty">${plural(leaks.count, "object")} more live than at the mark. The unchecked build keeps ` +
        `no sites or orders: run the checked build with <code>stacks: true</code> to see where they were taken.</div>`;
    }
    return `<div class="empty">No leaks: nothing in this report is still live.</div>`;
  }
  const columns = data.scanned ? 7 : 6;
  const out = [
    `<table class="leaks"><colgroup><col class="n"><col><col class="c"><col class="b"><col class="b"><col class="b">` +
    `${data.scanned ? `<col class="s">` : ""}</colgroup><thead><tr><th class="num">#</th><th>Taken at</th>` +
    `<th class="num">${checked ? "References" : "Objects"}</th><th class="num">Objects</th><th class="num">Bytes</th>` +
    `<th class="num">Oldest</th>${data.scanned ? "<th>Scan</th>" : ""}</tr></thead>`,
  ];
  for (const g of groups.slice(0, maxGroups)) {
    const scan = data.scanned
      ? `<td>${g.unreachable ? `<span class="tag unreach">${g.unreachable} unreachable</span> ` : ""}` +
        `${g.stored ? `<span class="tag stored">${g.stored} still stored</span>` : ""}</td>`
      : "";
    const entries = g.leaks.slice(0, maxPerGroup).map((leak) => {
      const r = leak.record as Partial<ReferenceJSON> & Partial<ObjectJSON>;
      return `<tr><td class="mono">${checked ? hex(r.handle ?? 0) : ""}</td><td class="mono">${hex(leak.ptr)}</td>` +
        `<td class="num">${leak.size === undefined ? "?" : (leak.estimated ? "≤ " : "") + count(leak.size)}</td>` +
        `<td class="num">${checked ? "#" + count(leak.order) : ""}</td>` +
        `<td>${r.owner ? `owner <code>${hex(r.owner)}</code> ` : ""}${r.weak ? `<span class="tag weak">weak</span> ` : ""}${scanTag(r, data.linked)}</td></tr>`;
    }).join("");
    const more = g.leaks.length > maxPerGroup ? `<tr class="more"><td colspan="5">… ${count(g.leaks.length - maxPerGroup)} more</td></tr>` : "";
    // every path the group's leaks were taken through, as the text report
    const stack = g.paths.filter((p) => p.stack.length).map((p) => `<pre>${esc(p.stack.join("\n"))}</pre>`).join("");
    const estimate = g.estimated ? ` title="Some objects are older than the mark: their block's capacity is counted."` : "";
    out.push(
      `<tbody class="group" data-group="${g.index}"><tr class="head"><td class="num">${g.index}</td>` +
      `<td class="site">${fn(g.stack[0])}<code>${esc(g.label)}</code>${g.indirect ? ` <span class="tag" title="stored inside other leaked objects: listed after the direct ones">indirect</span>` : ""}</td>` +
      `<td class="num">${count(g.count)}</td><td class="num">${count(g.objects)}</td>` +
      `<td class="num"${estimate}>${g.estimated ? "≤ " : ""}${bytes(g.bytes)}</td><td class="num">${checked ? "#" + count(g.oldest) : "—"}</td>${scan}</tr>` +
      `<tr class="detail"><td></td><td colspan="${columns - 1}"><details>` +
      `<summary>stack and ${plural(g.count, checked ? "reference" : "object")}</summary>${stack}` +
      `<table class="refs"><thead><tr><th>${checked ? "Handle" : ""}</th><th>Object</th><th class="num">Size</th>` +
      `<th class="num">${checked ? "Order" : ""}</th><th></th></tr></thead><tbody>${entries}${more}</tbody></table>` +
      `</details></td></tr></tbody>`,
    );
  }
  if (groups.length > maxGroups) {
    out.push(`<tbody><tr class="more"><td></td><td colspan="${columns - 1}">… ${count(groups.length - maxGroups)} more groups</td></tr></tbody>`);
  }
  out.push("</table>");
  return out.join("");
}

function renderJsLeaks(data: ReportJSON): string {
  const leaks = data.jsLeaks ?? [];
  if (leaks.length === 0) return "";
  const byLabel = new Map<string, { count: number; bytes: number; stack: string[] }>();
  for (const l of leaks) {
    const g = byLabel.get(l.label) ?? { count: 0, bytes: 0, stack: l.stack };
    g.count++;
    g.bytes += l.size;
    byLabel.set(l.label, g);
  }
  const rows = [...byLabel].map(([label, g]) =>
    `<tr><td class="site"><code>${esc(label)}</code>${g.stack.length ? `<details><summary>stack</summary><pre>${esc(g.stack.join("\n"))}</pre></details>` : ""}</td>` +
    `<td class="num">${g.count}</td><td class="num">${bytes(g.bytes)}</td></tr>`).join("");
  return `<h2>JS leaks</h2><p class="sub">Ref wrappers garbage-collected without a put, by where they were created.</p>` +
    `<table><thead><tr><th>Created at</th><th class="num">Refs</th><th class="num">Bytes</th></tr></thead><tbody>${rows}</tbody></table>`;
}

/** The page around a body: title, badges, styles, the footer; no external asset. */
function page(title: string, badges: string[], meta: string, body: string, footer: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="rcalloc">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1><span class="brand">rcalloc</span> ${esc(title.replace(/^rcalloc\s*/, ""))}${badges.map((b) => `<span class="badge">${esc(b)}</span>`).join("")}</h1>
<div class="meta">${meta}</div></header>
${body}
<footer>${footer}</footer>
</main>
</body>
</html>
`;
}

/**
 * The report as one self-contained HTML page (a string): summary figures, a picture of the heap
 * with a legend and hover titles, and the leak table by site. Takes a Report (with the heap's
 * blocks in `options.blocks` unless the report carries them) or data from reportToJSON; data
 * from elsewhere is read defensively (readReportJSON), and every value is escaped.
 */
export function reportToHTML(report: Report | ReportJSON, options: HTMLReportOptions = {}): string {
  const data = isReportJSON(report) ? readReportJSON(report) : reportToJSON(report, options);
  const objects = new Map(data.objects.map((o) => [o.ptr, o]));
  const leaks = leaksOf(data);
  const groups = leaks.groups;
  const leaked = options.leaked ? new Set(options.leaked) : leaks.objectSet;
  const groupsOf = new Map<number, number[]>();
  for (const g of groups) for (const leak of g.leaks) {
    const of = groupsOf.get(leak.ptr) ?? [];
    if (!of.includes(g.index)) of.push(g.index);
    groupsOf.set(leak.ptr, of);
  }
  const labelOf = (ptr: number): string | undefined => {
    const g = groupsOf.get(ptr);
    return g ? groups[g[0] - 1].label : undefined;
  };
  const picture = renderPicture(data, leaked, objects, groupsOf, labelOf);
  const s = data.stats;
  const checked = leaks.checked;
  const title = options.title ?? "rcalloc heap report";

  // The leak figures: the same model as the text and the JSON (bindings/leaks.ts).
  const approx = leaks.estimated ? "≤ " : "";
  const leakValue = plural(leaks.count, leaks.unit);
  const leakDetail = leaks.countOnly
    ? ["counts only (unchecked build)"]
    : [(checked ? `${plural(leaks.objects, "object")} · ` : "") + `${approx}${bytes(leaks.bytes)}` + (leaks.weak ? ` · ${leaks.weak} weak` : "")];
  if (data.scanned && !leaks.countOnly) leakDetail.push(`${leaks.unreachable} unreachable (scan)`);
  if (leaks.ignored) leakDetail.push(`${plural(leaks.ignored, "ignored object")} not counted`);
  const scope = data.since !== undefined ? `since mark ${count(data.since)}` : "live at the end";
  const cards = [
    card(data.since !== undefined ? "Leaked since mark" : "Still held", leakValue, leakDetail, leaks.count ? "alert" : "ok"),
    card("Live objects", plural(s.liveObjects, "object"), bytes(s.liveBytes)),
    card("Memory", bytes(s.pages * PAGE), `${plural(s.pages, "page")} · heap ${bytes(s.heapBytes)}`),
    card("Free", bytes(s.freeBytes), `cached ${bytes(s.cachedBytes)}`),
    checked ? card("Quarantine", bytes(s.quarantinedBytes ?? 0), `${plural(s.quarantinedBlocks ?? 0, "block")} held back`) : "",
    checked ? card("Allocator's own", bytes(s.internalBytes), `handle table and bookkeeping · ${plural(s.liveReferences, "live reference")}`) : "",
  ].join("");

  let heapSection: string;
  if (picture) {
    const L = picture.layout;
    const legend = KINDS.map((k, i) => {
      const t = picture.totals[i];
      if (t.bytes === 0 && !["free", "live", "leaked"].includes(k)) return "";
      // Leaked: the leak figures (payload bytes of the leaked objects), as in the card and the table;
      // every other kind: its blocks, headers included.
      const figure = k === "leaked" && !options.leaked
        ? `${approx}${bytes(leaks.bytes)} · ${plural(leaks.objects, "object")}`
        : `${bytes(t.bytes)}${k === "unused" ? "" : ` · ${plural(t.blocks, "block")}`}`;
      const style = k === "dead" ? "" : ` style="background:var(--${k})"`;
      return `<li title="${esc(KIND_HELP[k])}"><span class="sw k-${k}"${style}></span>${KIND_LABEL[k]} ` +
        `<span class="n">${figure}</span></li>`;
    }).join("");
    heapSection =
      `<h2>Heap</h2><p class="sub">Linear memory from <code>${hex(L.base)}</code> to <code>${hex(L.end)}</code>: ` +
      `each row ${bytes(L.rowBytes)}, each cell ${bytes(L.cellBytes)}. A cell with any leaked byte is drawn leaked. ` +
      `Leaked: payload bytes of the leaked objects; other kinds: whole blocks. Hover a block for its addresses and objects.</p>` +
      `<ul class="legend">${legend}</ul>` +
      `<div class="picture">${picture.svg}</div>`;
  } else {
    heapSection = `<h2>Heap</h2><div class="empty">No block list in this report: pass <code>{ blocks: heap.blocks() }</code> to draw the heap.</div>`;
  }

  const leakSub = checked
    ? `References still live (${scope}), grouped by the site that took them, oldest group first (after a scan, groups stored inside other leaked objects come last, marked indirect).`
    : `Objects still live (${scope}), grouped by allocation site (the unchecked build records none).`;
  const json = options.embedJSON
    ? `<script type="application/json" id="rcalloc-report">${JSON.stringify(data).replace(/</g, "\\u003c")}</script>\n`
    : "";
  const body =
    `<section class="cards">${cards}</section>\n` +
    `<section>${heapSection}</section>\n` +
    `<section><h2>Leaks by site${groups.length ? ` <span class="meta">(${plural(groups.length, "site")})</span>` : ""}</h2><p class="sub">${esc(leakSub)}</p>\n` +
    `${renderGroups(data, leaks, options.maxGroups ?? 200, options.maxPerGroup ?? 20)}</section>\n` +
    `${renderJsLeaks(data)}\n` + json + `<script>${SCRIPT}</script>`;
  const footer = `Made by rcalloc's <code>reportToHTML</code>. Data shape: <code>docs/report.schema.json</code>` +
    `${options.embedJSON ? " (embedded as <code>#rcalloc-report</code>)" : ""}. Colours: Okabe–Ito, safe for colour-blind readers.`;
  const badges = [`${checked ? "checked" : "unchecked"} build`, ...(data.scanned ? ["scanned"] : [])];
  return page(title, badges, `generated ${esc(data.generatedAt)}`, body, footer);
}

/** A run that stopped on an error (`rcalloc check`): what happened, where, and which reference. */
export interface FailureHTML {
  title: string;
  /** "Instantiation only" or the entry called. */
  subtitle: string;
  /** true: a misuse of the API (RcError); false: the program failed otherwise. */
  misuse: boolean;
  name: string;
  code?: string | null;
  message: string;
  handle?: number | null;
  object?: number | null;
  /** Where the reference was taken, and where it was put (or first put: `putTitle`). */
  site?: { label: string; stack: string[] } | null;
  putSite?: { label: string; stack: string[] } | null;
  putTitle: string;
  /** The wasm frames where it trapped. */
  trappedAt: string[];
}

/** The page for a run that stopped on a misuse or a failure, in the same style as the report. */
export function failureToHTML(f: FailureHTML): string {
  const stack = (frames: string[] | undefined) => frames && frames.length ? `<pre>${esc(frames.join("\n"))}</pre>` : "";
  const rows: string[] = [];
  if (f.handle) rows.push(`<tr><th>handle</th><td><code>${hex(f.handle)}</code>${f.object ? ` (object <code>${hex(f.object)}</code>)` : ""}</td></tr>`);
  if (f.site) rows.push(`<tr><th>taken at</th><td><code>${esc(f.site.label)}</code>${stack(f.site.stack)}</td></tr>`);
  if (f.putSite) rows.push(`<tr><th>${esc(f.putTitle)}</th><td><code>${esc(f.putSite.label)}</code>${stack(f.putSite.stack)}</td></tr>`);
  if (f.trappedAt.length) rows.push(`<tr><th>trapped in</th><td>${stack(f.trappedAt)}</td></tr>`);
  const status = `${f.misuse ? "Misuse" : "Failed"}: ${esc(f.name)}${f.code ? ` <code>${esc(f.code)}</code>` : ""}`;
  const body =
    `<section class="cards">${card(f.misuse ? "Misuse" : "Failed", f.code ?? f.name, [f.name], "alert")}</section>\n` +
    `<section><h2 class="status">${status}</h2><p>${esc(f.message)}</p>` +
    (rows.length ? `<table class="failure"><tbody>${rows.join("")}</tbody></table>` : "") + `</section>`;
  return page(f.title, ["checked build"], esc(f.subtitle), body, "Made by rcalloc check.");
}
