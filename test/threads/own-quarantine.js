// A thread's own quarantine (assembly/thread-deaths.ts), run on whichever thread calls it: the
// creating thread in test/threads-quarantine.test.ts, a worker through worker-core.js.

/**
 * A write after free of a block in this thread's quarantine of `limit` blocks (the heap's
 * quarantine blocks setting): the put that finds the quarantine full (the `limit`-th death
 * after it) evicts it and throws WRITE_AFTER_FREE, naming the alloc site and the put site,
 * before that put changes anything. Then validate() passes, that put goes through, and the live
 * objects' bytes are intact. Returns what it saw.
 */
export function writeAfterOwnDeath(heap, limit) {
  heap.validate(); // a safe point: this thread's quarantine starts empty
  const live = Array.from({ length: 4 }, (_, i) => {
    const h = heap.alloc(40);
    heap.bytes(h).fill(0x30 + i);
    return h;
  });
  const dying = Array.from({ length: limit + 4 }, () => heap.alloc(24));
  const victim = dying[0];
  const stale = heap.ptr(victim);
  heap.put(victim);
  new Uint8Array(heap.memory.buffer)[stale + 5] = 42; // the bug: a write after free
  let caughtAt = -1;
  let error;
  for (let i = 1; i < dying.length && caughtAt < 0; i++) {
    try {
      heap.put(dying[i]);
    } catch (e) {
      if (!e?.code) throw e;
      caughtAt = i;
      error = e;
    }
  }
  const result = {
    caughtAt,
    code: error?.code,
    object: error?.object === stale,
    detail: error?.detail,
    site: error?.site?.thread,
    putSite: error?.putSite?.thread,
    thread: heap.thread,
  };
  heap.validate(); // after the caught error: the heap is consistent ...
  if (caughtAt > 0) result.refsAfter = heap.refs(dying[caughtAt]); // ... the failed put changed nothing ...
  for (let i = caughtAt > 0 ? caughtAt : dying.length; i < dying.length; i++) heap.put(dying[i]); // ... and goes through now
  heap.validate();
  result.intact = live.every((h, i) => heap.bytes(h).every((b) => b === 0x30 + i));
  for (const h of live) heap.put(h);
  heap.validate();
  return result;
}
