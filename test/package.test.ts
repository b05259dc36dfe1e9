// The package as users get it: install it into an empty project (from its tarball, and from the
// repository folder) and import `rcalloc` from plain Node JS (ESM), both builds, typed errors.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain JS build script
import { buildExamples, examplePath } from "../examples/build.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const work = mkdtempSync(join(tmpdir(), "rcalloc-package-"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const npm = (args: string[], cwd: string) =>
  execFileSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], { cwd, encoding: "utf8" });

/** Plain Node ESM that uses the installed package in both builds. */
const MAIN = `
  import { createHeap, DoublePutError } from "rcalloc";
  const out = {};
  for (const checked of [false, true]) {
    const heap = await createHeap({ checked });
    const a = heap.alloc(40);
    const b = heap.get(a);
    heap.put(b);
    out[checked ? "checked" : "unchecked"] = { refs: heap.refs(a), size: heap.size(a) };
    if (checked) {
      try { heap.put(b); } catch (e) { out.error = { isDoublePut: e instanceof DoublePutError, code: e.code }; }
    }
  }
  // the subpath for test suites resolves to the built helper (vitest itself is an optional peer)
  out.vitestHelper = import.meta.resolve("rcalloc/vitest").endsWith("/dist/vitest.js");
  console.log(JSON.stringify(out));
`;
const EXPECTED = {
  unchecked: { refs: 1, size: 40 },
  checked: { refs: 1, size: 40 },
  error: { isDoublePut: true, code: "DOUBLE_PUT" },
  vitestHelper: true,
};

/** An empty ESM project that installs `spec` and runs MAIN; returns its output. */
function runInstalled(dir: string, spec: string, extra: string[] = []): unknown {
  const app = join(work, dir);
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: dir, private: true, type: "module" }));
  npm(["install", "--prefer-offline", ...extra, spec], app);
  writeFileSync(join(app, "main.js"), MAIN);
  return JSON.parse(execFileSync("node", ["main.js"], { cwd: app, encoding: "utf8" }));
}

describe("npm package", () => {
  beforeAll(() => buildExamples({ names: ["leaky"] }), 120_000);

  it("installs from its tarball and imports from plain Node JS; its rcalloc command runs", () => {
    npm(["pack", "--ignore-scripts", "--pack-destination", work, ROOT], work);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"))!;
    expect(tarball).toMatch(/^rcalloc-.*\.tgz$/);
    expect(runInstalled("from-tarball", join(work, tarball))).toEqual(EXPECTED);
    // The bin npm linked, as a user runs it (`npx rcalloc check ...`): exit 1 on a leaky module.
    const bin = join(work, "from-tarball", "node_modules", ".bin", "rcalloc");
    const run = spawnSync(bin, ["check", examplePath("leaky")], { encoding: "utf8" });
    expect(run.stderr).toBe("");
    expect(run.stdout).toMatch(/LEAKS {2}3 references to 3 objects \(138 bytes\) still live/);
    expect(run.status).toBe(1);
    // C, C++ and Rust modules build against the installed headers (README "From C / C++").
    for (const file of ["rcalloc.h", "rcalloc-malloc.c", "rcalloc.hpp", "rcalloc.rs"]) {
      expect(existsSync(join(work, "from-tarball", "node_modules", "rcalloc", "include", file)), file).toBe(true);
    }
  });

  it("ships the LICENSE, the report's JSON Schema, the docs the README links to, the bin and both builds", () => {
    const [pack] = JSON.parse(npm(["pack", "--dry-run", "--json", "--ignore-scripts", ROOT], work)) as [{ files: { path: string }[] }];
    const files = pack.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining([
      "LICENSE", "docs/report.schema.json", "bin/rcalloc.js", "build/rcalloc.checked.wasm", "build/rcalloc.unchecked.wasm",
    ]));
    // every docs/ page README.md links to (its links must work in the installed package too)
    const linked = [...readFileSync(join(ROOT, "README.md"), "utf8").matchAll(/\]\((docs\/[^)#]+)/g)].map((m) => m[1]);
    expect(linked.length).toBeGreaterThan(0);
    expect(files).toEqual(expect.arrayContaining([...new Set(linked)]));
  });

  it("installs from the repository folder (npm install <path>) and imports the same way", () => {
    // --ignore-scripts: the folder is already built; its `prepare` would rebuild build/ while
    // other test files read it.
    expect(runInstalled("from-path", ROOT, ["--ignore-scripts"])).toEqual(EXPECTED);
  });

  it("its types check in a TypeScript project without @types/node (lib es2022 + dom, skipLibCheck false)", () => {
    // Symbol.dispose (Heap, Ref) is not in ES2022: dist/*.d.ts must bring its lib themselves.
    const app = join(work, "typescript-dom");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    symlinkSync(ROOT, join(app, "node_modules", "rcalloc"));
    writeFileSync(join(app, "package.json"), JSON.stringify({ private: true, type: "module" }));
    writeFileSync(join(app, "tsconfig.json"), JSON.stringify({
      compilerOptions: {
        target: "ES2022", module: "NodeNext", moduleResolution: "NodeNext", lib: ["es2022", "dom"], types: [],
        strict: true, skipLibCheck: false, noEmit: true,
      },
      include: ["app.ts"],
    }));
    writeFileSync(join(app, "app.ts"),
      'import { createHeap, link, wrap } from "rcalloc";\nconst heap = await createHeap({ checked: true });\nheap.put(heap.alloc(8));\nexport { link, wrap };\n');
    const tsc = spawnSync(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", app], { encoding: "utf8" });
    expect(tsc.stdout + tsc.stderr).toBe("");
    expect(tsc.status).toBe(0);
  });
});
