// `rcalloc check`: links a module against the checked allocator, runs it, and reports the misuse
// that trapped or the references still live at the end (text, JSON, HTML). Exit 0 clean, 1 leaks,
// 2 misuse, 3 usage error, 4 the program failed otherwise.
import type { LeakTotalsJSON, SiteJSON } from "./report-json.js";
import { basename } from "node:path";
import { MISUSE_CODES, RcError } from "./errors.js";
import { hex, plural, printableLines } from "./format.js";
import { link, type Linked, type LinkedReport } from "./link.js";
import type { Leaks } from "./leaks.js";
import { LinkError } from "./linkable.js";
import { failureToHTML, reportToHTML } from "./report-html.js";
import { describeLeakTotals, reportLeaks, type ObjectRecord, type ReferenceRecord } from "./report.js";
import type { Site } from "./sites.js";
import { ModuleCode, WasmSourceMap, wasmStack } from "./wasm-sites.js";
import {
  checkOutputFile, EXIT, fail, parseArgs, UsageError, writeOutputFile, type ErrorOutput, type ExitStatus, type Output, type ParsedArgs,
} from "./cli-usage.js";
import { loadHostImports, readApp, requireEntry } from "./cli-module.js";
import { timeoutOf } from "./cli-timeout.js";

/** A site as the JSON report shows one, without its id (the CLI's result has no site table). */
type SiteResult = Omit<SiteJSON, "id">;
type LeakTotalsResult = LeakTotalsJSON;

/** What `rcalloc check --json` prints. */
export interface CheckResult {
  tool: "rcalloc check";
  /** The module's path (null: a usage error before one was named). */
  file: string | null;
  entry: string | null;
  build: "checked";
  status?: "clean" | "leaks" | "misuse" | "failed" | "timeout" | "usage";
  exitCode?: ExitStatus;
  /** What the entry returned (a bigint is printed as a string). */
  returned?: unknown;
  error?: {
    name: string; code: string | null; message: string; handle: number | null; object: number | null;
    site: SiteResult | null; putSite: SiteResult | null; trappedAt: string[];
    /** What check was doing when it failed (null: a usage error): a trap in the module's own
     *  collector, after the program's run, reads "collecting garbage and walking the heap". */
    during: string | null;
  };
  /** The leaks (bindings/leaks.ts: the same figures as the text and the HTML). */
  leaks?: LeakTotalsResult & {
    /** Objects marked with ignore(): never leaks. */
    ignored: number;
    /** References a root reaches (a global of the module, its static data, the entry's return
     *  value, a pinned AS object; directly, or through the object whose payload is `heldThrough`):
     *  never leaks. A raw block (malloc, heap.alloc) has handle 0. */
    held: { handle: number; object: number; heldBy: string; heldThrough: number | null; site: SiteResult | null }[];
    references: {
      handle: number; object: number; order: number; owner: number | null; weak: boolean;
      site: SiteResult | null; reachable: boolean | null; storedAt: number | null;
    }[];
    objects: { ptr: number; size: number; refs: number; order: number; site: SiteResult | null }[];
    /** Direct first: `indirect` groups' leaks are stored inside other leaked objects (bindings/leaks.ts). */
    groups: (LeakTotalsResult & { label: string; oldest: number; indirect: boolean })[];
  };
  runtime?: { objects: number; bytes: number };
  stats?: LinkedReport["stats"];
}

/** The exit status an exception means. */
export function exitStatusOf(error: unknown): ExitStatus {
  if (error instanceof LinkError) return EXIT.USAGE;
  if (error instanceof RcError) return MISUSE_CODES.has(error.code) ? EXIT.MISUSE : EXIT.FAILED;
  return EXIT.FAILED;
}

/** The options of check that take a value (what follows them is not the module's path). */
const VALUE_OPTIONS = ["entry", "html", "imports", "timeout"];

/**
 * What `check --json` prints for a usage error (exit 3: bad arguments, an unreadable or
 * unlinkable module), so a caller parsing stdout gets JSON whatever went wrong. `error.code` is
 * the LinkError's code, or null.
 */
export function usageResult(argv: readonly string[], error: Error): CheckResult {
  let file: string | null = null;
  for (let i = 0; i < argv.length && file === null; i++) {
    if (!argv[i].startsWith("-")) file = argv[i];
    else if (VALUE_OPTIONS.includes(argv[i].replace(/^--?/, ""))) i++;
  }
  return {
    tool: "rcalloc check", file, entry: null, build: "checked", status: "usage", exitCode: EXIT.USAGE,
    error: {
      name: error instanceof UsageError ? "UsageError" : error.name, code: (error as Partial<LinkError>).code ?? null,
      message: error.message, handle: null, object: null, site: null, putSite: null, trappedAt: [], during: null,
    },
  };
}

function siteResult(site: Site | undefined): SiteResult | null {
  return site ? { label: site.label, stack: site.stack ? site.stack.split("\n") : [] } : null;
}

