// === Workload loops, shared by every allocator (one source, one binary shape) ===
//
// Each bench module is an entry file that defines the per-allocator shim as @global @inline
// functions (A_alloc A_free A_realloc A_ptr A_get A_put, declared for editors in shim.d.ts) and
// re-exports this file. The loops below are therefore compiled once per allocator with the
// allocator's calls inlined into the same loop code, so "total minus floor" is the allocator.
//
// Rules every loop follows:
//   - bookkeeping lives in static memory (memory.data) read with load/store: the bench never
//     allocates managed AS objects, so the allocator under test owns the heap alone;
//   - one xorshift32 sequence per call, seeded by the caller: all allocators see the same actions;
//   - every alloc/realloc writes one byte (refcount-heavy: one word) so the floor pays the touch;
//   - replay workloads are self-contained per call (start empty, free what is left at the end) and
//     return a hash of the action sequence only: run.js checks that all allocators agree on it.
//   - per-operation loops return a sum of handles so the optimiser cannot drop them.

// ---- PRNG: xorshift32 -------------------------------------------------------------------
let rng: u32 = 1;

// @ts-ignore: decorator
@inline function seedRng(seed: u32): void { rng = seed ? seed : 0x9E3779B9; }

// @ts-ignore: decorator
@inline function next(): u32 {
  let x = rng;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  rng = x;
  return x;
}

/** Uniform in [0, n) by multiply-shift (no division in the loop). */
// @ts-ignore: decorator
@inline function below(n: u32): u32 { return <u32>((<u64>next() * <u64>n) >> 32); }

/** Sequence hash (FNV-1a step): depends on actions, indices and sizes, never on addresses. */
// @ts-ignore: decorator
@inline function mix(h: u32, v: u32): u32 { return (h ^ v) * 0x01000193; }

// @ts-ignore: decorator
@inline const HASH0: u32 = 0x811C9DC5;

// @ts-ignore: decorator
@inline function touch(h: u32, v: u32): void { store<u8>(A_ptr(h), <u8>v); }

// ---- Static tables ----------------------------------------------------------------------
// One table serves every replay workload (only one runs at a time); small per-op tables apart.
// @ts-ignore: decorator
@inline const TABLE_CAP: u32 = 8192;
const TABLE: usize = memory.data(<i32>(TABLE_CAP << 2), 16);
// @ts-ignore: decorator
@inline function T(i: u32): usize { return TABLE + (<usize>i << 2); }

// Refcount-heavy keeps its objects here and its extra references in TABLE.
// @ts-ignore: decorator
@inline const OBJECTS: u32 = 256;
const OBJ: usize = memory.data(<i32>(OBJECTS << 2), 16);
// @ts-ignore: decorator
@inline function O(i: u32): usize { return OBJ + (<usize>i << 2); }

// Growing buffer: handles and current sizes of its buffers.
// @ts-ignore: decorator
@inline const BUFFERS: u32 = 4;
const BUF: usize = memory.data(<i32>(BUFFERS << 3), 16);

// Per-operation loops keep their objects across calls (pinned, allocated on first use).
// @ts-ignore: decorator
@inline const PINS: u32 = 16;
const PIN: usize = memory.data(<i32>(PINS << 2), 16);
let pinned: u32 = 0; // object for getPut
let resizing: u32 = 0; // object for resizeLoop
let resizeStep: u32 = 0;

// ---- Replay workloads -------------------------------------------------------------------

// @ts-ignore: decorator
@inline const MIN_LIVE: u32 = 50;

/**
 * talc-style random actions: with `reallocs`, 1/5 realloc of a random live block; the rest
 * alloc/free 50:50 (alloc forced below MIN_LIVE live blocks, free forced when the table is full).
 * Sizes uniform in 1..maxSize, for alloc and realloc alike.
 */
