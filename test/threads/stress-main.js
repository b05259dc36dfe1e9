// The threads tests, the creating thread's side (Node or a browser page): makes a shared heap,
// starts workers on it (`spawn()` gives an endpoint { send, receive, stop } to a new
// worker running worker-core.js), and checks what they leave behind.
import { checkCookies, initQueue, queueBytes, SharedQueue } from "./stress-ops.js";

const QUEUE_CAPACITY = 1024;

/** Lets each error out of a worker fail the run, with the worker's stack. */
function expectNoError(message, who) {
  if (message?.error) throw new Error(`${who}: ${message.error}`);
  return message;
}

/**
 * `workers` workers each run `ops` random operations (stress-ops.js) on one shared heap, with
 * private objects and objects passed through a queue in the heap. At the quiet point (every
 * worker stopped, holding its references) every object's count must equal the references the
 * workers and the queue hold; at the end the heap must be empty and valid.
 */
export async function runStress(api, spawn, { checked, workers, ops, seed, yieldEvery = 0, stacks = false, debug = false }) {
  const heap = await api.createHeap({ shared: true, checked, stacks, debug });
  const queueHandle = heap.alloc(queueBytes(QUEUE_CAPACITY));
  const queuePtr = heap.ptr(queueHandle);
  initQueue(heap.memory, queuePtr, QUEUE_CAPACITY);
  const init = heap.shareable();
  const endpoints = Array.from({ length: workers }, () => spawn());
  let failed;
  try {
    endpoints.forEach((w, i) => w.send({
      task: "stress", init, queue: queuePtr, seed: (seed + i * 7919) >>> 0, ops, thread: i + 1, yieldEvery, stacks,
    }));
    const stopped = await Promise.all(endpoints.map((w, i) => w.receive().then((m) => expectNoError(m, `worker ${i + 1}`))));

    // The quiet point: exact counts.
    const queue = new SharedQueue(heap.memory, queuePtr);
    const expected = new Map();
    const count = (ptr) => expected.set(ptr, (expected.get(ptr) ?? 0) + 1);
    for (const s of stopped) s.held.forEach(count);
    for (const h of queue.contents()) count(heap.ptr(h));
    for (const s of stopped) heap.importSites(s.sites);
    heap.validate();
    const report = heap.report();
    const objects = report.objects.filter((o) => o.ptr !== queuePtr);
    const wrongCounts = objects.filter((o) => o.refs !== expected.get(o.ptr)).length + [...expected.keys()].filter((p) => !objects.some((o) => o.ptr === p)).length;
    const threadsNamed = new Set(report.references.map((r) => r.site?.thread).filter((t) => t !== undefined));

    endpoints.forEach((w) => w.send({ finish: true }));
    await Promise.all(endpoints.map((w, i) => w.receive().then((m) => expectNoError(m, `worker ${i + 1}`))));
    let drained = 0;
    for (let h = queue.pop(); h; h = queue.pop()) {
      checkCookies(heap, h);
      heap.put(h);
      drained++;
    }
    heap.put(queueHandle);
    heap.validate();
    const after = heap.report();
    const done = {};
    for (const s of stopped) for (const [k, v] of Object.entries(s.done)) done[k] = (done[k] ?? 0) + v;
    return {
      operations: workers * ops, done, drained,
      objectsAtQuietPoint: objects.length, referencesAtQuietPoint: report.references.length, wrongCounts,
      threadsNamed: [...threadsNamed].sort((a, b) => a - b), workerThreads: stopped.map((s) => s.thread),
      leftObjects: after.objects.length, leftReferences: after.references.length, stats: heap.stats(),
    };
  } catch (e) {
    failed = e;
    throw e;
  } finally {
    await Promise.all(endpoints.map((w) => w.stop())); // after they detached: never mid-operation
    disposeAfter(heap, failed);
  }
}

/** Disposes of `heap`; after a failed run, a dispose that fails too (a worker still attached)
 *  must not hide the first error. */
function disposeAfter(heap, failed) {
  try {
    heap.dispose();
  } catch (e) {
    if (!failed) throw e;
  }
}

/** Two workers race `rounds` times on `kind` (worker-core.js race); returns both sides' outcomes. */
export async function runRace(api, spawn, { checked, kind, rounds, stacks = true }) {
  const heap = await api.createHeap({ shared: true, checked, stacks });
  const control = new SharedArrayBuffer(32);
  const init = heap.shareable();
  const endpoints = [spawn(), spawn()];
  try {
    endpoints.forEach((w, role) => w.send({ task: "race", init, kind, rounds, role, control, stacks }));
    const [a, b] = await Promise.all(endpoints.map((w, i) => w.receive().then((m) => expectNoError(m, `racer ${i}`))));
    heap.validate();
    const after = heap.report();
    return { a: a.outcomes, b: b.outcomes, threads: [a.thread, b.thread], leftObjects: after.objects.length, leftReferences: after.references.length };
  } finally {
    await Promise.all(endpoints.map((w) => w.stop())); // after they detached: never mid-operation
    heap.dispose();
  }
}
