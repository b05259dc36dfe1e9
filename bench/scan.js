// Conservative-scan throughput (issue 4: at least 1 GB/s): bytes of linear memory scanned per
// second by the wasm scan, both builds, on two kinds of heap content:
//   typical — small integers, zeros, text and a few real handles/pointers (what heaps hold);
//   random  — uniformly random words: many look like handles or heap addresses, the worst case.
// Usage: node bench/scan.js [--mb N] [--rounds N]
import { createHeap } from "../dist/node.js";

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const MB = option("--mb", 64);
const ROUNDS = option("--rounds", 7);

function fill(heap, kind, handles) {
  let seed = 12345;
  const next = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0);
  const words = new Uint32Array(heap.memory.buffer);
  for (const h of handles) {
    const at = heap.ptr(h) >>> 2;
    const n = heap.size(h) >>> 2;
    for (let i = 0; i < n; i++) {
      const r = next();
      if (kind === "random") words[at + i] = r;
      else if (r % 97 === 0) words[at + i] = handles[r % handles.length]; // a stored reference
      else words[at + i] = r % 4 === 0 ? 0 : r % 4 === 1 ? r % 1000 : r % 4 === 2 ? 0x20656874 : r & 0xffff;
    }
  }
}

async function measure(checked, kind) {
  const heap = await createHeap({ checked, quarantine: false });
  const objectSize = 4096;
  const handles = Array.from({ length: (MB << 20) / objectSize }, () => heap.alloc(objectSize));
  fill(heap, kind, checked ? handles : handles.map((h) => heap.ptr(h)));
  const bytes = heap.stats().heapBytes;
  const e = heap.exports;
  e.scan(); e.scanClear(); // warm up
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    e.scan();
    times.push(performance.now() - t0);
    e.scanClear();
  }
  times.sort((a, b) => a - b);
  const median = times[times.length >> 1];
  return { build: checked ? "checked" : "unchecked", kind, mb: bytes / 2 ** 20, ms: median, gbs: bytes / 1e9 / (median / 1e3) };
}

const rows = [];
for (const checked of [true, false]) for (const kind of ["typical", "random"]) rows.push(await measure(checked, kind));
console.log(`conservative scan, ${MB} MiB of live 4 KiB objects, median of ${ROUNDS} rounds (target: >= 1 GB/s)`);
console.log("build      content   heap MiB   ms/scan    GB/s");
for (const r of rows) {
  console.log(`${r.build.padEnd(10)} ${r.kind.padEnd(9)} ${r.mb.toFixed(1).padStart(8)} ${r.ms.toFixed(2).padStart(9)} ${r.gbs.toFixed(2).padStart(7)}${r.gbs >= 1 ? "" : "  below target"}`);
}
