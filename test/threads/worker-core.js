// A worker of the threads tests, whatever runs it (node-worker.js, browser-worker.js): attaches
// to the shared heap it is sent and runs a task — the random stress (stress-ops.js) or one side
// of a deliberate race — then reports to the thread that created the heap.
import { putAll, runOps, SharedQueue } from "./stress-ops.js";
import { writeAfterOwnDeath } from "./own-quarantine.js";

/** `api`: the rcalloc entry point (attachHeap); `endpoint`: { receive(): Promise, send(message) }. */
export async function serve(api, endpoint) {
  const start = await endpoint.receive();
  const heap = await api.attachHeap(start.init, { stacks: start.stacks });
  if (start.task === "hold-lock") {
    // Stands for a worker terminated mid-operation: takes the heap lock and never lets it go.
    heap.exports.holdHeap();
    endpoint.send({ holding: true, thread: heap.thread });
    for (;;) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1000);
  }
  if (start.task === "abandon") {
    // Stands for a worker that ends without detach(): it keeps references and cached blocks, says
    // which, and ends when told (or is terminated) without giving anything back.
    const kept = Array.from({ length: 4 }, (_, i) => heap.alloc(16 + 32 * i));
    for (let i = 0; i < 16; i++) heap.put(heap.alloc(8 + 16 * i)); // last puts: its cache (unchecked)
    endpoint.send({ thread: heap.thread, kept });
    await endpoint.receive();
    return;
  }
  let last;
  try {
    if (start.task === "stress") last = await stress(heap, start, endpoint);
    else if (start.task === "private-heap") last = await usePrivateHeap(api, heap, start.handle);
    else if (start.task === "own-quarantine") last = writeAfterOwnDeath(heap, start.limit);
    else if (start.task === "hand-off") last = useHandedObjects(heap, start.handles, new Int32Array(start.done));
    else last = { outcomes: race(heap, start), thread: heap.thread };
  } catch (e) {
    last = { error: String(e?.stack ?? e), code: e?.code };
  }
  // The last message goes after detach(): the creator may then end this worker safely.
  heap.detach();
  endpoint.send(last);
}

async function stress(heap, start, endpoint) {
  const queue = new SharedQueue(heap.memory, start.queue);
  const { held, done } = runOps(heap, queue, start);
  // The quiet point: every worker stops here until the creator has checked the counts.
  endpoint.send({ held: held.map((h) => heap.ptr(h)), done, thread: heap.thread, sites: heap.exportSites() });
  await endpoint.receive();
  putAll(heap, held);
  return { finished: true };
}

/** Objects the creating thread made while it was the heap's only thread (before shareable()):
 *  each handle passed here is a reference of this worker's to put; on the way it takes and puts
 *  more references and checks the cookie the creator wrote, then counts itself in `done`.
 *  Returns how many cookies differed. */
function useHandedObjects(heap, handles, done) {
  let wrong = 0;
  for (let round = 0; round < 20000; round++) {
    for (const h of handles) {
      const g = heap.get(h);
      if (new DataView(heap.bytes(g).buffer).getUint32(heap.ptr(g), true) !== 0xc0ffee) wrong++;
      heap.put(g);
    }
  }
  for (const h of handles) heap.put(h);
  Atomics.add(done, 0, 1);
  return { wrong };
}

/** A private checked heap made after attaching: its tag is not the shared heap's, so it refuses
 *  the shared heap's `handle` (and its own handles are refused by the shared heap). */
async function usePrivateHeap(api, shared, handle) {
  const mine = await api.createHeap({ checked: true });
  const own = mine.alloc(16);
  const result = { privateGets: attempt(() => mine.get(handle)).code, sharedGets: attempt(() => shared.get(own)).code };
  mine.put(own);
  mine.dispose();
  return result;
}

/** Both racers wait here for round `k`: spinning, so the race starts as close together as it can,
 *  then napping (slot 7 stays 0) so a racer whose partner lost its core gives its own away. */
function barrier(control, k) {
  Atomics.add(control, 0, 1);
  for (let spins = 0; Atomics.load(control, 0) < 2 * k; spins++) {
    if (spins > 2000) Atomics.wait(control, 7, 0, 0.05);
  }
}

