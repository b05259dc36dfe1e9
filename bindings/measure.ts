// measureOverhead / measureHeapOverhead: what the checked build costs a program, measured where it
// runs (Node or a browser), as a JSON-ready result (shape: docs/overhead.schema.json).
//
// Method (the one `rcalloc bench` and bench/replay.js use, plus fresh instances per round):
//   1. the timer's resolution is measured (browsers clamp performance.now(): 0.1 ms in Chromium
//      and 1 ms in Firefox without cross-origin isolation, 5 and 20 µs with it);
//   2. warm-up: one instance per build, calls alternating between the builds for `warmup` ms and
//      on while either still gets faster, so both reach the optimizing tier; the slower build's
//      time per call at the end (the least of its last three steps) sizes the batch, so one
//      build's batch takes about `batchMs`;
//   3. rounds: each round links a fresh instance of each build (before timing), then times one
//      batch of calls per build, the builds' order alternating from round to round so drift hits
//      both alike. A batch is never shorter than TIMER_TICKS_PER_BATCH ticks of the timer: with a
//      coarse timer the calls are timed together (a round timed too short is timed again with
//      more calls), and the result says so.
// Per-call times are batch time / calls; the ratio is checked / unchecked within each round.
import { loadBuild, wasmFileName } from "./allocator-builds.js";
import { Heap, type HeapOptions } from "./heap.js";
import { link, type LinkOptions } from "./link.js";

/** Identifies the result's JSON shape (docs/overhead.schema.json). */
export const OVERHEAD_FORMAT = "rcalloc-overhead";
export const OVERHEAD_VERSION = 1;

/** A timed batch spans at least this many timer ticks: quantization costs at most 0.5%. */
export const TIMER_TICKS_PER_BATCH = 200;

/** A warm-up step spans at least this many ticks, or its next step has twice the calls. */
const WARM_STEP_TICKS = 20;

/** How many rounds may be timed again because their batch was too short for the timer. */
const MAX_RETIMED_ROUNDS = 8;

const PAGE = 65536;
const BUILDS = ["unchecked", "checked"] as const;
type BuildName = (typeof BUILDS)[number];

/** What onProgress receives: after the warm-up and after every round. */
export interface OverheadProgress {
  phase: "warmup" | "round";
  /** Rounds done (0 during the warm-up) and asked for. */
  round: number;
  rounds: number;
  /** 0..1 of the whole measurement. */
  fraction: number;
  /** The round just timed: ms per call of each build and their ratio (phase "round"). */
  perCallMs?: { unchecked: number; checked: number };
  ratio?: number;
}

/** Options both measurements share. */
export interface OverheadOptions {
  /** Timed rounds; each runs both builds on fresh instances. */
  rounds: number;
  /** Calls per build per round. Default: as many as fill `batchMs`. Raised when the timer is too coarse. */
  callsPerRound?: number;
  /** Untimed warm-up in ms, calls alternating between the builds (default 300; at least 3 calls each). */
  warmup?: number;
  /** Target time of one build's batch when callsPerRound is not given (default 40 ms). */
  batchMs?: number;
  /** Called after the warm-up and after each round (the page's progress bar, the CLI's progress line). */
  onProgress?: (progress: OverheadProgress) => void;
  /** The clock in ms (default performance.now): for tests, or a finer clock where there is one. */
  clock?: () => number;
}

/** Options of measureOverhead: a user module's export, linked against both builds. */
export interface ModuleOverheadOptions extends OverheadOptions {
  /** The exported function to time. */
  entry: string;
  /** Its arguments (bigint for i64 parameters). */
  args?: (number | bigint)[];
  /** Imports of the module besides "rcalloc" and env (link()'s `imports`). */
  imports?: LinkOptions["imports"];
  /** More link() options (baseUrl of the allocator builds, maxPages, quarantine, ...). */
  link?: Omit<LinkOptions, "checked" | "imports">;
}

/** Options of measureHeapOverhead: a JS workload on a fresh heap of each build. */
export interface HeapOverheadOptions extends OverheadOptions {
  /** Options of each heap (maxPages, quarantine, stacks, ...); `checked` is set per build. */
  heap?: Omit<HeapOptions, "checked">;
  /** Where the allocator builds are (default: the package's build/ folder). */
  baseUrl?: string | URL;
}