export function randomActions(ops: u32, seed: u32, maxSize: u32, reallocs: u32): u32 {
  seedRng(seed);
  let n: u32 = 0;
  let hash = HASH0;
  let kinds: u32 = reallocs ? 5 : 4;
  for (let i: u32 = 0; i < ops; i++) {
    let action = below(kinds);
    if (action == 4 && n) {
      let j = below(n);
      let size = 1 + below(maxSize);
      let h = A_realloc(load<u32>(T(j)), size);
      store<u32>(T(j), h);
      touch(h, i);
      hash = mix(hash, (j << 16) ^ size);
    } else if ((action < 2 || n < MIN_LIVE) && n < TABLE_CAP) {
      let size = 1 + below(maxSize);
      let h = A_alloc(size);
      touch(h, i);
      store<u32>(T(n++), h);
      hash = mix(hash, size);
    } else {
      let j = below(n);
      A_free(load<u32>(T(j)));
      store<u32>(T(j), load<u32>(T(--n)));
      hash = mix(hash, j | 0x80000000);
    }
  }
  while (n) A_free(load<u32>(T(--n)));
  return hash;
}

/** A stack of blocks (8..512 bytes): push or pop at random, always the most recent freed first. */
export function lifoChurn(ops: u32, seed: u32): u32 {
  seedRng(seed);
  let n: u32 = 0;
  let hash = HASH0;
  for (let i: u32 = 0; i < ops; i++) {
    let r = next();
    if (n == 0 || ((r & 1) && n < 1024)) {
      let size = 8 + ((r >>> 1) % 505);
      let h = A_alloc(size);
      touch(h, i);
      store<u32>(T(n++), h);
      hash = mix(hash, size);
    } else {
      A_free(load<u32>(T(--n)));
      hash = mix(hash, n | 0x80000000);
    }
  }
  while (n) A_free(load<u32>(T(--n)));
  return hash;
}

/** A queue of blocks (16..1024 bytes) in a ring: enqueue at the tail, free the oldest. */
export function fifoQueue(ops: u32, seed: u32): u32 {
  seedRng(seed);
  const MASK: u32 = 4095; // a ring of 4096 entries inside TABLE
  let head: u32 = 0;
  let tail: u32 = 0;
  let hash = HASH0;
  for (let i: u32 = 0; i < ops; i++) {
    let r = next();
    let len = tail - head;
    if (len < 128 || ((r & 1) && len < MASK)) {
      let size = 16 + ((r >>> 1) % 1009);
      let h = A_alloc(size);
      touch(h, i);
      store<u32>(T(tail++ & MASK), h);
      hash = mix(hash, size);
    } else {
      A_free(load<u32>(T(head++ & MASK)));
      hash = mix(hash, len | 0x80000000);
    }
  }
  while (head != tail) A_free(load<u32>(T(head++ & MASK)));
  return hash;
}

/**
 * Four buffers grown round-robin by 16..256 bytes per resize (so they get in each other's way),
 * each freed and started again (16..256 bytes) once it passes 64 KiB. Touches the new last byte.
 */
export function growingBuffer(ops: u32, seed: u32): u32 {
  seedRng(seed);
  let hash = HASH0;
  for (let b: u32 = 0; b < BUFFERS; b++) {
    let size = 16 + below(241);
    let h = A_alloc(size);
    touch(h, b);
    store<u32>(BUF + (<usize>b << 3), h);
    store<u32>(BUF + (<usize>b << 3), size, 4);
  }
  for (let i: u32 = 0; i < ops; i++) {
    let slot = BUF + (<usize>(i & (BUFFERS - 1)) << 3);
    let h = load<u32>(slot);
    let size = load<u32>(slot, 4) + 16 + below(241);
    if (size > 65536) {
      A_free(h);
      size = 16 + below(241);
      h = A_alloc(size);
    } else {
      h = A_realloc(h, size);
    }
    store<u8>(A_ptr(h) + <usize>size - 1, <u8>i);
    store<u32>(slot, h);
    store<u32>(slot, size, 4);
    hash = mix(hash, size);
  }
  for (let b: u32 = 0; b < BUFFERS; b++) A_free(load<u32>(BUF + (<usize>b << 3)));
  return hash;
}