/** The program's frames of a trap; when none is the program's (AssemblyScript's collector trapped
 *  on a global holding no object, as AS's own instanceof test stores one), the library's, which
 *  say where: the trap is not left with no place at all. */
function trappedAt(stack: string, code: ModuleCode): string[] {
  const own = wasmStack(stack, code);
  return own.length ? own : wasmStack(stack, code, true);
}

function show(value: unknown): string {
  return typeof value === "bigint" ? value.toString() : value === undefined ? "nothing" : JSON.stringify(value);
}

const totals = (t: LeakTotalsResult): LeakTotalsResult =>
  ({ count: t.count, weak: t.weak, objects: t.objects, bytes: t.bytes, unreachable: t.unreachable, stored: t.stored });

export async function check(argv: readonly string[], out: Output, err?: ErrorOutput, phase: (text: string) => void = () => {}): Promise<ExitStatus> {
  const opts = parseArgs(argv, { flags: ["json", "owns-memory-growth"], values: VALUE_OPTIONS });
  timeoutOf(argv); // refused here too when check runs in this thread (which cannot stop it)
  let during = "";
  const step = (text: string) => { during = text; phase(text); };
  step("linking the module");
  if (opts.files.length > 1) fail(`check takes one module, got ${opts.files.length}`);
  const html = opts.html as string | undefined;
  if (html) checkOutputFile(html, "--html");
  const file = opts.files[0];
  const { bytes, info, sourceMap } = readApp(file);
  let entry = opts.entry as string | undefined;
  if (entry !== undefined) requireEntry(file, info, entry);
  else if (info.exports.some((e) => e.name === "main" && e.kind === "function")) entry = "main";

  const hostImports = typeof opts.imports === "string" ? await loadHostImports(opts.imports) : undefined;
  // The module's console.log, trace, ... go to stderr: stdout is the report (or its JSON).
  const print = (line: string) => (err ?? process.stderr).write(`${line}\n`);

  const result: CheckResult = { tool: "rcalloc check", file, entry: entry ?? null, build: "checked" };
  let linked: Linked | undefined;
  let report: LinkedReport;
  try {
    // A module built with threads imports a shared memory, of its declared maximum: it runs on a
    // shared heap of that maximum (link() with only the heap's default it refuses).
    const memory = info.memoryImport?.limits;
    const shared = memory?.shared ? { shared: true, maxPages: memory.max } : {};
    linked = await link(bytes, { checked: true, stacks: true, sourceMap, hostImports, print, ownsMemoryGrowth: !!opts["owns-memory-growth"], ...shared });
    const exports = linked.instance.exports as Record<string, () => unknown>;
    if (entry && entry !== "_start") { // link() ran _start
      step(`running the entry ${entry}`);
      result.returned = exports[entry]();
    }
    // Still the module's run: its collector can trap, and report() first validates the heap (a
    // write after free still in the quarantine), so both fail as the run does, formatted.
    step("collecting garbage and walking the heap");
    linked.collect();
    report = linked.report({ scan: true, returned: entry ? { entry, value: result.returned } : undefined });
  } catch (caught) {
    if (caught instanceof UsageError) throw caught; // --imports' module returned no imports object
    const error = caught as Error & Partial<RcError>;
    const exit = exitStatusOf(error);
    if (exit === EXIT.USAGE) throw error; // a LinkError: main() prints it as a usage error, its code kept for --json
    const map = sourceMap ? new WasmSourceMap(sourceMap) : undefined;
    const code = linked?.code ?? new ModuleCode(info, map, 0, bytes);
    Object.assign(result, {
      status: exit === EXIT.MISUSE ? "misuse" : "failed", exitCode: exit,
      error: {
        name: error.name, code: error.code ?? null, message: error.message,
        handle: error.handle ?? null, object: error.object ?? null,
        site: siteResult(error.site), putSite: siteResult(error.putSite), trappedAt: trappedAt(error.stack ?? "", code), during,
      },
    });
    return finish(out, opts, result, () => describeFailure(result), () => failurePage(result));
  }
  // check is the module's only JS caller and keeps nothing but the entry's result (marked held
  // above): a handle found nowhere else is unreachable, not "maybe held by JS".
  report.linked = false;
  const leaks = reportLeaks(report);
  const ignoredObjects = new Set(report.objects.filter((o) => o.ignored).map((o) => o.ptr)); // as leaks.ts: ignored comes first
  Object.assign(result, {
    status: leaks.count ? "leaks" : "clean",
    exitCode: leaks.count ? EXIT.LEAKS : EXIT.CLEAN,
    leaks: {
      ...totals(leaks),
      ignored: leaks.ignored,
      held: report.references.filter((r) => r.heldBy && !ignoredObjects.has(r.ptr))
        .map((r) => ({ handle: r.handle, object: r.ptr, heldBy: r.heldBy!, heldThrough: r.heldThrough ?? null, site: siteResult(r.site) })),
      references: leaks.items.map(({ record }) => {
        const r = record as ReferenceRecord;
        return {
          handle: r.handle, object: r.ptr, order: r.order, owner: r.owner ?? null, weak: r.weak, site: siteResult(r.site),
          reachable: r.reachable ?? null, storedAt: r.storedAt ?? null,
        };
      }),
      objects: report.objects.filter((o: ObjectRecord) => leaks.objectSet.has(o.ptr))
        .map((o) => ({ ptr: o.ptr, size: o.size, refs: o.refs, order: o.order, site: siteResult(o.site) })),
      groups: leaks.groups.map((g) => ({ label: g.label, oldest: g.oldest, indirect: g.indirect, ...totals(g) })),
    },
    runtime: report.runtime,
    stats: report.stats,
  });
  // HTML: the heap picture and the leak table by site (bindings/report-html.ts)
  const page = () => reportToHTML(report, { blocks: linked.heap.blocks(), title: `rcalloc check: ${basename(file)}` });
  return finish(out, opts, result, () => describeReport(result, report, leaks), page);
}

