// An overhead result (measure.ts) as a self-contained SVG chart: on top the time per call of both
// builds in each round, below the checked/unchecked ratio of each round with its median. Plain
// SVG text, no script and no external styles, so it can be inlined in a page or saved as a file.
import type { OverheadResult } from "./measure.js";

const COLORS = { unchecked: "#2a6fdb", checked: "#d9622b", ratio: "#444" };
const WIDTH = 720;
const LEFT = 64;
const RIGHT = 16;
const PANEL = 150;

/** The chart as an `<svg>` element's source text. */
export function overheadToSVG(result: OverheadResult, options: { width?: number } = {}): string {
  const width = options.width ?? WIDTH;
  const n = result.rounds;
  const x = (i: number) => LEFT + (n === 1 ? (width - LEFT - RIGHT) / 2 : (i * (width - LEFT - RIGHT)) / (n - 1));
  const out: string[] = [];

  // Panel 1: ms per call.
  const times = [...result.builds.unchecked.rounds, ...result.builds.checked.rounds];
  const top1 = 34;
  const t = axis(0, Math.max(...times));
  const y1 = (v: number) => top1 + PANEL - (v / t.max) * PANEL;
  out.push(text(LEFT, top1 - 12, "time per call (ms), each round", "start", 13, "600"));
  out.push(...grid(t.ticks, y1, width, (v) => fmtTick(v)));
  for (const build of ["unchecked", "checked"] as const) {
    out.push(series(result.builds[build].rounds.map((v, i) => [x(i), y1(v)]), COLORS[build]));
  }
  out.push(legend(width - RIGHT - 250, top1 - 16, [
    [`unchecked, median ${fmtMs(result.builds.unchecked.perCallMs.median)} ms`, COLORS.unchecked],
    [`checked, median ${fmtMs(result.builds.checked.perCallMs.median)} ms`, COLORS.checked],
  ]));

  // Panel 2: the ratio, with 1x and the median marked.
  const top2 = top1 + PANEL + 64;
  const r = axis(Math.min(1, ...result.ratio.rounds), Math.max(...result.ratio.rounds));
  const y2 = (v: number) => top2 + PANEL - ((v - r.min) / (r.max - r.min)) * PANEL;
  out.push(text(LEFT, top2 - 12, `checked / unchecked, each round: median ${result.ratio.median.toFixed(2)}x ` +
    `(min ${result.ratio.min.toFixed(2)}x, max ${result.ratio.max.toFixed(2)}x)`, "start", 13, "600"));
  out.push(...grid(r.ticks, y2, width, (v) => `${fmtTick(v)}x`));
  out.push(`<line x1="${LEFT}" x2="${width - RIGHT}" y1="${y2(result.ratio.median).toFixed(1)}" y2="${y2(result.ratio.median).toFixed(1)}" ` +
    `stroke="${COLORS.ratio}" stroke-dasharray="5 4"/>`);
  out.push(series(result.ratio.rounds.map((v, i) => [x(i), y2(v)]), COLORS.ratio));

  // Round numbers under both panels.
  const every = Math.ceil(n / 20);
  for (let i = 0; i < n; i += every) {
    out.push(text(x(i), top1 + PANEL + 16, String(i + 1), "middle", 11));
    out.push(text(x(i), top2 + PANEL + 16, String(i + 1), "middle", 11));
  }
  out.push(text((LEFT + width - RIGHT) / 2, top2 + PANEL + 34, "round", "middle", 11));
  const height = top2 + PANEL + 44;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="system-ui, sans-serif" role="img" aria-label="time per call of both builds and their ratio, per round">\n` +
    `<rect width="${width}" height="${height}" fill="#fff"/>\n${out.join("\n")}\n</svg>`;
}

/** A range from lo to hi rounded out to steps of 1, 2 or 5 × 10^k, and its ticks. */
function axis(lo: number, hi: number): { min: number; max: number; ticks: number[] } {
  if (!(hi > lo)) hi = lo + (lo || 1) * 0.1;
  const raw = (hi - lo) / 4;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((f) => f * power).find((s) => s >= raw) ?? raw;
  const min = Math.floor(lo / step) * step;
  const max = Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let v = min; v <= max + step / 2; v += step) ticks.push(Number(v.toPrecision(12)));
  return { min, max, ticks };
}

function grid(ticks: number[], y: (v: number) => number, width: number, label: (v: number) => string): string[] {
  return ticks.flatMap((v) => [
    `<line x1="${LEFT}" x2="${width - RIGHT}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e4e4e4"/>`,
    text(LEFT - 6, y(v) + 4, label(v), "end", 11),
  ]);
}

function series(points: [number, number][], color: string): string {
  const line = points.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(" ");
  const dots = points.map(([px, py]) => `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="3" fill="${color}"/>`).join("");
  return `<g class="series"><polyline points="${line}" fill="none" stroke="${color}" stroke-width="2"/>${dots}</g>`;
}

function legend(x: number, y: number, items: [string, string][]): string {
  return items.map(([label, color], i) =>
    `<rect x="${x}" y="${y + i * 16 - 9}" width="12" height="4" fill="${color}"/>` + text(x + 18, y + i * 16 - 4, label, "start", 11)).join("");
}

function text(x: number, y: number, content: string, anchor: string, size: number, weight = "400"): string {
  const safe = content.replace(/[&<>]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[c]!);
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="${anchor}" font-size="${size}" font-weight="${weight}" fill="#222">${safe}</text>`;
}

function fmtTick(v: number): string {
  return Number(v.toPrecision(6)).toString();
}

function fmtMs(v: number): string {
  return v >= 0.001 ? v.toFixed(3) : v.toPrecision(2);
}
