// The shared builds keep the allocator's module globals in shared memory (assembly/threads.ts:
// loadState/saveState). A global added to a layer and not to those two lists would be silently
// per thread, so this test reads the sources: every top-level `let` of assembly/ is either
// carried through shared memory, both loaded and saved, or one of the per-thread files' own.
import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const exportsOf = (build: string) =>
  WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(new URL(`../build/rcalloc.${build}.wasm`, import.meta.url))))
    .map((e) => e.name);

const dir = new URL("../assembly/", import.meta.url);
const source = (file: string) => readFileSync(new URL(file, dir), "utf8");
/** Files whose globals are per thread by design (threads.ts documents each). */
const PER_THREAD_FILES = ["threads.ts", "locks.ts", "thread-cache.ts", "thread-slots.ts", "memory-growth.ts"];

/** Globals of the plain builds alone: the shared builds never read or write them (each use is
 *  under `!SHARED`), so they need no word of shared state. quarantine.ts: the room test's count,
 *  where the shared build keeps the exact test. */
const PLAIN_ONLY = ["quarantine.ts:room"];

/** Top-level `let` declarations, as "file:name". */
function moduleGlobals(): string[] {
  const found: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    for (const m of source(file).matchAll(/^(?:export )?let (\w+)/gm)) found.push(`${file}:${m[1]}`);
  }
  return found;
}

/** The names a function of threads.ts assigns (load) or stores (save), imports' aliases resolved. */
function carried(fn: "loadState" | "saveState"): Set<string> {
  const text = source("threads.ts");
  const aliases = new Map<string, string>();
  for (const m of text.matchAll(/import \{([^}]*)\} from "\.\/(\w[\w-]*)"/g)) {
    for (const part of m[1].split(",").map((s) => s.trim()).filter(Boolean)) {
      const [name, alias] = part.split(/\s+as\s+/);
      aliases.set(alias ?? name, `${m[2]}.ts:${name}`);
    }
  }
  const start = text.indexOf(`function ${fn}(`);
  const body = text.slice(start, text.indexOf("\n}", start));
  const names = fn === "loadState"
    ? [...body.matchAll(/(\w+) = load</g)].map((m) => m[1])
    : [...body.matchAll(/store<u32>\(word\(\d+\), (?:<u32>)?(\w+)/g)].map((m) => m[1]);
  return new Set(names.map((n) => aliases.get(n) ?? `?:${n}`));
}

describe("shared builds: allocator state", () => {
  it("every module global is carried through shared memory, or belongs to a per-thread file", () => {
    const load = carried("loadState");
    const save = carried("saveState");
    const missing = moduleGlobals()
      .filter((g) => !PER_THREAD_FILES.includes(g.split(":")[0]) && !PLAIN_ONLY.includes(g))
      .filter((g) => !load.has(g) || !save.has(g));
    expect(missing).toEqual([]);
  });

  it("threads.ts names every per-thread file in what it says is per thread", () => {
    const text = source("threads.ts");
    const perThread = text.slice(text.indexOf("// What is per thread"), text.indexOf("\n\n", text.indexOf("// What is per thread")));
    expect(PER_THREAD_FILES.filter((f) => f !== "threads.ts" && !perThread.includes(f))).toEqual([]);
  });

  it("load and save name the same globals at the same words, STATE_WORDS of them", () => {
    const text = source("threads.ts");
    const bodyOf = (fn: string) => {
      const start = text.indexOf(`function ${fn}(`);
      return text.slice(start, text.indexOf("\n}", start));
    };
    const loaded = [...bodyOf("loadState").matchAll(/(\w+) = load<u32>\(word\((\d+)\)\)/g)].map((m) => `${m[1]}@${m[2]}`);
    const saved = [...bodyOf("saveState").matchAll(/store<u32>\(word\((\d+)\), (?:<u32>)?(\w+)/g)].map((m) => `${m[2]}@${m[1]}`);
    expect(saved.sort()).toEqual(loaded.sort());
    const words = loaded.map((x) => Number(x.split("@")[1])).sort((a, b) => a - b);
    const count = Number(/STATE_WORDS: usize = (\d+)/.exec(source("thread-state.ts"))?.[1]);
    expect(words).toEqual([...Array(count).keys()]);
  });

  it.each(["checked", "unchecked"])("the shared %s build exports everything the plain one does (shared.ts wraps each)", (build) => {
    const shared = new Set(exportsOf(`shared-${build}`));
    expect(exportsOf(build).filter((name) => !shared.has(name))).toEqual([]);
  });
});
