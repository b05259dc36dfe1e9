#!/usr/bin/env node
// rcalloc: run a wasm module against the checked allocator and report reference-counting bugs
// (check), measure what the checked build costs on the module's own workload (bench), or fuse the
// allocator into the module with binaryen's wasm-merge (merge). See `rcalloc --help`.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";

const EXIT = { CLEAN: 0, LEAKS: 1, MISUSE: 2, USAGE: 3, FAILED: 4 };

const HELP = `rcalloc — find reference-counting bugs in a wasm module, and measure what finding them costs

Usage:
  rcalloc check app.wasm [--entry NAME] [--json] [--html FILE]
  rcalloc bench app.wasm --entry NAME [--rounds N]
  rcalloc merge app.wasm --checked|--unchecked -o OUT.wasm [--optimize]
  rcalloc --help

check   Links app.wasm against the checked allocator (sites from wasm stack frames, and source
        lines when app.wasm.map is next to it), calls _start if exported, then the entry
        (default: main, if exported), and prints the misuse that trapped or the references
        still live at the end, grouped by where they were taken, each marked unreachable when
        no copy of it is left anywhere in memory. Blocks held by rcalloc's AssemblyScript
        runtime (live GC objects) are not counted as leaks.
          --entry NAME   exported function to call (no arguments)
          --json         print the result as JSON instead of text
          --html FILE    also write a self-contained HTML report to FILE
bench   Runs the entry under the unchecked and the checked build, interleaved round by round
        (the module is compiled once), and prints the time per call of each and the overhead
        ratio checked/unchecked: median, min and max over the rounds.
          --entry NAME   exported function to time (required; no arguments)
          --rounds N     timed rounds (default 10); each round runs both builds
merge   Writes one module with the allocator build fused in (binaryen's wasm-merge, from the
        binaryen package). It exports the allocator's API too: Heap.instantiate() wraps it.
          --checked, --unchecked   which allocator build to merge in (one is required)
          -o, --output FILE        where to write the merged module
          --optimize               run wasm-opt -O3 on the result (inlines across the seam)

Exit status (check): 0 clean, 1 leaks, 2 misuse trap (double put, use after put, ...),
  3 usage error (bad arguments, missing file, not wasm, not linkable, no such entry),
  4 the program failed otherwise (its own abort, a wasm trap, out of memory).
bench and merge: 0 done, 2 misuse trap, 3 usage error, 4 failure.

app.wasm must import the allocator from module "rcalloc" and its memory (AssemblyScript:
  asc app.ts --runtime ./node_modules/rcalloc/runtime/rcalloc --importMemory --memoryBase 65536
  plus --debug --sourceMap for function names and source lines in reports).`;

class UsageError extends Error {}

function fail(message) {
  throw new UsageError(message);
}

/** Options of one command: flags take no value, values take one. */
function parseArgs(argv, { flags = [], values = [], aliases = {} }) {
  const out = { files: [] };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i];
    if (aliases[arg]) arg = aliases[arg];
    if (!arg.startsWith("-") || arg === "-") {
      out.files.push(arg);
      continue;
    }
    const eq = arg.indexOf("=");
    const name = (eq > 0 ? arg.slice(0, eq) : arg).replace(/^--?/, "");
    if (flags.includes(name)) {
      if (eq > 0) fail(`option --${name} takes no value`);
      out[name] = true;
    } else if (values.includes(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === "") fail(`option --${name} needs a value`);
      out[name] = value;
    } else {
      fail(`unknown option ${arg}`);
    }
  }
  return out;
}

async function bindings() {
  try {
    return await import("../dist/node.js");
  } catch (e) {
    throw new Error(`cannot load rcalloc's bindings (dist/node.js): ${e.message}; run npm run build`);
  }
}

