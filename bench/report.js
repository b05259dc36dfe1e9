// === Output: the final text tables, results JSON and a self-contained HTML page (inline SVG) ===
// The HTML has no scripts and no external assets, so it renders offline and in CI artifacts.

import fs from "node:fs";
import path from "node:path";

const COLORS = { unchecked: "#2b7bb9", checked: "#7a4fb5", tlsf: "#d98c1f", dlmalloc: "#3a9e5a", floor: "#9a9a9a" };

// ---- number formatting ------------------------------------------------------------------
const f1 = (x) => (x == null || !Number.isFinite(x) ? "—" : x.toFixed(1));
const fns = (x) => (x == null || !Number.isFinite(x) ? "—" : Math.abs(x) < 10 ? x.toFixed(2) : x.toFixed(1));
const fr = (x) => (x == null || !Number.isFinite(x) ? "—" : x.toFixed(2));
const pad = (s, n) => String(s).padStart(n);
const padr = (s, n) => String(s).padEnd(n);

// ---- text tables ------------------------------------------------------------------------

export function replayTable(replay) {
  if (!replay.length) return "";
  const ids = replay[0].results.filter((r) => !r.floor).map((r) => r.id);
  const labels = Object.fromEntries(replay[0].results.map((r) => [r.id, r.label]));
  const short = (id) => (labels[id] ?? id).replace("rcalloc ", "");
  const lines = [
    "Workload replay: ops/µs median and min–max over interleaved rounds; own = allocator's own time",
    "(total − floor) in ns/op; pages = peak (grown since instantiation); ratios = own time ÷ peer's own time",
    "(below 1: faster), pages ÷ dlmalloc's.",
  ];
  // Each ratio column as wide as its label plus a gap, so labels never run together.
  const ratioWidths = ids.map((id) => Math.max(short(id).length, 5) + 2);
  const ratioHead = ids.map((id, i) => pad(short(id), ratioWidths[i])).join("");
  const labelWidth = Math.max(...replay[0].results.map((r) => r.label.length), "allocator".length) + 2;
  for (const w of replay) {
    lines.push("");
    lines.push(`${w.label} — ${w.about}; ${w.opsPerCall} ops/call × ${w.callsPerRound} calls/round × ${w.rounds} rounds`);
    lines.push(`  ${padr("allocator", labelWidth)}${pad("ops/µs", 8)}${pad("min–max", 14)}${pad("own ns/op", 11)}${pad("pages", 13)}  │ own ÷${ratioHead} │ pages ÷ dl`);
    for (const r of w.results) {
      const pages = r.floor ? `${r.pages.peak} (arena)` : `${r.pages.peak} (+${r.pages.grown})`;
      const ratios = ids.map((id, i) => pad(r.floor || id === r.id ? "·" : fr(r.ownRatio?.[id]), ratioWidths[i])).join("");
      const pagesDl = r.floor || r.id === "dlmalloc" || !r.pagesRatio?.dlmalloc ? "·" : fr(r.pagesRatio.dlmalloc);
      lines.push(`  ${padr(r.label, labelWidth)}${pad(f1(r.opsPerUs.median), 8)}${pad(`${f1(r.opsPerUs.min)}–${f1(r.opsPerUs.max)}`, 14)}` +
        `${pad(r.floor ? "(floor)" : fns(r.ownNs?.median), 11)}${pad(pages, 13)}  │      ${ratios} │ ${pad(pagesDl, 9)}`);
    }
  }
  return lines.join("\n");
}

export function opsTable(suites) {
  if (!suites.length) return "";
  const cols = suites[0].results;
  // Each column as wide as its label plus a gap (cells fit in 16), so labels never run together.
  const widths = cols.map((c) => Math.max(c.label.length, 16) + 2);
  const lines = [
    `Per operation (benny; ${suites[0].opsPerCall} operations per wasm call): ns/op, median sample; [own] = minus the floor's loop`,
    `  ${padr("operation", 26)}${cols.map((c, i) => pad(c.label, widths[i])).join("")}${pad("checked ÷ unchecked", 21)}`,
  ];
  for (const s of suites) {
    const cells = cols.map((c, i) => {
      const r = s.results.find((x) => x.id === c.id);
      return pad(r.floor ? fns(r.nsPerOp) : `${fns(r.nsPerOp)} [${fns(r.ownNs)}]`, widths[i]);
    });
    const un = s.results.find((x) => x.id === "unchecked");
    const ch = s.results.find((x) => x.id === "checked");
    lines.push(`  ${padr(s.label, 26)}${cells.join("")}${pad(un && ch ? `${fr(ch.nsPerOp / un.nsPerOp)}×` : "—", 21)}`);
  }
  return lines.join("\n");
}