/** What an operation ended with: "ok" or the error's code (anything but an RcError is rethrown). */
function attempt(fn) {
  try {
    fn();
    return { code: "ok" };
  } catch (e) {
    if (!e?.code) throw e;
    return { code: e.code, site: e.site?.thread, putSite: e.putSite?.thread, putLabel: e.putSite?.label };
  }
}

/**
 * One side of a deliberate race, `rounds` times. Role 0 sets each round up and cleans up after;
 * both race in the middle. Slots 1..4 of `control` pass handles between the two; slot 5 says
 * when walk-cache's walks are done.
 */
function race(heap, { kind, rounds, role, control: buffer }) {
  const control = new Int32Array(buffer);
  const outcomes = [];
  let k = 0;
  for (let r = 0; r < rounds; r++) {
    if (role === 0) {
      const h = heap.alloc(32);
      new DataView(heap.bytes(h).buffer).setUint32(heap.ptr(h), 0xc0ffee, true);
      control[1] = h;
      control[2] = kind === "double-put" || kind === "last-put" || kind === "get-put" ? heap.get(h) : 0;
      control[3] = 0;
      control[5] = 0; // walk-cache: the walks are not done
    }
    // walk-deaths: racer 1's own objects, each with one reference, put during the race
    const mine = kind === "walk-deaths" && role === 1 ? Array.from({ length: 24 }, () => heap.alloc(32)) : [];
    barrier(control, ++k);
    const h = control[1] >>> 0;
    const second = control[2] >>> 0;
    let outcome;
    let gotten = 0; // get-put: racer 1's reference, put once role 0 has counted it
    if (kind === "double-put" || kind === "put-last") {
      // Both put the same handle: one must lose. "put-last": it holds the only reference, so the
      // winner's put is the last one and frees the object while the loser's races it.
      outcome = attempt(() => heap.put(h));
    } else if (kind === "last-put") {
      outcome = attempt(() => heap.put(role === 0 ? h : second)); // two handles, the last two references
    } else if (kind === "resurrect") {
      if (role === 0) outcome = attempt(() => heap.put(h)); // the final put
      else {
        let got = 0;
        outcome = attempt(() => { got = heap.get(h); });
        if (got) {
          // The get came first: a real reference to a live object, with its contents.
          outcome.refs = heap.refs(got);
          outcome.cookie = new DataView(heap.bytes(got).buffer).getUint32(heap.ptr(got), true);
          heap.put(got);
        }
      }
    } else if (kind === "get-put") {
      // A put that is not the last races a get of the same handle: both without the heap lock
      // in the checked build (fast-references.ts).
      if (role === 0) outcome = attempt(() => heap.put(h));
      else {
        let got = 0;
        outcome = attempt(() => { got = heap.get(h); });
        control[3] = gotten = got;
      }
    } else if (kind === "resize-get") {
      // A resize that must move the object (its only reference) races a get of the same handle:
      // the get comes first (the object is then shared: SHARED_RESIZE) or finds the handle
      // resized away — never both, or the get's handle would name the block the resize freed.
      if (role === 0) {
        let moved = 0;
        outcome = attempt(() => { moved = heap.resize(h, 4000); });
        control[4] = moved;
      } else {
        let got = 0;
        outcome = attempt(() => { got = heap.get(h); });
        control[3] = gotten = got;
      }
    } else if (kind === "get-hammer") {
      // The final put against a stream of gets of the same handle (each put back at once): every
      // get either holds a live object with its cookie, or is a use after put.
      if (role === 0) outcome = attempt(() => heap.put(h));
      else {
        outcome = { code: "ok", gets: 0, cookie: 0xc0ffee };
        for (let j = 0; j < 256; j++) {
          let got = 0;
          const o = attempt(() => { got = heap.get(h); });
          if (!got) { outcome.code = o.code; break; }
          const cookie = new DataView(heap.bytes(got).buffer).getUint32(heap.ptr(got), true);
          if (cookie !== 0xc0ffee) outcome.cookie = cookie;
          outcome.gets++;
          heap.put(got);
        }
      }
    } else if (kind === "walk") {
      // One thread validates and walks the heap (a safe point) while the other takes and gives
      // back references to the object of `h`: without the heap lock in the checked build.
      if (role === 0) outcome = attempt(() => { heap.validate(); heap.report(); });
      else outcome = attempt(() => { for (let j = 0; j < 64; j++) heap.put(heap.get(h)); });
    } else if (kind === "walk-cache") {
      // The same walks while the other thread allocates and frees small objects until they are
      // done: through its thread cache, without the heap lock (unchecked: every one; checked:
      // when its cache has a block).
      if (role === 0) {
        outcome = attempt(() => { for (let j = 0; j < 4; j++) { heap.validate(); heap.report(); heap.stats(); } });
        Atomics.store(control, 5, 1);
      } else {
        let j = 0;
        outcome = attempt(() => { do heap.put(heap.alloc(48)); while (++j < 16 || !Atomics.load(control, 5)); });
      }
    } else if (kind === "get-for-last" || kind === "weak-last") {
      // The final put (without the lock) races a locked getFor or weak() through the same
      // handle: the locked side pins the handle too, so it comes first (the object lives on, its
      // cookie intact) or finds it put; never a reference to a dead object.
      if (role === 0) outcome = attempt(() => heap.put(h));
      else {
        let got = 0;
        outcome = attempt(() => { got = kind === "weak-last" ? heap.weak(h) : heap.getFor(h, 7); });
        if (got && kind === "get-for-last") {
          outcome.refs = heap.refs(got);
          outcome.cookie = new DataView(heap.bytes(got).buffer).getUint32(heap.ptr(got), true);
          heap.putFor(got, 7);
        } else if (got) {
          const strong = heap.upgrade(got); // 0 once role 0's put ended the object
          if (strong) {
            outcome.cookie = new DataView(heap.bytes(strong).buffer).getUint32(heap.ptr(strong), true);
            heap.put(strong);
          }
          heap.putWeak(got);
        }
      }
    } else if (kind === "walk-deaths") {
      // Racer 1's last puts (lock-free deaths, batched) against validate() and report(): the
      // walk must see each object either live with its one reference or dead, never between.
      if (role === 0) {
        let stray = 0;
        outcome = attempt(() => {
          heap.validate();
          stray = heap.report().objects.filter((o) => o.refs !== 1).length;
        });
        outcome.stray = stray;
      } else outcome = attempt(() => { for (const m of mine) heap.put(m); });
    } else if (kind === "get-for") {
      let owned = 0;
      outcome = attempt(() => { owned = heap.getFor(h, 7); });
      control[3 + role] = owned;
    }
    barrier(control, ++k);
    if (role === 0) {
      if (kind === "double-put") heap.put(second);
      if (kind === "walk" || kind === "walk-cache") heap.put(h);
      if (kind === "walk-deaths") {
        // racer 1 has put every object of its own: the batched deaths are dead to the walk
        outcome.after = heap.report().objects.length; // h alone
        heap.validate();
        heap.put(h);
      }
      if (kind === "get-for") {
        outcome.same = control[3] === control[4];
        outcome.refs = heap.refs(h);
        heap.putFor(h, 7);
        heap.put(h);
      }
      if (kind === "last-put" && heap.checked) outcome.gone = attempt(() => heap.refs(h)).code;
      if (kind === "resize-get") heap.put(control[4] ? control[4] >>> 0 : h);
      if (kind === "get-put") {
        outcome.refs = heap.refs(second); // the second reference, and the get's if it won
        outcome.got = control[3] !== 0;
        heap.put(second);
      }
    }
    if (kind === "resize-get" && gotten) {
      // The get's reference is live and its object intact (role 0 put only its own reference).
      outcome.refs = heap.refs(gotten);
      outcome.cookie = new DataView(heap.bytes(gotten).buffer).getUint32(heap.ptr(gotten), true);
    }
    outcomes.push(outcome);
    barrier(control, ++k); // role 0's clean-up is done before the next round's set-up
    if (gotten) heap.put(gotten);
  }
  return outcomes;
}