/**
 * 256 small objects (8..64 bytes) and up to 8192 extra references to them: per action 3/8 get,
 * 3/8 put of a random reference, 2/8 replace an object (put its owner reference, alloc anew).
 * An object dies when its last reference goes, whichever that is. Peers without reference
 * counts keep the count in the object's first word (A_get/A_put in their shims): equal work.
 */
export function refcountHeavy(ops: u32, seed: u32): u32 {
  seedRng(seed);
  let hash = HASH0;
  for (let k: u32 = 0; k < OBJECTS; k++) {
    let h = A_alloc(8 + below(57));
    store<u32>(A_ptr(h), 1); // the peers' count word; a plain touch for rcalloc
    store<u32>(O(k), h);
  }
  let n: u32 = 0;
  for (let i: u32 = 0; i < ops; i++) {
    let action = below(8);
    if ((action < 3 && n < TABLE_CAP) || (action < 6 && n == 0)) {
      let k = below(OBJECTS);
      store<u32>(T(n++), A_get(load<u32>(O(k))));
      hash = mix(hash, k);
    } else if (action < 6) {
      let j = below(n);
      A_put(load<u32>(T(j)));
      store<u32>(T(j), load<u32>(T(--n)));
      hash = mix(hash, j | 0x80000000);
    } else {
      let k = below(OBJECTS);
      let size = 8 + below(57);
      A_put(load<u32>(O(k)));
      let h = A_alloc(size);
      store<u32>(A_ptr(h), 1);
      store<u32>(O(k), h);
      hash = mix(hash, (k << 16) ^ size);
    }
  }
  while (n) A_put(load<u32>(T(--n)));
  for (let k: u32 = 0; k < OBJECTS; k++) A_put(load<u32>(O(k)));
  return hash;
}

// ---- Per-operation loops (benny) --------------------------------------------------------

/** alloc + touch + free of `size` bytes, `ops` times. */
export function allocFree(ops: u32, size: u32): u32 {
  let sum: u32 = 0;
  for (let i: u32 = 0; i < ops; i++) {
    let h = A_alloc(size);
    touch(h, i);
    sum += h;
    A_free(h);
  }
  return sum;
}

// @ts-ignore: decorator
@inline function pinnedObject(): u32 {
  if (!pinned) {
    pinned = A_alloc(16);
    store<u32>(A_ptr(pinned), 1);
  }
  return pinned;
}

/** get + put of one long-lived object, `ops` times. */
export function getPut(ops: u32): u32 {
  let h = pinnedObject();
  let sum: u32 = 0;
  for (let i: u32 = 0; i < ops; i++) {
    let g = A_get(h);
    sum += g;
    A_put(g);
  }
  return sum;
}

/** ptr of 16 long-lived objects in turn, `ops` times. */
export function ptrLoop(ops: u32): u32 {
  if (!load<u32>(PIN)) {
    for (let k: u32 = 0; k < PINS; k++) store<u32>(PIN + (<usize>k << 2), A_alloc(32));
  }
  let sum: u32 = 0;
  for (let i: u32 = 0; i < ops; i++) {
    sum += <u32>A_ptr(load<u32>(PIN + (<usize>(i & (PINS - 1)) << 2)));
  }
  return sum;
}

/** One long-lived object resized through 24 -> 200 -> 1000 -> 3000 -> 24 ... bytes. */
export function resizeLoop(ops: u32): u32 {
  if (!resizing) resizing = A_alloc(24);
  let h = resizing;
  let step = resizeStep;
  let sum: u32 = 0;
  for (let i: u32 = 0; i < ops; i++) {
    step = (step + 1) & 3;
    let size: u32 = step == 0 ? 24 : step == 1 ? 200 : step == 2 ? 1000 : 3000;
    h = A_realloc(h, size);
    touch(h, i);
    sum += h;
  }
  resizing = h;
  resizeStep = step;
  return sum;
}

// ---- Introspection ----------------------------------------------------------------------

/** Pages of linear memory now; wasm memory never shrinks, so after a run this is the peak. */
export function pages(): u32 { return <u32>memory.size(); }

/** End of the static data (the bench's tables included): where a heap may start. */
export function heapBase(): u32 { return <u32>__heap_base; }