export function boundaryTable(boundary) {
  if (boundary.skipped) return boundary.skipped;
  const lines = [
    "Boundary (benny; 1000 calls from JS per case): ns per call through the bindings vs the raw export",
    `  ${padr("operation", 10)}${padr("build", 11)}${pad("binding", 9)}${pad("raw", 9)}${pad("ratio", 8)}`,
  ];
  for (const p of boundary.pairs) {
    lines.push(`  ${padr(p.op, 10)}${padr(p.build, 11)}${pad(fns(p.bindingNs), 9)}${pad(fns(p.rawNs), 9)}${pad(`${fr(p.ratio)}×`, 8)}`);
  }
  return lines.join("\n");
}

export function targetsTable(checks) {
  const lines = ["Target checks (measured ratios; reported, not enforced)"];
  for (const c of checks) {
    const mark = c.met === null ? "n/a " : c.met ? "ok  " : "MISS";
    const ratio = c.ratio == null ? "—" : `${fr(c.ratio)}×`;
    lines.push(`  ${mark}  ${padr(c.target, 40)} ${padr(c.scope, 24)} ${pad(ratio, 6)} (≤ ${c.limit}×)  ${c.detail ?? ""}`);
  }
  return lines.join("\n");
}

// ---- HTML / SVG ---------------------------------------------------------------------------

const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]);

