// === The project's performance targets, evaluated on measured results (reported, never enforced) ===
//
//   1. unchecked allocator time <= 0.5x the best peer's, on both random-action mixes
//   2. peak pages <= 1.25x dlmalloc's
//   3. checked allocator time <= 1.5x unchecked's, and the checked whole loop (ops/µs, the
//      program's time with the allocator in it: issue 10's measure) <= 1.5x unchecked's
//   4. get+put (checked) <= 3x unchecked's
//   5. binding call <= 1.2x raw export call
//   6. AS programs (bench/as-programs.js): rcalloc's runtime linked unchecked <= 0.8x AS
//      incremental in time and <= 1.1x in peak pages; linked checked <= 1.5x linked unchecked
// "Allocator time" is the replay's own time (total minus floor). Each check carries its measured
// ratio; `met` is null when an input is missing (a skipped peer, the bindings not built) or an
// own time is not above zero (the allocator is within noise of the floor).

const find = (list, id) => list?.find((x) => x.id === id);

/** Time of `a` over time of `b`, the median of their rounds' ratios (rounds given in ops/µs). */
function wholeLoopRatio(a, b) {
  const ratios = a.map((opsA, i) => b[i] / opsA).sort((x, y) => x - y);
  const m = ratios.length >> 1;
  return ratios.length % 2 ? ratios[m] : (ratios[m - 1] + ratios[m]) / 2;
}

export function evaluateTargets({ replay = [], ops = [], boundary, programs = [] }) {
  const checks = [];
  const add = (target, scope, ratio, limit, detail) =>
    checks.push({ target, scope, ratio, limit, met: ratio == null || !Number.isFinite(ratio) ? null : ratio <= limit, detail });
  // An own time at or below zero is within noise of the floor: no meaningful ratio against it.
  const ownRatio = (a, b) => (a > 0 && b > 0 ? a / b : null);

  // 1. unchecked vs the best peer (TLSF, dlmalloc), on both random-action mixes.
  for (const w of replay.filter((x) => x.id.startsWith("random"))) {
    const un = find(w.results, "unchecked");
    const peers = w.results.filter((r) => r.peer && r.ownNs);
    if (!un?.ownNs || !peers.length) {
      add("unchecked time <= 0.5x best peer", w.label, null, 0.5, "no peer measured");
      continue;
    }
    const best = peers.reduce((a, p) => (p.ownNs.median < a.ownNs.median ? p : a));
    add("unchecked time <= 0.5x best peer", w.label, ownRatio(un.ownNs.median, best.ownNs.median), 0.5,
      `${un.ownNs.median.toFixed(1)} vs ${best.label} ${best.ownNs.median.toFixed(1)} ns/op`);
  }

  // 2. peak pages vs dlmalloc, every workload, both builds.
  for (const w of replay) {
    const dl = find(w.results, "dlmalloc");
    for (const id of ["unchecked", "checked"]) {
      const r = find(w.results, id);
      if (!r) continue;
      if (!dl) {
        add(`peak pages (${id}) <= 1.25x dlmalloc`, w.label, null, 1.25, "dlmalloc not measured");
        continue;
      }
      add(`peak pages (${id}) <= 1.25x dlmalloc`, w.label, r.pages.peak / dl.pages.peak, 1.25,
        `${r.pages.peak} vs ${dl.pages.peak} pages`);
    }
  }

  // 3. checked vs unchecked, every workload, in both measures: own time (the allocator alone),
  // and the whole loop (issue 10's measure: the program's time, floor included), the median of
  // the rounds' paired ratios (each round runs both on the same seeds, so drift cancels).
  for (const w of replay) {
    const un = find(w.results, "unchecked");
    const ch = find(w.results, "checked");
    if (!un || !ch) continue;
    if (un.ownNs && ch.ownNs) {
      add("checked time <= 1.5x unchecked", w.label, ownRatio(ch.ownNs.median, un.ownNs.median), 1.5,
        `${ch.ownNs.median.toFixed(1)} vs ${un.ownNs.median.toFixed(1)} ns/op`);
    }
    if (un.rounds?.length && un.rounds.length === ch.rounds?.length) {
      add("checked whole loop <= 1.5x unchecked", w.label, wholeLoopRatio(ch.rounds, un.rounds), 1.5,
        `${ch.opsPerUs.median.toFixed(1)} vs ${un.opsPerUs.median.toFixed(1)} ops/µs`);
    }
  }

  // 4. get+put, per operation (benny): checked vs unchecked, whole loop time.
  const gp = find(ops, "getPut");
  if (gp) {
    const un = find(gp.results, "unchecked");
    const ch = find(gp.results, "checked");
    if (un && ch) {
      add("get+put checked <= 3x unchecked", "benny getPut", ch.nsPerOp / un.nsPerOp, 3,
        `${ch.nsPerOp.toFixed(2)} vs ${un.nsPerOp.toFixed(2)} ns/op`);
    }
  }

  // 5. binding call vs raw export call.
  if (boundary?.pairs) {
    for (const p of boundary.pairs) {
      add("binding call <= 1.2x raw export", `${p.op} (${p.build})`, p.ratio, 1.2,
        `${p.bindingNs.toFixed(2)} vs ${p.rawNs.toFixed(2)} ns/call`);
    }
  } else {
    add("binding call <= 1.2x raw export", "bindings", null, 1.2, boundary?.skipped ?? "not run (--no-ops)");
  }

  // 6. AS programs: every program and size, medians of the interleaved rounds.
  for (const p of programs) {
    const scope = `${p.label}, ${p.size}`;
    const inc = find(p.rows, "incremental");
    const un = find(p.rows, "linked-unchecked");
    const ch = find(p.rows, "linked-checked");
    if (!inc || !un || !ch) continue;
    // The floor any runtime that collects inside a call pays (asc's shadow stack): a program
    // whose floor is above the target cannot meet it on such a runtime (as-programs.js).
    const floor = find(p.rows, "minimal-stack");
    add("AS program: unchecked <= 0.8x AS incremental", scope, un.ratio.median, 0.8,
      `${un.ms.median.toFixed(2)} vs ${inc.ms.median.toFixed(2)} ms` +
      (floor ? `; shadow-stack floor ${floor.ratio.median.toFixed(2)}x` : ""));
    add("AS program: pages <= 1.1x AS incremental", scope, un.pages / inc.pages, 1.1, `${un.pages} vs ${inc.pages} pages`);
    add("AS program: checked <= 1.5x unchecked", scope, ch.ms.median / un.ms.median, 1.5,
      `${ch.ms.median.toFixed(2)} vs ${un.ms.median.toFixed(2)} ms`);
  }
  return checks;
}
