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
 *  background compiles finish. One call is not enough: V8 optimizes the loop on entry (OSR),
 *  without feedback for the lines after it, which deopt at their first run; the next call then
 *  starts in a lower tier and compiles the function again while it is measured, on a background
 *  thread that takes a core from the next worker (bench/threads-diag.js: 5-17 ms of compiling
 *  per worker inside the measured window with one warm-up call, about 0 with three). `loop`: a
 *  copy of privateLoop (ownLoop); `calls` 1: the old warm-up (threads-diag.js --old-warm-up). */
export async function warmUp(e, ops, seed, loop = privateLoop, calls = 3) {
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