function heading(result: CheckResult): string {
  return `rcalloc check: ${result.file}, ${result.entry ? `entry ${result.entry}` : "instantiation only"} (checked build)`;
}

function describeReport(result: CheckResult, report: LinkedReport, leaks: Leaks<ObjectRecord, ReferenceRecord>): string {
  const lines = [heading(result), ""];
  const returned = result.entry ? ` after ${result.entry} returned ${show(result.returned)}` : " after instantiation";
  const runtime = report.runtime.objects
    ? ` (the AssemblyScript runtime holds ${plural(report.runtime.objects, "block")}, ${report.runtime.bytes} bytes: not leaks)`
    : "";
  const ignored = leaks.ignored ? ` (${plural(leaks.ignored, "ignored object")}: not leaks)` : "";
  const held = leaks.held ? ` (${plural(leaks.held, "reference")} held by ${leaks.heldBy.map(([by]) => by).join(", ")}: not leaks)` : "";
  if (result.status === "clean") {
    lines.push(`CLEAN  no references left${returned}${runtime}${ignored}${held}`);
  } else {
    lines.push(`LEAKS  ${describeLeakTotals(leaks, "reference")} still live${returned}`, "");
    lines.push(report.toString());
  }
  return lines.join("\n");
}

const putTitle = (code: string | null): string =>
  code === "DOUBLE_PUT" ? "first put" : code === "USE_AFTER_MOVE" ? "moved at" : "put at";

function describeFailure(result: CheckResult): string {
  const e = result.error!;
  const lines = [heading(result), ""];
  lines.push(result.status === "misuse" ? `MISUSE  ${e.name} [${e.code}]` : `FAILED  ${e.name}${e.code ? ` [${e.code}]` : ""}`);
  lines.push(e.message);
  if (e.handle) lines.push(`  handle      ${hex(e.handle)}${e.object ? ` (object ${hex(e.object)})` : ""}`);
  const site = (title: string, s: SiteResult | null) => {
    if (!s) return;
    lines.push(`  ${title.padEnd(11)} ${s.label}`);
    for (const frame of s.stack.slice(0, 6)) lines.push(`                ${frame}`);
  };
  site("taken at", e.site);
  site(putTitle(e.code), e.putSite);
  if (e.during) lines.push(`  ${"while".padEnd(11)} ${e.during}`);
  if (e.trappedAt.length) {
    lines.push(`  ${"trapped in".padEnd(11)} ${e.trappedAt[0]}`);
    for (const frame of e.trappedAt.slice(1, 6)) lines.push(`                ${frame}`);
  }
  return lines.join("\n");
}

function failurePage(result: CheckResult): string {
  const e = result.error!;
  return failureToHTML({
    title: `rcalloc check: ${basename(result.file!)}`,
    subtitle: (result.entry ? `Entry ${result.entry}, checked build.` : "Instantiation only, checked build.") +
      (e.during ? ` Failed while ${e.during}.` : ""),
    misuse: result.status === "misuse", name: e.name, code: e.code, message: e.message, handle: e.handle, object: e.object,
    site: e.site, putSite: e.putSite, putTitle: putTitle(e.code), trappedAt: e.trappedAt,
  });
}

/** Prints the result (text made printable: no terminal escapes from the module), writes the HTML. */
function finish(out: Output, opts: ParsedArgs, result: CheckResult, text: () => string, html: () => string): ExitStatus {
  if (opts.json) out.log(JSON.stringify(result, (_, v) => typeof v === "bigint" ? v.toString() : v, 2));
  else out.log(printableLines(text()));
  if (typeof opts.html === "string") {
    writeOutputFile(opts.html, "--html", html());
    if (!opts.json) out.log(`\nHTML report written to ${opts.html}`);
  }
  return result.exitCode!;
}