/** Median, min and max of a series. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** One build's figures. */
export interface BuildOverhead {
  /** ms per call over the rounds. */
  perCallMs: Spread;
  /** ms per call in each round, in round order. */
  rounds: number[];
  /** Most 64 KiB pages of memory any round's instance had after its batch. */
  peakPages: number;
  /** What the first call on a fresh instance returned (decimal), or null when not a number. */
  checksum: string | null;
  /** Every round's first call returned the same. */
  checksumStable: boolean;
}

/** Where the measurement ran. */
export interface OverheadEnvironment {
  /** "Node 20.20.2", "Chrome 131.0.6778.85", "Firefox 133", ... or null. */
  runtime: string | null;
  /** "V8 11.3.244.8-node.33", "V8", "SpiderMonkey", "JavaScriptCore", or null. */
  engine: string | null;
  /** navigator.userAgent where there is one. */
  userAgent: string | null;
  /** Node: platform and arch; browsers: null. */
  platform: string | null;
  /** Browsers: crossOriginIsolated (it decides how coarse performance.now() is); Node: null. */
  crossOriginIsolated: boolean | null;
}

/** The result: JSON as it is (docs/overhead.schema.json). */
export interface OverheadResult {
  format: typeof OVERHEAD_FORMAT;
  version: typeof OVERHEAD_VERSION;
  /** "module": measureOverhead; "heap": measureHeapOverhead. */
  kind: "module" | "heap";
  /** The export timed (module), or null (heap). */
  entry: string | null;
  /** Its arguments (bigints as decimal strings). */
  args: (number | string)[];
  /** When it ran (ISO 8601). */
  date: string;
  rounds: number;
  /** Calls per build per round: used, and asked for (null: sized to batchMs). */
  callsPerRound: number;
  requestedCallsPerRound: number | null;
  warmup: { ms: number; calls: number; estimatedCallMs: number };
  timer: {
    /** Median step of the clock, in ms. */
    resolutionMs: number;
    /** The shortest batch timed: TIMER_TICKS_PER_BATCH ticks. */
    minBatchMs: number;
    /** One call is shorter than minBatchMs (or a round was timed again): calls are timed in batches. */
    coarse: boolean;
    /** callsPerRound was raised above the one asked for, to make a batch minBatchMs long. */
    raised: boolean;
  };
  builds: { unchecked: BuildOverhead; checked: BuildOverhead };
  /** checked / unchecked time per call, each round, and over the rounds. */
  ratio: Spread & { rounds: number[] };
  /** Both builds returned the same checksum (null: the workload returns no number). */
  checksumsEqual: boolean | null;
  environment: OverheadEnvironment;
  /** Plain sentences about how it was measured (the timer, raised batches, unequal checksums). */
  notes: string[];
}

/** One instance of one build, ready to call. */
interface Session {
  call: () => unknown;
  pages(): number;
  /** Done with it: its heap gives its handle tag back (at most 15 checked heaps live at once). */
  close(): void;
}

/**
 * Times `options.entry` of a user module linked (link()) against the unchecked and the checked
 * allocator build: the module is compiled once, each round links a fresh instance of each build,
 * builds interleaved, warm-up not counted. `moduleOrBytes`: the module's bytes, or the `module`
 * of an earlier link(). A misuse in the module throws its RcError (the checked build traps).
 */
export async function measureOverhead(
  moduleOrBytes: BufferSource | WebAssembly.Module, options: ModuleOverheadOptions,
): Promise<OverheadResult> {
  const { entry } = options;
  if (typeof entry !== "string" || !entry) throw new TypeError("rcalloc: measureOverhead: `entry` (an exported function) is required");
  const args = options.args ?? [];
  const linkOptions: LinkOptions = { ...options.link, imports: options.imports };
  const first = await link(moduleOrBytes, { ...linkOptions, checked: false });
  const exported = first.instance.exports[entry];
  if (typeof exported !== "function") {
    const functions = Object.keys(first.instance.exports).filter((name) => typeof first.instance.exports[name] === "function");
    throw new TypeError(`rcalloc: measureOverhead: the module has no exported function "${entry}" ` +
      `(exported functions: ${functions.slice(0, 12).join(", ") || "none"})`);
  }
  let reuse: typeof first | undefined = first;
  const open = async (checked: boolean): Promise<Session> => {
    const linked = !checked && reuse ? reuse : await link(first.module, { ...linkOptions, checked });
    reuse = undefined;
    const f = linked.instance.exports[entry] as (...a: unknown[]) => unknown;
    const memory = linked.heap.memory;
    return {
      call: args.length ? () => f(...args) : f,
      pages: () => memory.buffer.byteLength / PAGE,
      close: () => linked.heap.dispose(),
    };
  };
  return measure("module", entry, args, open, options);
}