/** Horizontal bar chart; rows: { label, value, min?, max?, color, note? }. */
function barChart(title, unit, rows, { width = 560, labelW = 150 } = {}) {
  const valueW = 90;
  const rowH = 22;
  const plotW = width - labelW - valueW;
  const top = 24;
  const height = top + rows.length * rowH + 6;
  const scaleMax = Math.max(1e-9, ...rows.map((r) => Math.max(r.value ?? 0, r.max ?? 0)));
  const x = (v) => labelW + (Math.max(0, v) / scaleMax) * plotW;
  const parts = [`<text x="0" y="15" class="t">${esc(title)}</text>`];
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    parts.push(`<text x="${labelW - 6}" y="${y + 15}" text-anchor="end">${esc(r.label)}</text>`);
    if (r.value == null || !Number.isFinite(r.value)) {
      parts.push(`<text x="${labelW + 4}" y="${y + 15}" class="n">n/a</text>`);
      return;
    }
    parts.push(`<rect x="${labelW}" y="${y + 4}" width="${(x(r.value) - labelW).toFixed(1)}" height="${rowH - 8}" fill="${r.color}"/>`);
    if (r.min != null && r.max != null) {
      const y0 = y + rowH / 2;
      parts.push(`<path d="M${x(r.min).toFixed(1)} ${y0}H${x(r.max).toFixed(1)}M${x(r.min).toFixed(1)} ${y0 - 4}v8M${x(r.max).toFixed(1)} ${y0 - 4}v8" class="w"/>`);
    }
    const at = Math.max(x(r.value), r.max != null ? x(r.max) : 0) + 4;
    parts.push(`<text x="${at.toFixed(1)}" y="${y + 15}" class="n">${esc(r.note ?? `${fns(r.value)} ${unit}`)}</text>`);
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${parts.join("")}</svg>`;
}

const color = (id) => COLORS[id] ?? "#555";

function replaySection(w) {
  const speed = barChart("operations per µs (median, min–max whiskers)", "/µs",
    w.results.map((r) => ({ label: r.label, value: r.opsPerUs.median, min: r.opsPerUs.min, max: r.opsPerUs.max, color: color(r.id) })));
  const own = barChart("allocator's own time, ns per operation (total − floor)", "ns",
    w.results.filter((r) => !r.floor).map((r) => ({ label: r.label, value: r.ownNs?.median, min: r.ownNs?.min, max: r.ownNs?.max, color: color(r.id) })));
  const pages = barChart("peak memory, 64 KiB pages", "pages",
    w.results.map((r) => ({ label: r.label, value: r.pages.peak, color: color(r.id), note: r.floor ? `${r.pages.peak} (arena, not a footprint)` : `${r.pages.peak} (+${r.pages.grown})` })));
  const others = w.results.filter((r) => !r.floor);
  const head = others.map((p) => `<th>÷ ${esc(p.label)}</th>`).join("");
  const body = others.map((r) => `<tr><th>${esc(r.label)}</th>${others.map((p) =>
    `<td>${p === r ? "·" : fr(r.ownRatio?.[p.id])}</td>`).join("")}<td>${r.id === "dlmalloc" ? "·" : fr(r.pagesRatio?.dlmalloc)}</td></tr>`).join("");
  return `<section><h2>${esc(w.label)}</h2><p>${esc(w.about)}. ${w.opsPerCall} ops per call × ${w.callsPerRound} calls per round × ${w.rounds} interleaved rounds.</p>
<div class="charts">${speed}${own}${pages}</div>
<table><tr><th>own time ratio</th>${head}<th>pages ÷ dlmalloc</th></tr>${body}</table></section>`;
}

function opsSection(suites) {
  if (!suites.length) return "";
  const charts = suites.map((s) => barChart(`${s.label}: ns per operation`, "ns",
    s.results.map((r) => ({ label: r.label, value: r.nsPerOp, min: r.minNs, max: r.maxNs, color: color(r.id) })), { width: 440 }));
  return `<section><h2>Per operation (benny, ${suites[0].opsPerCall} operations per wasm call)</h2><div class="charts">${charts.join("")}</div></section>`;
}

function boundarySection(boundary) {
  if (!boundary) return "";
  if (boundary.skipped) return `<section><h2>Boundary (bindings)</h2><p>${esc(boundary.skipped)}</p></section>`;
  const rows = boundary.pairs.flatMap((p) => [
    { label: `${p.op} ${p.build}: binding`, value: p.bindingNs, color: color(p.build) },
    { label: `${p.op} ${p.build}: raw`, value: p.rawNs, color: "#bbbbbb" },
  ]);
  return `<section><h2>Boundary (bindings vs raw export, per call from JS)</h2><div class="charts">${barChart("ns per call", "ns", rows, { width: 640, labelW: 210 })}</div></section>`;
}

function targetsSection(checks) {
  const rows = checks.map((c) => `<tr class="${c.met === null ? "na" : c.met ? "ok" : "miss"}"><td>${c.met === null ? "n/a" : c.met ? "ok" : "miss"}</td><td>${esc(c.target)}</td><td>${esc(c.scope)}</td><td>${c.ratio == null ? "—" : `${fr(c.ratio)}×`}</td><td>≤ ${c.limit}×</td><td>${esc(c.detail ?? "")}</td></tr>`);
  return `<section><h2>Target checks (measured, not enforced)</h2><table><tr><th></th><th>target</th><th>scope</th><th>ratio</th><th>limit</th><th>detail</th></tr>${rows.join("")}</table></section>`;
}

export function html(results) {
  const m = results.meta;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>rcalloc benchmarks ${esc(m.date)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1800px}
h1{font-size:20px}h2{font-size:16px;margin:28px 0 6px}
.charts{display:flex;flex-wrap:wrap;gap:18px}
svg{font:12px system-ui,sans-serif}svg .t{font-weight:600}svg .n{fill:#333}svg .w{stroke:#222;stroke-width:1;fill:none}
table{border-collapse:collapse;margin-top:8px}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}th{background:#f6f6f6}
tr.ok td:first-child{color:#2a7d3a;font-weight:600}tr.miss td:first-child{color:#b3261e;font-weight:600}tr.na td:first-child{color:#888}
td:nth-child(2),td:nth-child(3),td:last-child{text-align:left}
.meta{color:#666}
</style></head><body>
<h1>rcalloc benchmarks${m.quick ? " (quick smoke run)" : ""}</h1>
<p class="meta">${esc(m.date)} · Node ${esc(m.node)} (V8 ${esc(m.v8)}) · ${esc(m.cpu)} × ${m.cores} · ${esc(m.commit ?? "")}</p>
${(m.skipped ?? []).map((s) => `<p class="meta">${esc(s)}</p>`).join("")}
${targetsSection(results.targets)}
${results.replay.map(replaySection).join("\n")}
${opsSection(results.ops)}
${boundarySection(results.boundary)}
</body></html>
`;
}

/** Writes latest.json and latest.html into `dir`; returns their paths. */
export function writeResults(dir, results) {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, "latest.json");
  const page = path.join(dir, "latest.html");
  fs.writeFileSync(json, `${JSON.stringify(results, null, 2)}\n`);
  fs.writeFileSync(page, html(results));
  return { json, page };
}
