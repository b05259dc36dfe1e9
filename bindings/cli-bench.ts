// `rcalloc bench`: the module's entry timed under the unchecked and the checked build,
// interleaved round by round; prints the time per call of each and the overhead ratio.
import { performance } from "node:perf_hooks";
import { link } from "./link.js";
import { EXIT, fail, parseArgs, type ErrorOutput, type ExitStatus, type Output } from "./cli-usage.js";
import { readApp, requireEntry } from "./cli-module.js";

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds per call of `fn` over `reps` calls. */
function time(fn: () => unknown, reps: number): number {
  const start = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - start) / reps;
}

type Build = "unchecked" | "checked";

export async function bench(argv: readonly string[], out: Output, err: ErrorOutput): Promise<ExitStatus> {
  const opts = parseArgs(argv, { values: ["entry", "rounds"] });
  if (opts.files.length > 1) fail(`bench takes one module, got ${opts.files.length}`);
  const file = opts.files[0];
  const { bytes, info } = readApp(file);
  const entry = opts.entry as string | undefined;
  if (!entry) fail("bench needs --entry NAME (the exported function to time)");
  requireEntry(file, info, entry);
  const rounds = opts.rounds === undefined ? 10 : Number(opts.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a positive integer, got ${opts.rounds}`);

  // One compiled module, linked against both builds; the raw exports are timed.
  const unchecked = await link(bytes, { checked: false });
  const checked = await link(unchecked.module, { checked: true });
  const run = {
    unchecked: unchecked.instance.exports[entry] as () => unknown,
    checked: checked.instance.exports[entry] as () => unknown,
  };
  const progress = (text: string) => {
    if (err.isTTY) err.write(`\r${text}\x1b[K`);
    else err.write(`${text}\n`);
  };

  // Warm up (both builds reach the optimizing tier), then size each sample to ~40 ms.
  const warm = performance.now();
  let perCall = 0;
  for (let i = 0; i < 3 || performance.now() - warm < 300; i++) {
    perCall = time(run.unchecked, 1);
    time(run.checked, 1);
    if (performance.now() - warm > 3000) break;
  }
  const reps = Math.max(1, Math.round(40 / Math.max(perCall, 0.001)));
  out.log(`rcalloc bench: ${file}, entry ${entry}: ${rounds} rounds, ${reps} call${reps === 1 ? "" : "s"} per build per round, builds interleaved`);
  const times: Record<Build, number[]> = { unchecked: [], checked: [] };
  const ratios: number[] = [];
  for (let round = 1; round <= rounds; round++) {
    const order: Build[] = round % 2 ? ["unchecked", "checked"] : ["checked", "unchecked"];
    const t = { unchecked: 0, checked: 0 };
    for (const build of order) t[build] = time(run[build], reps);
    times.unchecked.push(t.unchecked);
    times.checked.push(t.checked);
    ratios.push(t.checked / t.unchecked);
    progress(`round ${round}/${rounds}: unchecked ${t.unchecked.toFixed(3)} ms, checked ${t.checked.toFixed(3)} ms, ratio ${(t.checked / t.unchecked).toFixed(2)}`);
  }
  if (err.isTTY) err.write("\n");
  const row = (name: string, v: number[]) =>
    `${name.padEnd(10)} ${median(v).toFixed(3).padStart(9)} ms/call   min ${Math.min(...v).toFixed(3)}   max ${Math.max(...v).toFixed(3)}`;
  out.log(row("unchecked", times.unchecked));
  out.log(row("checked", times.checked));
  out.log(`overhead   checked/unchecked: median ${median(ratios).toFixed(2)}x   min ${Math.min(...ratios).toFixed(2)}x   max ${Math.max(...ratios).toFixed(2)}x`);
  return EXIT.CLEAN;
}