/**
 * Times a JS workload on a fresh heap of each build per round: `workload(heap)` is called
 * callsPerRound times (awaited when it returns a promise), builds interleaved, warm-up not
 * counted. What it returns, when a number or bigint, is the checksum.
 */
export async function measureHeapOverhead(
  workload: (heap: Heap) => unknown, options: HeapOverheadOptions,
): Promise<OverheadResult> {
  if (typeof workload !== "function") throw new TypeError("rcalloc: measureHeapOverhead: the workload must be a function of a heap");
  const open = async (checked: boolean): Promise<Session> => {
    // baseUrl is the folder of the builds, as link()'s (was taken for the file itself)
    const build = await loadBuild(checked, options.baseUrl === undefined ? undefined : new URL(wasmFileName(checked), options.baseUrl));
    const heap = await Heap.instantiateBuild(build.module, { ...options.heap, checked });
    return { call: () => workload(heap), pages: () => heap.memory.buffer.byteLength / PAGE, close: () => heap.dispose() };
  };
  return measure("heap", null, [], open, options);
}

async function measure(
  kind: OverheadResult["kind"], entry: string | null, args: (number | bigint)[],
  open: (checked: boolean) => Promise<Session>, options: OverheadOptions,
): Promise<OverheadResult> {
  const { rounds, callsPerRound: requested, warmup = 300, batchMs = 40, onProgress } = options;
  if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`rcalloc: measure: rounds must be a positive integer, got ${rounds}`);
  if (requested !== undefined && (!Number.isInteger(requested) || requested < 1)) {
    throw new RangeError(`rcalloc: measure: callsPerRound must be a positive integer, got ${requested}`);
  }
  if (!(warmup >= 0)) throw new RangeError(`rcalloc: measure: warmup must be ms >= 0, got ${warmup}`);
  if (!(batchMs > 0)) throw new RangeError(`rcalloc: measure: batchMs must be ms > 0, got ${batchMs}`);
  const clock = options.clock ?? (() => performance.now());
  const date = new Date().toISOString();
  const notes: string[] = [];

  const resolutionMs = timerResolution(clock);
  const minBatchMs = resolutionMs * TIMER_TICKS_PER_BATCH;

  // Warm-up: one instance per build, steps alternating between the builds. A step is k calls, k
  // doubling while a step spans under WARM_STEP_TICKS ticks (so a coarse timer still sees it);
  // past `warmup` ms it goes on while a build is still getting faster (tiering up), up to a cap.
  const warm = { unchecked: await open(false), checked: await open(true) };
  const warmPerCall: Record<BuildName, number[]> = { unchecked: [], checked: [] };
  const warmCalls: Record<BuildName, number> = { unchecked: 0, checked: 0 };
  const stepCalls: Record<BuildName, number> = { unchecked: 1, checked: 1 };
  const minSteps = warmup > 0 ? 3 : 1;
  const warmStart = clock();
  const warmCap = Math.max(10 * warmup, 3000);
  const improving = (b: BuildName) => {
    const t = warmPerCall[b];
    return t.length < 6 || median(t.slice(-3)) < 0.9 * median(t.slice(-6, -3));
  };
  for (let step = 0; ; step++) {
    const elapsed = clock() - warmStart;
    if (step >= minSteps && elapsed >= warmup && (warmup === 0 || !BUILDS.some(improving))) break;
    if (step >= 1 && elapsed > warmCap) break;
    for (const build of BUILDS) {
      const k = stepCalls[build];
      const { ms } = await timeBatch(warm[build].call, k, clock);
      warmPerCall[build].push(ms / k);
      warmCalls[build] += k;
      if (ms < WARM_STEP_TICKS * resolutionMs) stepCalls[build] = k * 2;
    }
  }
  const warmMs = clock() - warmStart;
  for (const build of BUILDS) warm[build].close();
  // The least disturbed of the last three steps (another process can stretch any one of them).
  const estimatedCallMs = Math.max(...BUILDS.map((b) => Math.min(...warmPerCall[b].slice(-3))));
  onProgress?.({ phase: "warmup", round: 0, rounds, fraction: 0 });
  await yieldToEventLoop();

  // Batch size: asked for or sized to batchMs, and never under minBatchMs.
  const perCall = Math.max(estimatedCallMs, resolutionMs / 1000); // a call the clock did not see
  let calls = requested ?? Math.max(1, Math.round(batchMs / perCall));
  if (calls * perCall < minBatchMs) calls = Math.ceil(minBatchMs / perCall);

  // Rounds: fresh instances of both builds, linked before timing; the order alternates. A round
  // whose shorter batch spanned under minBatchMs (the warm-up misjudged a call) is timed again
  // with more calls.
  const perRound: Record<BuildName, number[]> = { unchecked: [], checked: [] };
  const peak: Record<BuildName, number> = { unchecked: 0, checked: 0 };
  const sums: Record<BuildName, (string | null)[]> = { unchecked: [], checked: [] };
  const ratios: number[] = [];
  const plannedCalls = calls;
  let retries = 0;
  let shortestRetimed = Infinity;
  let shortRounds = 0;
  for (let round = 0; round < rounds;) {
    const sessions = { unchecked: await open(false), checked: await open(true) };
    const order = round % 2 ? [...BUILDS].reverse() : BUILDS;
    const timed = {} as Record<BuildName, { ms: number; first: unknown }>;
    try {
      for (const build of order) timed[build] = await timeBatch(sessions[build].call, calls, clock);
    } finally {
      for (const build of BUILDS) sessions[build].close();
    }
    const shortest = Math.min(timed.unchecked.ms, timed.checked.ms);
    if (shortest < minBatchMs && retries < MAX_RETIMED_ROUNDS) {
      retries++;
      shortestRetimed = Math.min(shortestRetimed, shortest);
      calls = Math.ceil(calls * 1.5 * minBatchMs / Math.max(shortest, resolutionMs));
      continue;
    }
    if (shortest < minBatchMs) shortRounds++; // timed again MAX_RETIMED_ROUNDS times already
    for (const build of BUILDS) {
      perRound[build].push(timed[build].ms / calls);
      peak[build] = Math.max(peak[build], sessions[build].pages());
      sums[build].push(checksumOf(timed[build].first));
    }
    const ratio = perRound.checked[round] / perRound.unchecked[round];
    ratios.push(ratio);
    onProgress?.({
      phase: "round", round: round + 1, rounds, fraction: (round + 1) / rounds, ratio,
      perCallMs: { unchecked: perRound.unchecked[round], checked: perRound.checked[round] },
    });
    await yieldToEventLoop(); // a browser repaints its progress bar
    round++;
  }
  // Coarse: a call (of the faster build, as measured) is shorter than a batch must be.
  const fastestCallMs = Math.min(median(perRound.unchecked), median(perRound.checked));
  const coarse = retries > 0 || fastestCallMs < minBatchMs;
  if (coarse) {
    notes.push(`The timer ticks every ${fmt(resolutionMs)} ms, too coarse to time one call (${fmt(fastestCallMs)} ms): ` +
      `calls were timed in batches of ${calls} per build, at least ${TIMER_TICKS_PER_BATCH} ticks (${fmt(minBatchMs)} ms) each.`);
  }
  if (retries) {
    notes.push(`${retries} round${retries === 1 ? " was" : "s were"} timed again with more calls: a batch took ${fmt(shortestRetimed)} ms, ` +
      `under ${TIMER_TICKS_PER_BATCH} timer ticks (${fmt(minBatchMs)} ms); calls per round went from ${plannedCalls} to ${calls}.`);
  }
  if (shortRounds) {
    notes.push(`${shortRounds} round${shortRounds === 1 ? "" : "s"} still had a batch under ${TIMER_TICKS_PER_BATCH} timer ticks ` +
      `after ${MAX_RETIMED_ROUNDS} rounds were timed again: their times are rounded by more than 0.5%.`);
  }
  const raised = requested !== undefined && calls > requested;
  if (raised) notes.push(`callsPerRound was raised from ${requested} to ${calls} so that a batch spans ${TIMER_TICKS_PER_BATCH} timer ticks.`);

  const builds = {} as OverheadResult["builds"];
  for (const build of BUILDS) {
    builds[build] = {
      perCallMs: spread(perRound[build]),
      rounds: perRound[build],
      peakPages: peak[build],
      checksum: sums[build][0],
      checksumStable: sums[build].every((s) => s === sums[build][0]),
    };
    if (!builds[build].checksumStable) notes.push(`The ${build} build's first call returned different values in different rounds: ${[...new Set(sums[build])].join(", ")}.`);
  }
  const bothSums = builds.unchecked.checksum !== null || builds.checked.checksum !== null;
  const checksumsEqual = bothSums ? builds.unchecked.checksum === builds.checked.checksum && builds.unchecked.checksumStable && builds.checked.checksumStable : null;
  if (checksumsEqual === false) notes.push(`The builds returned different results (unchecked ${builds.unchecked.checksum}, checked ${builds.checked.checksum}): they did not run the same work.`);

  return {
    format: OVERHEAD_FORMAT, version: OVERHEAD_VERSION, kind, entry,
    args: args.map((a) => typeof a === "bigint" ? a.toString() : a),
    date, rounds, callsPerRound: calls, requestedCallsPerRound: requested ?? null,
    warmup: { ms: warmMs, calls: Math.min(warmCalls.unchecked, warmCalls.checked), estimatedCallMs },
    timer: { resolutionMs, minBatchMs, coarse, raised },
    builds, ratio: { ...spread(ratios), rounds: ratios }, checksumsEqual,
    environment: describeEnvironment(), notes,
  };
}

