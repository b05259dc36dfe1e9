// npm run bench:views: what the JS views of wasm memory cost (bindings/views.ts), as ratios to
// the raw forms: element access through bytes(h) / view(h).array against a plain Uint8Array over
// the same bytes (and against a Proxy, what bytes() used to return), and the string helpers
// against TextEncoder / TextDecoder on the raw buffer. Median of interleaved rounds, after warm-up.
// Prints a table; no thresholds (benchmarks are not tests).
import { performance } from "node:perf_hooks";
import { createHeap } from "../dist/node.js";

const quick = process.argv.includes("--quick");
const ROUNDS = quick ? 5 : 11;
const SIZE = 4096;
const PASSES = quick ? 10 : 40; // passes over the payload per timed call
const CALLS = quick ? 500 : 2000; // strings per timed call

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** ns per unit of each case, cases interleaved round by round. */
function measure(cases, unitsPerCall) {
  const times = Object.fromEntries(cases.map((c) => [c.name, []]));
  for (const c of cases) for (let i = 0; i < 3; i++) c.run(); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      const t0 = performance.now();
      c.run();
      times[c.name].push(((performance.now() - t0) * 1e6) / unitsPerCall(c));
    }
  }
  return cases.map((c) => ({ name: c.name, ns: median(times[c.name]) }));
}

function table(title, unit, rows, baseline) {
  const base = rows.find((r) => r.name === baseline).ns;
  const width = Math.max(...rows.map((r) => r.name.length)) + 2;
  const lines = [title, `  ${"form".padEnd(width)}${unit.padStart(12)}${"÷ raw".padStart(10)}`];
  for (const r of rows) lines.push(`  ${r.name.padEnd(width)}${r.ns.toFixed(2).padStart(12)}${(r.ns / base).toFixed(2).padStart(9)}×`);
  return lines.join("\n");
}

/** What bytes() returned before: a Proxy re-resolving the view on every access. */
function proxyBytes(heap, h) {
  const current = () => new Uint8Array(heap.memory.buffer, heap.ptr(h), heap.size(h));
  let view = current();
  return new Proxy(view, {
    get(_t, key) {
      if (view.buffer !== heap.memory.buffer) view = current();
      const value = Reflect.get(view, key, view);
      return typeof value === "function" ? value.bind(view) : value;
    },
  });
}

const out = [];
for (const checked of [false, true]) {
  const heap = await createHeap({ checked });
  const h = heap.alloc(SIZE);
  heap.write(h, Array.from({ length: SIZE }, (_, i) => i & 0xff));
  const raw = new Uint8Array(heap.memory.buffer, heap.ptr(h), SIZE);
  const bytes = heap.bytes(h);
  const view = heap.view(h);
  const proxy = proxyBytes(heap, h);
  const perByte = () => PASSES * SIZE;
  // One loop per form (a shared loop taking a callback would measure the megamorphic call).
  const rows = measure([
    { name: "raw Uint8Array", run: () => { let s = 0; for (let p = 0; p < PASSES; p++) for (let i = 0; i < SIZE; i++) s += raw[i]; return s; } },
    { name: "heap.bytes(h)", run: () => { let s = 0; for (let p = 0; p < PASSES; p++) for (let i = 0; i < SIZE; i++) s += bytes[i]; return s; } },
    { name: "view.array, once per pass", run: () => { let s = 0; for (let p = 0; p < PASSES; p++) { const a = view.array; for (let i = 0; i < SIZE; i++) s += a[i]; } return s; } },
    { name: "view.array[i], every element", run: () => { let s = 0; for (let p = 0; p < PASSES; p++) for (let i = 0; i < SIZE; i++) s += view.array[i]; return s; } },
    { name: "Proxy (the old bytes())", run: () => { let s = 0; for (let p = 0; p < PASSES; p++) for (let i = 0; i < SIZE; i++) s += proxy[i]; return s; } },
  ], perByte);
  out.push(table(`Element access, ${checked ? "checked" : "unchecked"} build (${SIZE}-byte payload; ns per byte read)`, "ns/byte", rows, "raw Uint8Array"));
  heap.put(h);

  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  for (const [label, text] of [["ASCII, 64 chars", "x".repeat(64)], ["mixed UTF-8, 1000 chars", "héllo wörld 日本 ".repeat(63) + "end"]]) {
    const scratch = heap.alloc(text.length * 3);
    const stored = heap.allocString(text);
    const n = heap.size(stored);
    const perCall = () => CALLS;
    const rows = measure([
      { name: "raw: TextEncoder.encodeInto", run: () => { const u8 = new Uint8Array(heap.memory.buffer); const p = heap.ptr(scratch); for (let i = 0; i < CALLS; i++) encoder.encodeInto(text, u8.subarray(p, p + text.length * 3)); } },
      { name: "allocString + put", run: () => { for (let i = 0; i < CALLS; i++) heap.put(heap.allocString(text)); } },
      { name: "raw: TextDecoder.decode", run: () => { const u8 = new Uint8Array(heap.memory.buffer); const p = heap.ptr(stored); for (let i = 0; i < CALLS; i++) decoder.decode(u8.subarray(p, p + n)); } },
      { name: "readString", run: () => { for (let i = 0; i < CALLS; i++) heap.readString(stored); } },
    ], perCall);
    const enc = rows.slice(0, 2);
    const dec = rows.slice(2);
    out.push(table(`Strings, ${checked ? "checked" : "unchecked"} build, ${label}: encode (ns per string)`, "ns/call", enc, enc[0].name));
    out.push(table(`Strings, ${checked ? "checked" : "unchecked"} build, ${label}: decode (ns per string)`, "ns/call", dec, dec[0].name));
    heap.put(stored);
    heap.put(scratch);
  }
}
console.log(out.join("\n\n"));
