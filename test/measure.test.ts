// measureOverhead / measureHeapOverhead in Node: both builds run on fresh instances each round, the
// checksums match, a coarse clock makes the calls time in batches, and the result validates
// against docs/overhead.schema.json (Ajv, strict). No timing thresholds: figures are only sane.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { watToWasm } from "./wat.js";
import { link } from "../bindings/link.js";
import type { Heap } from "../bindings/heap.js";
import { measureHeapOverhead, measureOverhead, timerResolution, TIMER_TICKS_PER_BATCH, type OverheadResult } from "../bindings/measure.js";
import { overheadToSVG } from "../bindings/measure-svg.js";
import { overheadToText } from "../bindings/measure-text.js";
import { expectValidOverhead, validateOverhead } from "./overhead-schema.js";
import { tagsInUse } from "../bindings/heap-tags.js";
// @ts-expect-error: plain JS build script
import { buildExamples } from "../examples/build.js";

/** Figures every result must have, whatever the machine's speed. */
function expectSane(result: OverheadResult, rounds: number): void {
  for (const build of ["unchecked", "checked"] as const) {
    const b = result.builds[build];
    expect(b.rounds).toHaveLength(rounds);
    for (const ms of b.rounds) expect(ms).toBeGreaterThan(0);
    expect(b.perCallMs.min).toBeLessThanOrEqual(b.perCallMs.median);
    expect(b.perCallMs.median).toBeLessThanOrEqual(b.perCallMs.max);
    expect(b.peakPages).toBeGreaterThan(0);
  }
  expect(result.ratio.rounds).toEqual(result.builds.checked.rounds.map((c, i) => c / result.builds.unchecked.rounds[i]));
  expect(result.environment.runtime).toBe(`Node ${process.versions.node}`);
  expect(result.environment.engine).toBe(`V8 ${process.versions.v8}`);
  expect(result.timer.resolutionMs).toBeGreaterThan(0);
}

/** Takes a reference and gives it back; returns the handle: a table handle (checked) or a pointer. */
const HANDLE_MODULE = `(module
  (import "env" "memory" (memory 2))
  (import "rcalloc" "alloc" (func $alloc (param i32) (result i32)))
  (import "rcalloc" "put" (func $put (param i32)))
  (func (export "take") (param $size i32) (result i32) (local $h i32)
    (local.set $h (call $alloc (local.get $size)))
    (call $put (local.get $h))
    (local.get $h)))`;


const workloadPath = new URL("../build/examples/workload.wasm", import.meta.url);
beforeAll(() => buildExamples({ names: ["workload"] }), 120_000);