/** Times `calls` calls of `call` (awaiting each when it returns a promise); returns the first result. */
async function timeBatch(call: () => unknown, calls: number, clock: () => number): Promise<{ ms: number; first: unknown }> {
  const start = clock();
  let first = call();
  if (isThenable(first)) {
    first = await first;
    for (let i = 1; i < calls; i++) await call();
  } else {
    for (let i = 1; i < calls; i++) call();
  }
  return { ms: clock() - start, first };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | null)?.then === "function";
}

/** The clock's step in ms: the median of 31 changes of its value (browsers add jitter to theirs). */
export function timerResolution(clock: () => number = () => performance.now()): number {
  const steps: number[] = [];
  let last = clock();
  for (let spins = 0; steps.length < 31 && spins < 50_000_000; spins++) {
    const now = clock();
    if (now !== last) {
      steps.push(now - last);
      last = now;
    }
  }
  if (!steps.length) throw new Error("rcalloc: measure: the clock never advanced");
  return median(steps);
}

function checksumOf(value: unknown): string | null {
  return typeof value === "number" || typeof value === "bigint" ? String(value) : null;
}

function describeEnvironment(): OverheadEnvironment {
  const g = globalThis as {
    process?: { versions?: Record<string, string>; platform?: string; arch?: string };
    navigator?: { userAgent?: string };
    crossOriginIsolated?: boolean;
    window?: unknown;
  };
  const userAgent = g.navigator?.userAgent ?? null;
  const versions = g.process?.versions;
  if (versions?.node && !g.window) {
    const bun = versions.bun;
    return {
      runtime: bun ? `Bun ${bun}` : `Node ${versions.node}`,
      engine: bun ? "JavaScriptCore" : versions.v8 ? `V8 ${versions.v8}` : null,
      userAgent, platform: `${g.process?.platform} ${g.process?.arch}`, crossOriginIsolated: null,
    };
  }
  const [runtime, engine] = browserOf(userAgent ?? "");
  return { runtime, engine, userAgent, platform: null, crossOriginIsolated: g.crossOriginIsolated ?? null };
}

/** [browser and version, engine] from a user agent string. */
function browserOf(ua: string): [string | null, string | null] {
  let m: RegExpMatchArray | null;
  if ((m = ua.match(/Firefox\/([\d.]+)/))) return [`Firefox ${m[1]}`, "SpiderMonkey"];
  if ((m = ua.match(/Edg\/([\d.]+)/))) return [`Edge ${m[1]}`, "V8"];
  if ((m = ua.match(/(HeadlessChrome|Chromium|Chrome)\/([\d.]+)/))) return [`${m[1]} ${m[2]}`, "V8"];
  if ((m = ua.match(/Version\/([\d.]+).*Safari/))) return [`Safari ${m[1]}`, "JavaScriptCore"];
  return [null, null];
}

/** Lets the event loop run (a browser paints, timers fire) between rounds. */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function spread(values: number[]): Spread {
  return { median: median(values), min: Math.min(...values), max: Math.max(...values) };
}

function fmt(ms: number): string {
  return ms >= 1 ? ms.toFixed(1) : ms.toPrecision(2);
}
