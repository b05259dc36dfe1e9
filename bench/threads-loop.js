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

/** Runs privateLoop until V8 has compiled what a measured call of it runs, then lets the
 *  background compiles finish. One call was not enough: V8 optimized the loop on entry (OSR)
 *  before the lines after it had ever run, so that code deopted there (no type feedback), every
 *  call; the next call started in a lower tier and compiled the function again while it was
 *  measured, on a background thread that took a core from the next worker (bench/threads-diag.js:
 *  ~13 ms of compiling per round inside the measured window with two workers, ~0 now). So first a
 *  few short calls run every line in the interpreter, then `calls` full ones. `loop`: a copy of
 *  privateLoop (ownLoop); `calls` 1: the old warm-up (threads-diag.js --old-warm-up). */
export async function warmUp(e, ops, seed, loop = privateLoop, calls = 3) {
  if (calls > 1) for (let i = 0; i < 8; i++) loop(e, 100, seed + i); // every line run before V8 optimizes any
  for (let i = 0; i < calls; i++) loop(e, ops, seed + i);
  if (calls > 1) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** A copy of privateLoop of its own (this module imported afresh under `tag`), for one heap: a
 *  loop that called several heaps' exports would make V8's call sites polymorphic, slower for
 *  every build and unevenly so (it added 0.09 to 0.14 to the shared checked build's one-thread ratio),
 *  where a program calls one heap. */
export async function ownLoop(tag) {
  return (await import(`./threads-loop.js?heap=${encodeURIComponent(tag)}`)).privateLoop;
}
