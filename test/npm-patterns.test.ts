// Patterns of AssemblyScript libraries from npm, each reduced to a package under
// test/fixtures/npm-packages/ (credited in its header), built as a user builds a module that uses
// one: `asc --path` makes asc name the package's files `~lib/<package>/...`, as it names those of a
// package in node_modules. Each case is a behaviour `rcalloc check` once got wrong on the library.
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLinkedSources, rcalloc } from "./run-tools.js";
import type { CheckResult } from "../bindings/cli-check.js";

const PACKAGES = fileURLToPath(new URL("fixtures/npm-packages/", import.meta.url));

const AS: Record<string, string> = {
  // correct: the package keeps its buffer in its own global for the module's life
  "pkg-global.ts": `import { writeByte, take } from "scratch-buffer/assembly";
export function main(): i32 {
  for (let i = 0; i < 300; i++) writeByte(<u8>(0x61 + i % 26));
  return take().length;
}
`,
};

let dir = "";
beforeAll(async () => { dir = await buildLinkedSources(".npm-patterns-", AS, ["--debug", "--sourceMap", "--path", PACKAGES]); }, 180_000);
afterAll(() => { if (dir && !process.env.KEEP) rmSync(dir, { recursive: true, force: true }); });

async function check(name: string): Promise<CheckResult> {
  const r = await rcalloc("check", `${dir}/${name}.wasm`, "--json");
  return JSON.parse(r.stdout) as CheckResult;
}

describe("a package's globals are roots (json-as's output buffer)", () => {
  it("a heap.alloc block a package global keeps is held by it, not a leak", async () => {
    const r = await check("pkg-global");
    expect(r.status).toBe("clean");
    expect(JSON.stringify(r)).toContain("~lib/scratch-buffer/assembly/index/buffer");
  });
});
