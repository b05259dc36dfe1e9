// === Workload replay: every allocator on the same action sequences, interleaved in rounds ===
//
// Per workload: one fresh instance (heap) per allocator; warm-up calls until V8 has tiered the
// loop up (a long single wasm call stays in the baseline tier, so we time many shorter calls);
// then R rounds. In each round every allocator runs the same calls with the same seeds, in an
// order rotated from round to round, so drift (thermal, other load) hits all of them alike.
// A round's time gives ops/µs; its paired difference with the floor's gives the allocator's own
// ns per operation. All allocators must return the same sequence hash, or the run fails.

export const WORKLOADS = [
  { id: "random64", label: "random actions 1..64", fn: "randomActions", args: [64, 1],
    about: "talc-style: 1/5 realloc, alloc/free 50:50 otherwise, >= 50 live blocks, sizes 1..64" },
  { id: "random10000", label: "random actions 1..10000", fn: "randomActions", args: [10000, 1],
    about: "talc-style: 1/5 realloc, alloc/free 50:50 otherwise, >= 50 live blocks, sizes 1..10000" },
  { id: "lifo", label: "LIFO churn", fn: "lifoChurn", args: [],
    about: "a stack of up to 1024 blocks of 8..512 B, push/pop at random" },
  { id: "fifo", label: "FIFO queue", fn: "fifoQueue", args: [],
    about: "a queue of 128..4095 blocks of 16..1024 B, oldest freed first" },
  { id: "growing", label: "growing buffer", fn: "growingBuffer", args: [],
    about: "4 buffers resized round-robin by +16..256 B up to 64 KiB, then restarted" },
  { id: "refcount", label: "refcount-heavy", fn: "refcountHeavy", args: [],
    about: "256 objects of 8..64 B; 3/8 get, 3/8 put, 2/8 replace an object" },
];

export const FULL = { opsPerCall: 20000, rounds: 25, sliceMs: 40, warmMs: 150, warmCalls: 10 };
export const QUICK = { opsPerCall: 5000, rounds: 3, sliceMs: 4, warmMs: 15, warmCalls: 4 };

const now = () => process.hrtime.bigint();

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function stats(values) {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

/** Runs `seeds.length` calls; returns elapsed ns and the combined sequence hash. */
function timeCalls(exports, workload, ops, seeds) {
  const f = exports[workload.fn];
  const [a, b] = workload.args;
  let hash = 0;
  const t0 = now();
  for (let i = 0; i < seeds.length; i++) hash = (hash + f(ops, seeds[i], a, b)) | 0;
  return { ns: Number(now() - t0), hash };
}

/**
 * Replays one workload on every allocator. `progress(fraction, text)` is called as it goes.
 * Returns { workload, settings, results: [{ id, label, opsPerUs, ownNs, pages, ... }] }.
 */
export function replayWorkload(workload, allocators, settings, progress = () => {}) {
  const { opsPerCall: ops, rounds, sliceMs, warmMs, warmCalls } = settings;
  const runs = allocators.map((a) => {
    const exports = a.instantiate();
    return { a, exports, basePages: exports.pages(), roundNs: [], hashes: [] };
  });

  // Warm-up: at least warmCalls calls and warmMs per allocator. The median of the second half
  // (tiered-up) calls calibrates; a single call can be an outlier (GC, background compile).
  let slowestCallNs = 0;
  for (const run of runs) {
    progress(0, `${workload.label}: warming up ${run.a.label}`);
    const t0 = now();
    const times = [];
    while (times.length < warmCalls || Number(now() - t0) < warmMs * 1e6) {
      times.push(timeCalls(run.exports, workload, ops, [0x5EED + times.length]).ns);
    }
    slowestCallNs = Math.max(slowestCallNs, median(times.slice(times.length >> 1)));
  }
  const callsPerRound = Math.max(1, Math.round((sliceMs * 1e6) / slowestCallNs));

  for (let r = 0; r < rounds; r++) {
    const seeds = Array.from({ length: callsPerRound }, (_, j) => r * callsPerRound + j + 1);
    for (let k = 0; k < runs.length; k++) {
      const run = runs[(r + k) % runs.length];
      progress((r + k / runs.length) / rounds, `${workload.label}: round ${r + 1}/${rounds}, ${run.a.label}`);
      const { ns, hash } = timeCalls(run.exports, workload, ops, seeds);
      run.roundNs.push(ns);
      run.hashes.push(hash);
    }
    const expected = runs[0].hashes[r];
    const odd = runs.filter((run) => run.hashes[r] !== expected);
    if (odd.length) {
      throw new Error(`${workload.label}: sequence hash differs for ${odd.map((x) => x.a.label).join(", ")} ` +
        `(round ${r + 1}): the allocators did not replay the same actions`);
    }
  }
  progress(1, `${workload.label}: done`);

  const opsPerRound = ops * callsPerRound;
  const floor = runs.find((run) => run.a.floor);
  const results = runs.map((run) => {
    const peak = run.exports.pages();
    const own = floor && !run.a.floor ? run.roundNs.map((ns, r) => (ns - floor.roundNs[r]) / opsPerRound) : null;
    return {
      id: run.a.id,
      label: run.a.label,
      floor: !!run.a.floor,
      peer: !!run.a.peer,
      opsPerUs: stats(run.roundNs.map((ns) => (opsPerRound * 1000) / ns)),
      nsPerOp: stats(run.roundNs.map((ns) => ns / opsPerRound)),
      ownNs: own ? stats(own) : null,
      pages: { peak, base: run.basePages, grown: peak - run.basePages },
      rounds: run.roundNs.map((ns) => (opsPerRound * 1000) / ns),
    };
  });
  addRatios(results);
  return {
    id: workload.id,
    label: workload.label,
    about: workload.about,
    opsPerCall: ops,
    callsPerRound,
    rounds,
    hash: runs[0].hashes.reduce((h, x) => (h + x) | 0, 0) >>> 0,
    results,
  };
}

/**
 * ownRatio[peer] = this allocator's own time / the peer's own time (below 1: faster), and
 * pagesRatio[peer] = this allocator's peak pages / the peer's. The floor is nobody's peer here:
 * its time is the baseline and its pages are an arena.
 */
function addRatios(results) {
  const peers = results.filter((r) => !r.floor);
  for (const r of results) {
    if (r.floor) continue;
    r.ownRatio = {};
    r.pagesRatio = {};
    for (const p of peers) {
      if (p === r) continue;
      // Own times at or below zero are within noise of the floor: no ratio.
      const a = r.ownNs?.median;
      const b = p.ownNs?.median;
      r.ownRatio[p.id] = a > 0 && b > 0 ? a / b : null;
      r.pagesRatio[p.id] = r.pages.peak / p.pages.peak;
    }
  }
}