/** Reads and vets app.wasm: a one-line usage error for each way it can be unusable. */
async function readApp(api, file) {
  if (!file) fail("no module given (rcalloc --help for usage)");
  if (!existsSync(file)) fail(`${file}: no such file`);
  if (statSync(file).isDirectory()) fail(`${file} is a directory, not a wasm module`);
  const bytes = readFileSync(file);
  let info;
  try {
    info = api.inspectModule(bytes);
  } catch (e) {
    if (e instanceof api.LinkError) fail(`${file} is not a WebAssembly module`);
    throw e;
  }
  if (!WebAssembly.validate(bytes)) fail(`${file} is not a valid WebAssembly module (it does not validate)`);
  if (info.rcallocImports.length === 0) {
    const merged = info.exports.some((e) => e.name === "errorRecord") && info.exports.some((e) => e.name === "isChecked");
    fail(merged
      ? `${file} contains the allocator itself (compiled in or merged); check runs modules that import it from "rcalloc"`
      : `${file} imports nothing from "rcalloc" (build it with --runtime rcalloc/runtime/rcalloc, or import rcalloc/runtime/imports)`);
  }
  return { bytes, info, sourceMap: readSourceMap(file, info) };
}

/** app.wasm.map next to the module, or the file its sourceMappingURL section names. */
function readSourceMap(file, info) {
  const candidates = [`${file}.map`];
  if (info.sourceMappingURL && !/^[a-z]+:/i.test(info.sourceMappingURL)) {
    candidates.unshift(join(dirname(file), info.sourceMappingURL));
  }
  for (const path of candidates) {
    if (existsSync(path)) {
      try {
        return JSON.parse(readFileSync(path, "utf8"));
      } catch {
        return undefined; // an unreadable map only costs source lines
      }
    }
  }
  return undefined;
}

function requireEntry(file, info, entry) {
  const found = info.exports.find((e) => e.name === entry);
  if (found && found.kind === "function") return;
  const functions = info.exports.filter((e) => e.kind === "function").map((e) => e.name);
  const list = functions.length ? functions.slice(0, 12).join(", ") + (functions.length > 12 ? ", ..." : "") : "none";
  fail(found
    ? `${file}: export "${entry}" is a ${found.kind}, not a function`
    : `${file} has no exported function "${entry}" (exported functions: ${list})`);
}

const MISUSE_CODES = new Set(["DOUBLE_PUT", "USE_AFTER_PUT", "INVALID_HANDLE", "SHARED_RESIZE", "CORRUPT_HEAP",
  "USE_AFTER_MOVE", "WRITE_AFTER_FREE", "OWNERSHIP"]);

/** Which exit status an exception means, and a plain description of it. */
function classify(api, error) {
  if (error instanceof api.LinkError) return { status: "usage", exit: EXIT.USAGE };
  if (error instanceof api.RcError) {
    return MISUSE_CODES.has(error.code) ? { status: "misuse", exit: EXIT.MISUSE } : { status: "failed", exit: EXIT.FAILED };
  }
  return { status: "failed", exit: EXIT.FAILED };
}

function siteJson(site) {
  return site ? { label: site.label, stack: site.stack ? site.stack.split("\n") : [] } : null;
}