describe("measureOverhead (a wasm module's export, linked against both builds)", () => {
  it("times the workload example on both builds: equal checksums, a ratio per round, valid JSON", async () => {
    const bytes = readFileSync(workloadPath);
    const progress: string[] = [];
    const result = await measureOverhead(bytes, {
      entry: "run", rounds: 3, warmup: 50, batchMs: 10,
      onProgress: (p) => progress.push(`${p.phase} ${p.round}/${p.rounds} ${p.fraction}`),
    });
    expectSane(result, 3);
    expectValidOverhead(result);
    const run = (await link(bytes, { checked: false })).instance.exports.run as () => bigint;
    const expected = String(run());
    expect(result).toMatchObject({ kind: "module", entry: "run", args: [], rounds: 3, checksumsEqual: true, requestedCallsPerRound: null });
    expect(result.builds.unchecked.checksum).toBe(expected);
    expect(result.builds.checked.checksum).toBe(expected);
    // a ratio, not a speed claim: npm test holds no timing thresholds (3 rounds on a loaded
    // machine read the checked build 0.54x the unchecked one)
    expect(result.ratio.median).toBeGreaterThan(0);
    expect(result.ratio.rounds).toHaveLength(3);
    expect(progress).toEqual(["warmup 0/3 0", "round 1/3 0.3333333333333333", "round 2/3 0.6666666666666666", "round 3/3 1"]);
    const json = JSON.parse(JSON.stringify(result));
    expect(validateOverhead({ ...json, kind: "wasm" })).toBe(false); // the schema is not vacuous
    expect(validateOverhead({ ...json, ratio: { ...json.ratio, rounds: [] } })).toBe(false);
    expect(validateOverhead({ ...json, builds: { ...json.builds, checked: { ...json.builds.checked, peakPages: -1 } } })).toBe(false);
    // The lines `rcalloc bench` prints today, so it can print this table as it is.
    const text = overheadToText(result, "rcalloc bench: workload.wasm, entry run");
    expect(text).toMatch(/^rcalloc bench: workload\.wasm, entry run\n3 rounds, \d+ calls? per build per round, builds interleaved/);
    expect(text).toMatch(/^unchecked +[\d.]+ ms\/call +min [\d.]+ +max [\d.]+$/m);
    expect(text).toMatch(/^checked +[\d.]+ ms\/call +min [\d.]+ +max [\d.]+$/m);
    expect(text).toMatch(/^overhead {3}checked\/unchecked: median \d+\.\d\dx {3}min \d+\.\d\dx {3}max \d+\.\d\dx$/m);
    expect(text).toContain(`pages      peak ${result.builds.unchecked.peakPages} unchecked, ${result.builds.checked.peakPages} checked`);
    expect(text).toContain(`checksum   ${expected} (both builds)`);
  });

  it("passes args and says when the builds disagree", async () => {
    // A module whose export depends on the allocator: alloc returns a handle in the checked build
    // and a pointer in the unchecked one, so the two builds return different numbers.
    const result = await measureOverhead(watToWasm(HANDLE_MODULE), { entry: "take", args: [48], rounds: 2, callsPerRound: 5, warmup: 0 });
    expect(result.args).toEqual([48]);
    expect(result.checksumsEqual).toBe(false);
    expect(result.notes.join("\n")).toMatch(/different results/);
    expectValidOverhead(result);
  });

  it("passes the module's own imports through to link()", async () => {
    const module = watToWasm(`(module
      (import "env" "memory" (memory 2))
      (import "rcalloc" "alloc" (func $alloc (param i32) (result i32)))
      (import "rcalloc" "put" (func $put (param i32)))
      (import "host" "answer" (func $answer (result i32)))
      (func (export "ask") (result i32)
        (call $put (call $alloc (i32.const 8)))
        (call $answer)))`);
    const result = await measureOverhead(module, { entry: "ask", rounds: 1, callsPerRound: 2, warmup: 0, imports: { host: { answer: () => 42 } } });
    expect(result.builds.unchecked.checksum).toBe("42");
    expect(result.checksumsEqual).toBe(true);
  });

  it("refuses an entry the module does not export, and bad rounds", async () => {
    const bytes = readFileSync(workloadPath);
    await expect(measureOverhead(bytes, { entry: "nope", rounds: 1 })).rejects.toThrow(/no exported function "nope" \(exported functions: .*run/);
    await expect(measureOverhead(bytes, { entry: "run", rounds: 0 })).rejects.toThrow(RangeError);
    await expect(measureOverhead(bytes, { entry: "run", rounds: 1, callsPerRound: 1.5 })).rejects.toThrow(/callsPerRound/);
  });
});

describe("heaps of the rounds", () => {
  it("are disposed after each round, so more rounds than handle tags run where no GC can be forced (browsers)", async () => {
    const before = tagsInUse();
    let most = 0;
    const result = await measureHeapOverhead((heap) => heap.put(heap.alloc(16)), {
      rounds: 20, callsPerRound: 5, warmup: 0, onProgress: () => { most = Math.max(most, tagsInUse()); },
    });
    expect(result.builds.checked.rounds).toHaveLength(20);
    expect(most - before).toBeLessThanOrEqual(1); // never more than the round's own checked heap
    // ≤, not =: a heap another test file dropped may be collected meanwhile and give its tag back
    expect(tagsInUse()).toBeLessThanOrEqual(before);
  });

  it("take baseUrl as the folder of the builds, as link() does", async () => {
    const result = await measureHeapOverhead((heap) => heap.put(heap.alloc(16)), {
      rounds: 1, callsPerRound: 2, warmup: 0, baseUrl: new URL("../build/", import.meta.url),
    });
    expect(result.builds.checked.rounds).toHaveLength(1);
    expect(result.builds.unchecked.rounds).toHaveLength(1);
  });
});

describe("measureHeapOverhead (a JS workload on createHeap)", () => {
  const churn = (heap: Heap): number => {
    let sum = 0;
    for (let i = 0; i < 200; i++) {
      const a = heap.alloc(16 + (i & 63));
      const b = heap.get(a);
      sum += heap.size(b);
      heap.put(b);
      heap.put(a);
    }
    return sum;
  };

  it("gives each round a fresh heap of each build, interleaved, and equal checksums", async () => {
    const seen: { heap: Heap; checked: boolean }[] = [];
    const result = await measureHeapOverhead((heap) => {
      if (!seen.some((s) => s.heap === heap)) seen.push({ heap, checked: heap.checked });
      return churn(heap);
    }, { rounds: 4, callsPerRound: 3, warmup: 0 });
    expectSane(result, 4);
    expectValidOverhead(result);
    // One warm-up heap per build, then two fresh heaps per round; the order of builds alternates.
    expect(seen).toHaveLength(2 + 4 * 2);
    expect(seen.map((s) => (s.checked ? "C" : "U")).join("")).toBe("UC" + "UC" + "CU" + "UC" + "CU");
    expect(result).toMatchObject({ kind: "heap", entry: null, callsPerRound: 3, checksumsEqual: true });
    expect(result.builds.checked.checksum).toBe(String(churn(seen[0].heap)));
  });

  it("awaits a workload that returns a promise", async () => {
    let calls = 0;
    const result = await measureHeapOverhead(async (heap) => {
      await Promise.resolve();
      calls++;
      return churn(heap);
    }, { rounds: 2, callsPerRound: 4, warmup: 0 });
    expect(calls).toBe(2 * 1 + 2 * 2 * 4); // warm-up: one call per build; rounds: 4 per build
    expect(result.checksumsEqual).toBe(true);
  });

  it("with a coarse clock (0.1 ms, as browsers clamp it), times calls in batches of 200 ticks and says so", async () => {
    const coarse = () => Math.floor(performance.now() * 10) / 10;
    expect(timerResolution(coarse)).toBeCloseTo(0.1, 5);
    const result = await measureHeapOverhead(churn, { rounds: 2, callsPerRound: 1, warmup: 20, clock: coarse });
    expect(result.timer).toMatchObject({ coarse: true, raised: true });
    expect(result.timer.minBatchMs).toBeCloseTo(0.1 * TIMER_TICKS_PER_BATCH, 5);
    expect(result.timer.resolutionMs).toBeCloseTo(0.1, 5);
    expect(result.requestedCallsPerRound).toBe(1);
    expect(result.callsPerRound).toBeGreaterThan(1);
    expect(result.notes.join("\n")).toMatch(new RegExp(`timed in batches of \\d+ .*raised from 1 to ${result.callsPerRound}`, "s"));
    expectValidOverhead(result);
  });
});

describe("batches under the timer's resolution", () => {
  it("times a round again with more calls when its batch was shorter than 200 ticks (a call got faster after the warm-up)", async () => {
    // A virtual clock: 0.1 ms ticks, 0.1 µs per read; a call costs 1 ms until the warm-up ends
    // (as if tiering up happened then), 0.01 ms after.
    let now = 0;
    let fast = false;
    const clock = () => Math.floor((now += 0.0001) * 10) / 10;
    const result = await measureHeapOverhead(() => {
      now += fast ? 0.01 : 1;
      return 7;
    }, { rounds: 3, warmup: 5, clock, onProgress: (p) => { if (p.phase === "warmup") fast = true; } });
    expect(result.timer.resolutionMs).toBeCloseTo(0.1, 5);
    expect(result.warmup.estimatedCallMs).toBeCloseTo(1, 5);
    expect(result.timer).toMatchObject({ coarse: true, raised: false });
    // Planned: 40 ms / 1 ms = 40 calls; they took 0.4 ms, so 40 × 1.5 × 20 / 0.4 = 3000 calls.
    // (3001 when the clock's float steps round the other way)
    expect([3000, 3001]).toContain(result.callsPerRound);
    expect(result.notes.join("\n")).toContain("1 round was timed again with more calls: a batch took 0.40 ms, under 200 timer ticks " +
      `(20.0 ms); calls per round went from 40 to ${result.callsPerRound}.`);
    for (const build of ["unchecked", "checked"] as const) {
      for (const ms of result.builds[build].rounds) expect(ms * result.callsPerRound).toBeGreaterThanOrEqual(result.timer.minBatchMs);
    }
    expect(result.checksumsEqual).toBe(true);
  });
});

describe("overheadToSVG", () => {
  it("draws a series per build and the ratio, one point per round, with the median in the title", async () => {
    const result = await measureHeapOverhead(() => 1, { rounds: 5, callsPerRound: 1, warmup: 0 });
    const svg = overheadToSVG(result);
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(svg.match(/<polyline /g)).toHaveLength(3);
    expect(svg.match(/<circle /g)).toHaveLength(3 * 5);
    expect(svg).toContain(`median ${result.ratio.median.toFixed(2)}x`);
  });
});
