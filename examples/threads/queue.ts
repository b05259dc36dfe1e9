// A module linked against the shared-memory allocator build: workers pass objects through a
// queue that lives in the heap. Built with --enable threads --sharedMemory --importMemory
// (examples/build.js), linked in each worker with link(bytes, { attach }) (examples/threads/run.js).
//
// ╒═══ Queue (an rcalloc object; each entry holds one reference) ═══╕
// +0 lock   +4 head (next pop)   +8 tail (next push)   +12 capacity   +16 entries (handles)

@external("rcalloc", "alloc") declare function alloc(size: u32): u32;
@external("rcalloc", "put") declare function put(h: u32): void;
@external("rcalloc", "ptr") declare function ptr(h: u32): usize;

/** A new queue of `capacity` entries; returns its handle (ptr(handle) is what push/pop take). */
export function newQueue(capacity: u32): u32 {
  let h = alloc(16 + (capacity << 2));
  let q = ptr(h);
  store<u32>(q, 0);
  store<u32>(q, 0, 4);
  store<u32>(q, 0, 8);
  store<u32>(q, capacity, 12);
  return h;
}

function lock(q: usize): void {
  while (atomic.cmpxchg<u32>(q, 0, 1) != 0) {}
}

function unlock(q: usize): void {
  atomic.store<u32>(q, 0);
}

/** Hands reference `h` to the queue; false when full (the caller keeps it). */
export function push(q: usize, h: u32): bool {
  lock(q);
  let head = load<u32>(q, 4);
  let tail = load<u32>(q, 8);
  let capacity = load<u32>(q, 12);
  let ok = tail - head < capacity;
  if (ok) {
    store<u32>(q + 16 + (<usize>(tail % capacity) << 2), h);
    store<u32>(q, tail + 1, 8);
  }
  unlock(q);
  return ok;
}

/** A reference from the queue, or 0 when empty. */
export function pop(q: usize): u32 {
  lock(q);
  let head = load<u32>(q, 4);
  let h: u32 = 0;
  if (head != load<u32>(q, 8)) {
    h = load<u32>(q + 16 + (<usize>(head % load<u32>(q, 12)) << 2));
    store<u32>(q, head + 1, 4);
  }
  unlock(q);
  return h;
}

/** Allocates `count` objects holding 1, 2, ... count and passes each through the queue.
 *  Returns the sum of the values sent. */
export function produce(q: usize, count: u32): u64 {
  let sum: u64 = 0;
  for (let i: u32 = 1; i <= count; i++) {
    let h = alloc(8 + (i & 63));
    store<u64>(ptr(h), i);
    while (!push(q, h)) {} // full: wait for the consumer
    sum += i;
  }
  return sum;
}

/** Takes `count` objects from the queue, reads each and puts it. Returns the sum read. */
export function consume(q: usize, count: u32): u64 {
  let sum: u64 = 0;
  for (let n: u32 = 0; n < count; n++) {
    let h: u32;
    while (!(h = pop(q))) {} // empty: wait for the producer
    sum += load<u64>(ptr(h));
    put(h);
  }
  return sum;
}