function hex(n) {
  return "0x" + (n >>> 0).toString(16).padStart(8, "0");
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

function show(value) {
  return typeof value === "bigint" ? value.toString() : value === undefined ? "nothing" : JSON.stringify(value);
}

// ─── check ───────────────────────────────────────────────────────────────────────────────────

async function check(argv, out) {
  const opts = parseArgs(argv, { flags: ["json"], values: ["entry", "html"] });
  if (opts.files.length > 1) fail(`check takes one module, got ${opts.files.length}`);
  const api = await bindings();
  const file = opts.files[0];
  const { bytes, info, sourceMap } = await readApp(api, file);
  let entry = opts.entry;
  if (entry !== undefined) requireEntry(file, info, entry);
  else if (info.exports.some((e) => e.name === "main" && e.kind === "function")) entry = "main";
  const hasStart = entry !== "_start" && info.exports.some((e) => e.name === "_start" && e.kind === "function");

  const result = { tool: "rcalloc check", file, entry: entry ?? null, build: "checked" };
  let linked;
  try {
    linked = await api.link(bytes, { checked: true, stacks: true, sourceMap });
    if (hasStart) linked.instance.exports._start();
    if (entry) result.returned = linked.instance.exports[entry]();
  } catch (error) {
    const { status, exit } = classify(api, error);
    if (status === "usage") fail(error.message);
    const map = sourceMap ? new api.WasmSourceMap(sourceMap) : undefined;
    const trappedAt = api.wasmStack(error.stack ?? "", map);
    Object.assign(result, {
      status, exitCode: exit,
      error: {
        name: error.name, code: error.code ?? null, message: error.message,
        handle: error.handle ?? null, object: error.object ?? null,
        site: siteJson(error.site), putSite: siteJson(error.putSite), trappedAt,
      },
    });
    return finish(out, opts, result, () => describeFailure(result));
  }
  linked.collect();
  const report = linked.report({ scan: true }); // also: is a copy of each leaked handle left anywhere?
  const leaks = report.leakCount;
  Object.assign(result, {
    status: leaks ? "leaks" : "clean",
    exitCode: leaks ? EXIT.LEAKS : EXIT.CLEAN,
    leaks: {
      references: report.references.filter((r) => !r.weak).map((r) => ({
        handle: r.handle, object: r.ptr, order: r.order, owner: r.owner ?? null, site: siteJson(r.site),
        reachable: r.reachable ?? null, storedAt: r.storedAt ?? null,
      })),
      objects: report.objects.map((o) => ({ ptr: o.ptr, size: o.size, refs: o.refs, order: o.order, site: siteJson(o.site) })),
      bytes: report.stats.liveBytes,
    },
    runtime: report.runtime,
    stats: report.stats,
  });
  // HTML: the heap picture and the leak table by site (bindings/report-html.ts)
  const html = () => api.reportToHTML(report, { blocks: linked.heap.blocks(), title: `rcalloc check: ${basename(file)}` });
  return finish(out, opts, result, () => describeReport(result, report), html);
}

function heading(result) {
  return `rcalloc check: ${result.file}, ${result.entry ? `entry ${result.entry}` : "instantiation only"} (checked build)`;
}

function describeReport(result, report) {
  const lines = [heading(result), ""];
  const returned = result.entry ? ` after ${result.entry} returned ${show(result.returned)}` : " after instantiation";
  const runtime = result.runtime.objects
    ? ` (the AssemblyScript runtime holds ${plural(result.runtime.objects, "block")}, ${result.runtime.bytes} bytes: not leaks)`
    : "";
  if (result.status === "clean") {
    lines.push(`CLEAN  no references left${returned}${runtime}`);
  } else {
    const refs = result.leaks.references.length;
    lines.push(`LEAKS  ${plural(refs, "reference")} to ${plural(result.leaks.objects.length, "object")} ` +
      `(${result.leaks.bytes} bytes) still live${returned}`, "");
    lines.push(report.toString());
  }
  return lines.join("\n");
}

function describeFailure(result) {
  const e = result.error;
  const lines = [heading(result), ""];
  lines.push(result.status === "misuse" ? `MISUSE  ${e.name} [${e.code}]` : `FAILED  ${e.name}${e.code ? ` [${e.code}]` : ""}`);
  lines.push(e.message);
  if (e.handle) lines.push(`  handle      ${hex(e.handle)}${e.object ? ` (object ${hex(e.object)})` : ""}`);
  const site = (title, s) => {
    if (!s) return;
    lines.push(`  ${title.padEnd(11)} ${s.label}`);
    for (const frame of s.stack.slice(0, 6)) lines.push(`                ${frame}`);
  };
  site("taken at", e.site);
  site(e.code === "DOUBLE_PUT" ? "first put" : "put at", e.putSite);
  if (e.trappedAt.length) {
    lines.push(`  ${"trapped in".padEnd(11)} ${e.trappedAt[0]}`);
    for (const frame of e.trappedAt.slice(1, 6)) lines.push(`                ${frame}`);
  }
  return lines.join("\n");
}

function finish(out, opts, result, text, html = () => renderHtml(result)) {
  if (opts.json) out.log(JSON.stringify(result, (_, v) => typeof v === "bigint" ? v.toString() : v, 2));
  else out.log(text());
  if (opts.html) {
    writeFileSync(opts.html, html());
    if (!opts.json) out.log(`\nHTML report written to ${opts.html}`);
  }
  return result.exitCode;
}

// ─── HTML page for a failed run (a run that ends with leaks uses reportToHTML) ────────────────

function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function renderHtml(result) {
  const title = `rcalloc check: ${basename(result.file)}`;
  const parts = [];
  const stack = (s) => s && s.stack.length ? `<pre>${escape(s.stack.join("\n"))}</pre>` : "";
  if (result.error) {
    const e = result.error;
    parts.push(`<p class="status ${result.status}">${result.status === "misuse" ? "Misuse" : "Failed"}: ${escape(e.name)}${e.code ? ` <code>${escape(e.code)}</code>` : ""}</p>`);
    parts.push(`<p>${escape(e.message)}</p><table>`);
    if (e.handle) parts.push(`<tr><th>handle</th><td><code>${hex(e.handle)}</code>${e.object ? ` (object <code>${hex(e.object)}</code>)` : ""}</td></tr>`);
    if (e.site) parts.push(`<tr><th>taken at</th><td>${escape(e.site.label)}${stack(e.site)}</td></tr>`);
    if (e.putSite) parts.push(`<tr><th>${e.code === "DOUBLE_PUT" ? "first put" : "put at"}</th><td>${escape(e.putSite.label)}${stack(e.putSite)}</td></tr>`);
    if (e.trappedAt.length) parts.push(`<tr><th>trapped in</th><td><pre>${escape(e.trappedAt.join("\n"))}</pre></td></tr>`);
    parts.push("</table>");
  } else {
    const refs = result.leaks.references;
    parts.push(result.status === "clean"
      ? `<p class="status clean">Clean: no references left.</p>`
      : `<p class="status leaks">${plural(refs.length, "leaked reference")} to ${plural(result.leaks.objects.length, "object")} (${result.leaks.bytes} bytes).</p>`);
    const groups = new Map();
    for (const r of refs) {
      const key = r.site?.label ?? "(site unknown)";
      const g = groups.get(key) ?? { site: r.site, refs: [] };
      g.refs.push(r);
      groups.set(key, g);
    }
    const sizes = new Map(result.leaks.objects.map((o) => [o.ptr, o.size]));
    if (groups.size) {
      parts.push("<h2>Leaked references by site, oldest first</h2><table><tr><th>taken at</th><th>references</th><th>bytes</th><th>handles</th></tr>");
      for (const [label, g] of groups) {
        const bytes = g.refs.reduce((n, r) => n + (sizes.get(r.object) ?? 0), 0);
        const handles = g.refs.slice(0, 8).map((r) => `<code>${hex(r.handle)}</code> → <code>${hex(r.object)}</code>`).join("<br>") +
          (g.refs.length > 8 ? `<br>… ${g.refs.length - 8} more` : "");
        parts.push(`<tr><td>${escape(label)}${stack(g.site)}</td><td>${g.refs.length}</td><td>${bytes}</td><td>${handles}</td></tr>`);
      }
      parts.push("</table>");
    }
    if (result.runtime.objects) {
      parts.push(`<p class="note">Not counted: ${plural(result.runtime.objects, "block")} (${result.runtime.bytes} bytes) held by the AssemblyScript runtime.</p>`);
    }
    parts.push("<h2>Heap</h2><table>" + Object.entries(result.stats).map(([k, v]) => `<tr><th>${escape(k)}</th><td>${escape(v)}</td></tr>`).join("") + "</table>");
  }
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escape(title)}</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
h1 { font-size: 1.3rem; } h2 { font-size: 1.05rem; margin-top: 2rem; }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; vertical-align: top; padding: .35rem .6rem; border-bottom: 1px solid #ddd; }
th { font-weight: 600; white-space: nowrap; } pre { margin: .3rem 0 0; font-size: 12.5px; color: #555; white-space: pre-wrap; }
code { font-size: 13px; } .status { font-weight: 600; padding: .5rem .8rem; border-radius: 4px; }
.clean { background: #e5f5e8; } .leaks { background: #fff3d6; } .misuse, .failed { background: #fde4e4; } .note { color: #666; }
</style></head><body>
<h1>${escape(title)}</h1>
<p>${result.entry ? `Entry <code>${escape(result.entry)}</code>` : "Instantiation only"}, checked build.</p>
${parts.join("\n")}
</body></html>
`;
}

// ─── bench ───────────────────────────────────────────────────────────────────────────────────

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Milliseconds per call of `fn` over `reps` calls. */
function time(fn, reps) {
  const start = performance.now();
  for (let i = 0; i < reps; i++) fn();
  return (performance.now() - start) / reps;
}

async function bench(argv, out, err) {
  const opts = parseArgs(argv, { values: ["entry", "rounds"] });
  if (opts.files.length > 1) fail(`bench takes one module, got ${opts.files.length}`);
  const api = await bindings();
  const file = opts.files[0];
  const { bytes, info } = await readApp(api, file);
  if (!opts.entry) fail("bench needs --entry NAME (the exported function to time)");
  requireEntry(file, info, opts.entry);
  const rounds = opts.rounds === undefined ? 10 : Number(opts.rounds);
  if (!Number.isInteger(rounds) || rounds < 1) fail(`--rounds must be a positive integer, got ${opts.rounds}`);

  // One compiled module, linked against both builds; the raw exports are timed.
  const unchecked = await api.link(bytes, { checked: false });
  const checked = await api.link(unchecked.module, { checked: true });
  const run = { unchecked: unchecked.instance.exports[opts.entry], checked: checked.instance.exports[opts.entry] };
  const progress = (text) => {
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
  out.log(`rcalloc bench: ${file}, entry ${opts.entry}: ${rounds} rounds, ${reps} call${reps === 1 ? "" : "s"} per build per round, builds interleaved`);
  const times = { unchecked: [], checked: [] };
  const ratios = [];
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 ? ["unchecked", "checked"] : ["checked", "unchecked"];
    const t = {};
    for (const build of order) t[build] = time(run[build], reps);
    times.unchecked.push(t.unchecked);
    times.checked.push(t.checked);
    ratios.push(t.checked / t.unchecked);
    progress(`round ${round}/${rounds}: unchecked ${t.unchecked.toFixed(3)} ms, checked ${t.checked.toFixed(3)} ms, ratio ${(t.checked / t.unchecked).toFixed(2)}`);
  }
  if (err.isTTY) err.write("\n");
  const row = (name, v) => `${name.padEnd(10)} ${median(v).toFixed(3).padStart(9)} ms/call   min ${Math.min(...v).toFixed(3)}   max ${Math.max(...v).toFixed(3)}`;
  out.log(row("unchecked", times.unchecked));
  out.log(row("checked", times.checked));
  out.log(`overhead   checked/unchecked: median ${median(ratios).toFixed(2)}x   min ${Math.min(...ratios).toFixed(2)}x   max ${Math.max(...ratios).toFixed(2)}x`);
  return EXIT.CLEAN;
}

// ─── merge ───────────────────────────────────────────────────────────────────────────────────

/** A binaryen tool from the user's node_modules, else from the one rcalloc's own install has. */
function binaryenTool(name) {
  for (const from of [join(process.cwd(), "package.json"), import.meta.url]) {
    try {
      const pkg = createRequire(from).resolve("binaryen/package.json");
      const tool = join(dirname(pkg), "bin", name);
      if (existsSync(tool)) return tool;
    } catch { /* not there */ }
  }
  throw new Error(`${name} not found: install binaryen (npm install --save-dev binaryen)`);
}

function runTool(tool, args) {
  const r = spawnSync(process.execPath, [tool, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${basename(tool)} failed: ${(r.stderr || r.stdout || "").trim().split("\n")[0]}`);
}

async function merge(argv, out) {
  const opts = parseArgs(argv, { flags: ["checked", "unchecked", "optimize"], values: ["output"], aliases: { "-o": "--output" } });
  if (opts.files.length > 1) fail(`merge takes one module, got ${opts.files.length}`);
  if (opts.checked === opts.unchecked) fail("merge needs exactly one of --checked and --unchecked");
  if (!opts.output) fail("merge needs -o OUT.wasm");
  const api = await bindings();
  const file = opts.files[0];
  const { bytes } = await readApp(api, file);
  let prepared;
  try {
    prepared = api.prepareStaticLink(await api.allocatorBytes(!!opts.checked), bytes);
  } catch (e) {
    if (e instanceof api.LinkError) fail(e.message);
    throw e;
  }
  const work = mkdtempSync(join(tmpdir(), "rcalloc-merge-"));
  try {
    const allocator = join(work, "rcalloc.wasm");
    const user = join(work, "app.wasm");
    writeFileSync(allocator, prepared.allocator);
    writeFileSync(user, prepared.user);
    // Order matters: the allocator first, so its exports resolve the app's "rcalloc" imports.
    runTool(binaryenTool("wasm-merge"), [allocator, "rcalloc", user, "app", "-o", resolve(opts.output), "-all", "-g"]);
    if (opts.optimize) runTool(binaryenTool("wasm-opt"), [resolve(opts.output), "-O3", "-all", "-g", "-o", resolve(opts.output)]);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const size = statSync(opts.output).size;
  out.log(`${opts.output}: ${file} with the ${opts.checked ? "checked" : "unchecked"} allocator merged in ` +
    `(${size} bytes${opts.optimize ? ", wasm-opt -O3" : ""}); wrap it with Heap.instantiate(module, { checked: ${!!opts.checked} }), then call its _start export`);
  return EXIT.CLEAN;
}

// ─── main ────────────────────────────────────────────────────────────────────────────────────

export async function main(argv, out = console, err = process.stderr) {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) fail("no command given (rcalloc --help for usage)");
    if (command === "--help" || command === "-h" || command === "help") {
      out.log(HELP);
      return EXIT.CLEAN;
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      out.log(HELP);
      return EXIT.CLEAN;
    }
    switch (command) {
      case "check": return await check(rest, out);
      case "bench": return await bench(rest, out, err);
      case "merge": return await merge(rest, out);
      default: fail(`unknown command "${command}" (commands: check, bench, merge; rcalloc --help for usage)`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      err.write(`rcalloc: error: ${e.message}\n`);
      return EXIT.USAGE;
    }
    const api = await import("../dist/node.js").catch(() => undefined);
    const exit = api ? classify(api, e).exit : EXIT.FAILED;
    if (exit === EXIT.USAGE) {
      err.write(`rcalloc: error: ${e.message}\n`);
      return exit;
    }
    err.write(`rcalloc: ${exit === EXIT.MISUSE ? "misuse" : "failed"}: ${e.name && e.name !== "Error" ? `${e.name}: ` : ""}${e.message}\n`);
    return exit;
  }
}

// Run when executed (also through npm's bin link), not when imported by the tests.
if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
