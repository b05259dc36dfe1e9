// AssemblyScript's standard library told from a package by name (bindings/as-std-names.ts): a
// package's globals are leak-scan roots and its lines sites, the library's are neither.
import { readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { isStdLibraryName, STD_LIBRARY_FILES } from "../bindings/as-std-names.js";

const require = createRequire(import.meta.url);

function filesOf(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => e.isDirectory()
    ? filesOf(join(dir, e.name))
    : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : []);
}

describe("AssemblyScript's standard library by name", () => {
  it("knows every file of the installed assemblyscript's std/assembly (a file added there would pass for a package)", () => {
    const std = join(dirname(require.resolve("assemblyscript/package.json")), "std", "assembly");
    const files = filesOf(std).map((f) => relative(std, f).split("\\").join("/").replace(/\.ts$/, "")).sort();
    expect([...STD_LIBRARY_FILES].sort()).toEqual(files);
  });

  it.each([
    ["~lib/date.ts", true],
    ["~lib/date/Date#getTime", true],
    ["~lib/rt/itcms.ts", true],
    ["~lib/rt/itcms/total", true],
    ["~lib/util/string/compareImpl", true],
    ["~lib/map/Map<~lib/string/String,i32>#set", true],
    ["~lib/array/Array<~lib/date/assembly/index/Entry>#push", true],
    ["~lib/rcalloc/assembly/handles/heapTag", true],
    // packages, one of them named like a standard file
    ["~lib/date/assembly/index.ts", false],
    ["~lib/date/assembly/index/buffer", false],
    ["~lib/json-as/lib/as-bs/bs.buffer", false],
    ["~lib/@scope/pkg/assembly/index/f", false],
    ["~lib/util-extra/index/f", false],
    ["assembly/index/main", false],
  ])("%s: %s", (name, std) => {
    expect(isStdLibraryName(name)).toBe(std);
  });
});
