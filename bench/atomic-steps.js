// === What one atomic step costs on this machine (wasm, shared memory, one thread) ===
//
// The shared builds' lock-free paths pay a few sequentially consistent atomic steps per operation
// (docs/threads.md, "Against the goals": a pin's compare-exchange, a count's add, an
// unpin's or a pass's store); this times each kind alone, back to back in a wasm loop on one word
// of a shared memory, against a plain store, so the one-thread cost after heap.shareable() can be
// read as a sum of steps.
//
//   node bench/atomic-steps.js [--calls N]
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { calls: { type: "string", default: "20000000" } } });
const N = Number(values.calls);

// The module, assembled here (no tool needed): imports a shared memory "env.memory" (1 page) and
// exports one function per step, (n: i32) → loops n times doing that step on address 32.
const leb = (n) => { const out = []; do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n); return out; };
const str = (s) => [...leb(s.length), ...Buffer.from(s)];
const section = (id, bytes) => [id, ...leb(bytes.length), ...bytes];
const vec = (items) => [...leb(items.length), ...items.flat()];
const I32 = 0x7f, ADDR = [0x41, 32]; // i32.const 32 (signed LEB: one byte up to 63)
const N_ARG = [0x20, 0]; // local.get 0
const STEPS = {
  "plain store": [...ADDR, ...N_ARG, 0x36, 2, 0], // i32.store
  "atomic load": [...ADDR, 0xfe, 0x10, 2, 0, 0x1a], // i32.atomic.load; drop
  "atomic store": [...ADDR, ...N_ARG, 0xfe, 0x17, 2, 0], // i32.atomic.store
  "atomic add": [...ADDR, 0x41, 1, 0xfe, 0x1e, 2, 0, 0x1a], // i32.atomic.rmw.add; drop
  "compare-exchange": [...ADDR, 0x41, 0, 0x41, 0, 0xfe, 0x48, 2, 0, 0x1a], // i32.atomic.rmw.cmpxchg; drop
};
const bodies = Object.values(STEPS).map((step) => {
  // loop { step; n = n - 1; br_if 0 (n) } end
  const code = [0, 0x03, 0x40, ...step, ...N_ARG, 0x41, 1, 0x6b, 0x22, 0, 0x0d, 0, 0x0b, 0x0b];
  return [...leb(code.length), ...code];
});
const names = Object.keys(STEPS);
const bytes = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0,
  ...section(1, vec([[0x60, 1, I32, 0]])), // type 0: (i32) → ()
  ...section(2, vec([[...str("env"), ...str("memory"), 0x02, 0x03, 1, 1]])), // shared memory 1..1
  ...section(3, vec(names.map(() => [0]))),
  ...section(7, vec(names.map((name, i) => [...str(name), 0, i]))),
  ...section(10, vec(bodies)),
]);
const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
const { exports } = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
const times = Object.fromEntries(names.map((name) => [name, []]));
for (let round = 0; round < 7; round++) {
  for (const name of names) {
    const t = performance.now();
    exports[name](N);
    times[name].push(((performance.now() - t) * 1e6) / N);
  }
}
console.log(`ns per loop iteration (one step, the loop's own ~0.5 ns included), min of 7 rounds of ${N}`);
for (const name of names) console.log(`${name.padEnd(18)} ${Math.min(...times[name]).toFixed(2)}`);
