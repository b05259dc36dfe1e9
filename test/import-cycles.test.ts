// The allocator's files are layered: each imports only the ones below it (docs/design.md, "Layers"). A
// cycle means a fact or a decision sits on the wrong floor; scripts/import-cycles.mjs lists them.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { importCycles, importGraph } from "../scripts/import-cycles.mjs";

describe("import cycles", () => {
  it("assembly/ has none", () => {
    expect(importCycles(importGraph(fileURLToPath(new URL("../assembly/", import.meta.url))))).toEqual([]);
  });

  it("runtime/ has none", () => {
    expect(importCycles(importGraph(fileURLToPath(new URL("../runtime/", import.meta.url))))).toEqual([]);
  });

  it("finds a cycle through imports and re-exports, and names its path", () => {
    const dir = mkdtempSync(join(tmpdir(), "rcalloc-cycles-"));
    try {
      writeFileSync(join(dir, "a.ts"), 'import { b } from "./b";\nexport const a = b;\n');
      writeFileSync(join(dir, "b.ts"), '// import { a } from "./a"; (a comment, not an import)\nexport { c as b } from "./c";\n');
      writeFileSync(join(dir, "c.ts"), 'import * as a from "./a";\nexport const c = 1;\n');
      writeFileSync(join(dir, "d.ts"), 'import { a } from "./a";\n');
      expect(importCycles(importGraph(dir))).toEqual([["a.ts", "b.ts", "c.ts", "a.ts"]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
