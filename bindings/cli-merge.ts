// `rcalloc merge`: one module with the allocator build fused in, by binaryen's wasm-merge (and
// wasm-opt -O3 with --optimize), from the rewrites of static-link.ts.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";
import { allocatorBytes } from "./allocator-builds.js";
import { LinkError } from "./linkable.js";
import { prepareStaticLink } from "./static-link.js";
import { shiftSourceMap } from "./wasm-sites.js";
import { checkOutputFile, EXIT, fail, parseArgs, type ExitStatus, type Output } from "./cli-usage.js";
import { readApp } from "./cli-module.js";

/** A binaryen tool from the user's node_modules, else from the one rcalloc's own install has. */
function binaryenTool(name: string): string {
  for (const from of [join(process.cwd(), "package.json"), import.meta.url]) {
    try {
      const pkg = createRequire(from).resolve("binaryen/package.json");
      const tool = join(dirname(pkg), "bin", name);
      if (existsSync(tool)) return tool;
    } catch { /* not there */ }
  }
  throw new Error(`${name} not found: install binaryen (npm install --save-dev binaryen)`);
}

function runTool(tool: string, args: string[]): void {
  const r = spawnSync(process.execPath, [tool, ...args], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${basename(tool)} failed: ${(r.stderr || r.stdout || "").trim().split("\n")[0]}`);
}

export async function merge(argv: readonly string[], out: Output): Promise<ExitStatus> {
  const opts = parseArgs(argv, { flags: ["checked", "unchecked", "optimize", "sites", "owns-memory-growth"], values: ["output"], aliases: { "-o": "--output" } });
  if (opts.files.length > 1) fail(`merge takes one module, got ${opts.files.length}`);
  if (opts.checked === opts.unchecked) fail("merge needs exactly one of --checked and --unchecked");
  if (opts.sites && !opts.checked) fail("--sites goes with --checked (the unchecked build records no sites)");
  const output = opts.output as string | undefined;
  if (!output) fail("merge needs -o OUT.wasm");
  checkOutputFile(output, "-o");
  const file = opts.files[0];
  const { bytes, sourceMap } = readApp(file);
  let prepared: ReturnType<typeof prepareStaticLink>;
  try {
    prepared = prepareStaticLink(await allocatorBytes(!!opts.checked), bytes, { sites: !!opts.sites, ownsMemoryGrowth: !!opts["owns-memory-growth"] });
  } catch (e) {
    if (e instanceof LinkError) fail(e.message);
    throw e;
  }
  const work = mkdtempSync(join(tmpdir(), "rcalloc-merge-"));
  try {
    const allocator = join(work, "rcalloc.wasm");
    const user = join(work, "app.wasm");
    writeFileSync(allocator, prepared.allocator);
    writeFileSync(user, prepared.user);
    // With --sites, the app's source map goes through too (moved with its code), so sites read
    // file:line:column: OUT.wasm.map next to OUT.wasm.
    const maps: { in: string[]; out: string[] } = { in: [], out: [] };
    if (opts.sites && sourceMap) {
      const map = join(work, "app.wasm.map");
      writeFileSync(map, JSON.stringify(shiftSourceMap(sourceMap, prepared.codeShift)));
      maps.in = ["-ism", map];
      maps.out = ["-osm", `${resolve(output)}.map`];
    }
    // Order matters: the allocator first, so its exports resolve the app's "rcalloc" imports.
    const mergeWith = (features: string[]) => runTool(binaryenTool("wasm-merge"),
      [allocator, "rcalloc", user, "app", ...maps.in, "-o", resolve(output), ...maps.out, ...features, "-g"]);
    // Every feature but GC, unless the app needs GC: with GC on, binaryen writes a null funcref
    // as GC's `ref.null nofunc` and -O3 narrows references to typed ones, which an engine without
    // GC (Node 20) refuses ("Unknown heap type -13"): an AssemblyScript program with a funcref or
    // externref, merged, did not compile. An app that uses GC types does not merge without it.
    let features = ["-all", "--disable-gc"];
    try {
      mergeWith(features);
    } catch (error) {
      if (!/requires gc|--enable-gc/i.test((error as Error).message)) throw error; // binaryen: "struct.new requires gc [--enable-gc]"
      features = ["-all"];
      mergeWith(features);
    }
    if (opts.optimize) {
      const inMap = maps.out.length ? ["-ism", `${resolve(output)}.map`] : [];
      runTool(binaryenTool("wasm-opt"), [resolve(output), ...inMap, "-O3", ...features, "-g", "-o", resolve(output), ...maps.out]);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const size = statSync(output).size;
  out.log(`${output}: ${file} with the ${opts.checked ? "checked" : "unchecked"} allocator merged in ` +
    `(${size} bytes${opts.optimize ? ", wasm-opt -O3" : ""}); wrap it with Heap.instantiate(module, { checked: ${!!opts.checked} }), then call its _start export` +
    (opts.sites ? `; with { stacks: true${sourceMap ? ", sourceMap" : ""} } each call into the allocator gets its wasm stack as its site` +
      (sourceMap ? ` (source map: ${output}.map)` : "") : ""));
  return EXIT.CLEAN;
}
