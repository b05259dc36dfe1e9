#!/usr/bin/env node
// === npm run bench: build the bench modules, replay the workloads, run the benny suites ===
//
//   node bench/run.js              full run (a few minutes on 2 cores)
//   node bench/run.js --quick      seconds-long smoke run: same code paths, fewer/shorter rounds
//   options: --no-ops (skip benny)  --no-replay  --no-c (skip the C program, bench/c-program.js)
//            --no-programs (skip the AssemblyScript programs, bench/as-programs.js)
//            --bindings <module path> (default: the package itself, i.e. dist/node.js; then dist/index.js)
//            --out <dir> (default bench/results)
//
// Prints a live progress line (stderr) and the final tables (stdout); writes latest.json and
// latest.html to the results directory. Target checks are printed as measured ratios; the exit
// code never depends on them (only on errors, e.g. allocators disagreeing on a sequence hash).

import { execFileSync } from "node:child_process";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadAllocators } from "./allocators.js";
import { build } from "./build.js";
import * as asPrograms from "./as-programs.js";
import * as cProgram from "./c-program.js";
import * as ops from "./ops.js";
import { createProgress } from "./progress.js";
import * as replay from "./replay.js";
import { boundaryTable, opsTable, replayTable, targetsTable, writeResults } from "./report.js";
import { evaluateTargets } from "./targets.js";

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);

function parseArgs(argv) {
  const opt = { quick: false, ops: true, replay: true, c: true, programs: true, bindings: null, out: path.join(BENCH, "results") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") opt.quick = true;
    else if (a === "--no-ops") opt.ops = false;
    else if (a === "--no-replay") opt.replay = false;
    else if (a === "--no-c") opt.c = false;
    else if (a === "--no-programs") opt.programs = false;
    else if (a === "--bindings") opt.bindings = argv[++i];
    else if (a === "--out") opt.out = argv[++i];
    else throw new Error(`unknown option ${a} (see the header of bench/run.js)`);
  }
  return opt;
}

function gitCommit() {
  try {
    // --dirty: results from an uncommitted working tree say so.
    return execFileSync("git", ["describe", "--always", "--dirty"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return null;
  }
}

async function main() {
  const opt = parseArgs(process.argv.slice(2));
  const progress = createProgress();
  const started = Date.now();

  progress.update(0, "building bench modules", "build");
  const { built, skipped } = await build((line) => progress.log(line));
  const allocators = await loadAllocators(skipped);
  for (const reason of Object.values(skipped)) progress.log(reason);
  if (built.length) progress.log(`built: ${built.join(", ")}`);

  // Progress weights: the AS programs a third (after the rest); of the rest, the replay and the
  // benny suites take about the same time, the C program a tenth.
  const programsShare = opt.programs ? (opt.replay || opt.ops || opt.c ? 1 / 3 : 1) : 0;
  const rest = 1 - programsShare;
  const update = (f, text, phase) => progress.update(rest * f, text, phase);
  const cShare = opt.c ? (opt.replay || opt.ops ? 0.1 : 1) : 0;
  const replayShare = (1 - cShare) * (opt.replay ? (opt.ops ? 0.5 : 1) : 0);
  const results = {
    meta: {
      date: new Date().toISOString(),
      quick: opt.quick,
      node: process.versions.node,
      v8: process.versions.v8,
      cpu: os.cpus()[0]?.model ?? "unknown",
      cores: os.cpus().length,
      commit: gitCommit(),
      allocators: allocators.map(({ id, label, file }) => ({ id, label, file })),
      skipped: Object.values(skipped),
      settings: {
        replay: opt.quick ? replay.QUICK : replay.FULL,
        ops: opt.quick ? ops.QUICK : ops.FULL,
      },
    },
    replay: [],
    ops: [],
    boundary: null,
    targets: [],
  };

  if (opt.replay) {
    const settings = opt.quick ? replay.QUICK : replay.FULL;
    const n = replay.WORKLOADS.length;
    for (const [i, w] of replay.WORKLOADS.entries()) {
      const result = replay.replayWorkload(w, allocators, settings,
        (f, text) => update(replayShare * ((i + f) / n), text, `replay: ${w.label}`));
      results.replay.push(result);
      const un = result.results.find((r) => r.id === "unchecked");
      if (un) progress.log(`${w.label}: rcalloc unchecked ${un.opsPerUs.median.toFixed(1)} ops/µs, own ${un.ownNs?.median.toFixed(1)} ns/op`);
    }
  }

  if (opt.ops) {
    const settings = opt.quick ? ops.QUICK : ops.FULL;
    const share = 1 - cShare - replayShare;
    results.ops = await ops.runOpSuites(allocators, settings,
      (f, text) => update(replayShare + share * 0.85 * f, text, text));
    results.boundary = await ops.runBoundarySuite(opt.bindings, settings,
      (f, text) => update(replayShare + share * (0.85 + 0.15 * f), text, text));
    if (results.boundary.skipped) progress.log(results.boundary.skipped);
  }

  if (opt.c) {
    const settings = opt.quick ? cProgram.QUICK : cProgram.FULL;
    results.cProgram = await cProgram.runCProgram(settings,
      (f, text) => update(1 - cShare + cShare * f, text, "C program"), (line) => progress.log(line));
    if (results.cProgram.skipped) progress.log(results.cProgram.skipped);
  }

  if (opt.programs) {
    results.programs = (await asPrograms.runPrograms({ quick: opt.quick },
      (f, text) => progress.update(rest + programsShare * f, text, "AS programs"), (line) => progress.log(line))).programs;
  }

  results.targets = evaluateTargets(results);
  results.meta.seconds = (Date.now() - started) / 1000;
  const files = writeResults(opt.out, results);
  progress.done();

  const out = [];
  if (results.replay.length) out.push(replayTable(results.replay));
  if (results.ops.length) out.push(opsTable(results.ops));
  if (results.boundary) out.push(boundaryTable(results.boundary));
  if (results.cProgram) out.push(cProgram.cProgramTable(results.cProgram));
  if (results.programs) out.push(asPrograms.programsTable({ programs: results.programs }));
  out.push(targetsTable(results.targets));
  for (const reason of Object.values(skipped)) out.push(reason);
  out.push(`wrote ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.page)} ` +
    `(${results.meta.seconds.toFixed(0)} s${opt.quick ? ", quick run" : ""})`);
  console.log(`\n${out.join("\n\n")}`);
}

main().catch((err) => {
  process.stderr.write(`\nbench failed: ${err.stack ?? err}\n`);
  process.exitCode = 1;
});
