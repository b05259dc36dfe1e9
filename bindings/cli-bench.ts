// `rcalloc bench`: the module's entry timed under the unchecked and the checked build by
// measureOverhead (measure.ts, the same measurement the browser page runs): fresh instances each
// round, builds interleaved, warm-up not counted. Prints the table, or with --json the result
// (docs/overhead.schema.json).
import { measureOverhead, type OverheadProgress } from "./measure.js";
import { overheadToText } from "./measure-text.js";
import { EXIT, fail, parseArgs, type ErrorOutput, type ExitStatus, type Output } from "./cli-usage.js";
import { loadHostImports, readApp, requireEntry } from "./cli-module.js";

export async function bench(argv: readonly string[], out: Output, err: ErrorOutput): Promise<ExitStatus> {
  const opts = parseArgs(argv, { flags: ["json", "owns-memory-growth"], values: ["entry", "rounds", "imports"] });
  if (opts.files.length > 1) fail(`bench takes one module, got ${opts.files.length}`);
  const file = opts.files[0];
  const { bytes, info } = readApp(file);
  const entry = opts.entry as string | undefined;
  if (!entry) fail("bench needs --entry NAME (the exported function to time)");
  requireEntry(file, info, entry);
  const rounds = opts.rounds === undefined ? 10 : Number(opts.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a positive integer, got ${opts.rounds}`);

  const progress = (p: OverheadProgress) => {
    if (p.phase !== "round" || !p.perCallMs) return;
    const text = `round ${p.round}/${p.rounds}: unchecked ${p.perCallMs.unchecked.toFixed(3)} ms, ` +
      `checked ${p.perCallMs.checked.toFixed(3)} ms, ratio ${p.ratio!.toFixed(2)}`;
    if (err.isTTY) err.write(`\r${text}\x1b[K`);
    else err.write(`${text}\n`);
  };
  const hostImports = typeof opts.imports === "string" ? await loadHostImports(opts.imports) : undefined;
  const print = (line: string) => err.write(`${line}\n`);
  const result = await measureOverhead(bytes, { entry, rounds, onProgress: progress, link: { hostImports, print, ownsMemoryGrowth: !!opts["owns-memory-growth"] } });
  if (err.isTTY) err.write("\n");
  if (opts.json) out.log(JSON.stringify(result, null, 2));
  else out.log(overheadToText(result, `rcalloc bench: ${file}, entry ${entry}`));
  return EXIT.CLEAN;
}
