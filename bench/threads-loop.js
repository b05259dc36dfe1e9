// The threads bench's workload (bench/threads.js), one thread's side: `ops` calls of the raw
// exports on private objects — alloc (16..255 B), put, and get+put of a held object — with at
// most 256 held at once. Each operation is one JS → wasm call (about 4.5 ns of the cost).

export function privateLoop(e, ops, seed) {
  const held = new Uint32Array(256);
  let n = 0;
  let x = (seed >>> 0) || 1;
  for (let i = 0; i < ops; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    const r = x >>> 0;
    if (n < 16 || ((r & 3) === 0 && n < 256)) {
      held[n++] = e.alloc(16 + ((r >>> 8) % 240));
    } else if (r & 1) {
      const j = (r >>> 8) % n;
      e.put(held[j]);
      held[j] = held[--n];
    } else {
      e.put(e.get(held[(r >>> 8) % n]));
      i++; // two operations
    }
  }
  while (n) e.put(held[--n]);
}

/** Milliseconds of `ops` operations of the loop on `heap`, after a warm-up of a sixteenth of
 *  them (V8 tiers up the loop). */
export function timeLoop(heap, ops, seed) {
  privateLoop(heap.exports, ops >> 4, seed);
  const t = performance.now();
  privateLoop(heap.exports, ops, seed);
  return performance.now() - t;
}
