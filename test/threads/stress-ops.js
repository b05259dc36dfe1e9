// The threads stress, one worker's side (Node worker_threads and browser Web Workers alike):
// random operations on a shared heap, on objects it allocates and on objects other workers pass
// it through a queue that lives in the heap itself. Every object carries cookies derived from a
// unique id, checked whenever a worker takes, passes, resizes or puts a reference, so a block
// handed out twice or freed under a holder shows up as a broken cookie.

/** Words of the queue's header: lock, head (next pop), tail (next push), capacity. */
const QUEUE_HEADER_WORDS = 4;

/** Bytes of a queue object of `capacity` entries. */
export function queueBytes(capacity) {
  return (QUEUE_HEADER_WORDS + capacity) * 4;
}

/** Writes an empty queue's header at `ptr`. */
export function initQueue(memory, ptr, capacity) {
  new Int32Array(memory.buffer, ptr, QUEUE_HEADER_WORDS).set([0, 0, 0, capacity]);
}

/**
 * A bounded FIFO of handles in shared memory (an object of the heap), under its own spin lock.
 * Each entry is one reference: push hands it over, pop takes it.
 */
export class SharedQueue {
  constructor(memory, ptr) {
    this.words = new Int32Array(memory.buffer, ptr, QUEUE_HEADER_WORDS);
    this.capacity = this.words[3];
    this.slots = new Int32Array(memory.buffer, ptr + QUEUE_HEADER_WORDS * 4, this.capacity);
  }

  lock() {
    while (Atomics.compareExchange(this.words, 0, 0, 1) !== 0) {
      for (let i = 0; i < 32 && Atomics.load(this.words, 0) !== 0; i++);
    }
  }

  unlock() {
    Atomics.store(this.words, 0, 0);
  }

  /** False when full (the caller keeps the reference). */
  push(h) {
    this.lock();
    const [, head, tail] = this.words;
    const ok = tail - head < this.capacity;
    if (ok) {
      this.slots[tail % this.capacity] = h | 0;
      this.words[2] = tail + 1;
    }
    this.unlock();
    return ok;
  }

  /** A handle, or 0 when empty. */
  pop() {
    this.lock();
    const [, head, tail] = this.words;
    let h = 0;
    if (head < tail) {
      h = this.slots[head % this.capacity] >>> 0;
      this.words[1] = head + 1;
    }
    this.unlock();
    return h;
  }

  /** Every handle queued now (no other thread may run: a quiet point). */
  contents() {
    const [, head, tail] = this.words;
    const out = [];
    for (let i = head; i < tail; i++) out.push(this.slots[i % this.capacity] >>> 0);
    return out;
  }
}

/** xorshift32: the same stream for the same seed, in every engine. */
export function random(seed) {
  let x = (seed >>> 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    return x;
  };
}

const COOKIE = 0x5a17c0de;
/** Smallest object: the id, its complement, and a tail cookie. */
const MIN_SIZE = 12;

/** The payload of `h` as a DataView. Through heap.bytes(): memory another thread grew can look
 *  short here until the engine tells this thread (bindings/views.ts bufferCovering). */
function payload(heap, h) {
  const bytes = heap.bytes(h);
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function writeCookies(heap, h, id) {
  const view = payload(heap, h);
  view.setUint32(0, id, true);
  view.setUint32(4, ~id >>> 0, true);
  view.setUint32(view.byteLength - 4, (Math.imul(id, 0x9e3779b1) ^ COOKIE) >>> 0, true);
}

/** The object's id after checking its cookies; throws naming the handle when one is broken. */
export function checkCookies(heap, h) {
  const view = payload(heap, h);
  const id = view.getUint32(0, true);
  const ok = view.getUint32(4, true) === (~id >>> 0) &&
    view.getUint32(view.byteLength - 4, true) === ((Math.imul(id, 0x9e3779b1) ^ COOKIE) >>> 0);
  if (!ok) throw new Error(`cookie broken: handle 0x${h.toString(16)} at ${heap.ptr(h)}, size ${view.byteLength}, id ${id}`);
  return id;
}

function objectSize(next) {
  const r = next() % 100;
  if (r < 80) return MIN_SIZE + (next() % 116); // small: the quick lists
  if (r < 97) return 128 + (next() % 900);
  return 1024 + (next() % 7000); // TLSF
}

/** Sleeps about `micros` µs: the thread gives its core away (a different interleaving). */
function nap(cell, micros) {
  Atomics.wait(cell, 0, 0, micros / 1000);
}

/**
 * Runs `ops` random operations. Returns the handles still held (each one reference) and what
 * was done. `thread`: a number unique among the workers (object ids); `yieldEvery`: 0 never
 * naps, else every that many operations on average.
 */
export function runOps(heap, queue, { seed, ops, thread, yieldEvery = 0, maxHeld = 64 }) {
  const next = random(seed);
  const held = [];
  const napCell = new Int32Array(new SharedArrayBuffer(4));
  const done = { allocs: 0, gets: 0, puts: 0, pushes: 0, pops: 0, resizes: 0, checks: 0, naps: 0 };
  let counter = 0;
  const takeAt = (i) => {
    const h = held[i];
    held[i] = held[held.length - 1];
    held.pop();
    return h;
  };
  for (let n = 0; n < ops; n++) {
    if (yieldEvery && next() % yieldEvery === 0) {
      nap(napCell, 20);
      done.naps++;
    }
    const r = next() % 100;
    if (held.length === 0 || (r < 22 && held.length < maxHeld)) {
      const h = heap.alloc(objectSize(next));
      writeCookies(heap, h, ((thread << 24) | (++counter & 0xffffff)) >>> 0);
      held.push(h);
      done.allocs++;
    } else if (r < 36 && held.length < maxHeld) {
      const h = held[next() % held.length];
      checkCookies(heap, h);
      held.push(heap.get(h));
      done.gets++;
    } else if (r < 62) {
      const h = takeAt(next() % held.length);
      checkCookies(heap, h);
      heap.put(h);
      done.puts++;
    } else if (r < 76) {
      // Pass a reference: a new one goes into the queue, for whichever worker pops it.
      const h = held[next() % held.length];
      checkCookies(heap, h);
      const passed = heap.get(h);
      if (queue.push(passed)) done.pushes++;
      else heap.put(passed);
    } else if (r < 92) {
      const h = queue.pop();
      if (h) {
        checkCookies(heap, h);
        held.push(h);
        done.pops++;
      }
    } else if (r < 95) {
      // Resize an object this worker holds the only reference to (none queued either), so no
      // other thread can take one meanwhile.
      const i = next() % held.length;
      if (heap.refs(held[i]) === 1) {
        const id = checkCookies(heap, held[i]);
        const h = heap.resize(held[i], objectSize(next));
        held[i] = h;
        writeCookies(heap, h, id);
        done.resizes++;
      }
    } else {
      checkCookies(heap, held[next() % held.length]);
      done.checks++;
    }
  }
  return { held, done };
}

/** Gives back every reference in `held`, checking cookies. */
export function putAll(heap, held) {
  for (const h of held) {
    checkCookies(heap, h);
    heap.put(h);
  }
}
